"""Haze: the dark channel prior (He, Sun & Tang 2009), guarded against bright flat content."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from tools.analyzer.measurement import Measurement, TOO_SMALL, gray_float, graded, rounded, too_small

PATCH = 15
NEAR_WHITE = 225
MAX_SIDE = 256  # haze is a low-frequency property: measured on a subsampled copy


@dataclass(kw_only=True)
class HazeMeasurement(Measurement):
    """``dark_channel`` is the median dark-channel value (0..255) outside bright flat areas."""

    dark_channel: float | None = None
    contrast: float | None = None
    bright_flat_fraction: float | None = None


def dark_channel(pixels: np.ndarray, patch: int = PATCH) -> np.ndarray:
    """Per-pixel minimum over channels and a ``patch`` x ``patch`` neighbourhood."""
    lowest = pixels if pixels.ndim == 2 else pixels.min(axis=2)
    return ndimage.minimum_filter(lowest, size=patch, mode="nearest").astype(np.float64)


def measure_haze(pixels: np.ndarray) -> HazeMeasurement:
    """Haze lifts the dark channel and lowers contrast; white paper or walls only lift it."""
    if too_small(pixels):
        return HazeMeasurement(evidence=TOO_SMALL)
    step = -(-max(pixels.shape[:2]) // MAX_SIDE)
    pixels = pixels[::step, ::step]
    dark = dark_channel(pixels, max(3, PATCH // step | 1))
    luma = gray_float(pixels)
    local_std = np.sqrt(np.maximum(ndimage.uniform_filter(luma**2, 7) - ndimage.uniform_filter(luma, 7) ** 2, 0))
    bright_flat = (luma >= NEAR_WHITE) & (local_std < 4)
    bright_flat_fraction = float(bright_flat.mean())
    rest = dark[~bright_flat]
    level = float(np.median(rest)) if rest.size else 0.0
    contrast = float(luma.std())
    # Haze lowers contrast; a high-contrast image with a bright dark channel is bright content, not haze.
    score = level * min(1.0, 45.0 / max(contrast, 1e-6))
    guarded = bright_flat_fraction > 0.4
    confidence = 0.4 if pixels.ndim == 2 else (0.5 if guarded else 0.7)
    evidence = f"median dark channel {level:.0f}/255, contrast {contrast:.0f}"
    if guarded:
        evidence += f"; {bright_flat_fraction:.0%} bright flat area (paper/wall), not read as haze"
    result = HazeMeasurement(dark_channel=rounded(level), contrast=rounded(contrast),
                             bright_flat_fraction=rounded(bright_flat_fraction, 3), **graded(score, 70, 105, 140),
                             confidence=confidence, evidence=evidence)
    if guarded:
        result.clear()
    return result
