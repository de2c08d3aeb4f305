"""The consoles every command prints to: rich consoles whose text cannot drive the terminal.

A file name, a typed line or a card field may hold raw control characters (ESC sequences, BEL, OSC-8
hyperlinks). Rich passes most of them through, so a render hook escapes them in every piece of text before it
is written (``\\x1b[31m`` is shown as ``\\x1b[31m``); rich's own cursor and colour codes are untouched.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from rich.console import Console, ConsoleOptions, RenderableType, RenderHook, RenderResult
from rich.segment import Segment

from tools.safe_text import shown

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control characters escaped; newlines and tabs kept."""
    return RAW_CONTROL.sub(lambda match: shown(match.group(0)), text)


class _Escaped:
    """A renderable drawn as ``inner`` is, with control characters in its text escaped."""

    def __init__(self, inner: RenderableType) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.inner, options):
            if segment.control or not RAW_CONTROL.search(segment.text):
                yield segment
            else:
                yield Segment(printable(segment.text), segment.style)


class _EscapeControls(RenderHook):
    def process_renderables(self, renderables: list[RenderableType]) -> list[RenderableType]:
        return [_Escaped(renderable) for renderable in renderables]


def terminal(stderr: bool = False) -> Console:
    """A console for stdout (or stderr) that never writes a control character it was not meant to."""
    console = Console(stderr=stderr)
    console.push_render_hook(_EscapeControls())
    return console


def print_warning(console: Console, text: str, style: str = "bold yellow") -> None:
    """``warning: text`` on one line (a file name in it cannot break it or drive the terminal)."""
    from rich.markup import escape

    from agent.cli.echo import one_line

    console.print(f"[{style}]warning:[/] {escape(one_line(text))}", highlight=False, soft_wrap=True)
