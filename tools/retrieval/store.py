"""A lexical store over the loaded records: their fields are chunked into passages (one fact or sentence each)
and ranked with BM25 (bm25s). Passage scores add up per record, so a record that answers the question in
several places ranks above one that mentions a term once; the passages themselves are ranked as facts, with
the question's acronyms expanded both ways and its numbers and coined terms (dataset names, components)
counting as strong cues."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from tools.records import DEGRADATIONS, Record
from tools.retrieval.lexicon import Lexicon
from tools.retrieval.plain import plain_question
from tools.retrieval.scope import GENERIC, MEDIUM, Evidence, Scope, judge_scope
from tools.retrieval.tokens import tokenize

MIN_SCORE = 1.0  # a top record below this shares too little with the question to answer it
CUE_WEIGHT = 4.0  # added to a fact's score for each number or coined term of the question it contains
FACT_FIELDS = ("key_facts", "summary", "technique", "best_for")
FIELD_WEIGHT = {"key_facts": 1.2, "technique": 0.8, "best_for": 0.8}  # specific facts first; summaries as they are


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
    facts: tuple[Passage, ...] = ()

    @property
    def covered(self) -> bool:
        """In scope: its subject is the card's field (when no record matches it closely, the answer is the
        overview of what the records cover)."""
        return self.scope.in_scope


def chunk_record(record: Record) -> list[Passage]:
    """Passages of a record: title, technique, best use, handled degradations, summary sentences, facts."""
    facts = {" ".join(fact.split()) for fact in record.key_facts}
    technique = "" if any(record.technique and record.technique in fact for fact in facts) else record.technique
    chunks = [("title", record.title), ("technique", technique), ("best_for", record.best_for)]  # said once
    chunks += [("handles", f"{key}: {DEGRADATIONS.get(key, key)}") for key in record.handles]
    chunks += [("summary", sentence) for sentence in re.split(r"(?<=[.!?])\s+", record.summary)
               if not any(" ".join(sentence.split()) in fact for fact in facts)]  # a fact's sentences indexed once
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
        self.lexicon = Lexicon.of(list(records))
        self.passages = [passage for record in records for passage in chunk_record(record)]
        self._names = {record.id: record_name(record) for record in records}
        self._index = bm25s.BM25()
        self._index.index([tokenize(p.text) or ["<empty>"] for p in self.passages], show_progress=False)
        self.evidence = self._scope_evidence(records)

    def search(self, query: str, k: int | None = None, passages_per_hit: int = 3, facts: int = 6,
               card_question: str | None = None) -> SearchResult:
        """Records matching ``query``, best first (at most ``k``), with their best passages and the best facts;
        ``card_question``, the card's own question, is always in scope.

        Links, citation keys and sentences giving orders are left out of the query (:func:`plain_question`).
        """
        plain = plain_question(query)
        expanded = self.lexicon.expand(plain)
        named = (self.lexicon.record_names_in(plain) + self.lexicon.term_records(expanded, strict=True)
                 + self.lexicon.described(plain))
        weakly = [rid for rid in self.lexicon.term_records(expanded) if rid not in named]  # "LOL", "GPU"
        evidence = replace(self.evidence, card_question=card_question or "")
        scope = judge_scope(plain, self._names, evidence, named, weakly)
        scored = self._scored(expanded)
        by_record: dict[str, list[Passage]] = {}
        for passage in scored:
            by_record.setdefault(passage.record_id, []).append(passage)
        hits = []
        for record_id, found in by_record.items():
            found.sort(key=lambda p: p.score, reverse=True)
            hits.append(Hit(record_id, sum(p.score for p in found), tuple(found[:passages_per_hit])))
        hits.sort(key=lambda hit: (-hit.score, hit.record_id))
        return SearchResult(query, tuple(hits[:k] if k else hits), scope, tuple(self.facts(plain, limit=facts)))

    def facts(self, query: str, record_ids: list[str] | None = None, limit: int = 6) -> list[Passage]:
        """Single facts (key facts, summary sentences, technique, best use) ranked against ``query``; the
        question's numbers and coined terms found in a fact add :data:`CUE_WEIGHT` each."""
        expanded = self.lexicon.expand(plain_question(query))
        cues = strong_cues(expanded, self.lexicon)
        # Among one record's facts its own name tells nothing: the question's other words decide.
        names = {token for name, ids in self.lexicon.names.items() if set(ids) & set(record_ids or ())
                 and not (self._parts(ids[0]) and name in plain_question(query)) for token in tokenize(name)}
        if not set(tokenize(expanded)) - names - GENERIC:  # "What does Dformer do?": the name is all it asks
            names = set()
        else:  # framing words ("paper", "model", "best") rank nothing when the question has others
            names = names | GENERIC
        cues = [cue for cue in cues if cue not in names]
        ranked = []
        for passage in self._scored(expanded, keep_zero=bool(record_ids), drop=names):
            if passage.field not in FACT_FIELDS or (record_ids and passage.record_id not in record_ids):
                continue
            bonus = CUE_WEIGHT * sum(1 for cue in cues if cue in set(tokenize(passage.text)))
            score = FIELD_WEIGHT.get(passage.field, 1.0) * passage.score + bonus
            ranked.append(Passage(passage.record_id, passage.field, passage.text, score))
        ranked.sort(key=lambda p: -p.score)
        return [p for p in ranked if p.score > 0 or record_ids][:limit]

    def _parts(self, record_id: str) -> bool:
        """Does the record have several names, one per part (``Dformer``, ``Rformer``)? Those tell facts apart."""
        return sum(record_id in ids for ids in self.lexicon.names.values()) >= 2

    def _scored(self, query: str, keep_zero: bool = False, drop: set[str] | frozenset[str] = frozenset()
                ) -> list[Passage]:
        tokens = [token for token in tokenize(query) if token not in drop]
        scores = self._index.get_scores(tokens) if tokens else [0.0] * len(self.passages)
        return [Passage(p.record_id, p.field, p.text, float(score))
                for p, score in zip(self.passages, scores) if score > 0 or keep_zero]

    def _scope_evidence(self, records: list[Record]) -> Evidence:
        name_tokens = frozenset(token for name in self.lexicon.names for token in tokenize(name))
        titles = {record.id: set(tokenize(record.title)) for record in records}
        anchors = {token for record in records for token in tokenize(f"{record.title} {record.technique}")}
        return Evidence(
            vocabulary=frozenset(token for p in self.passages for token in tokenize(p.text)),
            anchors=frozenset(anchors - GENERIC - MEDIUM - name_tokens),
            facts=tuple(frozenset(tokenize(p.text)) | titles[p.record_id] for p in self.passages),
            name_tokens=name_tokens,
            proper=frozenset(word.lower() for text in self.lexicon.texts.values()
                             for word in re.findall(r"[A-Z][A-Za-z0-9]*", text)),
        )


@lru_cache(maxsize=8)
def store_for(records: tuple[Record, ...]) -> RecordStore:
    """The store of a set of records, built once per set."""
    return RecordStore(list(records))


def strong_cues(text: str, lexicon: Lexicon) -> list[str]:
    """Tokens that must match exactly: numbers and the coined terms (dataset names, components) of the text."""
    numbers = re.findall(r"(?<![A-Za-z])\d+(?:\.\d+)?(?![A-Za-z0-9])", text)
    terms = [token for term in lexicon.terms_in(text) for token in tokenize(term)]
    return list(dict.fromkeys(tokenize(" ".join(numbers)) + [t for t in terms if t not in GENERIC]))
