"""Recommendation cards: the seed's text format or YAML/JSON records, turned into ``Record``s.

``load_records(None)`` gives the shipped, enriched records of the default card. A card passed by the
user replaces them for that run. A text card's entries whose paper link matches an enriched record reuse
its summary, facts and technique (keeping the card's own title and links); other entries are built from
the card's own text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

from knowledge import knowledge_path
from tools.card_reading import display_name, merge_checkpoints, record_from_text
from tools.card_schema import MAX_RECORDS, check_link, check_question, check_types, finish_record, load_data
from tools.degradation_terms import degradations_in
from tools.errors import UserError
from tools.read_guard import CARD, read_text
from tools.records import DEGRADATIONS, RECOMMENDED_MODEL, RELATED_PAPER, Record

DEFAULT_CARD = "default_card.txt"
ENRICHED_RECORDS = "records.yaml"
STRUCTURED_SUFFIXES = {".yaml", ".yml", ".json"}

_FIELD = re.compile(r"^(Model|Paper|GitHub|Code|Summary):\s*(.*)$")
_HEADING = re.compile(r"^#{2,}\s*(.+?):?\s*$")
_QUESTION = re.compile(r'^\s*"(.+)"\s*$')
_SECTION_KINDS = {"recommended": RECOMMENDED_MODEL, "related": RELATED_PAPER, "papers": RELATED_PAPER}
_RECORD_KEYS = {f.name for f in fields(Record)} - {"extra"}
_EXTRA_KEYS = {"name"}  # optional display name, kept in ``Record.extra``
_REQUIRED_KEYS = ("id", "title", "kind", "paper")


@dataclass(frozen=True)
class Card:
    """A loaded card: its question (None if it states none) and its records."""

    question: str | None
    records: list[Record]
    source: str


# ---------------------------------------------------------------- text cards


@dataclass
class _Entry:
    """One ``Model:`` entry of a text card while it is being read."""

    kind: str
    line: int
    title: str
    values: dict[str, str]
    last_field: str = "Model"


def parse_card_text(text: str) -> tuple[str | None, list[Record]]:
    """Parse a card in the seed's text format into its question and records built from its own text.

    Raises ``UserError`` naming the line for a malformed card.
    """
    question: str | None = None
    entries: list[_Entry] = []
    section: str | None = None
    current: _Entry | None = None
    after_blank = True
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            after_blank = True
            continue
        heading = _HEADING.match(line)
        if heading:
            section = _section_kind(heading.group(1), number)
            current, after_blank = None, True
            continue
        field = _FIELD.match(line)
        if section is None:
            if question is None and (match := _QUESTION.match(line)):
                question = match.group(1).strip()
            elif field and field.group(1) == "Model":
                raise UserError(f"card line {number}: 'Model:' outside a '### Recommended AI Models:' or '### Related Papers:' block")
            continue
        if field:
            key, value = field.group(1), field.group(2).strip()
            if key == "Model":
                if not value:
                    raise UserError(f"card line {number}: 'Model:' has no name")
                current = _Entry(kind=section, line=number, title=value, values={})
                entries.append(current)
            else:
                current = _add_field(current, key, value, number)
        elif current is not None and not after_blank and current.last_field == "Summary":
            current.values["Summary"] += " " + line
        elif current is not None and not after_blank:
            raise UserError(f"card line {number}: expected 'Paper:', 'GitHub:' or 'Summary:', got {line[:60]!r}")
        else:
            section, current = None, None  # free text after the blocks (e.g. "Answer:") ends them
        after_blank = False
    if not entries:
        raise UserError("card has no records: expected a '### Recommended AI Models:' or '### Related Papers:' block with 'Model:' lines")
    if len(entries) > MAX_RECORDS:
        raise UserError(f"card has {len(entries)} records, more than {MAX_RECORDS}")
    records = _records_from_entries(entries)
    return check_question(question, records), records


def _section_kind(heading: str, number: int) -> str:
    lowered = heading.lower()
    for word, kind in _SECTION_KINDS.items():
        if word in lowered:
            return kind
    raise UserError(f"card line {number}: unknown section {heading!r} (expected 'Recommended AI Models' or 'Related Papers')")


def _add_field(entry: _Entry | None, key: str, value: str, number: int) -> _Entry:
    if entry is None:
        raise UserError(f"card line {number}: '{key}:' before any 'Model:' line")
    key = "GitHub" if key == "Code" else key
    if key in entry.values:
        raise UserError(f"card line {number}: second '{key}:' for model {entry.title!r}")
    if key in ("Paper", "GitHub"):
        check_link(value, f"card line {number}: '{key}:'")
    entry.values[key] = value
    entry.last_field = key
    return entry


def _records_from_entries(entries: list[_Entry]) -> list[Record]:
    records: list[Record] = []
    seen: set[str] = set()
    for entry in entries:
        if "Paper" not in entry.values:
            raise UserError(f"card line {entry.line}: model {entry.title!r} has no 'Paper:' link")
        record = finish_record(_record_from_text(entry, seen), f"card line {entry.line}")
        seen.add(record.id)
        records.append(record)
    return merge_checkpoints(records)


def _slug(title: str) -> str:
    name = (title.split(":", 1)[0] if ":" in title else title).replace("++", " plus plus")
    words = re.findall(r"[a-z0-9]+", name.lower())
    return "-".join(words[:4]) or "record"


def _unique_id(base: str, seen: set[str]) -> str:
    candidate, n = base, 2
    while candidate in seen:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _record_from_text(entry: _Entry, seen: set[str]) -> Record:
    """A record from the card's own words (:mod:`tools.card_reading`), its id from the model's name."""
    summary = entry.values.get("Summary", "")
    name = display_name(entry.title, summary, entry.values.get("GitHub"))
    return record_from_text(_unique_id(_slug(name), seen), entry.kind, entry.title, entry.values["Paper"],
                            entry.values.get("GitHub"), summary, entry.line)


def _match_enriched(records: list[Record]) -> list[Record]:
    """Swap each card record for the enriched one with the same paper link, keeping the card's title and links."""
    enriched = {record.paper: record for record in default_card().records}
    matched = []
    for record in records:
        known = enriched.get(record.paper)
        matched.append(replace(known, title=record.title, kind=record.kind, code=record.code) if known else record)
    return matched


# ---------------------------------------------------------------- YAML / JSON records


def parse_structured(text: str, is_json: bool) -> tuple[str | None, list[Record]]:
    """Parse YAML or JSON records: a list of records, or ``{question, records: [...]}``."""
    data = load_data(text, is_json)
    question = None
    if isinstance(data, dict):
        question = data.get("question")
        data = data.get("records")
    if not isinstance(data, list) or not data:
        raise UserError("card has no records: expected a list of records or a mapping with a 'records' list")
    if len(data) > MAX_RECORDS:
        raise UserError(f"card has {len(data)} records, more than {MAX_RECORDS}")
    records = [_record_from_mapping(item, index) for index, item in enumerate(data, start=1)]
    ids = [record.id for record in records]
    if len(set(ids)) != len(ids):
        raise UserError(f"card has duplicate record ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    return check_question(question, records), records


def _record_from_mapping(item: object, index: int) -> Record:
    if not isinstance(item, dict):
        raise UserError(f"card record {index}: expected a mapping of fields, got {type(item).__name__}")
    where = f"card line {item['__line__']}" if "__line__" in item else f"card record {index}"
    data = {key: value for key, value in item.items() if key != "__line__"}
    unknown = sorted(set(data) - _RECORD_KEYS - _EXTRA_KEYS)
    if unknown:
        raise UserError(f"{where}: unknown field(s) {unknown} (known: {sorted(_RECORD_KEYS | _EXTRA_KEYS)})")
    missing = [key for key in _REQUIRED_KEYS if not data.get(key)]
    if missing:
        raise UserError(f"{where}: missing field(s) {missing}")
    check_types(data, where)
    data["extra"] = {key: data.pop(key) for key in _EXTRA_KEYS & set(data) if data[key] is not None}
    for key in ("paper", "code"):
        if data.get(key) is not None:
            check_link(data[key], f"{where}: '{key}'")
    handles = tuple(data.get("handles") or ())
    bad = sorted(set(handles) - set(DEGRADATIONS))
    if bad:
        raise UserError(f"{where}: unknown degradation(s) {bad} in 'handles' (known: {sorted(DEGRADATIONS)})")
    data["key_facts"] = tuple(data.get("key_facts") or ())
    data["handles"] = handles or degradations_in(f"{data['title']} {data.get('summary', '')}") or ("other",)
    data["runnable"] = bool(data.get("runnable", False))
    for key in ("summary", "technique", "best_for"):
        data[key] = " ".join((data.get(key) or "").split())
    return finish_record(Record(**data), where)


# ---------------------------------------------------------------- loading


def _read_card(path: Path) -> str:
    """A card's text, read through the one guard (:mod:`tools.read_guard`: a regular file within 1 MB)."""
    text = read_text(path, CARD)
    if not text.strip():
        raise UserError(f"card is empty: {path}")
    return text


@lru_cache(maxsize=1)
def default_card() -> Card:
    """The shipped default card with its enriched records."""
    _, records = parse_structured(knowledge_path(ENRICHED_RECORDS).read_text(encoding="utf-8"), is_json=False)
    return Card(question=default_question(), records=records, source="default")


def load_card(card: Path | None = None) -> Card:
    """Load a card file (text, YAML or JSON), or the default card when ``card`` is None."""
    if card is None:
        return default_card()
    text = _read_card(card)
    suffix = Path(card).suffix.lower()
    if suffix in STRUCTURED_SUFFIXES:
        question, records = parse_structured(text, is_json=suffix == ".json")
    else:
        question, records = parse_card_text(text)
        records = _match_enriched(records)
    return Card(question=question, records=records, source=str(card))


def load_records(card: Path | None = None) -> list[Record]:
    """The records of ``card``, or the default enriched records when ``card`` is None."""
    return list(load_card(card).records)


def default_question() -> str:
    """The default card's question."""
    question, _ = parse_card_text(knowledge_path(DEFAULT_CARD).read_text(encoding="utf-8"))
    return question or ""
