"""A turn's final answer: its sections (the composer's, or an LLM's with missing ones repaired), grounded,
shaped as the ``ask --json`` object."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from agent.core.backends import FALLBACK, OFFLINE
from agent.core.compose import SECTIONS, ComposedAnswer, compose_turn
from agent.core.grounding import cited_ids, ground_text
from agent.core.photo_lead import photo_outcomes
from agent.core.question import earlier_turns
from agent.core.turn import Evidence, Turn
from tools.errors import UserError
from tools.json_numbers import meaningful
from tools.records import Record



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
    photos: Sequence[Mapping] = (),
) -> dict:
    """Ground every section of an answer and return the ``ask --json`` object.

    ``citations`` are the record ids left in the grounded text, in the answer's order of relevance;
    ``repaired`` names the sections that were missing and filled in by the offline composer; ``photos`` says what
    became of each photo of the turn (:func:`agent.core.photo_lead.photo_outcomes`). Numbers are rounded to what
    they mean (:func:`tools.json_numbers.meaningful`).
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
        "photos": meaningful([dict(photo) for photo in photos]),
        "tool_calls": meaningful([dict(call) for call in tool_calls]),
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


def finalize(text: str, turn: Turn, evidence: Evidence, backend: str,
             composed: ComposedAnswer | None = None) -> dict:
    """The ``ask --json`` object for a turn's final text.

    The offline backends' answer is the composer's sections as they are. An LLM's Markdown is split into
    sections; a missing one is filled in from the composer (and reported as repaired). Either way the
    grounding guard removes any link or citation that no loaded record supports. ``composed``: the offline
    answer where the offline loop already wrote it (so it is not composed twice).
    """
    offline = composed or compose_turn(turn.question, turn.records, evidence, earlier_turns(turn.history, turn.records),
                                       turn.card_question)
    failed = [call.to_dict() for call in evidence.calls if not call.ok]
    photos = photo_outcomes(evidence.analyses, evidence.denoise_runs, failed)
    if backend in (OFFLINE, FALLBACK):
        return build_response(turn.question, turn.records, offline, _trace(evidence), backend, photos=photos)
    sections = sections_from_markdown(text, offline.headings)
    if not any(sections.values()) and text.strip():
        sections["task"] = text.strip()  # a reply without the headings is kept as the task section
    repaired = [key for key in SECTIONS if not sections[key]]
    sections.update({key: offline.sections[key] for key in repaired})
    refused = offline.refused and not cited_ids(text, turn.records)
    ranking = list(dict.fromkeys(offline.citations + [hit.record_id for s in evidence.searches for hit in s.hits]))
    answer = ComposedAnswer(turn.question, sections, ranking, refused, offline.headings)
    return build_response(turn.question, turn.records, answer, _trace(evidence), backend, repaired, photos)


def _trace(evidence: Evidence) -> list[dict]:
    return [call.to_dict() for call in evidence.calls]
