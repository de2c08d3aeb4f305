"""Small pieces of answer prose shared by the composers: a record's name, its citation, lists, sentences."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from agent.core.templates import fill, fill_for
from tools.records import DEGRADATIONS, Record
from tools.retrieval import record_name

NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z*`])")


def display_name(record: Record) -> str:
    """How prose names a record: its ``name``, else the title before a colon, else the title."""
    return record.extra.get("name") or (record_name(record) if ":" in record.title else record.title)


def cite(records: Sequence[Record]) -> str:
    return "".join(f"[{record.id}]" for record in records)


def join(items: Sequence[str], separator: str = ", ", word: str = "and") -> str:
    """``a``; ``a and b``; ``a, b, and c`` (or with another separator/word)."""
    items = list(items)
    if len(items) <= 2:
        return f" {word} ".join(items)
    return separator.join(items[:-1]) + f"{separator.rstrip()} {word} " + items[-1]


def count(number: int) -> str:
    return NUMBERS.get(number, str(number))


def situation_text(prefix: str, key: str) -> str:
    """The ``prefix.<degradation>`` template (task, situation, input, output) for a degradation key."""
    return fill_for(prefix, key, degradation=DEGRADATIONS.get(key, key))


def main_situation(record: Record) -> str:
    return record.handles[0] if record.handles else "unknown"


def sentences(text: str) -> list[str]:
    """The sentences of a paragraph."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def without_repeats(text: str, said: str) -> str:
    """``text`` without the sentences ``said`` already holds (kept line by line, so lists stay lists)."""
    known = {sentence for line in said.splitlines() for sentence in sentences(line.lstrip("-* "))}
    lines = []
    for line in text.splitlines():
        kept = [s for s in sentences(line) if s.lstrip("-* ") not in known]
        if line.strip() and not kept:
            continue
        lines.append(" ".join(kept) if kept else line)
    return "\n".join(lines)


FINDING_WORDS = {"gaussian-noise": "Gaussian-like noise", "noise": "noise", "rain": "rain streaks", "haze": "haze",
                 "blur": "blur", "low-light": "low light", "jpeg": "JPEG compression artifacts",
                 "low-resolution": "low resolution", "real-world-mixed": "severe mixed damage",
                 "unknown": "mixed degradations"}


def degradation_words(key: str) -> str:
    """A degradation key in words (``low-resolution`` -> ``low resolution``)."""
    return FINDING_WORDS.get(key, key.replace("-", " "))


def finding_words(finding: Mapping) -> str:
    """An analyzer finding in words: ``moderate Gaussian-like noise``; a numeric severity follows in brackets."""
    name = degradation_words(str(finding.get("degradation") or finding.get("name") or finding.get("key") or ""))
    severity = finding.get("severity", finding.get("score"))
    if isinstance(severity, (int, float)):
        return f"{name} (severity {severity:.2f})"
    return f"{severity} {name}" if severity and severity != "none" else name


def status(record: Record) -> str:
    return fill("status.runnable" if record.runnable else "status.described")
