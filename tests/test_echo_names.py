"""A file name or a question echoed by the command line cannot forge structure: a newline in a photo's name does
not start a line of its own (``error: forged line``), and C1 and bidirectional controls are escaped in terminal
text and in JSON alike."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli.echo import json_text, name, one_line
from tests.agent_fixtures import noisy_crop
from tests.cli_run import run_cli

FORGED = "error: forged line"
HOSTILE = f"ph\n{FORGED}\r\u202e\u009b\u0085\u2066\u061c\u200f\u2028"
UNSAFE = "\r\u202e\u009b\u0085\u2066\u061c\u200f\u2028\x1b\x07"


def forged(text: str) -> list[str]:
    """Lines that start (past box drawing and indentation) with the forged words."""
    return [line for line in text.splitlines() if line.lstrip(" │┃║|>-*#╭╰─┏┗━").startswith(FORGED)]


def raw(text: str) -> list[str]:
    return [char for char in text if char in UNSAFE]


def strings(data: object) -> list[str]:
    """Every string in parsed JSON."""
    if isinstance(data, dict):
        return [text for value in data.values() for text in strings(value)]
    if isinstance(data, list):
        return [text for value in data for text in strings(value)]
    return [data] if isinstance(data, str) else []


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return noisy_crop(tmp_path_factory.mktemp("names") / f"{HOSTILE}.png", 0, 0, sigma=25, seed=1)


def test_name_escapes_every_unsafe_character_and_keeps_letters() -> None:
    assert name("a\nb\r\tc\u009b\u0085\u202e\u2066\u061c\u200e\u2028\udcff é中") == (
        "a\\nb\\r\\tc\\x9b\\x85\\u202e\\u2066\\u061c\\u200e\\u2028\\udcff é中")
    assert one_line("a\n  b\u202ec") == "a b\\u202ec"


def test_json_text_escapes_controls_even_without_ensure_ascii_and_parses_back() -> None:
    data = {"q": "a\u009b\u202e\n\u2028\U000e0001é中🙂\x7f", "n": [1, 2.5, None]}
    text = json_text(data)
    assert json.loads(text) == data and not raw(text) and "\x7f" not in text
    assert "é中🙂" in text and "\\u009b" in text and "\\u202e" in text and "\\udb40\\udc01" in text
    assert json_text({"a": "\u202e"}, indent=1).count("\n") == 2  # structural newlines stay


@pytest.mark.parametrize("args", [["analyze", "{photo}"], ["analyze", "{photo}", "--json"],
                                  ["ask", "What is wrong with this photo?", "--image", "{photo}"],
                                  ["ask", "What is wrong with this photo?", "--image", "{photo}", "--json"]],
                         ids=["analyze", "analyze-json", "ask", "ask-json"])
def test_a_photo_name_with_a_newline_forges_no_line(hostile: Path, args: list[str]) -> None:
    run = run_cli(*(str(hostile) if arg == "{photo}" else arg for arg in args))
    assert run.code == 0, run.err
    assert not forged(run.out + run.err) and not raw(run.out + run.err)
    if "--json" in args:
        assert str(hostile) in strings(json.loads(run.out))  # the name comes back exactly, escaped in JSON


def test_the_denoised_output_name_is_shown_escaped(hostile: Path, tmp_path: Path) -> None:
    output = tmp_path / f"out\n{FORGED}\u202e.png"
    run = run_cli("denoise", hostile, "-o", output, "--force-run")
    assert run.code in (0, 1), run.err
    assert output.is_file() and not forged(run.out + run.err) and not raw(run.out + run.err)
    assert f"out\\n{FORGED}\\u202e.png" in run.out


def test_ask_json_escapes_c1_and_bidi_controls_from_the_question() -> None:
    question = "Which model removes noise?\u009b2J\u202eevil\u2066\u0085 please"
    run = run_cli("ask", question, "--json")
    assert run.code == 0, run.err
    assert not raw(run.out) and json.loads(run.out)["question"] == " ".join(question.split())  # U+0085 is a space
    assert "\\u009b2J\\u202eevil" in run.out


def test_a_missing_photo_with_a_newline_is_one_error_line(tmp_path: Path) -> None:
    run = run_cli("analyze", tmp_path / f"gone\n{FORGED}.png")
    assert run.code == 2 and run.err.count("\n") == 1 and run.err.startswith("error: no such file")
    assert not forged(run.err)


MARKUP = f"[/x]\n{FORGED}[bold].png"


def test_a_photo_name_in_a_progress_row_is_neither_markup_nor_a_new_line() -> None:
    import io

    from rich.console import Console

    import time

    from agent.cli.views.activity import TurnView
    from agent.core.events import LISTENER
    from agent.cli.views.progress import progress_bar
    from tools.cancel import current

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=200)
    with progress_bar("denoising tiles", console=console):
        current().step(f"analyzing {MARKUP}")
    with TurnView(console, enabled=True):
        LISTENER.get().tool_started(object(), "analyze_image", {"path": MARKUP})
        current().step(f"checking {MARKUP}")
        time.sleep(0.3)  # a refresh or two of the live rows
    shown = screen.getvalue()
    assert "analyzing [/x]\\n" in shown and "checking [/x]\\n" in shown and "[/x]\\n" in shown.split("→")[1]
    assert not forged(shown)


def test_chat_echoes_a_typed_line_with_markup_as_it_was_typed(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "agent", "chat"], input="[/x] which model removes [bold]noise?\n",
                          capture_output=True, text=True, cwd=tmp_path, timeout=240)
    assert done.returncode == 0, done.stderr
    assert "you> [/x] which model removes [bold]noise?" in done.stdout


def test_records_show_card_text_with_brackets_as_text(tmp_path: Path) -> None:
    card = tmp_path / "[bold]card.json"
    card.write_text(json.dumps([{"id": "a", "title": "A [/x] [bold]b", "kind": "related paper",
                                 "paper": "https://x.org/a.pdf"}]), encoding="utf-8")
    run = run_cli("records", "--card", card)
    assert run.code == 0, run.err
    shown = "".join(run.out.split())  # the table wraps the title's long path
    assert "A[/x][bold]b" in shown and "[bold]card.jsoncard)" in shown


def test_a_failing_model_named_like_markup_is_one_plain_notice() -> None:
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, {"OPENAI_API_KEY": "sk-test"}):
        run = run_cli("ask", "Which model removes noise?", "--llm", "openai", "--model", "[/x]", "--base-url",
                      "http://127.0.0.1:1/v1", "--timeout", "3")
    assert run.code == 0, run.err
    assert "openai backend failed: cannot reach [/x] at http://127.0.0.1:1/v1" in run.err
