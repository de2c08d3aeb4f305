"""What the agent's tools act on within a session: the loaded records, the photos seen so far, and the
results of the current turn (searches, analyses, denoise runs) from which any answer can be composed.

The tool functions here return compact, JSON-ready dicts and raise ``UserError`` for bad input; each call is
recorded in the turn's trace (the ``tool_calls`` of ``ask --json``).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from agent.compose import ComposedAnswer, compose_answer
from tools.cards import Card, load_card
from tools.errors import UserError
from tools.records import Record
from tools.retrieval import RecordStore, SearchResult

MAX_HITS = 4
MAX_PASSAGES = 2
PASSAGE_CHARS = 300
NOT_RUN = "not run (arguments rejected)"


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


class Workspace:
    """Records, session photos and the current turn's tool results."""

    def __init__(self, card: Path | None = None, output_dir: Path | None = None) -> None:
        self.output_dir = Path(output_dir) if output_dir else None
        self.images: list[str] = []
        self._analysis_cache: dict[tuple[str, int], dict] = {}
        self.load_card(card)
        self.begin_turn("")

    # ------------------------------------------------------------ session

    def load_card(self, card: Path | None) -> Card:
        """Replace the records with a card's (the default card when ``card`` is None)."""
        loaded = load_card(card)
        self.card, self.records = loaded, list(loaded.records)
        self._store: RecordStore | None = None
        return loaded

    @property
    def store(self) -> RecordStore:
        if self._store is None:
            self._store = RecordStore(self.records)
        return self._store

    def note_images(self, paths: Sequence[str]) -> None:
        """Remember photos in the order they were first mentioned."""
        self.images += [path for path in paths if path not in self.images]

    def begin_turn(self, question: str, images: Sequence[str] = ()) -> None:
        """Start a turn: forget the previous turn's results and trace, remember its photos."""
        self.question, self.turn_images = question, list(images)
        self.note_images(images)
        self.calls: list[ToolCall] = []
        self.searches: list[SearchResult] = []
        self.analyses: list[dict] = []
        self.denoise_runs: list[dict] = []
        self._composed: ComposedAnswer | None = None

    # ------------------------------------------------------------ tools

    def search_records(self, query: str) -> dict:
        """The loaded records that match ``query``, best first, with their links and best passages."""
        return self._traced("search_records", {"query": query}, lambda: self._search(query))

    def analyze_image(self, path: str) -> dict:
        """What is wrong with a photo: noise level, findings, the records that fit."""
        return self._traced("analyze_image", {"path": path}, lambda: self._analyze(path))

    def denoise_image(self, path: str, output: str | None = None, noise_level: int | None = None) -> dict:
        """Denoise a photo with SwinIR; the noise level defaults to the one its analysis suggests."""
        args = {"path": path, **({"output": output} if output else {}),
                **({"noise_level": noise_level} if noise_level is not None else {})}
        return self._traced("denoise_image", args, lambda: self._denoise(path, output, noise_level))

    def describe_workflow(self, record_ids: Sequence[str] = ()) -> dict:
        """What each record handles, how it works, whether it runs here, and its exact links."""
        return self._traced("describe_workflow", {"record_ids": list(record_ids)},
                            lambda: self._describe(record_ids))

    # ------------------------------------------------------------ answers

    def compose(self) -> ComposedAnswer:
        """The offline composer's answer to this turn's question from this turn's tool results."""
        if self._composed is None:
            covered = [search for search in self.searches if search.covered]
            search = (covered or self.searches or [self.store.search(self.question)])[0]
            failures = [call.to_dict() for call in self.calls if not call.ok]
            self._composed = compose_answer(self.question, self.records, search, self.analyses, self.denoise_runs,
                                            failures)
        return self._composed

    def latest_analysis(self, path: str) -> dict | None:
        """The latest analysis of a photo in this session, if any."""
        resolved = str(Path(path).expanduser().resolve())
        found = [a for (key, _), a in self._analysis_cache.items() if key == resolved]
        return found[-1] if found else None

    # ------------------------------------------------------------ implementation

    def expect_calls(self, calls: Sequence[tuple[str, dict]]) -> None:
        """List a model's tool calls in the trace in its order, before they run (possibly in parallel)."""
        self.calls += [ToolCall(name, _given(args), False, 0.0, NOT_RUN) for name, args in calls]

    def _traced(self, name: str, args: dict, run: Callable[[], dict]) -> dict:
        """Run a tool and complete its trace entry (the expected one, else a new one)."""
        args = _given(args)
        call = next((c for c in self.calls if c.error == NOT_RUN and c.name == name and c.args == args), None)
        if call is None:
            call = ToolCall(name, args, False, 0.0)
            self.calls.append(call)
        call.error = None
        started = time.perf_counter()
        try:
            result = run()
        except Exception as exc:
            call.error = str(exc)
            raise
        finally:
            call.seconds = time.perf_counter() - started
        call.ok = True
        return result

    def _search(self, query: str) -> dict:
        if not query.strip():
            raise UserError("search_records needs a non-empty query")
        search = self.store.search(query, k=MAX_HITS, passages_per_hit=MAX_PASSAGES)
        self.searches.append(search)
        by_id = {record.id: record for record in self.records}
        return {
            "query": query,
            "covered": search.covered,
            **({} if search.covered else {"not_covered_because": search.scope.reason or "no record matches"}),
            "records": [
                {**_record_links(by_id[hit.record_id]), "score": round(hit.score, 2),
                 "passages": [p.text[:PASSAGE_CHARS] for p in hit.passages]}
                for hit in search.hits if hit.record_id in by_id
            ],
        }

    def _analyze(self, path: str) -> dict:
        from tools.analyzer import analyze

        source = Path(path).expanduser()
        if not source.is_file():
            raise UserError(f"no such file: {path}")
        key = (str(source.resolve()), source.stat().st_mtime_ns)
        if key not in self._analysis_cache:
            analysis = analyze(source, self.records)
            self._analysis_cache[key] = {
                "path": path,
                "width": analysis.width,
                "height": analysis.height,
                "noise_sigma": analysis.noise.sigma,
                "gaussian_like": analysis.noise.gaussian_like,
                "suggested_noise_level": analysis.suggested_noise_level,
                "findings": [finding.to_dict() for finding in analysis.findings],
                "recommendations": [rec.to_dict() for rec in analysis.recommendations],
                "seconds": round(analysis.seconds, 3),
            }
        result = {**self._analysis_cache[key], "path": path}
        self.note_images([path])
        self.analyses.append(result)
        return result

    def _denoise(self, path: str, output: str | None, noise_level: int | None) -> dict:
        from tools.swinir.service import denoise_file

        source = Path(path).expanduser()
        if not source.is_file():
            raise UserError(f"no such file: {path}")
        analysis = self.latest_analysis(path) or {}
        suggested = analysis.get("suggested_noise_level")
        level = noise_level if noise_level is not None else suggested
        # The analyzer's estimate is matched to the weights unless the caller named another level.
        sigma = analysis.get("noise_sigma") if analysis.get("gaussian_like") and level == suggested else None
        target = Path(output).expanduser() if output else default_output(source, self.output_dir)
        run = denoise_file(source, target, noise_level=level, noise_sigma=sigma)
        result = {**run.to_json(), "notes": run.notes}
        self.note_images([path])
        self.denoise_runs.append(result)
        return result

    def _describe(self, record_ids: Sequence[str]) -> dict:
        by_id = {record.id: record for record in self.records}
        unknown = [rid for rid in record_ids if rid not in by_id]
        if unknown:
            raise UserError(f"unknown record id {unknown[0]!r}; loaded ids: {', '.join(by_id)}")
        chosen = [by_id[rid] for rid in record_ids] if record_ids else self.records
        return {"records": [
            {**_record_links(record), "kind": record.kind, "handles": list(record.handles),
             "technique": record.technique, "best_for": record.best_for}
            for record in chosen
        ]}


def default_output(source: Path, output_dir: Path | None = None) -> Path:
    """Where a denoised photo goes when no output is named: ``<stem>.denoised.png`` beside it or in ``output_dir``."""
    return (output_dir or source.parent) / f"{source.stem}.denoised.png"


def _given(args: dict) -> dict:
    """Arguments without those left empty, so a model's call and the traced call compare equal."""
    return {key: value for key, value in args.items() if value is not None and value != []}


def _record_links(record: Record) -> dict:
    return {"id": record.id, "title": record.title, "runnable": record.runnable, "paper": record.paper,
            "code": record.code}
