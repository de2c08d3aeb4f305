"""A turn as values: what goes into the agent (:class:`Turn`) and what comes out (:class:`TurnResult`).

Callers build a ``Turn`` (question, photos, earlier turns, records, results they already have) and get a
``TurnResult`` back from :func:`agent.core.loop.run_agent`; nothing about a turn lives in shared state.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agent.core.photo_mentions import attachment_note, turn_photos

if TYPE_CHECKING:
    from tools.analyzer import Analysis
    from tools.records import Record
    from tools.restore import PhotoKey, RestoreResult
    from tools.retrieval import SearchResult


@dataclass(frozen=True)
class Turn:
    """One question to answer and everything it may use.

    ``history``: earlier ``(message, answer)`` pairs. ``analyses`` and ``restorations``: results already
    measured on photos (by :func:`tools.restore.photo_key`), which the tools reuse instead of rerunning.
    ``overwrite``: the user allowed replacing existing files (``--force``); without it outputs get fresh names.
    ``card_question``: the question of the card the records come from (None where it states none), which the
    LLM's system prompt quotes.
    """

    question: str
    records: tuple[Record, ...]
    photos: tuple[str, ...] = ()
    history: tuple[tuple[str, str], ...] = ()
    output_dir: Path | None = None
    analyses: Mapping[PhotoKey, Analysis] = field(default_factory=dict)
    restorations: Mapping[PhotoKey, RestoreResult] = field(default_factory=dict)
    overwrite: bool = False
    card_question: str | None = None

    @property
    def message(self) -> str:
        """What the user's message says to the model: the question and the attached-photos line."""
        return "\n\n".join(part for part in (self.question, attachment_note(self.photos)) if part)


@dataclass
class ToolCall:
    """One tool call of a turn, as the trace reports it."""

    name: str
    args: dict
    ok: bool
    seconds: float
    error: str | None = None

    def to_dict(self) -> dict:
        data = {"name": self.name, "args": self.args, "ok": self.ok, "seconds": round(self.seconds, 3)}
        if self.error:
            data["error"] = self.error
        return data


@dataclass
class Evidence:
    """What the tools gathered during one turn, in call order; a plain record that the composer reads."""

    calls: list[ToolCall] = field(default_factory=list)
    searches: list[SearchResult] = field(default_factory=list)
    analyses: list[dict] = field(default_factory=list)
    denoise_runs: list[dict] = field(default_factory=list)
    measured: dict[PhotoKey, Analysis] = field(default_factory=dict)
    restorations: list[RestoreResult] = field(default_factory=list)


@dataclass
class TurnResult:
    """A turn's ``ask --json`` object, the evidence behind it, and why the LLM failed (if it did)."""

    turn: Turn
    response: dict
    evidence: Evidence
    failure: str | None = None

    @property
    def message(self) -> str:
        return self.turn.message


def make_turn(question: str, records: Sequence[Record], attached: Sequence[str | Path] = (),
              session_photos: Sequence[str] = (), history: Sequence[tuple[str, str]] = (),
              output_dir: Path | None = None, card_question: str | None = None, **known: Mapping | bool) -> Turn:
    """A turn for ``question``: its photos are the attached ones, paths typed in it, else the session's photos
    it points at ("the second photo", "clean it"); ``card_question`` is the card's own question; ``known`` passes
    ``analyses``, ``restorations`` or ``overwrite``."""
    photos = turn_photos(question, attached, session_photos)
    return Turn(question, tuple(records), tuple(photos), tuple(history), Path(output_dir) if output_dir else None,
                card_question=card_question, **known)
