"""A chat session: the loaded records, the photos seen so far, the conversation, and its transcript.

Each question becomes a :class:`~agent.core.turn.Turn` with the earlier turns as context, so that follow-ups
work; photos measured in earlier turns are passed on, not measured again. Slash commands act on photos
through the same restoration pipeline as the agent's tools.

The transcript is an output: it is never the card, a photo of the session or a file a command of the session
writes, and no photo or card is read from it; the session's own outputs (``/denoise -o``, ``/report``) never
replace its card, its photos or its transcript, not even with ``--force``.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agent.core.backends import LLMSettings
from agent.core.loop import Token, run_agent
from agent.core.turn import TurnResult, make_turn
from tools.cards import Card, load_card
from tools.errors import UserError
from tools.fileio import check_output_path, write_text_atomic

if TYPE_CHECKING:
    from tools.analyzer import Analysis
    from tools.records import Record
    from tools.restore import Decision, PhotoKey, RestoreResult


@dataclass
class Entry:
    """One exchange for the transcript: what was typed and what came back (Markdown)."""

    said: str
    markdown: str
    backend: str = ""
    tools: list[dict] = field(default_factory=list)
    note: str = ""


TRANSCRIPT_SUFFIXES = (".md", ".markdown", ".txt")


def check_transcript(transcript: Path, card: Path | None = None, force: bool = False) -> Path:
    """A transcript path, checked before the session starts: Markdown or text by its extension, never the card,
    and an existing file only with ``force`` (one-line :class:`UserError` otherwise)."""
    if Path(transcript).suffix.lower() not in TRANSCRIPT_SUFFIXES:
        raise UserError(f"a transcript is Markdown: its name must end in {', '.join(TRANSCRIPT_SUFFIXES)}, "
                        f"got {Path(transcript).name!r}")
    return check_output_path(Path(transcript), *([Path(card)] if card else []), force=force)


def _same_file(a: str | Path, b: Path) -> bool:
    try:
        first, second = Path(a).expanduser(), Path(b).expanduser()
        return first.resolve() == second.resolve() or (first.exists() and second.exists()
                                                        and first.samefile(second))
    except (OSError, RuntimeError, ValueError):
        return False


class ChatSession:
    """Turns and slash commands over one set of records; keeps history, photos and an optional transcript."""

    def __init__(self, settings: LLMSettings, card: Path | None = None, output_dir: Path | None = None,
                 transcript: Path | None = None, overwrite: bool = False) -> None:
        self.settings = settings
        self.output_dir = output_dir
        self.overwrite = overwrite  # denoised photos may replace existing files (else they get fresh names)
        self.photos: list[str] = []
        self.history: list[tuple[str, str]] = []
        self.last_question = ""
        self.entries: list[Entry] = []
        self.analyses: dict[PhotoKey, Analysis] = {}
        self.transcript = Path(transcript) if transcript else None
        self.load_card(card)
        if self.transcript:
            self.save()

    def load_card(self, card: Path | None) -> Card:
        """Answer from a card's records from now on (the default card when ``card`` is None)."""
        if card is not None:
            self.not_transcript(card, "card")
        self.card = load_card(card)
        self.analyses.clear()  # recommendations depend on the records
        return self.card

    @property
    def records(self) -> list[Record]:
        return list(self.card.records)

    def ask(self, text: str, on_token: Token | None = None) -> TurnResult:
        """One agent turn, kept in the session; a cancelled or failed turn leaves the history as it was."""
        return self.keep(self.answer(text, on_token))

    def answer(self, text: str, on_token: Token | None = None) -> TurnResult:
        """One agent turn that changes nothing in the session (work that may be cancelled runs this in a worker
        thread); :meth:`keep` adds it afterwards."""
        turn = make_turn(text, self.card.records, session_photos=self.photos, history=self.history,
                         output_dir=self.output_dir, card_question=self.card.question, analyses=dict(self.analyses),
                         overwrite=self.overwrite)
        return run_agent(turn, self.settings, on_token)

    def keep(self, result: TurnResult) -> TurnResult:
        """Add an answered turn to the session: its photos and measurements, the history, the transcript."""
        turn = result.turn
        self.analyses.update(result.evidence.measured)
        self.note_photos([*turn.photos, *(a["path"] for a in result.evidence.analyses),
                          *(r.input for r in result.evidence.restorations)])
        self.last_question = turn.question
        self.history.append((turn.message, result.response["answer"]))
        self.record(Entry(turn.question, result.response["answer"], result.response["backend"],
                          result.response["tool_calls"], result.failure or ""))
        return result

    def analyze(self, path: str) -> Analysis:
        """A photo's analysis (measured once per file content and card); the caller notes the photo
        (:meth:`note_photos`) once its command is done."""
        from tools.restore import analyze_photo, photo_key

        self.not_transcript(path, "photo")
        key = photo_key(path)
        if key not in self.analyses:
            self.analyses[key] = analyze_photo(path, self.card.records)
        return self.analyses[key]

    def restore(self, path: str, output: str | None = None, noise_level: int | None = None, force: bool = False,
                match: bool = True, announce: Callable[[Decision], None] | None = None) -> RestoreResult:
        """A photo through the restoration pipeline (its analysis reused), written to ``output`` or the default.
        The analysis decides whether it runs, ``force`` runs it anyway; ``noise_level`` and ``match`` say how;
        ``announce`` hears the decision before any denoising (see :func:`tools.restore.restore`)."""
        from tools.restore import RestoreRequest, default_output, restore

        target = Path(output).expanduser() if output else default_output(path, self.output_dir)
        request = RestoreRequest(target, noise_level=noise_level, force=force, match=match)
        return restore(path, request, self.card.records, analysis=self.analyze(path), announce=announce)

    def not_transcript(self, path: str | Path, what: str) -> None:
        """Refuse to read this session's transcript as a photo or a card: the session writes it."""
        if self.transcript is not None and _same_file(path, self.transcript):
            raise UserError(f"{path} is this session's transcript, which the session writes: it is no {what}")

    def inputs(self) -> list[Path]:
        """The files no output of the session may replace: its card's file, every photo named so far and the
        transcript."""
        card = [] if self.card.source == "default" else [Path(self.card.source)]
        return [*card, *(Path(photo).expanduser() for photo in self.photos), *([self.transcript] if self.transcript else [])]

    def is_input(self, path: Path) -> bool:
        """Whether ``path`` is one of :meth:`inputs`."""
        return any(_same_file(path, source) for source in self.inputs())

    def check_output(self, output: Path, *sources: Path) -> Path:
        """``output`` checked (before any work) never to be ``sources`` or :meth:`inputs`, even with ``--force``."""
        return check_output_path(output, *sources, *self.inputs(), force=True)

    def note_photos(self, paths: list[str]) -> None:
        """Remember photos in the order they were first mentioned."""
        self.photos += [path for path in dict.fromkeys(paths) if path not in self.photos]

    def record(self, entry: Entry) -> None:
        """Add an exchange to the transcript (and rewrite the transcript file, atomically)."""
        self.entries.append(entry)
        if self.transcript:
            self.save()

    def save(self) -> None:
        write_text_atomic(self.transcript, transcript_markdown(self))


def transcript_markdown(session: ChatSession) -> str:
    """The conversation as Markdown: each message, each answer with its backend and tool calls."""
    lines = ["# restore-agent chat", "",
             f"Backend: {session.settings.backend}; records: {', '.join(r.id for r in session.card.records)}", ""]
    for entry in session.entries:
        lines += [f"## > {entry.said}", ""]
        if entry.note:
            lines += [f"*{entry.note}*", ""]
        lines += [_demote(entry.markdown), ""]
        if entry.backend:
            calls = "; ".join(f"`{c['name']}({_args(c['args'])})` {c['seconds']:.2f} s" + ("" if c["ok"] else " (failed)")
                              for c in entry.tools)
            lines += [f"*Answered by {entry.backend}. Tools: {calls or 'none'}.*", ""]
    return "\n".join(lines).rstrip() + "\n"


def _demote(markdown: str) -> str:
    """Answer headings one level down, under the message's heading."""
    return "\n".join("#" + line if line.startswith("#") else line for line in markdown.splitlines())


def _args(args: dict) -> str:
    return ", ".join(f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in args.items())
