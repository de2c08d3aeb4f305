"""The agent's four tools for one turn, as LangChain tools with typed argument schemas.

Each tool reads the :class:`~agent.core.turn.Turn`, appends what it found to the turn's
:class:`~agent.core.turn.Evidence` and returns compact JSON text, its numbers rounded to what they mean
(:func:`tools.json_numbers.meaningful`). Photos go through the one restoration pipeline (:mod:`tools.restore`):
the analysis decides whether the denoiser runs, and ``force`` overrides it only when the user's message insists
(:func:`agent.core.intent.insists`); a forced run's notice reaches the view before the work. Results the turn
already carries are reused, not recomputed. Tools read and
write only where :mod:`agent.core.tool_paths` allows, and arguments must match their schema exactly (types,
required fields, nothing extra). A tool that fails returns ``error: <one line>`` to the model
(:func:`tool_error_message`) instead of ending the run, so the model may try again.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.core.events import listener
from agent.core.intent import FORCE_HINT, insists
from agent.core.tool_paths import MAX_PATH_CHARS, ToolPaths
from agent.core.turn import Evidence, ToolCall, Turn
from tools.errors import OutputExists, UserError
from tools.json_numbers import meaningful
from tools.records import Record

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from tools.analyzer import Analysis
    from tools.restore import Decision, RestoreResult

MAX_HITS = 4
MAX_PASSAGES = 2
MAX_FACTS = 6
PASSAGE_CHARS = 300
NOT_RUN = "not run (arguments rejected)"
MAX_QUERY_CHARS = 2000
STRICT = ConfigDict(extra="forbid", strict=True)  # no coercion ("15" is no number), no unknown fields


class SearchArgs(BaseModel):
    model_config = STRICT
    query: str = Field(max_length=MAX_QUERY_CHARS,
                       description="What to look for in the loaded records, e.g. the user's question.")


class AnalyzeArgs(BaseModel):
    model_config = STRICT
    path: str = Field(min_length=1, max_length=MAX_PATH_CHARS,
                      description="Path of a photo the user attached or named.")


class DenoiseArgs(BaseModel):
    model_config = STRICT
    path: str = Field(min_length=1, max_length=MAX_PATH_CHARS, description="Path of the photo to denoise.")
    output: str | None = Field(None, min_length=1, max_length=MAX_PATH_CHARS,
                               description="Where to write the result, inside the output folder (default: "
                               "<name>.denoised.png there).")
    noise_level: Literal[15, 25, 50] | None = Field(
        None, description="Noise level of the checkpoint to run, if the denoiser runs (default: the level the "
        "photo's analysis suggests). It says how to run, never whether: the analysis decides that.")
    force: bool = Field(False, description="Run even where the analysis would not (no visible noise, or grain). "
                        "Only when the user's message insists ('denoise it anyway'); otherwise it is ignored.")


class WorkflowArgs(BaseModel):
    model_config = STRICT
    record_ids: list[str] = Field(default_factory=list, description="Record ids to describe (empty: all records).")


# Descriptions are templates filled from the turn's card (agent.core.card_prompt.describe_tool): ``$records``
# names the loaded records, ``$denoiser`` what runs here.
TOOL_SPECS: tuple[tuple[str, type[BaseModel], str], ...] = (
    ("search_records", SearchArgs,
     "Search the loaded card's records, the only allowed sources: $records. Returns the facts that best match, "
     "each with its record id, and the matching records with ids, titles, exact links and passages."),
    ("analyze_image", AnalyzeArgs,
     "Measure what is wrong with a photo: noise level (sigma, 0-255, with its range, kind and confidence; "
     "`noise_evidence` in words), blur, JPEG, exposure, haze; findings and the loaded records that fit, with the "
     "noise level suggested for the denoiser here and `decision`: whether it would run, and why."),
    ("denoise_image", DenoiseArgs,
     "Denoise a photo with $denoiser, through analyze -> decide -> denoise -> check: the photo's analysis decides "
     "whether the denoiser runs. Returns `status` (restored: the check passed; check-failed; denoised: not "
     "checked; not-run, with the reason in `decision.reason`), `caption`, the output path, model, time and size, "
     "and the check's verdict. Say a check-failed output is 'denoised (check failed: ...)', never restored or "
     "cleaned; say a forced run's `decision.notice` before its result; for a not-run photo quote the reason and "
     "tell the user to " + FORCE_HINT + " to run it. "
     "Reads only photos the user attached or named; writes only inside the output folder, never over an "
     "existing file (leave output out for a fresh default name)."),
    ("describe_workflow", WorkflowArgs,
     "Describe the loaded card's records for the workflow ($records): what each handles, its technique and key "
     "facts, whether it runs here (and exactly which weights), its links."),
)
TOOL_NAMES = tuple(name for name, _, _ in TOOL_SPECS)


class Toolbox:
    """The tools of one turn: they read ``turn`` and record what they find in ``evidence``."""

    def __init__(self, turn: Turn, evidence: Evidence) -> None:
        self.turn, self.evidence = turn, evidence
        self.paths = ToolPaths(turn, evidence)

    def search_records(self, query: str) -> dict:
        """The loaded records that match ``query``, best first, with their links and best passages, and the
        single facts (each with its record id) that best answer it: the evidence the offline answer uses too."""
        from tools.retrieval import store_for

        if not query.strip():
            raise UserError("search_records needs a non-empty query")
        search = store_for(tuple(self.turn.records)).search(query, k=MAX_HITS, passages_per_hit=MAX_PASSAGES,
                                                            facts=MAX_FACTS, card_question=self.turn.card_question)
        self.evidence.searches.append(search)
        by_id = {record.id: record for record in self.turn.records}
        return {
            "query": query,
            "covered": search.covered,
            **({} if search.covered else {"not_covered_because": search.scope.reason or "no record matches"}),
            "facts": [{"record_id": fact.record_id, "field": fact.field, "text": fact.text}
                      for fact in search.facts if search.covered and fact.record_id in by_id],
            "records": [
                {**record_links(by_id[hit.record_id]), "score": round(hit.score, 2),
                 "passages": [p.text[:PASSAGE_CHARS] for p in hit.passages]}
                for hit in search.hits if hit.record_id in by_id
            ],
        }

    def analyze_image(self, path: str) -> dict:
        """What is wrong with a photo: noise level, findings, the records that fit."""
        from tools.restore import analysis_summary

        source = self.paths.photo(path)
        analysis = self._analysis(source)
        result = {**analysis_summary(analysis, source), "noise_evidence": analysis.noise.evidence}
        self.evidence.analyses.append(result)
        return result

    def denoise_image(self, path: str, output: str | None = None, noise_level: int | None = None,
                      force: bool = False) -> dict:
        """Restore a photo through the pipeline (which may decide not to run the denoiser, and says why);
        ``force`` counts only where the user's message insists. A restoration the turn already carries is
        reused."""
        from tools.restore import RestoreRequest, photo_key, restore

        source = self.paths.photo(path)
        forced = force and insists(self.turn.question)
        known = self.turn.restorations.get(photo_key(source))
        if (known is not None and output is None and noise_level in reusable_levels(known)
                and (known.run is not None or not forced)):
            result = known
        else:
            target = self.paths.output(source, output)
            request = RestoreRequest(target, noise_level=noise_level, force=forced, overwrite=self.turn.overwrite)
            result = restore(source, request, self.turn.records, analysis=self._analysis(source),
                             announce=announce)
        self.evidence.restorations.append(result)
        summary = {**result.to_json(), "caption": result.caption, "warnings": result.warnings}
        if force and not forced:
            summary["force_ignored"] = ("force counts only when the user's message asks to denoise anyway, and "
                                        "this one does not: the analysis decided")
        self.evidence.denoise_runs.append(summary)
        return summary

    def describe_workflow(self, record_ids: Sequence[str] = ()) -> dict:
        """What each record handles, how it works, whether it runs here (and exactly what runs), its links."""
        from agent.core.direct import runs_here

        by_id = {record.id: record for record in self.turn.records}
        unknown = [rid for rid in record_ids if rid not in by_id]
        if unknown:
            raise UserError(f"unknown record id {unknown[0]!r}; loaded ids: {', '.join(by_id)}")
        chosen = [by_id[rid] for rid in record_ids] if record_ids else self.turn.records
        return {"records": [
            {**record_links(record), "kind": record.kind, "handles": list(record.handles),
             "technique": record.technique, "best_for": record.best_for, "key_facts": list(record.key_facts),
             **({"runs_here": runs_here()} if record.runnable else {})}
            for record in chosen
        ]}

    def _analysis(self, path: Path) -> Analysis:
        """The photo's analysis: from this turn, from the turn's known results, else measured now."""
        from tools.restore import analyze_photo, photo_key

        key = photo_key(path)
        known = self.turn.restorations.get(key)
        analysis = (self.evidence.measured.get(key) or self.turn.analyses.get(key)
                    or (known.analysis if known else None))
        if analysis is None:
            analysis = analyze_photo(path, self.turn.records)
        self.evidence.measured[key] = analysis
        return analysis


def announce(decision: Decision) -> None:
    """Tell the view about a forced run before the work starts (the line it shows above the progress)."""
    events = listener()
    if decision.notice and events is not None:
        events.notice(decision.notice)


def reusable_levels(known: RestoreResult) -> tuple[int | None, ...]:
    """Noise levels a call may name and still get ``known``: none, the one the policy picked or suggested, and the
    level of the weights that ran (the nearest installed one, which a model reading the result asks for)."""
    ran = known.run.noise_level if known.run is not None else None
    return None, known.decision.noise_level, known.analysis.suggested_noise_level, ran


def record_links(record: Record) -> dict:
    """A record's id, title, whether it runs here, and its exact links."""
    return {"id": record.id, "title": record.title, "runnable": record.runnable, "paper": record.paper,
            "code": record.code}


def given(args: dict) -> dict:
    """Arguments without those left empty or off, so a model's call and the traced call compare equal."""
    return {key: value for key, value in args.items() if value is not None and value != [] and value is not False}


def traced(evidence: Evidence, name: str, run: Callable[..., dict]) -> Callable[..., str]:
    """``run`` as a tool function: timed, listed in the trace (completing the entry the model's call made),
    its result as compact JSON text."""
    def call(**kwargs: object) -> str:
        args = given(kwargs)
        entry = next((c for c in evidence.calls if c.error == NOT_RUN and c.name == name and c.args == args), None)
        if entry is None:
            entry = ToolCall(name, args, False, 0.0)
            evidence.calls.append(entry)
        entry.error = None
        started = time.perf_counter()
        try:
            result = run(**kwargs)
        except Exception as exc:
            entry.error = str(exc)
            raise
        finally:
            entry.seconds = time.perf_counter() - started
        entry.ok = True
        return json.dumps(meaningful(result), ensure_ascii=False, separators=(",", ":"))

    return call


def expect_calls(evidence: Evidence, calls: Sequence[tuple[str, dict]]) -> None:
    """List a model's tool calls in the trace in its order, before they run (possibly in parallel)."""
    evidence.calls += [ToolCall(name, given(args), False, 0.0, NOT_RUN) for name, args in calls]


def build_tools(turn: Turn, evidence: Evidence) -> list[BaseTool]:
    """The four tools for ``turn``, recording into ``evidence``, described in terms of the turn's card."""
    from langchain_core.tools import StructuredTool

    from agent.core.card_prompt import describe_tool

    toolbox = Toolbox(turn, evidence)
    return [
        StructuredTool.from_function(func=traced(evidence, name, getattr(toolbox, name)), name=name,
                                     description=describe_tool(description, turn.records), args_schema=schema)
        for name, schema, description in TOOL_SPECS
    ]


def tool_error_message(exc: Exception, request: object = None) -> str:
    """The one line a failed tool call returns to the model."""
    if isinstance(exc, OutputExists):
        return f"error: {exc} (files are never replaced: name another output, or leave it out for a fresh name)"
    if isinstance(exc, UserError):
        return f"error: {exc}"
    detail = " ".join(str(exc).split())[:300]
    return f"error: {type(exc).__name__}: {detail}" if detail else f"error: {type(exc).__name__}"
