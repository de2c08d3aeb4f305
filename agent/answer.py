"""Answering a question: retrieve, compose, ground, and shape the result as the ``ask --json`` object."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from agent.compose import SECTIONS, ComposedAnswer, compose_answer
from agent.grounding import cited_ids, ground_text
from tools.cards import load_card
from tools.errors import UserError
from tools.records import Record
from tools.retrieval import RecordStore

OFFLINE = "offline"


def require_question(question: str | None, fallback: str | None = None) -> str:
    """The question to answer: the given one (never blank), else the card's."""
    if question is None:
        question = fallback
        if not question:
            raise UserError("no question given and the card states none")
    question = " ".join(question.split())
    if not question:
        raise UserError("the question is empty")
    return question


def build_response(
    question: str,
    records: Sequence[Record],
    composed: ComposedAnswer,
    tool_calls: Sequence[Mapping] = (),
    backend: str = OFFLINE,
    repaired: Sequence[str] = (),
) -> dict:
    """Ground every section of an answer and return the ``ask --json`` object.

    ``citations`` are the record ids left in the grounded text, in the answer's order of relevance;
    ``repaired`` names the sections that were missing and filled in by the offline composer.
    """
    removed: list[str] = []
    sections = {}
    for key in SECTIONS:
        grounded = ground_text(composed.sections.get(key, ""), records)
        sections[key] = grounded.text.strip()
        removed += grounded.removed
    grounded_answer = ComposedAnswer(question, sections, composed.citations, composed.refused, composed.headings)
    markdown = grounded_answer.markdown()
    cited = cited_ids(markdown, records)
    rank = {record_id: index for index, record_id in enumerate(composed.citations)}
    citations = sorted(cited, key=lambda record_id: rank.get(record_id, len(rank)))
    by_id = {record.id: record for record in records}
    return {
        "question": question,
        "answer": markdown,
        "sections": sections,
        "citations": citations,
        "references": [
            {"id": rid, "title": by_id[rid].title, "paper": by_id[rid].paper, "code": by_id[rid].code}
            for rid in citations
        ],
        "refused": composed.refused,
        "grounding": {"ok": not removed, "removed": removed, "repaired": list(repaired)},
        "tool_calls": [dict(call) for call in tool_calls],
        "backend": backend,
    }


def sections_from_markdown(markdown: str, headings: Mapping[str, str]) -> dict[str, str]:
    """Split a Markdown answer into its sections by their ``#`` headings (missing sections come back empty)."""
    by_heading = {title.lower(): key for key, title in headings.items()}
    sections = {key: "" for key in headings}
    current = None
    for line in markdown.splitlines():
        match = re.match(r"^#{1,6}\s+(.+?)\s*#*\s*$", line)
        if match and match.group(1).strip("*: ").lower() in by_heading:
            current = by_heading[match.group(1).strip("*: ").lower()]
        elif current:
            sections[current] += line + "\n"
    return {key: text.strip() for key, text in sections.items()}


def answer_offline(question: str | None, card: Path | None = None) -> dict:
    """Answer with the offline composer over the card's records (the default card when ``card`` is None)."""
    loaded = load_card(card)
    question = require_question(question, loaded.question)
    search = RecordStore(loaded.records).search(question)
    composed = compose_answer(question, loaded.records, search)
    tool_calls = [{"name": "search_records", "args": {"query": question}}]
    return build_response(question, loaded.records, composed, tool_calls)
