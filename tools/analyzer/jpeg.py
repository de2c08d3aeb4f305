"""JPEG compression: quality from the file's quantization tables, or blockiness on an 8x8 grid."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from tools.analyzer.measurement import Measurement, TOO_SMALL, gray_float, graded, rounded, too_small

# The IJG (libjpeg) standard tables at quality 50, natural (row-major) order, as Pillow reports them.
IJG_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99])
IJG_CHROMA = np.full(64, 99)
IJG_CHROMA[[0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 24, 25]] = [17, 18, 24, 47, 18, 21, 26, 66, 24, 26, 56, 47, 66]
IJG_BASE = (IJG_LUMA, IJG_CHROMA)

BLOCKINESS_THRESHOLDS = (0.10, 0.35, 1.0)  # mild, moderate, severe (calibrated on re-saved CBSD432 files)


@dataclass(kw_only=True)
class JpegMeasurement(Measurement):
    """``quality`` is the IJG quality (1..100) read from the file, or None when not a JPEG file."""

    quality: int | None = None
    method: str = "none"
    exact: bool | None = None
    blockiness: float | None = None
    grid_offset: tuple[int, int] | None = None


def ijg_tables(quality: int) -> tuple[np.ndarray, np.ndarray]:
    """The luminance and chrominance tables libjpeg writes at ``quality`` (baseline, clamped to 1..255)."""
    quality = min(max(int(quality), 1), 100)
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return tuple(np.clip((base * scale + 50) // 100, 1, 255) for base in IJG_BASE)


_ALL_TABLES = {q: ijg_tables(q) for q in range(1, 101)}


def quality_from_tables(tables: dict[int, list[int]]) -> tuple[int, bool]:
    """IJG quality whose tables match ``tables`` (Pillow's ``quantization``); exact or closest."""
    given = [np.asarray(tables[k], dtype=np.int64) for k in sorted(tables)][:2]
    best_q, best_err = 0, None
    for q, ref in _ALL_TABLES.items():
        err = sum(int(np.abs(t - r).sum()) for t, r in zip(given, ref))
        if best_err is None or err < best_err:
            best_q, best_err = q, err
    return best_q, best_err == 0


def blockiness(gray: np.ndarray) -> tuple[float, tuple[int, int]]:
    """Excess of pixel differences across the strongest 8x8 grid over the other columns/rows.

    Returns the score (0 for no grid) and the grid offset (row, column) found by trying all eight.
    """
    scores, offsets = [], []
    for axis in (0, 1):
        diff = np.abs(np.diff(gray, axis=axis)).mean(axis=1 - axis)
        usable = len(diff) // 8 * 8
        profile = diff[:usable].reshape(-1, 8).mean(axis=0)
        peak = int(np.argmax(profile))
        rest = np.delete(profile, peak)
        scores.append((profile[peak] - rest.mean()) / (np.median(rest) + 0.5))
        offsets.append((peak + 1) % 8)
    return float(max(0.0, min(scores))), (offsets[0], offsets[1])


def read_quantization(path: Path | None) -> dict | None:
    """The file's JPEG quantization tables, or None when it is not a JPEG file."""
    if path is None:
        return None
    try:
        with Image.open(path) as img:
            return dict(img.quantization) if img.format == "JPEG" and getattr(img, "quantization", None) else None
    except OSError:
        return None


def measure_jpeg(pixels: np.ndarray, path: Path | None = None) -> JpegMeasurement:
    """Compression level: exact IJG quality for JPEG files, else a blockiness score."""
    tables = read_quantization(path)
    small = too_small(pixels, 16)
    score, offset = (None, None) if small else blockiness(gray_float(pixels))
    if tables:
        quality, exact = quality_from_tables(tables)
        how = "matches" if exact else "is closest to"
        return JpegMeasurement(
            quality=quality, method="quantization-tables", exact=exact, blockiness=rounded(score, 3),
            grid_offset=offset, **graded(100 - quality, 5, 21, 61), confidence=1.0 if exact else 0.7,
            evidence=f"JPEG file; quantization table {how} IJG quality {quality}")
    if small:
        return JpegMeasurement(method="blockiness", evidence=TOO_SMALL)
    grade = graded(score, *BLOCKINESS_THRESHOLDS)
    severity = grade["severity"]
    return JpegMeasurement(
        method="blockiness", blockiness=rounded(score, 3), grid_offset=offset, **grade,
        confidence=min(1.0, 0.5 + score) if severity != "none" else 0.6,
        evidence=(f"8x8 block edges at offset {offset}, blockiness {score:.2f}" if severity != "none"
                  else f"no 8x8 block grid (blockiness {score:.2f})"))
