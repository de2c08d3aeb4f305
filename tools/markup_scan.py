"""Linear scans of untrusted text for the link guard: raw HTML taken out, and brackets that can open no link
escaped before the Markdown parser sees them (so that runs of ``[`` or ``](`` cannot make it quadratic).

Each scan is one pass; searches for a closing mark (``-->``, ``?>``, ``</script``) remember where the next one
is, so text full of unclosed openers stays linear too.
"""
from __future__ import annotations

import re

from markdown_it.common.html_re import close_tag, open_tag

from tools.safe_text import shown

ACTIVE_ELEMENTS = frozenset("script style iframe object embed template noscript textarea title xmp svg math".split())
MAX_DEAD_BRACKETS = 64  # fewer unmatched "[" than this are left as they are (they are harmless text)

_OPENER = re.compile(r"<[A-Za-z/!?]")
_TAG = re.compile(f"{open_tag}|{close_tag}")
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9\-]*)")
_AUTOLINK = re.compile(r"<(?:[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*|[\w.+\-]+@[\w.\-]+)>")
_ESCAPED = re.compile(r"\\[\s\S]")
_SPECIAL = (("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>"), ("<!", ">"))


class _Finder:
    """``str.find`` for marks searched from ever later starts: each mark's next place is remembered."""

    def __init__(self, text: str) -> None:
        self.text, self.lower, self.next = text, text.lower(), {}

    def find(self, mark: str, start: int) -> int:
        place = self.next.get(mark)
        if place is None or (place != -1 and place < start):
            place = self.lower.find(mark, start)
            self.next[mark] = place
        return place


def strip_html(text: str, removed: list[str], gone: str = "") -> str:
    """``text`` without raw HTML: tags, comments, declarations, processing instructions and CDATA go (with the
    content of ``<script>``, ``<style>`` and the like); a ``<`` that starts an unfinished tag becomes ``< ``.
    Autolinks (``<scheme:...>``, ``<name@host>``) are left for the link guard. ``gone`` marks each removal."""
    parts: list[str] = []
    pos = 0
    finder = _Finder(text)
    for match in _OPENER.finditer(text):
        start = match.start()
        if start < pos or _AUTOLINK.match(text, start):
            continue
        end = _html_end(text, start, finder)
        parts.append(text[pos:start])
        if end is None:
            removed.append(shown(text[start:start + 24].split()[0]))
            parts.append("< ")
            pos = start + 1
        else:
            removed.append(shown(text[start:end]))
            parts.append(gone)
            pos = end
    return "".join(parts) + text[pos:] if parts else text


def _html_end(text: str, start: int, finder: _Finder) -> int | None:
    """Where the piece of HTML at ``start`` ends, or None if it is not finished."""
    for opener, closer in _SPECIAL:
        if text.startswith(opener, start):
            end = finder.find(closer, start + len(opener))
            return None if end < 0 else end + len(closer)
    tag = _TAG.match(text, start)
    if not tag:
        return None
    name = _TAG_NAME.match(tag.group(0)).group(1).lower()  # type: ignore[union-attr]
    if name in ACTIVE_ELEMENTS and not tag.group(0).startswith("</") and not tag.group(0).endswith("/>"):
        close = finder.find(f"</{name}", tag.end())
        if close >= 0:
            end = text.find(">", close)
            return len(text) if end < 0 else end + 1
    return tag.end()


def escape_dead_brackets(text: str) -> str:
    """``text`` with every ``[`` that no ``]`` closes, and every ``]`` whose ``(`` no ``)`` closes, escaped with a
    backslash (such a bracket can start no link), when there are :data:`MAX_DEAD_BRACKETS` or more of them."""
    escaped = {match.end() - 1 for match in _ESCAPED.finditer(text)}
    dead_targets = {index - 1 for index in _unclosed(text, "(", ")")
                    if index and text[index - 1] == "]" and index - 1 not in escaped}
    dead = dead_targets | set(_unclosed(text, "[", "]", skip=dead_targets))
    if len(dead) < MAX_DEAD_BRACKETS:
        return text
    return "".join("\\" + char if index in dead else char for index, char in enumerate(text))


def _unclosed(text: str, opening: str, closing: str, skip: frozenset[int] | set[int] = frozenset()) -> list[int]:
    """Positions of ``opening`` characters that no ``closing`` one matches (backslash escapes honoured)."""
    stack: list[int] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == opening:
            stack.append(index)
        elif char == closing and stack and index not in skip:
            stack.pop()
        index += 1
    return stack
