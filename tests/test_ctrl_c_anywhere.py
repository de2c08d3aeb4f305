"""Ctrl-C where SIGINT is ignored: the Ctrl-C tests still pass when pytest starts with it ignored (``nohup … &``), and
the CLI keeps ignoring it when it was started so."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from agent.cli.views.activity import TurnView
from tests.ctrl_c import ctrl_c_handled, ctrl_c_ignored

ROOT = Path(__file__).resolve().parents[1]
# Quick ones of each kind: a child sent SIGINT, a child that sends it itself, and interrupts within this process.
CTRL_C_TESTS = ["tests/test_batch.py::test_ctrl_c_stops_cleanly_with_the_manifest_flushed",
                "tests/test_one_line_errors.py::test_ctrl_c_outside_chat_says_cancelled_without_a_traceback",
                "tests/test_chat_cli.py::test_ctrl_c_cancels_the_turn_and_keeps_the_session",
                "tests/test_chat_cli.py::test_the_prompt_comes_back_when_cancelled_work_does_not_stop"]


def _child_sigint() -> str:
    """How a child Python started now handles SIGINT: ``handled`` (KeyboardInterrupt) or ``ignored``."""
    script = ("import signal\n"
              "print('handled' if signal.getsignal(signal.SIGINT) is signal.default_int_handler else 'ignored')")
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60).stdout.strip()


def test_a_child_started_with_ctrl_c_handled_gets_sigint_even_where_pytest_ignores_it() -> None:
    with ctrl_c_ignored():
        assert _child_sigint() == "ignored"  # what the Ctrl-C tests' children got before
        with ctrl_c_handled():
            assert _child_sigint() == "handled"
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN  # and this process is left as it was


def test_the_ctrl_c_tests_pass_from_a_parent_that_ignores_sigint(tmp_path: Path) -> None:
    with ctrl_c_ignored():
        process = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                    "--basetemp", str(tmp_path / "basetemp"), *CTRL_C_TESTS],
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = process.communicate(timeout=180)
    finally:
        process.kill()
    assert process.returncode == 0 and f"{len(CTRL_C_TESTS)} passed" in out, out


def test_a_turn_started_with_sigint_ignored_keeps_ignoring_it() -> None:
    """Under ``nohup`` or as a script's background job, the Ctrl-C meant for the foreground job cancels no turn."""
    with ctrl_c_ignored():
        try:
            with TurnView(Console(), enabled=False) as view:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.2)
        except KeyboardInterrupt:
            pytest.fail("the ignored Ctrl-C interrupted the turn")
    assert not view.cancel.cancelled
    with ctrl_c_handled(), pytest.raises(KeyboardInterrupt), TurnView(Console(), enabled=False) as view:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    assert view.cancel.cancelled
