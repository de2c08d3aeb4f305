"""The common shape of every measurement: numbers with units, a severity and a confidence."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

SEVERITIES = ("none", "mild", "moderate", "severe")
TOO_SMALL = "too small to measure"
MIN_SIDE = 32  # pixels: below this, texture-based measurements are not attempted


@dataclass(kw_only=True)
class Measurement:
    """Base of every measurement. ``evidence`` says in words what was seen."""

    severity: str = "none"
    score: float = 0.0
    confidence: float = 0.0
    evidence: str = ""

    def to_dict(self) -> dict:
        return {key: _plain(value) for key, value in asdict(self).items()}

    @property
    def rank(self) -> int:
        """0 (none) .. 3 (severe), for ordering findings."""
        return SEVERITIES.index(self.severity)

    def clear(self) -> None:
        """Reset to no finding (used where a guard overrides the measured level)."""
        self.severity, self.score = "none", 0.0


def level(value: float, mild: float, moderate: float, severe: float) -> float:
    """Continuous severity 0..4: 1, 2 and 3 at the mild, moderate and severe thresholds (ascending)."""
    if value < mild:
        return max(0.0, min(1.0, value / mild)) if mild > 0 else 0.0
    if value < moderate:
        return 1.0 + (value - mild) / (moderate - mild)
    if value < severe:
        return 2.0 + (value - moderate) / (severe - moderate)
    return min(4.0, 3.0 + (value - severe) / (severe - moderate))


def graded(value: float, mild: float, moderate: float, severe: float) -> dict:
    """``severity`` and ``score`` fields for a measurement (higher value is worse)."""
    score = float(level(float(value), mild, moderate, severe))
    return {"severity": SEVERITIES[min(3, int(score))], "score": round(score, 3)}


def too_small(pixels: np.ndarray, min_side: int = MIN_SIDE) -> bool:
    """True when the image is too small for a texture-based measurement."""
    return min(pixels.shape[:2]) < min_side


def gray_float(pixels: np.ndarray) -> np.ndarray:
    """Luma (ITU-R BT.601) as float64 on the 0..255 scale."""
    if pixels.ndim == 2:
        return pixels.astype(np.float64)
    return pixels[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _plain(value):
    """JSON-friendly version of numpy scalars, tuples and nested containers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float):
        return round(value, 4)
    return value
