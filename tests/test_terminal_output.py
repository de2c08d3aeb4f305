"""Nothing a user or a file supplies can drive the terminal: control characters in file names, typed lines and
piped input are shown escaped, never written raw."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from rich.text import Text

from agent.cli.views.console import printable, terminal
from tests.cli_run import run_cli

HOSTILE = "\x1b[31mred\x1b]8;;https://evil.example.com\x07click\x1b]8;;\x07\x9b2J"


@pytest.fixture
def hostile_photo(tmp_path):
    path = tmp_path / f"{HOSTILE.replace('/', '_')}.png"
    noise = np.random.default_rng(0).integers(0, 255, (48, 48, 3), dtype=np.uint8)
    Image.fromarray(noise).save(path)
    return path


def _raw_controls(text: str) -> list[str]:
    return [ch for ch in text if ch in "\x1b\x07\x9b"]


def test_printable_escapes_controls_and_keeps_lines():
    assert printable("a\x1b[31mb\tc\nd") == "a\\x1b[31mb\tc\nd"


def test_console_escapes_controls_in_text_and_tables(capsys):
    console = terminal()
    console.print(Text(f"name {HOSTILE}"))
    console.print(f"[bold]title[/bold] {HOSTILE}", markup=False)
    out = capsys.readouterr().out
    assert not _raw_controls(out)
    assert "\\x1b[31mred" in out


def test_analyze_prints_a_hostile_file_name_escaped(hostile_photo):
    run = run_cli("analyze", str(hostile_photo))
    assert run.code == 0, run.err
    assert not _raw_controls(run.out + run.err)
    assert "\\x1b[31mred" in run.out


def test_chat_echo_of_piped_input_is_escaped(tmp_path):
    typed = "\x1b[31m\x07hi \x1b]8;;https://evil.example.com\x07there\n/quit\n"
    done = subprocess.run([sys.executable, "-c", "from agent.cli import main; main()", "chat"], input=typed, capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not _raw_controls(done.stdout + done.stderr)
    assert "hi" in done.stdout
