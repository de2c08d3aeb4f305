"""The openai backend against a scripted OpenAI-compatible server, through the real openai client and ChatOpenAI."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.core.backends import LLMSettings
from agent.core.grounding import urls_in
from agent.core.loop import ask
from tests.openai_server import Step, call, scripted_server, text
from tools.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
HAIR_PAPER = "http://arxiv.org/pdf/2408.08091v4.pdf"
HAIR_CODE = "https://github.com/toummHus/HAIR"
QUESTION = "Which model removes rain and haze from photos?"
GOOD_ANSWER = (
    "## Task\n\nAll-in-one restoration of rain and haze [hair].\n\n"
    "## Workflow\n\nInput: a rainy or hazy photo → model: HAIR [hair], described only, not runnable here → "
    "output: the restored photo, checked by PSNR.\n\n"
    f"## Papers and tools\n\n- HAIR [hair]: paper {HAIR_PAPER}, code {HAIR_CODE}\n"
)


def settings(base_url: str, **overrides: object) -> LLMSettings:
    values = {"backend": "openai", "model": "scripted", "base_url": base_url, "api_key": "test", "timeout": 5.0}
    return LLMSettings(**{**values, **overrides})


def offline_answer(question: str = QUESTION) -> dict:
    return ask(question, settings=LLMSettings()).response


@pytest.mark.parametrize("stream", [True, False], ids=["sse", "json"])
def test_tool_call_runs_our_tool_and_the_final_answer_is_kept(stream: bool) -> None:
    with scripted_server(call("search_records", {"query": "rain haze"}), text(GOOD_ANSWER)) as server:
        tokens: list[str] = []
        reply = ask(QUESTION, settings=settings(server.base_url, stream=stream),
                        on_token=lambda piece, _: tokens.append(piece))
    response = reply.response
    assert reply.failure is None and response["backend"] == "openai"
    assert response["tool_calls"][0] == {"name": "search_records", "args": {"query": "rain haze"}, "ok": True,
                                         "seconds": response["tool_calls"][0]["seconds"]}
    assert len(server.requests) == 2 and all(bool(r.get("stream")) == stream for r in server.requests)
    # the tool's JSON went back to the model in the second request
    tool_messages = [m for m in server.requests[1]["messages"] if m["role"] == "tool"]
    assert [record["id"] for record in json.loads(tool_messages[0]["content"])["records"]][0] == "hair"
    assert server.requests[0]["messages"][0]["role"] == "system"
    assert {tool["function"]["name"] for tool in server.requests[0]["tools"]} == {
        "search_records", "analyze_image", "denoise_image", "describe_workflow"}
    assert response["citations"] == ["hair"] and response["grounding"] == {"ok": True, "removed": [], "repaired": []}
    assert set(urls_in(response["answer"])) == {HAIR_PAPER, HAIR_CODE}
    assert "All-in-one restoration of rain and haze" in response["sections"]["task"]
    if stream:
        assert "".join(tokens) == GOOD_ANSWER  # streamed as it came, before the guard's final version


def test_foreign_url_and_citation_are_removed_by_the_guard() -> None:
    slipped = GOOD_ANSWER.replace("checked by PSNR.", "checked by PSNR, see https://evil.example.com/x.pdf [smith2020].")
    with scripted_server(text(slipped)) as server:
        response = ask(QUESTION, settings=settings(server.base_url)).response
    assert response["backend"] == "openai"
    assert response["grounding"]["removed"] == ["https://evil.example.com/x.pdf", "[smith2020]"]
    for text_out in (response["answer"], *response["sections"].values()):
        assert "evil.example.com" not in text_out and "smith2020" not in text_out
    assert response["citations"] == ["hair"]


def test_missing_section_is_filled_from_the_offline_composer_and_reported() -> None:
    partial = GOOD_ANSWER.split("## Papers and tools")[0]
    with scripted_server(text(partial)) as server:
        response = ask(QUESTION, settings=settings(server.base_url)).response
    assert response["grounding"]["repaired"] == ["references"]
    assert response["sections"]["references"] == offline_answer()["sections"]["references"]
    assert "All-in-one restoration of rain and haze" in response["sections"]["task"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


FAILURES = {
    "http-500": (Step(status=500), "answered HTTP 500"),
    "http-401": (Step(status=401), "answered HTTP 401"),
    "garbage": (Step(garbage=True), "unusable reply"),
    "unknown-tool": (call("delete_everything", {}), "called an unknown tool 'delete_everything'"),
    "malformed-args": (call("search_records", '{query: rain}'), "malformed arguments for tool 'search_records'"),
    "loop": (call("search_records", {"query": "rain"}), "kept calling tools"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_llm_failure_gives_one_line_and_the_offline_answer(case: str) -> None:
    step, expected = FAILURES[case]
    with scripted_server(step) as server:
        reply = ask(QUESTION, settings=settings(server.base_url))
    assert reply.failure and expected in reply.failure and "\n" not in reply.failure
    assert reply.response["backend"] == "offline-fallback"
    offline = offline_answer()
    assert reply.response["answer"] == offline["answer"] and reply.response["citations"] == offline["citations"]
    assert [c["name"] for c in reply.response["tool_calls"]] == ["search_records"]  # the offline run's own calls


def test_hanging_server_times_out_then_answers_offline() -> None:
    with scripted_server(Step(hang=30)) as server:
        started = time.perf_counter()
        reply = ask(QUESTION, settings=settings(server.base_url, timeout=1.0))
        elapsed = time.perf_counter() - started
    assert reply.failure == f"scripted at {server.base_url} did not answer within 1 s"
    assert reply.response["backend"] == "offline-fallback" and reply.response["citations"]
    assert elapsed < 10


def test_connection_refused_and_no_fallback() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    reply = ask(QUESTION, settings=settings(url))
    assert reply.failure.startswith(f"cannot reach scripted at {url}")
    assert reply.response["backend"] == "offline-fallback"
    with pytest.raises(UserError, match="^openai backend failed: cannot reach"):
        ask(QUESTION, settings=settings(url, fallback=False))


def test_ask_cli_with_the_openai_backend(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OPENAI_API_KEY": "test", "RESTORE_AGENT_MODEL": "scripted"}
    with scripted_server(call("search_records", {"query": "rain haze"}), text(GOOD_ANSWER)) as server:
        ok = subprocess.run([sys.executable, "-m", "agent", "ask", QUESTION, "--base-url", server.base_url, "--json"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    response = json.loads(ok.stdout)
    assert response["backend"] == "openai" and response["citations"] == ["hair"]
    assert [c["name"] for c in response["tool_calls"]] == ["search_records"]
    refused = f"http://127.0.0.1:{_closed_port()}/v1"
    failed = subprocess.run([sys.executable, "-m", "agent", "ask", QUESTION, "--base-url", refused, "--no-fallback"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert failed.returncode == 2 and failed.stdout == ""
    assert failed.stderr.startswith("error: openai backend failed: cannot reach") and failed.stderr.count("\n") == 1
