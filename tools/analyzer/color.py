"""Color cast: how far the mean chroma sits from neutral, relative to the chroma spread."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skimage.color import rgb2lab

from tools.analyzer.measurement import Measurement, graded, rounded

MAX_SIDE = 128  # the mean chroma is stable on a subsampled copy


@dataclass(kw_only=True)
class ColorMeasurement(Measurement):
    """Mean a*/b* (CIELAB) and the cast factor (distance of the mean from neutral over the spread)."""

    mean_a: float | None = None
    mean_b: float | None = None
    cast_factor: float | None = None
    direction: str | None = None


def _direction(a: float, b: float) -> str:
    names = []
    if abs(b) >= 2:
        names.append("yellow" if b > 0 else "blue")
    if abs(a) >= 2:
        names.append("red/magenta" if a > 0 else "green")
    return "-".join(names) or "neutral"


def measure_color(pixels: np.ndarray) -> ColorMeasurement:
    """Cast factor after Gasparini & Schettini (2004): D / sigma of the chroma distribution."""
    if pixels.ndim == 2:
        return ColorMeasurement(evidence="gray image: no color cast", confidence=1.0)
    step = max(1, max(pixels.shape[:2]) // MAX_SIDE)
    lab = rgb2lab(pixels[::step, ::step])
    a, b = lab[..., 1].ravel(), lab[..., 2].ravel()
    mean_a, mean_b = float(a.mean()), float(b.mean())
    spread = float(np.hypot(a.std(), b.std()))
    factor = float(np.hypot(mean_a, mean_b) / (spread + 1.0))
    direction = _direction(mean_a, mean_b)
    return ColorMeasurement(mean_a=rounded(mean_a), mean_b=rounded(mean_b), cast_factor=rounded(factor),
                            direction=direction, **graded(factor, 1.0, 2.0, 3.5), confidence=0.6,
                            evidence=f"mean chroma a*={mean_a:.1f}, b*={mean_b:.1f} ({direction}), "
                                     f"cast factor {factor:.2f}")
