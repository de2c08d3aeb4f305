"""The one link guard for Markdown text: answers (streamed or final), card fields and reports.

A link survives only when its target, in normal form (:func:`tools.safe_text.link_key`), is one of the allowed
links, and it is then written as exactly that link. Everything else that a Markdown renderer, a browser or a
terminal could follow, load or run is taken out, and each removal is reported:

- links, autolinks and reference links to any other target (their text stays, as plain text);
- images, reference definitions and raw HTML (``<script>`` and the like lose their content too);
- link-like spans of plain text in any spelling (:func:`tools.safe_text.link_spans`);
- terminal control sequences and control characters (tab and newline stay).

markdown-it-py (CommonMark with tables and strikethrough, raw HTML on, no link scheme filtered out) finds what a
renderer would parse as a link. The guard repeats until a pass changes nothing, so its output is a fixed point:
guarding it again leaves it as it is.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt

from tools.markup_scan import escape_dead_brackets, strip_html
from tools.safe_text import allowed_map, decoded, link_key, link_spans, shown, strip_controls

MAX_ROUNDS = 8
MAX_GUARD_CHARS = 100_000  # text past this is cut off (and reported) before the guard reads it
_SPANS = "guard_spans"
_TOKEN_TYPES = ("link_open", "image", "html_inline")
_EMPTY_PAIRS = re.compile(r"\(\)|\[\]|<>|\{\}|\"\"|''|``|\*\*|__")
_ATTACHES = tuple(".,;:!?)]")
_LINE_PREFIX = re.compile(r"\n[ \t>]*")
_GONE = "\x00"  # marks a removal until the spaces around it are tidied (controls are gone by then)
_GONE_RUN = re.compile("(?<![ \t])([ \t]*)\x00[\x00 \t]*")


@dataclass
class Guarded:
    """Guarded text and what was removed from it (each as one printable line)."""

    text: str
    removed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.removed


@dataclass(frozen=True)
class _Found:
    """A construct the parser found: its kind, its source text, its target (links), its label text and, for a
    block (a reference definition or an HTML block), its lines."""

    kind: str
    source: str
    target: str | None = None
    label: str = ""
    lines: tuple[int, int] | None = None


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """CommonMark with tables and strikethrough, raw HTML on, every link target passed through unfiltered,
    recording each link, image, autolink and inline HTML with its source text."""
    md = MarkdownIt("commonmark", {"html": True, "inline_definitions": True}).enable(["table", "strikethrough"])
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # the guard decides, not the renderer
    md.normalizeLink = md.normalizeLinkText = lambda url: url  # type: ignore[method-assign]
    for rule in md.inline.ruler.__rules__:
        if rule.name in ("link", "image", "autolink", "html_inline"):
            rule.fn = _recording(rule.name, rule.fn)
    md.inline.ruler.__cache__ = None
    return md


def _recording(kind: str, rule: Any) -> Any:
    def wrapped(state: Any, silent: bool) -> bool:
        start, count = state.pos, len(state.tokens)
        found = rule(state, silent)
        if found and not silent:
            token = next(token for token in state.tokens[count:] if token.type in _TOKEN_TYPES)
            target = token.attrGet("src" if kind == "image" else "href")
            end, state.pos = state.pos, start
            label = _label(state, kind, start)
            state.pos = end
            state.env.setdefault(_SPANS, []).append(_Found(kind, state.src[start:end],
                                                           None if target is None else str(target), label))
        return found

    return wrapped


def _label(state: Any, kind: str, start: int) -> str:
    opener = start + 1 if kind == "image" else start
    if kind not in ("link", "image") or state.src[opener:opener + 1] != "[":
        return ""
    end = state.md.helpers.parseLinkLabel(state, opener, kind == "link")
    return state.src[opener + 1:end] if end >= 0 else ""


def found_in(text: str) -> list[_Found]:
    """Every link, image, autolink, reference definition and piece of raw HTML a renderer would find."""
    env: dict = {}
    lines = text.split("\n")
    found = []
    for token in parser().parse(text, env):
        if token.type in ("definition", "html_block") and token.map:
            source = "\n".join(lines[token.map[0]:token.map[1]])
            target = token.meta.get("url") if token.type == "definition" else None
            found.append(_Found(token.type, source, target, lines=(token.map[0], token.map[1])))
    return found + env.get(_SPANS, [])


def sanitize_markdown(text: str, allowed_links: Iterable[str]) -> Guarded:
    """``text`` with every link kept only where it is an allowed link, and nothing active left (see the module)."""
    allowed = allowed_map(allowed_links)
    text, removed = strip_controls(text)
    if len(text) > MAX_GUARD_CHARS:
        text = text[:MAX_GUARD_CHARS]
        removed.append(f"text past {MAX_GUARD_CHARS} characters")
    for _ in range(MAX_ROUNDS):
        new, placed = _round(text, allowed, removed)
        if not placed:
            return Guarded(_fallback(new, allowed, removed), _unique(removed))
        if new == text:
            return Guarded(text, _unique(removed))
        text = new
    return Guarded(_fallback(text, allowed, removed), _unique(removed))


# Text of only letters, digits, spaces and the punctuation below, with no "x.y" between letters (a domain) and no
# ":" before a non-space (a scheme), holds no markup, entity, control character or link: the guard leaves it as it
# is, so it skips the parser (a 500-record card has thousands of such fields).
_INERT = re.compile(r"[A-Za-z0-9 ,.;:'()%+\-]*")
_LINK_LIKE = re.compile(r"[A-Za-z0-9]\.[A-Za-z]|:\S|www", re.I)


def plain_text(text: str, allowed_links: Iterable[str] = ()) -> str:
    """``text`` guarded and on one line: for titles, file names, card fields and error lines."""
    if _INERT.fullmatch(text) and not _LINK_LIKE.search(text):
        return " ".join(text.split())
    return " ".join(sanitize_markdown(text, allowed_links).text.split())


def link_problems(text: str, allowed_links: Iterable[str]) -> list[str]:
    """The link-like spans of plain ``text`` that are no allowed link (nothing is changed)."""
    problems: list[str] = []
    _scrub_words(text, allowed_map(allowed_links), problems)
    return _unique(problems)


def markdown_problems(text: str, allowed_links: Iterable[str], images: Sequence[str] = ()) -> list[str]:
    """What in a finished Markdown document breaks the guard's rule (nothing is changed): controls, raw HTML,
    reference definitions, images other than ``images`` (their exact destinations) and foreign links."""
    allowed_links = list(allowed_links)
    allowed = allowed_map(allowed_links)
    problems = [f"control sequence {seq}" for seq in strip_controls(text)[1]]
    for item in found_in(text):
        if item.kind == "image" and item.target in images:
            continue
        _, removed = _decision(item, allowed)
        if removed or item.kind in ("definition", "html_block", "html_inline", "image"):
            problems.append(removed or shown(item.source))
    for image in images:
        text = text.replace(f"]({image})", "]()")
    return _unique(problems + link_problems(text, allowed_links))


def _round(text: str, allowed: dict[tuple, str], removed: list[str]) -> tuple[str, bool]:
    """One pass: raw HTML out, brackets that can open no link escaped, then what the parser finds, then
    link-like words. ``placed`` is False when a construct could not be found again in the text to be replaced."""
    text = escape_dead_brackets(_collapsed(strip_html(text, removed, _GONE)))
    dropped: set[int] = set()
    replacements: dict[str, str] = {}
    for item in found_in(text):
        replacement, gone = _decision(item, allowed)
        if gone:
            removed.append(gone)
        if item.lines:
            dropped.update(range(*item.lines))
        elif replacement != item.source:
            replacements[_key(item.source)] = replacement or _GONE
    if dropped:
        text = "\n".join("" if number in dropped else line for number, line in enumerate(text.split("\n")))
    matched: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        matched.add(_key(match.group(0)))
        return replacements[_key(match.group(0))]

    if replacements:
        pattern = re.compile("|".join(_tolerant(source) for source in sorted(replacements, key=len, reverse=True)))
        text = pattern.sub(replace, text)
    # a construct not replaced must lie inside one that was (its turn comes next pass); else it was not found
    placed = all(any(key in outer for outer in matched) for key in replacements.keys() - matched)
    return _scrub_words(_collapsed(text), allowed, removed), placed


def _decision(item: _Found, allowed: dict[tuple, str]) -> tuple[str, str | None]:
    """(replacement text, what was removed or None) for one construct."""
    canonical = allowed.get(link_key(item.target)) if item.target is not None else None  # type: ignore[arg-type]
    if item.kind == "link":
        return (f"[{item.label}]({canonical})", None) if canonical else (item.label, shown(item.target or ""))
    if item.kind == "autolink":
        return (f"<{canonical}>", None) if canonical else ("", shown(item.target or ""))
    if item.kind == "image":
        return item.label, shown(item.target or "")
    if item.kind == "definition":
        return "", None if canonical else shown(item.target or item.source)
    return "", shown(item.source)  # raw HTML


def _key(source: str) -> str:
    """A construct's source the same whether it is read inside its block (container prefixes and indents gone
    from its lines) or in the whole text."""
    return _LINE_PREFIX.sub("\n", source)


def _tolerant(key: str) -> str:
    """A pattern for ``key`` (see :func:`_key`) that also matches its lines' container prefixes in the text."""
    return _LINE_PREFIX.pattern.join(re.escape(line) for line in key.split("\n"))


def _collapsed(text: str) -> str:
    """Where something was taken out (marked ``_GONE``), one space at most where there were spaces around it."""
    if _GONE not in text:
        return text
    return _GONE_RUN.sub(lambda match: match.group(1) or match.group(0).strip(_GONE)[-1:], text)


def _scrub_words(text: str, allowed: dict[tuple, str], removed: list[str]) -> str:
    """Every link-like span of each word: the allowed link it spells, or removed (with the word's brackets)."""
    tokens = re.split(r"(\s+)", text)
    changed = False
    for index in range(0, len(tokens), 2):
        word = tokens[index]
        if not word:
            continue
        new = _scrub_word(word, allowed, removed)
        if new == word:
            continue
        changed = True
        tokens[index] = new
        before = tokens[index - 1] if index else ""
        after = tokens[index + 1] if index + 1 < len(tokens) else ""
        if not new and after and "\n" not in after:  # one space fewer where a word went
            tokens[index + 1] = ""
        elif not new and before and "\n" not in before:
            tokens[index - 1] = ""
        elif new.startswith(_ATTACHES) and before and "\n" not in before and index >= 2 and tokens[index - 2]:
            tokens[index - 1] = ""  # "see <link>." -> "see."
    return "".join(tokens) if changed else text


def _scrub_word(word: str, allowed: dict[tuple, str], removed: list[str]) -> str:
    view = decoded(word)
    spans = link_spans(view)
    if not spans:
        return word
    found = [(view[start:end], allowed.get(link_key(view[start:end]))) for start, end in spans]  # type: ignore
    if view != word:  # entities, percent-escapes or lookalikes: only verbatim allowed links keep the word
        if all(link and link in word for _, link in found):
            return word
        removed.extend(shown(span) for span, _ in found)
        return ""
    parts, last = [], 0
    for (start, end), (span, link) in zip(spans, found):
        parts += [word[last:start], link or ""]
        if not link:
            removed.append(shown(span))
        last = end
    new = "".join(parts) + word[last:]
    for _ in range(4):  # "(<link>)" -> "()" -> "": brackets left empty go too (a few levels)
        new = _EMPTY_PAIRS.sub("", new)
    return new


def _fallback(text: str, allowed: dict[tuple, str], removed: list[str]) -> str:
    """Markup the guard could not take apart: every bracket and angle escaped, then one more pass; nothing at all
    if even that leaves something."""
    removed.append("markup that could not be taken apart (brackets escaped)")
    text = re.sub(r"([\\\[\]<>])", r"\\\1", text)
    text, placed = _round(text, allowed, removed)
    again, placed_again = _round(text, allowed, [])
    return text if placed and placed_again and again == text else ""


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
