"""Low light and exposure: luminance percentiles and clipped shadows/highlights."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.analyzer.measurement import Measurement, gray_float, graded, rounded

SHADOW, HIGHLIGHT = 3, 252  # luma at or beyond these counts as clipped
MAX_SIDE = 256  # percentiles are read on a subsampled copy


@dataclass(kw_only=True)
class ExposureMeasurement(Measurement):
    """Luma percentiles (0..255) and the clipped fractions; severity is for under-exposure (low light)."""

    mean: float | None = None
    p1: float | None = None
    p50: float | None = None
    p99: float | None = None
    clipped_shadows: float | None = None
    clipped_highlights: float | None = None
    overexposed: bool = False


def measure_exposure(pixels: np.ndarray) -> ExposureMeasurement:
    """Under-exposure graded by the median and the brightest 1% (a dark scene with lamps is still dark)."""
    step = -(-max(pixels.shape[:2]) // MAX_SIDE)
    luma = gray_float(pixels[::step, ::step])
    p1, p50, p99 = np.percentile(luma, [1, 50, 99])
    shadows = float(np.mean(luma <= SHADOW))
    highlights = float(np.mean(luma >= HIGHLIGHT))
    darkness = max(0.0, 1.0 - p50 / 90.0) * (1.0 if p99 < 200 else 0.6)
    overexposed = highlights > 0.1 and p50 > 170
    parts = [f"median luma {p50:.0f}/255", f"1-99% range {p1:.0f}-{p99:.0f}",
             f"{shadows:.1%} clipped shadows", f"{highlights:.1%} clipped highlights"]
    if overexposed:
        parts.append("over-exposed")
    return ExposureMeasurement(
        mean=rounded(luma.mean()), p1=rounded(p1), p50=rounded(p50), p99=rounded(p99),
        clipped_shadows=rounded(shadows, 4), clipped_highlights=rounded(highlights, 4), overexposed=overexposed,
        **graded(darkness, 0.35, 0.6, 0.8), confidence=0.9 if luma.size >= 1024 else 0.5, evidence=", ".join(parts))
