"""The paragraph a photo answer opens with, one per photo of the turn, before the records' overview.

Each says what was measured (the noise sigma with its range, kind and confidence, and the other findings), what
was done (a forced run's notice first; or why nothing ran, quoting the measurement, and how to run it anyway),
the file written and the check's verdict, from the turn's tool results (plain dicts) and nothing else.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agent.core.run_prose import forced_notice, run_sentences, unasked_sentence
from agent.core.tool_prose import analysis_path, analysis_sentence, failure_sentence

PHOTO_TOOLS = ("analyze_image", "denoise_image")


@dataclass
class PhotoFacts:
    """What the turn's tools found and did for one photo."""

    name: str
    analysis: Mapping | None = None
    runs: list[Mapping] = field(default_factory=list)
    failures: list[Mapping] = field(default_factory=list)

    @property
    def measured(self) -> Mapping | None:
        """The photo's analysis, else the noise its denoise run measured before running."""
        if self.analysis is not None:
            return self.analysis
        before = next((run["before"] for run in self.runs if isinstance(run.get("before"), Mapping)), None)
        return {**before, "path": self.name} if before is not None else None

    def paragraph(self) -> str:
        """The photo in one paragraph: a forced run's notice first (it says the measurement), else what the
        analysis measured; then each run, the failed calls, or what the analysis would do if asked."""
        said = [notice for notice in map(forced_notice, self.runs) if notice]
        if self.measured is not None:
            said.append(analysis_sentence(self.measured, noise_said=bool(said)))
        for run in self.runs:
            said += run_sentences(run, " ".join(said))
        said += [failure_sentence(failure) for failure in self.failures]
        if self.analysis is not None and not self.runs and not self.failures:
            said.append(unasked_sentence(self.analysis, " ".join(said)))
        return " ".join(sentence for sentence in said if sentence)


    def outcome(self) -> dict:
        """What became of the photo, for a line under the answer and for ``--json``: the noise measured, the last
        run's status, caption, output and notice (``analysed`` where nothing was asked, ``failed`` where a call
        failed)."""
        measured = self.measured or {}
        run = self.runs[-1] if self.runs else {}
        status = run.get("status") or ("failed" if self.failures else "analysed")
        return {"path": self.name, "noise_sigma": measured.get("noise_sigma"), "noise_kind": measured.get("noise_kind"),
                "status": status, "caption": run.get("caption"), "output": run.get("output"),
                "notice": (run.get("decision") or {}).get("notice")}


def photo_outcomes(analyses: Sequence[Mapping], runs: Sequence[Mapping], failures: Sequence[Mapping] = ()) -> list[dict]:
    """Each photo of the turn and what became of it (:meth:`PhotoFacts.outcome`)."""
    return [facts.outcome() for facts in photo_facts(analyses, runs, failures)[0]]


def photo_facts(analyses: Sequence[Mapping], runs: Sequence[Mapping],
                failures: Sequence[Mapping] = ()) -> tuple[list[PhotoFacts], list[Mapping]]:
    """The turn's photos in the order the tools first met them, and the failed calls that concern no photo."""
    photos: dict[str, PhotoFacts] = {}

    def facts(path: str) -> PhotoFacts:
        return photos.setdefault(_identity(path), PhotoFacts(path))

    for analysis in analyses:
        facts(analysis_path(analysis)).analysis = analysis
    for run in runs:
        facts(str(run.get("input") or "the photo")).runs.append(run)
    others = []
    for failure in failures:
        path = (failure.get("args") or {}).get("path")
        if failure.get("name") in PHOTO_TOOLS and isinstance(path, str) and path:
            facts(path).failures.append(failure)
        else:
            others.append(failure)
    return list(photos.values()), others


def _identity(path: str) -> str:
    """One name for a photo however a call wrote it (relative, with ``~``, through a link)."""
    try:
        return str(Path(path).expanduser().resolve())
    except (OSError, RuntimeError, ValueError):
        return path
