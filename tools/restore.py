"""The one restoration pipeline: analyze -> decide -> denoise -> check, for one photo.

Every surface that restores a photo (the agent's ``denoise_image`` tool, chat's ``/denoise``, ``demo``,
``report``) calls :func:`restore`, so the policy of :func:`decide` is written once. A caller that has
already analysed the photo passes the analysis in; a :class:`RestoreResult` is passed on, not recomputed.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tools.errors import UserError

if TYPE_CHECKING:
    from tools.analyzer import Analysis
    from tools.records import Record
    from tools.swinir.service import DenoiseResult

Progress = Callable[[int, int], None]
PhotoKey = tuple[str, int, int]


@dataclass(frozen=True)
class RestoreRequest:
    """How to restore one photo. ``noise_level`` names a checkpoint level and overrides the analysis;
    ``check`` measures the output with the analyzer."""

    output: Path
    noise_level: int | None = None
    weights: str | None = None
    tile: int | None = None
    overlap: int | None = None
    ensemble: bool = False
    reference: Path | None = None
    check: bool = True


@dataclass(frozen=True)
class Decision:
    """What the policy chose for a photo: whether to denoise, at which checkpoint level, matched to which sigma."""

    denoise: bool
    noise_level: int | None
    noise_sigma: float | None
    reason: str

    def to_dict(self) -> dict:
        return {"denoise": self.denoise, "noise_level": self.noise_level, "noise_sigma": self.noise_sigma,
                "reason": self.reason}


@dataclass
class RestoreResult:
    """One photo through the pipeline: its analysis, the decision, the denoise run, the output's analysis."""

    input: str
    analysis: Analysis
    decision: Decision
    run: DenoiseResult | None
    after: Analysis | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        """The compact JSON a tool returns: the denoise run's figures (``seconds``: the whole denoise step), its
        notes, the decision and the check."""
        data = {**self.run.to_json(), "notes": list(self.run.notes)} if self.run else {"input": self.input}
        if "denoise" in self.seconds:
            data["seconds"] = self.seconds["denoise"]  # the whole step, as step times report it
        data["decision"] = self.decision.to_dict()
        if self.after is not None:
            data["after"] = {"noise_sigma": self.after.noise.sigma, "piqe": self.after.quality.piqe}
        return data


def photo_key(path: str | Path) -> PhotoKey:
    """Identity of a photo file's current content: resolved path, modification time and size."""
    source = Path(path).expanduser()
    if not source.is_file():
        raise UserError(f"no such file: {path}")
    stat = source.stat()
    return str(source.resolve()), stat.st_mtime_ns, stat.st_size


def analyze_photo(path: str | Path, records: Sequence[Record] = ()) -> Analysis:
    """The analyzer on a photo file, with recommendations from ``records``."""
    from tools.analyzer import analyze

    photo_key(path)  # a one-line error for a missing file
    return analyze(Path(path).expanduser(), list(records))


def decide(analysis: Analysis, noise_level: int | None = None, weights: str | None = None) -> Decision:
    """The restoration policy.

    The checkpoint level is the one asked for, else (without named weights) the one the analysis
    suggests. The photo's noise is matched to the weights' training noise at the analyzer's sigma when
    the noise is Gaussian-like and no other level was asked for; otherwise at the checkpoint's level.
    """
    suggested = analysis.suggested_noise_level
    level = noise_level if noise_level is not None else (None if weights else suggested)
    matched = analysis.noise.gaussian_like and noise_level in (None, suggested)
    sigma = analysis.noise.sigma if matched else None
    if noise_level is not None:
        reason = f"noise level {noise_level} as asked"
    elif weights:
        reason = f"the weights asked for ({weights})"
    elif suggested is not None:
        reason = f"the analyzer suggests the noise-{suggested} checkpoint"
    else:
        reason = "the analyzer suggests no noise level: the default checkpoint"
    if sigma is not None:
        reason += f", matched to the measured sigma {sigma:.1f}"
    return Decision(True, level, sigma, reason)


def restore(photo: str | Path, request: RestoreRequest, records: Sequence[Record] = (),
            analysis: Analysis | None = None, progress: Progress | None = None) -> RestoreResult:
    """Run ``photo`` through analyze -> decide -> denoise -> check; ``analysis`` skips the first step."""
    from tools.swinir.service import denoise_file

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if analysis is None:
        analysis = analyze_photo(photo, records)
        seconds["analyze"] = round(time.perf_counter() - started, 3)
    decision = decide(analysis, request.noise_level, request.weights)
    run = None
    if decision.denoise:
        started = time.perf_counter()
        run = denoise_file(Path(photo).expanduser(), request.output, noise_level=decision.noise_level,
                           weights=request.weights, tile=request.tile, overlap=request.overlap,
                           reference=request.reference, progress=progress, noise_sigma=decision.noise_sigma,
                           ensemble=request.ensemble)
        seconds["denoise"] = round(time.perf_counter() - started, 3)
    after = None
    if run is not None and request.check:
        started = time.perf_counter()
        after = analyze_photo(run.output)
        seconds["check"] = round(time.perf_counter() - started, 3)
    return RestoreResult(str(photo), analysis, decision, run, after, seconds)


def default_output(source: str | Path, output_dir: Path | None = None) -> Path:
    """Where a restored photo goes when no output is named: ``<stem>.denoised.png`` beside it or in ``output_dir``."""
    source = Path(source).expanduser()
    return (output_dir or source.parent) / f"{source.stem}.denoised.png"


def analysis_summary(analysis: Analysis, path: str | Path) -> dict:
    """The compact JSON of an analysis that tools return: size, noise, findings, recommendations."""
    return {
        "path": str(path),
        "width": analysis.width,
        "height": analysis.height,
        "noise_sigma": analysis.noise.sigma,
        "gaussian_like": analysis.noise.gaussian_like,
        "suggested_noise_level": analysis.suggested_noise_level,
        "findings": [finding.to_dict() for finding in analysis.findings],
        "recommendations": [rec.to_dict() for rec in analysis.recommendations],
        "seconds": round(analysis.seconds, 3),
    }
