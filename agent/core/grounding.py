"""The grounding guard, applied to every answer from any backend.

Links go through the one parser-based guard (:func:`tools.safe_markdown.sanitize_markdown`): a link stays only
where its target, in normal form, is a loaded record's link; every other target in any spelling, raw HTML,
images and terminal control sequences are removed (see that module). Every citation key (``[id]``) must be a
loaded record id. A citation key is any bracketed word without spaces (``[hair]``, ``[1]``, ``[smith2020]``)
that is not the text of a Markdown link. Everything removed is reported.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tools.records import Record
from tools.safe_markdown import sanitize_markdown

_TRAILING = ".,;:!?'\""
_URL = r"(?:https?://|www\.)[^\s<>()\[\]{}\"'`]+"
_BARE_URL = re.compile(_URL)
_CITATION = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9._-]*(?:\s*[,;]\s*[A-Za-z0-9][A-Za-z0-9._-]*)*)\](?!\()")
_CITATION_WITH_SPACE = re.compile(r"( ?)" + _CITATION.pattern)


@dataclass(frozen=True)
class Grounded:
    """A checked text and what was removed from it."""

    text: str
    removed: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.removed


def allowed_links(records: Iterable[Record]) -> set[str]:
    """The only URLs an answer may contain."""
    return {link for record in records for link in record.links}


def ground_text(text: str, records: Iterable[Record]) -> Grounded:
    """Remove every link that is no record link (and anything active), and every citation key that is no record id."""
    records = list(records)
    guarded = sanitize_markdown(text, allowed_links(records))
    ids = {record.id for record in records}
    removed = list(guarded.removed)

    def citation(match: re.Match[str]) -> str:
        keys = [key.strip() for key in re.split(r"[,;]", match.group(2))]
        kept = [key for key in keys if key in ids]
        removed.extend(f"[{key}]" for key in keys if key not in ids)
        return match.group(1) + "".join(f"[{key}]" for key in kept) if kept else ""

    return Grounded(_CITATION_WITH_SPACE.sub(citation, guarded.text), tuple(removed))


def cited_ids(text: str, records: Iterable[Record]) -> list[str]:
    """Record ids cited in ``text``, in order of first appearance."""
    ids = {record.id for record in records}
    found: list[str] = []
    for match in _CITATION.finditer(text):
        for key in re.split(r"[,;]", match.group(1)):
            key = key.strip()
            if key in ids and key not in found:
                found.append(key)
    return found


def urls_in(text: str) -> list[str]:
    """Every URL in ``text``, trailing punctuation stripped."""
    return [_split_trailing(match.group(0))[0] for match in _BARE_URL.finditer(text)]


def _split_trailing(url: str) -> tuple[str, str]:
    stripped = url.rstrip(_TRAILING)
    return stripped, url[len(stripped):]

