"""Run the `restore-agent` console entry point in this process and capture what it prints."""
from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from unittest import mock

from agent.cli import main


@dataclass
class CliRun:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> CliRun:
    """``restore-agent ARGS`` in-process (no pytest fixture needed, so module-scoped fixtures can use it)."""
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.object(sys, "argv", ["restore-agent", *map(str, args)]), redirect_stdout(out), redirect_stderr(err):
        try:
            main()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return CliRun(code, out.getvalue(), err.getvalue())
