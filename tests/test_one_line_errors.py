"""Every failure of the command line is one line on stderr and an exit code; a traceback only with --debug."""
from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest

from agent.cli import split_debug
from agent.cli.errors import one_line
from tests.cli_run import run_cli
from tests.ctrl_c import ctrl_c_handled

ROOT = Path(__file__).resolve().parents[1]
TRACEBACK = "Traceback (most recent call last)"


def _fail_with(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    """Make `restore-agent records` raise ``exc`` from inside the command."""
    import tools.cards

    def broken(*args: object, **kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(tools.cards, "load_card", broken)


@pytest.mark.parametrize("exc,code,line", [
    (RuntimeError("the index\nis gone"), 1,
     "internal error: RuntimeError: the index is gone (re-run with --debug for the traceback)"),
    (KeyError("id"), 1, "internal error: KeyError: 'id' (re-run with --debug for the traceback)"),
    (OSError(errno.ENOSPC, "No space left on device", "out.png"), 1, "error: No space left on device: out.png"),
    (OSError(errno.EFBIG, "File too large", "big.png"), 1, "error: File too large: big.png"),
    (OSError("broken data stream when reading image file"), 1, "error: broken data stream when reading image file"),
    (RecursionError("maximum recursion depth exceeded"), 1, "error: the input is nested too deeply to read"),
    (MemoryError(), 1, "error: out of memory (try a smaller photo or tile)"),
    (KeyboardInterrupt(), 130, "cancelled"),
])
def test_any_exception_is_one_line_and_an_exit_code(monkeypatch, exc: BaseException, code: int, line: str) -> None:
    _fail_with(monkeypatch, exc)
    run = run_cli("records")
    assert (run.code, run.err) == (code, line + "\n") and run.out == ""


def test_debug_shows_the_traceback_anywhere_on_the_line_or_from_the_environment(monkeypatch) -> None:
    _fail_with(monkeypatch, RuntimeError("boom"))
    for args in (("--debug", "records"), ("records", "--debug")):
        run = run_cli(*args)
        assert run.code == 1 and TRACEBACK in run.err and run.err.endswith("internal error: RuntimeError: boom "
                                                                           "(re-run with --debug for the traceback)\n")
    monkeypatch.setenv("RESTORE_AGENT_DEBUG", "1")
    assert TRACEBACK in run_cli("records").err
    monkeypatch.setenv("RESTORE_AGENT_DEBUG", "0")
    assert TRACEBACK not in run_cli("records").err


def test_debug_is_taken_before_a_double_dash_only() -> None:
    assert split_debug(["ask", "--debug", "q"], {}) == (["ask", "q"], True)
    assert split_debug(["ask", "--", "--debug"], {}) == (["ask", "--", "--debug"], False)
    assert split_debug(["records"], {"RESTORE_AGENT_DEBUG": "yes"}) == (["records"], True)


@pytest.mark.parametrize("args,start", [
    (("ask", "--nope"), "error: No such option: --nope"),
    (("denoise",), "error: Missing argument 'input'"),
    (("frobnicate",), "error: No such command 'frobnicate'"),
    (("records", "--json", "true"), "error: Got unexpected extra argument(s) (true)"),
])
def test_usage_errors_are_one_line_naming_the_help(args: tuple[str, ...], start: str) -> None:
    run = run_cli(*args)
    assert run.code == 2 and run.err.startswith(start) and run.err.count("\n") == 1
    assert run.err.rstrip().endswith("--help')")


def test_control_characters_in_a_message_are_shown_escaped(tmp_path: Path) -> None:
    run = run_cli("records", "--card", str(tmp_path / "\x1b[31mred\x07.yaml"))
    assert run.code == 2 and "\x1b" not in run.err and "\x07" not in run.err
    assert "\\x1b[31mred\\x07.yaml" in run.err
    assert one_line("a\n  b\u200bc") == "a b\\u200bc"


@pytest.mark.parametrize("args", [("records",), ("records", "--json")], ids=["rich", "plain"])
def test_a_closed_pipe_ends_quietly(args: tuple[str, ...]) -> None:
    process = subprocess.Popen([sys.executable, "-m", "agent", *args], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.close()  # like `| head` that has already gone
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1 and err == b""


def test_ctrl_c_outside_chat_says_cancelled_without_a_traceback() -> None:
    script = ("import signal, sys, threading, os\n"
              "sys.argv = ['restore-agent', 'records']\n"
              "import tools.cards\n"
              "def slow(*a, **k):\n    os.kill(os.getpid(), signal.SIGINT)\n    threading.Event().wait(5)\n"
              "tools.cards.load_card = slow\n"
              "from agent.cli import main\nmain()\n")
    with ctrl_c_handled():
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr, done.stdout) == (130, "cancelled\n", "")


def test_a_batch_manifest_nested_too_deeply_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.png").write_bytes(b"\x89PNG not read: the manifest is refused first")
    manifest = tmp_path / "out" / "manifest.jsonl"
    manifest.parent.mkdir()
    manifest.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    run = run_cli("batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--analyze-only")
    assert run.code == 2 and run.err == (f"error: {manifest} holds a line nested too deeply to read: it is no batch "
                                         "manifest (move it away, or choose another output folder)\n")
    assert sorted(p.name for p in manifest.parent.iterdir()) == ["manifest.jsonl"]
