"""Every command's --help: flags shown as flags (no ``<bool>``), defaults in one style (``[default: …]``), an
example that names the command, and defaults that agree with the values the code uses."""
from __future__ import annotations

import re

import pytest
import typer
import typer.rich_utils

from agent.cli import _register, app
from tests.cli_run import run_cli

_register()


def _command_paths(command: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    subcommands = getattr(command, "commands", {}) or {}
    return [path] + [p for name, sub in sorted(subcommands.items()) for p in _command_paths(sub, (*path, name))]


PATHS = _command_paths(typer.main.get_command(app))


def _help(monkeypatch: pytest.MonkeyPatch, path: tuple[str, ...]) -> str:
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 400)  # one line per option: nothing wrapped apart
    run = run_cli(*path, "--help")
    assert run.code == 0 and run.err == "", run.err
    return run.out


def test_every_command_is_covered() -> None:
    names = {" ".join(path) for path in PATHS}
    assert {"", "ask", "chat", "records", "analyze", "denoise", "demo", "report", "mcp", "batch", "weights",
            "weights list", "weights install", "weights download"} <= names


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "restore-agent" for p in PATHS])
def test_help_shows_flags_as_flags_one_default_style_and_an_example(monkeypatch, path: tuple[str, ...]) -> None:
    text = _help(monkeypatch, path)
    assert "<bool>" not in text and not re.search(r"--[\w-]+[\w ,-]*<list\[", text)  # a repeatable option: <path>...
    assert not re.search(r"\(default\b|\bdefault \d|(?<!\[)default: ", text, re.IGNORECASE), text
    example = re.search(r"Example: restore-agent (.+)", text)
    assert example and example.group(1).split()[: len(path)] == list(path), text


def test_flags_take_no_value_and_every_flag_is_listed(monkeypatch) -> None:
    text = _help(monkeypatch, ("batch",))
    for flag in ("--recursive", "--analyze-only", "--skip-clean", "--force", "--report", "--json"):
        line = next(line for line in text.splitlines() if f" {flag} " in line)
        assert "<" not in line.split(flag, 1)[1].split("  ")[1], line  # the type column after the flag is empty
    run = run_cli("records", "--json", "true")
    assert run.code == 2 and "unexpected extra argument" in run.err


def _option(command: str, flag: str) -> typer.core.TyperOption:
    click_command = typer.main.get_command(app).commands[command]
    return next(p for p in click_command.params if flag in getattr(p, "opts", ()))


def test_defaults_shown_are_the_defaults_the_code_uses() -> None:
    from agent.core.backends import DEFAULT_TIMEOUT_S
    from agent.products.demo import DEFAULT_SIGMA
    from tools.swinir.inference import DEFAULT_OVERLAP, DEFAULT_TILE

    assert _option("denoise", "--tile").default == DEFAULT_TILE
    overlap = _option("denoise", "--overlap")
    assert overlap.default is None and overlap.show_default.startswith(f"{DEFAULT_OVERLAP} of the network's tokens")
    assert _option("demo", "--add-noise").show_default == str(DEFAULT_SIGMA)
    assert _option("ask", "--timeout").default == DEFAULT_TIMEOUT_S
    assert _option("demo", "--noise").hidden and _option("report", "--noise").hidden
