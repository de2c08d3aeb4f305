"""Run every measurement on one photo and collect findings: ``analyze(image) -> Analysis``."""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tools.analyzer.blur import BlurMeasurement, measure_blur
from tools.analyzer.color import ColorMeasurement, measure_color
from tools.analyzer.exposure import ExposureMeasurement, measure_exposure
from tools.analyzer.finding import Finding
from tools.analyzer.haze import HazeMeasurement, measure_haze
from tools.analyzer.jpeg import JpegMeasurement, measure_jpeg
from tools.analyzer.measurement import SEVERITIES, Measurement
from tools.analyzer.noise import NoiseMeasurement, measure_noise
from tools.analyzer.quality import QualityMeasurement, measure_quality
from tools.analyzer.recommend import Recommendation, recommend
from tools.analyzer.resolution import ResolutionMeasurement, measure_resolution
from tools.imageio import LoadedImage, detail_region, load_image
from tools.records import Record

PROVEN_JPEG = ("quantization-tables", "dct-histogram")  # JpegMeasurement.method values that prove compression
MIXED_MIN_FINDINGS = 3  # this many distinct findings, one of them severe, read as real-world mixed degradation


@dataclass
class Analysis:
    """Everything measured on one image, the findings and (given records) the recommendations."""

    image: str
    width: int
    height: int
    mode: str
    noise: NoiseMeasurement
    blur: BlurMeasurement
    jpeg: JpegMeasurement
    exposure: ExposureMeasurement
    haze: HazeMeasurement
    color: ColorMeasurement
    resolution: ResolutionMeasurement
    quality: QualityMeasurement
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    seconds: float = 0.0

    MEASUREMENTS = ("noise", "blur", "jpeg", "exposure", "haze", "color", "resolution", "quality")

    @property
    def suggested_noise_level(self) -> int | None:
        """SwinIR noise-level checkpoint (15/25/50) for Gaussian-like noise, else None."""
        return self.noise.suggested_level

    def main_degradation(self, among: Sequence[str] | None = None) -> str:
        """The strongest finding (optionally only among ``among``), or "none"."""
        candidates = [f for f in self.findings if f.severity != "none" and not f.explained_by
                      and (among is None or f.degradation in among)]
        return max(candidates, key=lambda f: f.score).degradation if candidates else "none"

    def to_dict(self) -> dict:
        data = {"image": self.image, "width": self.width, "height": self.height, "mode": self.mode}
        data.update({name: getattr(self, name).to_dict() for name in self.MEASUREMENTS})
        data["suggested_noise_level"] = self.suggested_noise_level
        data["notes"] = list(self.notes)
        data["findings"] = [f.to_dict() for f in self.findings]
        data["recommendations"] = [asdict(r) for r in self.recommendations]
        data["seconds"] = round(self.seconds, 4)
        return data


def _jpeg_explains_blur(found: list[Finding], jpeg: JpegMeasurement) -> None:
    """Mark a mild blur as explained by JPEG compression proven by the file's tables or the DCT lattice.

    Quantization removes fine detail, and mild blur overlaps the photos' own softness, so with certain
    evidence of compression the compression is the main degradation.
    """
    if jpeg.severity == "none" or jpeg.method not in PROVEN_JPEG:
        return
    for f in found:
        if f.degradation == "blur" and f.severity == "mild":
            f.explained_by = "jpeg"
            f.evidence += "; may come from the JPEG compression"


def _findings(measured: dict[str, Measurement]) -> list[Finding]:
    noise = measured["noise"]
    sources = {
        "gaussian-noise" if noise.suggested_level is not None else "noise": noise,  # noise the weights fit
        "blur": measured["blur"],
        "jpeg": measured["jpeg"],
        "low-light": measured["exposure"],
        "haze": measured["haze"],
        "low-resolution": measured["resolution"],
    }
    found = [Finding(name, m.severity, m.evidence, m.score) for name, m in sources.items() if m.severity != "none"]
    _jpeg_explains_blur(found, measured["jpeg"])
    degradations = [f for f in found if f.degradation != "low-resolution"]
    if len(degradations) >= MIXED_MIN_FINDINGS and any(f.severity == "severe" for f in degradations):
        names = ", ".join(f.degradation for f in degradations)
        top = max(f.score for f in degradations)
        found.append(Finding("real-world-mixed", "severe", f"{len(degradations)} degradations at once ({names})", top))
    return sorted(found, key=lambda f: (-SEVERITIES.index(f.severity), -f.score))


def analyze(image: str | Path | LoadedImage, records: Sequence[Record] | None = None) -> Analysis:
    """Measure noise, blur, JPEG, exposure, haze, color, resolution and quality; recommend from ``records``."""
    start = time.perf_counter()
    loaded = image if isinstance(image, LoadedImage) else load_image(image)
    pixels = loaded.pixels
    detail, detail_note = detail_region(pixels)  # bounded memory on large photos (the others downscale)
    noise = measure_noise(detail)
    measured: dict[str, Measurement] = {
        "noise": noise,
        "blur": measure_blur(detail, noise.sigma or 0.0),
        "jpeg": measure_jpeg(detail, loaded.path if loaded.format == "JPEG" else None),
        "exposure": measure_exposure(pixels),
        "haze": measure_haze(pixels),
        "color": measure_color(pixels),
        "resolution": measure_resolution(pixels),
        "quality": measure_quality(pixels),
    }
    analysis = Analysis(image=str(loaded.path), width=loaded.width, height=loaded.height,
                        mode=loaded.source_mode or ("L" if loaded.is_gray else "RGB"), notes=[*loaded.notes, *([detail_note] if detail_note else [])],
                        findings=_findings(measured), **measured)
    if records:
        analysis.recommendations = recommend(analysis.findings, analysis.suggested_noise_level, records)
    analysis.seconds = time.perf_counter() - start
    return analysis
