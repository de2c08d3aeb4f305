"""Exit codes and replies that scripts can trust: a requested action that failed exits non-zero with the answer
still printed, chat --json prints one object per input line, and nothing is worked on before every input and
output has been checked."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent.cli.slash import run_slash
from agent.core.backends import LLMSettings
from agent.core.session import ChatSession
from tests.agent_fixtures import noisy_crop
from tests.cli_run import run_cli
from tools.errors import UserError


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return noisy_crop(tmp_path_factory.mktemp("exit") / "photo.png", 0, 0, sigma=25, seed=6)


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_ask_exits_1_with_the_answer_when_the_requested_denoise_could_not_write(photo: Path, as_json: bool) -> None:
    run = run_cli("ask", "Please denoise this photo", "--image", photo, "--output-dir", "/proc",
                  *(["--json"] if as_json else []))
    assert run.code == 1
    assert run.err.splitlines()[-1].startswith("error: not done as asked: photo.png: output folder is not writable")
    if as_json:
        assert json.loads(run.out)["photos"][0]["status"] == "failed"
    else:
        assert "Task" in run.out and "photo.png" in run.out  # the answer is still printed


def test_ask_that_only_analyses_exits_0_whatever_the_output_folder(photo: Path) -> None:
    run = run_cli("ask", "What is wrong with this photo?", "--image", photo, "--output-dir", "/proc")
    assert run.code == 0, run.err


def test_an_unreadable_photo_in_ask_exits_1_with_the_answer(tmp_path: Path) -> None:
    fake = tmp_path / "fake.png"
    fake.write_text("no photo here\n")
    run = run_cli("ask", "What is wrong with this photo?", "--image", fake, "--json")
    assert run.code == 1 and json.loads(run.out)["photos"][0]["status"] == "failed"
    assert run.err.splitlines()[-1].startswith("error: not done as asked: fake.png: ")


def test_chat_json_prints_one_object_per_input_line_errors_included(tmp_path: Path) -> None:
    lines = ["Which model removes noise?", "", "/nope", f"/analyze {tmp_path / 'missing.png'}", "/denoise",
             "quit", "/records", "/quit"]
    done = subprocess.run([sys.executable, "-m", "agent", "chat", "--json"], input="\n".join(lines) + "\n",
                          cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(replies) == len(lines)
    assert replies[0]["question"] == lines[0] and replies[1] == {"input": "", "note": "empty line: nothing asked"}
    assert [reply.get("command") for reply in replies[2:5]] == ["/nope", "/analyze", "/denoise"]
    assert all(reply["input"] == line and reply["error"] for reply, line in zip(replies[2:5], lines[2:5]))
    assert "hint" in replies[5] and replies[6]["command"] == "/records" and replies[7]["command"] == "/quit"
    assert len(done.stderr.splitlines()) == 3 and all(line.startswith("error: ") for line in done.stderr.splitlines())


def test_analyze_checks_every_photo_before_analysing_any(photo: Path, tmp_path: Path, monkeypatch) -> None:
    import tools.analyzer

    analysed = []
    monkeypatch.setattr(tools.analyzer, "analyze", lambda path, *args, **kw: analysed.append(path))
    run = run_cli("analyze", photo, tmp_path / "missing.png")
    assert run.code == 2 and run.err.startswith("error: no such file") and analysed == []


def test_slash_denoise_checks_its_output_before_analysing(photo: Path) -> None:
    session = ChatSession(LLMSettings())
    with pytest.raises(UserError, match="output folder is not writable"):
        run_slash(session, f"/denoise {photo} -o /proc/out.png")
    assert session.analyses == {} and session.photos == []


@pytest.mark.parametrize("size", [(1, 1), (3000, 1)], ids=["one-pixel", "line"])
def test_demo_refuses_a_photo_too_small_before_writing_anything(tmp_path: Path, size: tuple[int, int]) -> None:
    from PIL import Image

    tiny = tmp_path / "tiny.png"
    Image.new("RGB", size).save(tiny)
    run = run_cli("demo", "--as-is", "--image", tiny, "-o", tmp_path / "demo")
    assert run.code == 2 and run.err.startswith("error: image too small to denoise")
    assert not (tmp_path / "demo").exists()


def test_an_unexpected_error_in_a_chat_turn_is_one_object_and_the_session_goes_on(monkeypatch) -> None:
    from rich.console import Console

    from agent.cli.repl import run_repl

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    session = ChatSession(LLMSettings())
    monkeypatch.setattr(session, "answer", broken)
    lines = iter(["Which model removes noise?", "/records"])

    def read_line() -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    console, err = Console(record=True, width=100), Console(record=True, width=100)
    run_repl(session, read_line, console, err, as_json=True)
    replies = [json.loads(line) for line in console.export_text().splitlines()]
    assert replies[0] == {"input": "Which model removes noise?",
                          "error": "RuntimeError: boom (re-run with --debug for the traceback)"}
    assert replies[1]["command"] == "/records" and len(replies) == 2
    assert err.export_text().startswith("internal error: RuntimeError: boom")
