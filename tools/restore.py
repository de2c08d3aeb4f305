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
    from tools.analyzer.method_noise import ResidualCheck
    from tools.cancel import CancelToken
    from tools.records import Record
    from tools.swinir.service import DenoiseResult

Progress = Callable[[int, int], None]
PhotoKey = tuple[str, int, int]


@dataclass(frozen=True)
class RestoreRequest:
    """How to restore one photo. ``noise_level`` names a checkpoint level and overrides the analysis;
    ``force`` runs the denoiser even where the analysis would not (an explicit request; a level or weights alone
    only say how to run, not whether); ``match`` False runs the network as its authors' test script does (no
    contrast matching to the measured noise); ``check`` measures the
    output with the analyzer and checks what the run removed; ``cancel`` stops the run (nothing is written);
    ``overwrite`` False refuses an existing output (:class:`~tools.errors.OutputExists`) before any work (True
    for callers that checked the output themselves). A 16-bit photo keeps its depth where the output format
    holds it, and the result's notes say so or say why not. ``device``: a GPU named and absent is refused before
    any work."""

    output: Path
    noise_level: int | None = None
    weights: str | None = None
    tile: int | None = None
    overlap: int | None = None
    ensemble: bool = False
    reference: Path | None = None
    force: bool = False
    check: bool = True
    cancel: CancelToken | None = None  # checked between steps and tile batches (default: the ambient token)
    overwrite: bool = True
    max_memory: float | None = None  # bytes for the network's working set (default: the device's, tools.swinir.device)
    precision: str = "fp32"  # or "bf16", "fp16" (denoise --precision)
    match: bool = True
    device: str = "auto"  # where the network runs: auto, cpu, cuda or mps (tools.swinir.device)


NOT_RUN, RESTORED, CHECK_FAILED, DENOISED = "not-run", "restored", "check-failed", "denoised"


@dataclass(frozen=True)
class Decision:
    """What the policy chose for a photo: whether to denoise, at which checkpoint level, matched to which sigma.
    ``finding`` is what the analysis measured, in words; ``forced``: runs only because it was asked for."""

    denoise: bool
    noise_level: int | None
    noise_sigma: float | None
    reason: str
    forced: bool = False
    finding: str = ""

    @property
    def notice(self) -> str | None:
        """The line every surface shows *before* a forced run (None for a run the analysis chose)."""
        return f"{self.finding}; running anyway because you asked" if self.forced else None

    def to_dict(self) -> dict:
        return {"denoise": self.denoise, "noise_level": self.noise_level, "noise_sigma": self.noise_sigma,
                "reason": self.reason, "forced": self.forced, "notice": self.notice}


class NotDenoised(UserError):
    """The analysis would not run the denoiser on this photo, and nothing asked to run it anyway."""

    def __init__(self, photo: str | Path, decision: Decision) -> None:
        self.decision = decision
        super().__init__(f"not denoised: {Path(photo).name} has {decision.reason}")


@dataclass
class RestoreResult:
    """One photo through the pipeline: its analysis, the decision, the denoise run, the output's analysis."""

    input: str
    analysis: Analysis
    decision: Decision
    run: DenoiseResult | None
    after: Analysis | None = None
    check: ResidualCheck | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """``not-run``, ``restored`` (the check passed), ``check-failed``, or ``denoised`` (not checked)."""
        if self.run is None:
            return NOT_RUN
        if self.check is None:
            return DENOISED
        return RESTORED if self.check.ok else CHECK_FAILED

    @property
    def warnings(self) -> list[str]:
        """What a reader must not miss: a run the analysis would not have made, and what the check found wrong."""
        return [*([self.decision.notice] if self.decision.forced else []),
                *(self.check.problems if self.check is not None else [])]

    @property
    def notes(self) -> list[str]:
        """Everything to know about the run: the warnings, then the run's routine notes (noise matched, depth)."""
        return [*self.warnings, *(self.run.notes if self.run else [])]

    @property
    def caption(self) -> str:
        """What the output is, in a few words: never "restored" unless the check passed."""
        if self.run is None:
            return "not denoised"
        if self.status == CHECK_FAILED:
            return f"denoised (check failed: {self.check.problems[0]})"
        return f"{'restored' if self.status == RESTORED else 'denoised'} ({self.run.model})"

    def to_json(self) -> dict:
        """The compact JSON a tool returns: the denoise run's figures (``seconds``: the whole denoise step), its
        notes, the decision and the check."""
        data = {**self.run.to_json(), "notes": list(self.run.notes)} if self.run else {"input": self.input}
        if "denoise" in self.seconds:
            data["seconds"] = self.seconds["denoise"]  # the whole step, as step times report it
        data["decision"] = self.decision.to_dict()
        data["status"] = self.status
        data["before"] = noise_summary(self.analysis)
        if self.after is not None:
            data["after"] = noise_summary(self.after)
        if self.check is not None:
            data["check"] = self.check.to_dict()
        return data


def noise_summary(analysis: Analysis) -> dict:
    """The noise of a photo as tools report it: level with its range, kind, confidence, words; and PIQE."""
    noise = analysis.noise
    return {"noise_sigma": noise.sigma, "noise_low": noise.low, "noise_high": noise.high, "noise_kind": noise.kind,
            "confidence": noise.confidence, "evidence": noise.evidence, "piqe": analysis.quality.piqe}


def photo_key(path: str | Path) -> PhotoKey:
    """Identity of a photo file's current content: resolved path, modification time and size."""
    from tools.imageio import photo_stat

    source = Path(path).expanduser()
    stat = photo_stat(source)  # a one-line error for a missing file, a folder, a pipe or a device
    return str(source.resolve()), stat.st_mtime_ns, stat.st_size


def analyze_photo(path: str | Path, records: Sequence[Record] = ()) -> Analysis:
    """The analyzer on a photo file, with recommendations from ``records``."""
    from tools.analyzer import analyze

    photo_key(path)  # a one-line error for a missing file
    return analyze(Path(path).expanduser(), list(records))


def decide(analysis: Analysis, noise_level: int | None = None, weights: str | None = None,
           force: bool = False, match: bool = True) -> Decision:
    """The restoration policy, the same on every surface: the analysis decides, ``force`` overrides it.

    The denoiser runs on noise the shipped white-noise weights fit once matched (white, luminance-only,
    signal-dependent: the analyzer suggests a level); on a photo with no visible noise, or with grain, it
    does not run unless ``force`` asks for it, and the reason quotes the measurement. A level or weights
    only say how to run. The checkpoint level is the one asked for, else the suggested one; the photo's
    noise is matched to the weights' training noise at the measured sigma unless another level was asked
    for or ``match`` is off.
    """
    noise = analysis.noise
    suggested = analysis.suggested_noise_level
    if suggested is None and not force:
        return Decision(False, None, None, _why_not(noise), finding=noise.evidence)
    level = noise_level if noise_level is not None else (None if weights else suggested)
    matched = (match and noise.sigma is not None and noise.sigma > 0 and suggested is not None
               and noise_level in (None, suggested))
    sigma = noise.sigma if matched else None
    if noise_level is not None:
        reason = f"noise level {noise_level} as asked"
    elif weights:
        reason = f"the weights asked for ({weights})"
    elif suggested is not None:
        reason = f"{noise.evidence}: the noise-{suggested} checkpoint"
    else:
        reason = "the default checkpoint, as asked"
    if sigma is not None:
        reason += f", matched to the measured sigma {sigma:.1f}"
    elif not match:
        reason += ", unmatched (the network run as its authors' test script runs it)"
    if suggested is None:
        reason += f"; the analysis alone would not run it, since it found {_why_not(noise)}"
    if noise.kind in ("luminance", "signal-dependent") and level is not None:
        reason += ("; the weights expect independent noise in each channel" if noise.kind == "luminance" else
                   "; one sigma for all brightness levels, so bright areas may keep some noise")
    return Decision(True, level, sigma, reason, forced=suggested is None, finding=noise.evidence)


def _why_not(noise) -> str:
    """Why the policy does not run the denoiser on this noise, quoting the measurement."""
    if noise.kind == "correlated":
        return (f"{noise.evidence}: the shipped weights are trained on white noise, and on grain they would "
                "soften detail and leave blotches")
    if noise.kind == "none":
        return f"{noise.evidence}: denoising would only remove detail"
    return f"{noise.evidence}: no checkpoint level fits it"


def restore(photo: str | Path, request: RestoreRequest, records: Sequence[Record] = (),
            analysis: Analysis | None = None, progress: Progress | None = None,
            announce: Callable[[Decision], None] | None = None) -> RestoreResult:
    """Run ``photo`` through analyze -> decide -> denoise -> check; ``analysis`` skips the first step.
    ``announce`` hears the decision before any denoising (a surface shows a forced run's notice there)."""
    from tools.cancel import checked, current, stoppable_networks
    from tools.fileio import check_output_path
    from tools.imageio import check_output_fits
    from tools.swinir.device import check_run
    from tools.swinir.service import check_denoisable, denoise_file, keep_source_depth

    check_output_path(request.output, Path(photo).expanduser(), *([request.reference] if request.reference else []),
                      force=request.overwrite)
    check_output_fits(request.output, Path(photo).expanduser())  # a format too small for the photo, now
    check_run(request.device, request.precision)  # a GPU named and absent, or a precision it cannot run, now
    work = current()  # the caller's token and progress sinks, where none are passed
    token, name = request.cancel or work.token, Path(photo).name
    progress = checked(progress or work.progress, token)
    step = work.step or (lambda _: None)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if analysis is None:
        step(f"analyzing {name}")
        analysis = analyze_photo(photo, records)
        seconds["analyze"] = round(time.perf_counter() - started, 3)
    check_denoisable(analysis.width, analysis.height, photo)
    decision = decide(analysis, request.noise_level, request.weights, request.force, request.match)
    if announce is not None:
        announce(decision)
    run = None
    if decision.denoise:
        if token is not None:
            token.check()
        step(f"denoising {name}")
        started = time.perf_counter()
        with stoppable_networks(token), keep_source_depth():
            run = denoise_file(Path(photo).expanduser(), request.output, noise_level=decision.noise_level,
                               weights=request.weights, tile=request.tile, overlap=request.overlap,
                               reference=request.reference, progress=progress, noise_sigma=decision.noise_sigma,
                               ensemble=request.ensemble, overwrite=request.overwrite,
                               max_memory=request.max_memory, precision=request.precision, match=request.match,
                               device=request.device)
        seconds["denoise"] = round(time.perf_counter() - started, 3)
    after = check = None
    if run is not None and request.check:  # written: the step is done, so no cancel from here on
        step(f"checking {Path(run.output).name}")
        started = time.perf_counter()
        after, check = check_output(photo, run.output, analysis)
        seconds["check"] = round(time.perf_counter() - started, 3)
    return RestoreResult(str(photo), analysis, decision, run, after, check, seconds)


def check_output(photo: str | Path, output: str | Path, before: Analysis) -> tuple[Analysis, ResidualCheck]:
    """The output's analysis and the method-noise check: what the run removed against the noise measured on
    its input, and the no-reference score before and after."""
    from tools.analyzer import analyze
    from tools.analyzer.method_noise import check_residual
    from tools.imageio import load_image

    restored = load_image(output)
    after = analyze(restored)
    check = check_residual(load_image(Path(photo).expanduser()).pixels, restored.pixels,
                           before.noise.sigma, before.noise.kind, before.quality.piqe, after.quality.piqe)
    return after, check


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
        "noise_low": analysis.noise.low,
        "noise_high": analysis.noise.high,
        "noise_kind": analysis.noise.kind,
        "noise_confidence": analysis.noise.confidence,
        "gaussian_like": analysis.noise.gaussian_like,
        "suggested_noise_level": analysis.suggested_noise_level,
        "decision": decide(analysis).to_dict(),
        "findings": [finding.to_dict() for finding in analysis.findings],
        "recommendations": [rec.to_dict() for rec in analysis.recommendations],
        "seconds": round(analysis.seconds, 3),
    }
