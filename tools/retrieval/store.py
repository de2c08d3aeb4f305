"""A lexical store over the loaded records: their fields are chunked into passages and ranked with BM25
(bm25s); passage scores add up per record, so a record that answers the question in several places ranks
above one that mentions a term once."""
from __future__ import annotations

import re
from dataclasses import dataclass

from tools.records import DEGRADATIONS, Record
from tools.retrieval.scope import Scope, judge_scope
from tools.retrieval.tokens import tokenize

MIN_SCORE = 1.0  # a top record below this shares too little with the question to answer it


@dataclass(frozen=True)
class Passage:
    """One chunk of one record's field."""

    record_id: str
    field: str
    text: str
    score: float = 0.0


@dataclass(frozen=True)
class Hit:
    """A record that matches a question, with its score and best passages."""

    record_id: str
    score: float
    passages: tuple[Passage, ...]

    def to_dict(self) -> dict:
        return {
            "id": self.record_id,
            "score": round(self.score, 3),
            "passages": [{"field": p.field, "text": p.text, "score": round(p.score, 3)} for p in self.passages],
        }


@dataclass(frozen=True)
class SearchResult:
    """Ranked hits (best first) and whether the question is covered by the records at all."""

    query: str
    hits: tuple[Hit, ...]
    scope: Scope

    @property
    def covered(self) -> bool:
        return self.scope.in_scope and bool(self.hits) and self.hits[0].score >= MIN_SCORE


def chunk_record(record: Record) -> list[Passage]:
    """Passages of a record: title, technique, best use, handled degradations, summary sentences, facts."""
    chunks = [("title", record.title), ("technique", record.technique), ("best_for", record.best_for)]
    chunks += [("handles", f"{key}: {DEGRADATIONS.get(key, key)}") for key in record.handles]
    chunks += [("summary", sentence) for sentence in re.split(r"(?<=[.!?])\s+", record.summary)]
    chunks += [("key_facts", fact) for fact in record.key_facts]
    return [Passage(record.id, field, text.strip()) for field, text in chunks if text and text.strip()]


def record_name(record: Record) -> str:
    """The short name a question may use for a record: the title before its colon, or the id."""
    return record.title.split(":", 1)[0].strip() if ":" in record.title else record.id


class RecordStore:
    """BM25 over the passages of the given records only."""

    def __init__(self, records: list[Record]) -> None:
        import bm25s

        self.records = {record.id: record for record in records}
        self.passages = [passage for record in records for passage in chunk_record(record)]
        self._names = {record.id: record_name(record) for record in records}
        self._index = bm25s.BM25()
        self._index.index([tokenize(p.text) or ["<empty>"] for p in self.passages], show_progress=False)

    def search(self, query: str, k: int | None = None, passages_per_hit: int = 3) -> SearchResult:
        """Records matching ``query``, best first (at most ``k``), with their best passages."""
        scope = judge_scope(query, self._names)
        tokens = tokenize(query)
        scores = self._index.get_scores(tokens) if tokens else [0.0] * len(self.passages)
        by_record: dict[str, list[Passage]] = {}
        for passage, score in zip(self.passages, scores):
            if score > 0:
                by_record.setdefault(passage.record_id, []).append(
                    Passage(passage.record_id, passage.field, passage.text, float(score))
                )
        hits = []
        for record_id, found in by_record.items():
            found.sort(key=lambda p: p.score, reverse=True)
            hits.append(Hit(record_id, sum(p.score for p in found), tuple(found[:passages_per_hit])))
        hits.sort(key=lambda hit: (-hit.score, hit.record_id))
        return SearchResult(query, tuple(hits[:k] if k else hits), scope)
