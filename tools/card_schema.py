"""What a card may hold: size, nesting and length limits, field types, plain links, and text with nothing active.

Structured cards (YAML or JSON) are parsed within the limits: a YAML alias is refused (no "billion laughs"),
nesting deeper than :data:`MAX_DEPTH` stops the parse, and a parser's ``RecursionError`` becomes the same clean
error. Every record, from any card, then has its fields checked (:func:`check_types`, :func:`finish_record`):
each text field's type and length, a plain http(s) link for ``paper`` and ``code``, and its text through the one
link guard (:func:`tools.safe_markdown.sanitize_markdown`), which strips raw HTML, foreign links and terminal
control sequences. The limits are documented in ``docs/cards.md``.
"""
from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable
from dataclasses import replace

import yaml

from tools.errors import UserError
from tools.read_guard import CARD
from tools.records import Record
from tools.safe_markdown import plain_text
from tools.safe_text import NO_SCHEME, plain_link_problem, shown

MAX_CARD_BYTES = CARD.max_bytes  # a card file, in bytes (read through tools.read_guard)
MAX_DEPTH = 8                # nested YAML/JSON lists and mappings ({question, records: [{key_facts: [...]}]} is 3)
MAX_RECORDS = 500            # records in one card
MAX_ID_CHARS = 64            # a record id (letters, digits, '.', '_', '-')
MAX_TITLE_CHARS = 300        # title, name and kind
MAX_LINK_CHARS = 2000        # paper and code links
MAX_TEXT_CHARS = 10_000      # summary, technique, best_for
MAX_QUESTION_CHARS = 2000    # the card's question
MAX_LIST_ITEMS = 50          # key_facts and handles
MAX_ITEM_CHARS = 2000        # one key fact

TEXT_LIMITS = {"id": MAX_ID_CHARS, "title": MAX_TITLE_CHARS, "name": MAX_TITLE_CHARS, "kind": MAX_TITLE_CHARS,
               "paper": MAX_LINK_CHARS, "code": MAX_LINK_CHARS, "summary": MAX_TEXT_CHARS,
               "technique": MAX_TEXT_CHARS, "best_for": MAX_TEXT_CHARS}
LIST_LIMITS = {"key_facts": MAX_ITEM_CHARS, "handles": MAX_TITLE_CHARS}
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


# ---------------------------------------------------------------- parsing within the limits


class LimitedLoader(yaml.SafeLoader):
    """Safe YAML that refuses aliases (no "billion laughs") and stops past :data:`MAX_DEPTH` levels;
    ``what`` names the file in its errors."""

    what = "YAML file"
    depth = 0

    def compose_node(self, parent: object, index: object) -> yaml.Node:  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise UserError(f"{self.what} line {event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not "
                            "allowed here")
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH + 1:  # the document node itself is one level
                raise UserError(f"{self.what} line {event.start_mark.line + 1}: nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self.depth -= 1


def load_limited_yaml(text: str, what: str) -> object:
    """``text`` parsed by :class:`LimitedLoader`; YAML errors are left to the caller to word."""
    loader = LimitedLoader(text)
    loader.what = what
    try:
        return loader.get_single_data()
    except RecursionError:
        raise UserError(f"{what} is nested deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()


class _CardLoader(LimitedLoader):
    """The card's loader: :class:`LimitedLoader` that also notes each mapping's line."""

    what = "card"


def _construct_mapping(loader: _CardLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_CardLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_data(text: str, is_json: bool) -> object:
    """A structured card's data: YAML (no aliases, no tags beyond the safe ones) or JSON, within the limits."""
    try:
        data = json.loads(text) if is_json else yaml.load(text, Loader=_CardLoader)  # noqa: S506 - a safe loader
    except json.JSONDecodeError as exc:
        raise UserError(f"card line {exc.lineno}: invalid JSON ({exc.msg})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        raise UserError(f"card {where}: invalid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except RecursionError:
        raise UserError(f"card is nested deeper than {MAX_DEPTH} levels") from None
    if depth(data) > MAX_DEPTH:
        raise UserError(f"card is nested deeper than {MAX_DEPTH} levels")
    return data


def depth(data: object) -> int:
    """How deeply lists and mappings nest in ``data`` (0 for a plain value), without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend((child, level + 1) for child in children)
    return deepest


# ---------------------------------------------------------------- fields


def check_types(data: dict, where: str) -> None:
    """Each field of a structured record is of its type and within its length (a one-line error naming it)."""
    for key, limit in TEXT_LIMITS.items():
        value = data.get(key)
        if value is not None:
            _check_text(value, f"{where}: '{key}'", limit)
    for key, limit in LIST_LIMITS.items():
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            raise UserError(f"{where}: '{key}' must be a list of text, got {_kind(value)}")
        if len(value) > MAX_LIST_ITEMS:
            raise UserError(f"{where}: '{key}' has {len(value)} items, more than {MAX_LIST_ITEMS}")
        for number, item in enumerate(value, start=1):
            _check_text(item, f"{where}: '{key}' item {number}", limit)
    if "runnable" in data and not isinstance(data["runnable"], bool):
        raise UserError(f"{where}: 'runnable' must be true or false, got {_kind(data['runnable'])}")


def check_question(question: object, records: Iterable[Record]) -> str | None:
    """A card's question as text (None if it states none), checked and guarded (only its records' links stay)."""
    if question is None:
        return None
    _check_text(question, "card 'question'", MAX_QUESTION_CHARS)
    return plain_text(str(question), [link for record in records for link in record.links]) or None


def check_link(value: str, what: str) -> str:
    """``value`` if it is one plain http(s) link, else a one-line error naming ``what``."""
    problem = plain_link_problem(value) if len(value) <= MAX_LINK_CHARS else f"it is over {MAX_LINK_CHARS} characters"
    if problem:
        detail = "" if problem == NO_SCHEME else f" ({problem})"
        raise UserError(f"{what} needs one http(s) link, got {shown(value, 60)!r}{detail}")
    return value


def finish_record(record: Record, where: str) -> Record:
    """``record`` with its id and links checked and its text guarded (no markup or link but its own links)."""
    if not _ID.fullmatch(record.id) or len(record.id) > MAX_ID_CHARS:
        raise UserError(f"{where}: 'id' must be up to {MAX_ID_CHARS} letters, digits, '.', '_' or '-' (starting with "
                        f"a letter or digit), got {shown(record.id, 60)!r}")
    for key in ("title", "summary", "technique", "best_for"):
        limit = TEXT_LIMITS[key]
        if len(getattr(record, key)) > limit:
            raise UserError(f"{where}: '{key}' is longer than {limit} characters")
    links = record.links
    title = plain_text(record.title, links)
    if not title:
        raise UserError(f"{where}: 'title' has no text once markup and foreign links are removed")
    extra = {key: plain_text(value, links) if isinstance(value, str) else value for key, value in record.extra.items()}
    summary = plain_text(record.summary, links)
    # a fact or technique found word for word in the guarded summary is guarded text already (a text card's facts
    # are its summary's sentences): only the others go through the guard again
    clean = lambda text: text if text and text in summary else plain_text(text, links)  # noqa: E731
    return replace(record, title=title, kind=plain_text(record.kind, links), summary=summary,
                   technique=clean(record.technique), best_for=plain_text(record.best_for, links),
                   key_facts=tuple(fact for fact in (clean(fact) for fact in record.key_facts) if fact), extra=extra)


def _check_text(value: object, what: str, limit: int) -> None:
    if not isinstance(value, str):
        hint = "" if isinstance(value, list | dict) or value is None else " (put it in quotes)"
        raise UserError(f"{what} must be text, got {_kind(value)}{hint}")
    if len(value) > limit:
        raise UserError(f"{what} is longer than {limit} characters")


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, datetime.date):
        return f"a date ({value})"
    return {list: "a list", dict: "a mapping", type(None): "nothing"}.get(type(value), type(value).__name__)
