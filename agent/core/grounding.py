"""The grounding guard, applied to every answer from any backend.

Every URL must be one of the loaded records' links and every citation key (``[id]``) a loaded record id;
anything else is removed from the text and reported. A citation key is any bracketed word without
spaces (``[hair]``, ``[1]``, ``[smith2020]``) that is not the text of a Markdown link.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tools.records import Record

_TRAILING = ".,;:!?'\""
_URL = r"(?:https?://|www\.)[^\s<>()\[\]{}\"'`]+"
_MARKDOWN_LINK = re.compile(r"\[([^\]\n]*)\]\((" + _URL + r")\)")
_AUTOLINK = re.compile(r"<(" + _URL + r")>")
_BARE_URL = re.compile(_URL)
_CITATION = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9._-]*(?:\s*[,;]\s*[A-Za-z0-9][A-Za-z0-9._-]*)*)\](?!\()")


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
    """Remove every URL that is no record link and every citation key that is no record id."""
    records = list(records)
    links, ids = allowed_links(records), {record.id for record in records}
    removed: list[str] = []

    def markdown_link(match: re.Match[str]) -> str:
        url, tail = _split_trailing(match.group(2))
        if url in links and not tail:
            return match.group(0)
        removed.append(url)
        return match.group(1)

    def autolink(match: re.Match[str]) -> str:
        url, tail = _split_trailing(match.group(1))
        if url in links and not tail:
            return match.group(0)
        removed.append(url)
        return ""

    def bare(match: re.Match[str]) -> str:
        url, tail = _split_trailing(match.group(0))
        if url in links:
            return match.group(0)
        removed.append(url)
        return tail

    def citation(match: re.Match[str]) -> str:
        keys = [key.strip() for key in re.split(r"[,;]", match.group(1))]
        kept = [key for key in keys if key in ids]
        removed.extend(f"[{key}]" for key in keys if key not in ids)
        return "".join(f"[{key}]" for key in kept)

    text = _MARKDOWN_LINK.sub(markdown_link, text)
    text = _AUTOLINK.sub(autolink, text)
    text = _BARE_URL.sub(bare, text)
    text = _CITATION.sub(citation, text)
    return Grounded(_tidy(text) if removed else text, tuple(removed))


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


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]{2,}", " ", text)
    return re.sub(r" +([.,;:])", r"\1", text)
