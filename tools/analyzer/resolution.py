"""Resolution: small images that call for super-resolution."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.analyzer.measurement import Measurement, graded

FULL_SIDE = 384  # pixels on the longer side below which super-resolution is suggested


@dataclass(kw_only=True)
class ResolutionMeasurement(Measurement):
    width: int = 0
    height: int = 0
    megapixels: float = 0.0


def measure_resolution(pixels: np.ndarray) -> ResolutionMeasurement:
    """Graded by the longer side: under 384, 192 and 96 pixels are mild, moderate and severe."""
    height, width = pixels.shape[:2]
    longest = max(height, width)
    grade = graded(FULL_SIDE / longest, 1.0001, 2.0, 4.0)
    note = "" if grade["severity"] == "none" else "; super-resolution would help for display or print"
    return ResolutionMeasurement(width=int(width), height=int(height), megapixels=round(width * height / 1e6, 3),
                                 **grade, confidence=1.0,
                                 evidence=f"{width}x{height} pixels (longer side {longest}){note}")
