"""`restore-agent chat` in a pseudo-terminal, as a person uses it: Ctrl-C, progress, and streamed answers.

The chat runs under pexpect at 24 and 50 rows; what it prints is replayed on pyte's emulated screen with its
scrollback, so what a person would see afterwards (scrolling back included) is what the tests read.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.agent_fixtures import sha, weights_env  # noqa: F401 (fixture)
from tests.ctrl_c import ctrl_c_handled
from tests.openai_server import Step, scripted_server

pexpect = pytest.importorskip("pexpect", reason="pexpect is in the test extra: pip install -e '.[test]'")
pyte = pytest.importorskip("pyte", reason="pyte is in the test extra: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = 100
PROMPT = "you> "
CANCELLED = "cancelled; the session goes on"
ROWS = pytest.mark.parametrize("rows", [24, 50])


def _spawn(args: list[str], cwd: Path, env: dict, rows: int) -> "pexpect.spawn":
    """``restore-agent ARGS`` in a pseudo-terminal ``rows`` tall, which Ctrl-C reaches wherever pytest runs."""
    with ctrl_c_handled():
        return pexpect.spawn(sys.executable, ["-m", "agent", *args], cwd=str(cwd),
                             env={**env, "TERM": "xterm-256color"}, dimensions=(rows, COLUMNS), encoding="utf-8",
                             timeout=240)


class Chat:
    """A chat process in a pseudo-terminal, with everything it printed kept."""

    def __init__(self, cwd: Path, env: dict, rows: int, *args: str) -> None:
        self.rows, self.raw = rows, []
        self.child = _spawn(["chat", *args], cwd, {**env, "COLUMNS": str(COLUMNS), "LINES": str(rows)}, rows)
        self.child.logfile_read = self
        self.expect(PROMPT)

    def write(self, text: str) -> None:  # pexpect's log: the raw terminal output
        self.raw.append(text)

    def flush(self) -> None:
        pass

    def expect(self, pattern: str, timeout: float = 240) -> None:
        self.child.expect_exact(pattern, timeout=timeout)

    def expect_tiles(self) -> None:
        """A progress row's count: ``0/3 tiles``."""
        self.child.expect(r"\d+/\d+ tiles", timeout=240)

    def say(self, line: str) -> None:
        self.child.sendline(line)

    def close(self) -> None:
        if self.child.isalive():
            self.child.sendline("/quit")
            self.child.expect(pexpect.EOF, timeout=60)

    def seen(self) -> list[str]:
        """Every line a person can see afterwards: the scrollback, then the screen."""
        screen = pyte.HistoryScreen(COLUMNS, self.rows, history=100_000, ratio=0.5)
        pyte.Stream(screen).feed("".join(self.raw).replace("\r\n", "\n").replace("\n", "\r\n"))
        def text(line) -> str:
            return "".join(line[column].data for column in range(COLUMNS)).rstrip()
        return [text(line) for line in screen.history.top] + [line.rstrip() for line in screen.display]


@pytest.fixture(scope="module")
def big_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1000 x 1000 noisy photo: tens of seconds of denoising on a CPU."""
    from skimage import data

    clean = np.asarray(Image.fromarray(data.astronaut()).resize((1000, 1000)), dtype=float)
    noisy = np.clip(np.rint(clean + np.random.default_rng(3).normal(0, 20, clean.shape)), 0, 255)
    path = tmp_path_factory.mktemp("big") / "big.png"
    Image.fromarray(noisy.astype(np.uint8)).save(path)
    return path


def _cancel_and_time(chat: Chat) -> float:
    """Press Ctrl-C; seconds until the chat says it cancelled and prompts again."""
    started = time.monotonic()
    chat.child.sendintr()
    chat.expect(CANCELLED, timeout=30)
    chat.expect(PROMPT, timeout=30)
    return time.monotonic() - started


def _leftovers(folder: Path, photo: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != photo.name)


@ROWS
def test_slash_denoise_shows_progress_and_ctrl_c_stops_it_writing_nothing(
        rows: int, big_photo: Path, weights_env: dict, tmp_path: Path) -> None:
    photo = tmp_path / big_photo.name
    photo.write_bytes(big_photo.read_bytes())
    digest = sha(photo)
    chat = Chat(tmp_path, weights_env, rows)
    try:
        chat.say(f"/denoise {photo.name}")
        chat.expect(f"denoising {photo.name}")
        chat.expect_tiles()  # the progress row: the step, tiles done of the total, elapsed time
        time.sleep(1.0)
        assert _cancel_and_time(chat) < 2.0
        time.sleep(2.0)  # a worker that had not stopped would write now
        assert _leftovers(tmp_path, photo) == []
        chat.say("/report report.md")  # the cancelled command left nothing to report on
        chat.expect("ask a question first")
    finally:
        chat.close()
    assert sha(photo) == digest


@ROWS
def test_ctrl_c_during_an_agent_denoise_returns_to_the_prompt_and_drops_the_turn(
        rows: int, big_photo: Path, weights_env: dict, tmp_path: Path) -> None:
    photo = tmp_path / big_photo.name
    photo.write_bytes(big_photo.read_bytes())
    transcript = tmp_path / "chat.md"
    chat = Chat(tmp_path, weights_env, rows, "--transcript", transcript.name)
    try:
        chat.say(f"please clean {photo.name}")
        chat.expect("→ denoise_image")  # the tool's start line
        chat.expect_tiles()
        assert _cancel_and_time(chat) < 2.0
        time.sleep(2.0)
        assert _leftovers(tmp_path, photo) == [transcript.name]
        chat.say("/report report.md")
        chat.expect("ask a question first")  # the cancelled question is no report's title
    finally:
        chat.close()
    seen = chat.seen()
    assert any("✓ analyze_image" in line for line in seen) and any(CANCELLED in line for line in seen)
    assert "please clean" not in transcript.read_text()


def _long_answer(lines: int) -> str:
    hair = ("http://arxiv.org/pdf/2408.08091v4.pdf", "https://github.com/toummHus/HAIR")
    steps = "\n".join(f"- marker-{n:02d}: HAIR [hair] takes the rainy photo through step {n} of its restoration."
                      for n in range(1, lines + 1))
    return (f"## Task\n\nRemoving rain and haze from photos [hair].\n\n## Workflow\n\n{steps}\n\n"
            f"## Papers and tools\n\n- HAIR [hair]: paper {hair[0]}, code {hair[1]}\n")


@ROWS
def test_a_long_streamed_answer_leaves_one_copy_in_the_scrollback(rows: int, tmp_path: Path) -> None:
    pytest.importorskip("agent.core.stream_guard", reason="the stream guard is not installed")
    answer = _long_answer(3 * rows)  # three screens tall
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "OPENAI_API_KEY": "test",
           "RESTORE_AGENT_MODEL": "scripted"}
    with scripted_server(Step(text=answer, trickle=0.01)) as server:
        chat = Chat(tmp_path, env, rows, "--llm", "openai", "--base-url", server.base_url)
        try:
            chat.say("Which model removes rain and haze from photos?")
            chat.expect("answered by: openai")
            chat.expect(PROMPT)
        finally:
            chat.close()
    raw = "".join(chat.raw)
    assert raw.count("marker-10:") >= 2, "the answer was not shown while it streamed"
    seen = chat.seen()
    for n in (1, rows, 3 * rows):
        copies = [line for line in seen if f"marker-{n:02d}:" in line]
        assert len(copies) == 1, (n, copies)
    assert any("marker-01:" in line for line in seen[:-rows]), "the start of the answer is in the scrollback"


def test_ctrl_c_during_ask_stops_the_tool_thread_too(big_photo: Path, weights_env: dict, tmp_path: Path) -> None:
    """In `ask` the denoise runs in LangChain's tool thread, which Ctrl-C does not reach: it must stop all the same,
    rather than finish and write its output before the command exits."""
    photo = tmp_path / big_photo.name
    photo.write_bytes(big_photo.read_bytes())
    child = _spawn(["ask", f"please clean {photo.name}", "--image", photo.name], tmp_path, weights_env, 24)
    child.expect(r"\d+/\d+ tiles")
    started = time.monotonic()
    child.sendintr()
    child.expect(pexpect.EOF, timeout=30)
    child.close()
    assert time.monotonic() - started < 5.0 and child.exitstatus == 130  # the whole denoise would take minutes
    time.sleep(2.0)
    assert _leftovers(tmp_path, photo) == []
