"""Overall no-reference quality: PIQE (Venkatanath et al. 2015) from the `pypiqe` package, offline."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.analyzer.measurement import Measurement, TOO_SMALL, graded, rounded, too_small

CROP = 192  # PIQE runs block by block in Python; the central crop keeps it fast on large photos


@dataclass(kw_only=True)
class QualityMeasurement(Measurement):
    """PIQE score 0..100: lower is better (0-20 excellent, 21-35 good, 36-50 fair, 51-80 poor, 81+ bad)."""

    piqe: float | None = None
    region: str | None = None


def central_crop(pixels: np.ndarray, size: int = CROP) -> np.ndarray:
    h, w = pixels.shape[:2]
    top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return pixels[top:top + size, left:left + size]


def measure_quality(pixels: np.ndarray) -> QualityMeasurement:
    """PIQE on the central 192x192 region (the whole image when smaller)."""
    if too_small(pixels):
        return QualityMeasurement(evidence=TOO_SMALL)
    from pypiqe import piqe

    crop = central_crop(pixels)
    if crop.ndim == 3:
        crop = np.ascontiguousarray(crop[..., ::-1])  # pypiqe converts with OpenCV's BGR order
    score = float(piqe(crop)[0])
    region = f"central {crop.shape[1]}x{crop.shape[0]}"
    return QualityMeasurement(piqe=rounded(score), region=region, **graded(score, 36, 51, 81),
                              confidence=0.5, evidence=f"PIQE {score:.1f} on the {region} region (lower is better)")
