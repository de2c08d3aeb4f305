"""Tool calls whose arguments are cut off or not valid JSON never run, streamed or not (LangChain reads streamed
arguments with a lenient partial-JSON parser): the model gets an error for each call and may send it again.
Through the real openai client against the scripted server."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.core.loop import ask
from agent.core.tool_calls import MALFORMED, MALFORMED_LIMIT
from tests.openai_server import Step, call, scripted_server, text
from tests.test_agent_openai import GOOD_ANSWER, settings
from tools.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
STREAMS = pytest.mark.parametrize("stream", [True, False], ids=["sse", "json"])


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "noisy.png"
    path.parent.mkdir()
    pixels = np.clip(128 + np.random.default_rng(0).normal(0, 20, (24, 32, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def _cut(photo: Path, out: Path) -> str:
    """A denoise call cut off after ``"output": `` (its lenient reading would run with the path alone)."""
    return json.dumps({"path": str(photo), "output": str(out / "clean.png")}).split('"output": ')[0] + '"output": '


def _written(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.png") if p.name != "noisy.png")


@STREAMS
def test_cut_off_arguments_never_run_and_the_model_tries_again(stream: bool, photo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with scripted_server(call("denoise_image", _cut(photo, out)), text(GOOD_ANSWER)) as server:
        reply = ask("please clean this photo", images=[photo], output_dir=out,
                    settings=settings(server.base_url, stream=stream, fallback=False))
    assert _written(tmp_path) == []  # nothing denoised, neither to -o nor beside the photo
    assert reply.failure is None and reply.response["backend"] == "openai"
    assert reply.response["tool_calls"][0] == {"name": "denoise_image", "args": {}, "ok": False, "seconds": 0.0,
                                               "error": MALFORMED}
    retry = server.requests[1]["messages"]
    sent = next(m for m in retry if m["role"] == "assistant" and m.get("tool_calls"))
    assert sent["tool_calls"][0]["function"]["arguments"] == _cut(photo, out)  # the model sees what it sent
    answer = next(m for m in retry if m["role"] == "tool")
    assert answer["tool_call_id"] == sent["tool_calls"][0]["id"] and answer["content"].startswith(f"error: {MALFORMED}")


@STREAMS
def test_a_valid_call_beside_a_cut_off_one_does_not_run_either(stream: bool, photo: Path, tmp_path: Path) -> None:
    both = Step(tool_calls=[("search_records", json.dumps({"query": "noise"})),
                            ("denoise_image", _cut(photo, tmp_path))])
    with scripted_server(both, text(GOOD_ANSWER)) as server:
        reply = ask("please clean this photo", images=[photo], output_dir=tmp_path,
                    settings=settings(server.base_url, stream=stream, fallback=False))
    assert [(c["name"], c["ok"]) for c in reply.response["tool_calls"]] == [("denoise_image", False),
                                                                          ("search_records", False)]
    tool_replies = [m for m in server.requests[1]["messages"] if m["role"] == "tool"]
    assert len(tool_replies) == 2 and all(m["content"].startswith("error: not run") for m in tool_replies)
    assert _written(tmp_path) == []


@STREAMS
def test_a_model_that_keeps_sending_cut_off_calls_stops_the_turn(stream: bool, photo: Path, tmp_path: Path) -> None:
    with scripted_server(call("denoise_image", _cut(photo, tmp_path))) as server:
        with pytest.raises(UserError, match="sent malformed arguments for tool 'denoise_image' 3 times"):
            ask("please clean this photo", images=[photo], output_dir=tmp_path,
                settings=settings(server.base_url, stream=stream, fallback=False))
    assert len(server.requests) == MALFORMED_LIMIT and _written(tmp_path) == []


@pytest.mark.parametrize("flags", [(), ("--no-stream",)], ids=["sse", "json"])
def test_the_cli_with_no_fallback_exits_2_and_writes_nothing(flags: tuple[str, ...], photo: Path,
                                                              tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OPENAI_API_KEY": "test", "RESTORE_AGENT_MODEL": "scripted"}
    with scripted_server(call("denoise_image", _cut(photo, tmp_path))) as server:
        done = subprocess.run([sys.executable, "-m", "agent", "ask", "please clean this photo", "--image", str(photo),
                               "--base-url", server.base_url, "--no-fallback", *flags], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: openai backend failed: sent malformed arguments for tool "
                                  "'denoise_image' 3 times")
    assert _written(tmp_path) == []
