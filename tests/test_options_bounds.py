"""Numbers on the command line are bounded: out-of-range, huge, NaN and infinite values are a one-line usage
error (exit 2) naming the flag and the range it takes, before any work starts."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from agent.core.backends import LLMSettings
from tests.cli_run import run_cli
from tools.errors import SettingError

HUGE = "99999999999999999999"
PHOTO = "photo.png"  # never read: the value is refused first

CASES = [
    (("ask", "q", "--timeout", "nan"), "--timeout", "0.1 to 3600"),
    (("ask", "q", "--timeout", "inf"), "--timeout", "0.1 to 3600"),
    (("ask", "q", "--timeout", "-1"), "--timeout", "0.1 to 3600"),
    (("ask", "q", "--timeout", "0"), "--timeout", "0.1 to 3600"),
    (("chat", "--timeout", "1e308"), "--timeout", "0.1 to 3600"),
    (("report", "-o", "r.md", "--timeout", "-inf"), "--timeout", "0.1 to 3600"),
    (("denoise", PHOTO, "-o", "o.png", "--noise", "-5"), "--noise", "1 to 255"),
    (("denoise", PHOTO, "-o", "o.png", "--noise", HUGE), "--noise", "1 to 255"),
    (("denoise", PHOTO, "-o", "o.png", "--tile", "-1"), "--tile", "0 to 16384"),
    (("denoise", PHOTO, "-o", "o.png", "--tile", HUGE), "--tile", "0 to 16384"),
    (("denoise", PHOTO, "-o", "o.png", "--overlap", "-3"), "--overlap", "0 to 16383"),
    (("demo", "--add-noise", "-5"), "--add-noise", "0 to 255"),
    (("demo", "--add-noise", "nan"), "--add-noise", "0 to 255"),
    (("demo", "--seed", HUGE), "--seed", "0 to 4294967295"),
    (("report", "-o", "r.md", "--add-noise", "256"), "--add-noise", "0 to 255"),
    (("batch", ".", "-o", "out", "--jobs", "0"), "--jobs", "1 to 256"),
    (("batch", ".", "-o", "out", "--actor-cpus", HUGE), "--actor-cpus", "1 to 256"),
]


@pytest.mark.parametrize("args,flag,allowed", CASES, ids=[" ".join(case[0][:1] + case[0][-2:]) for case in CASES])
def test_out_of_range_values_are_usage_errors_naming_flag_and_range(tmp_path: Path, monkeypatch, args, flag,
                                                                     allowed) -> None:
    monkeypatch.chdir(tmp_path)
    run = run_cli(*args)
    assert run.code == 2 and run.out == "" and run.err.count("\n") == 1, run.err
    assert run.err.startswith(f"error: Invalid value for '{flag}") and f"allowed: {allowed};" in run.err
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


@pytest.mark.parametrize("command", ["demo", "report"])
def test_the_old_noise_flag_of_demo_and_report_says_what_it_is_now(tmp_path: Path, monkeypatch, command) -> None:
    monkeypatch.chdir(tmp_path)
    run = run_cli(command, "--noise", "25", "-o", "out.md")
    assert run.code == 2 and "--noise is now --add-noise" in run.err and run.err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, 0.0, 1e9])
def test_llm_settings_refuse_unusable_timeouts_outside_the_cli_too(value: float) -> None:
    with pytest.raises(SettingError, match="^timeout must be a number of seconds from 0.1 to 3600"):
        LLMSettings.resolve("openai", timeout=value, environ={})
    assert LLMSettings.resolve("openai", timeout=0.1, environ={}).timeout == 0.1
