"""A streamed answer through the grounding guard: only text that has passed it is ever shown.

:class:`StreamGuard` takes the pieces of a model message as they arrive and gives back what is safe to show:
whole lines and sentences, each put through :func:`tools.safe_markdown.sanitize_markdown`. It holds back text
from the start of anything not finished yet: a ``[`` whose link may still come, a ``](`` without its ``)``, a
``<`` that may open a tag or an autolink, a terminal escape sequence without its end. Pieces are cut only at
whitespace after the end of a line or sentence, where no link, tag or word can span the cut, so the pieces
shown add up to guarded text (guarding it again changes nothing). :meth:`StreamGuard.finish` guards the rest.

Text held back past :data:`MAX_HOLD_CHARS` (an unclosed ``[`` or ``<`` early in a long message) is let out at
its last space with every bracket and angle escaped, so that it can open nothing that later text would finish.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from tools.safe_markdown import sanitize_markdown
from tools.safe_text import unfinished_control

MAX_HOLD_CHARS = 4000
MAX_CUT_TRIES = 32
_MARKUP = re.compile(r"([\\\[\]<>])")
_BRACKET = re.compile(r"\\.|[\[\]]", re.S)
_PAREN = re.compile(r"\\.|[()]", re.S)
_BOUNDARY = re.compile(r"\n|[.!?][)\]\"'*_`]*[ \t]+")
_DEFINITION = re.compile(r"^[ \t>]*\[[^\]\n]*\]:", re.M)
_BLANK_LINE = re.compile(r"\n[ \t>]*\n")
_OPEN_TAG = re.compile(r"<(?=[A-Za-z!?/])[^>]*$")


class StreamGuard:
    """Feed a message's pieces; show only what :meth:`feed` and :meth:`finish` return."""

    def __init__(self, allowed_links: Iterable[str]) -> None:
        self.allowed = tuple(allowed_links)
        self.pending = ""
        self.removed: list[str] = []

    def feed(self, chunk: str) -> str:
        """Take a piece; return the guarded text of every whole line or sentence now complete."""
        self.pending += chunk
        cut = safe_cut(self.pending)
        if cut:
            ready, self.pending = self.pending[:cut], self.pending[cut:]
            return self._guarded(ready)
        if len(self.pending) <= MAX_HOLD_CHARS:
            return ""
        cut = max(self.pending.rfind(" "), self.pending.rfind("\n")) + 1 or len(self.pending)
        ready, self.pending = self.pending[:cut], self.pending[cut:]
        return self._guarded(_MARKUP.sub(r"\\\1", ready))

    def finish(self) -> str:
        """The message has ended: the guarded rest."""
        rest, self.pending = self.pending, ""
        return self._guarded(rest) if rest else ""

    def _guarded(self, text: str) -> str:
        guarded = sanitize_markdown(text, self.allowed)
        self.removed += guarded.removed
        return guarded.text


def safe_cut(text: str) -> int:
    """Where ``text`` may be cut: after the last line or sentence end that leaves nothing unfinished before it,
    and that falls inside no link, tag or escape sequence (0: nowhere yet)."""
    if not _BOUNDARY.search(text):
        return 0
    hold = _held(text)
    for match in list(_BOUNDARY.finditer(text, 0, hold))[::-1][:MAX_CUT_TRIES]:
        if _held(text[:match.end()]) == match.end():
            return match.end()
    return 0


def _held(text: str) -> int:
    """The start of the first construct that the end of ``text`` leaves unfinished (``len(text)`` if none)."""
    starts = [len(text), _open_brackets(text)]
    definition = next((match.start() for match in _DEFINITION.finditer(text)
                       if not _BLANK_LINE.search(text, match.end())), None)
    if definition is not None:
        starts.append(definition)  # a reference definition may go on over the next lines, up to a blank one
    control = unfinished_control(text)
    if control is not None:
        starts.append(control)
    tag = _OPEN_TAG.search(text)
    if tag:
        starts.append(tag.start())
    return min(starts)


def _open_brackets(text: str) -> int:
    """The first ``[`` not closed yet, or whose ``](`` target is not closed yet; ``len(text)`` if none."""
    opened: list[int] = []
    skip_to = 0
    for match in _BRACKET.finditer(text):
        index = match.start()
        if index < skip_to or match.group(0).startswith("\\"):
            continue
        if match.group(0) == "[":
            opened.append(index)
        elif opened:
            start = opened.pop()
            if text.startswith("(", index + 1):
                close = _closing_paren(text, index + 1)
                if close < 0:
                    return min([start, *opened[:1]])
                skip_to = close + 1
            elif index + 1 == len(text):
                return min([start, *opened[:1]])  # a "(" or "[" may still follow
    return opened[0] if opened else len(text)


def _closing_paren(text: str, start: int) -> int:
    depth = 0
    for match in _PAREN.finditer(text, start):
        if match.group(0).startswith("\\"):
            continue
        depth += 1 if match.group(0) == "(" else -1
        if depth == 0:
            return match.start()
    return -1
