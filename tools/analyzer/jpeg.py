"""JPEG compression: quality from the file's quantization tables, or blockiness on an 8x8 grid."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.fft import dctn

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

# Blockiness of 36 CBSD432 photos, grid-shifted then re-compressed: originals <= 0.16 (median 0.02), q75
# median 0.10, q50 0.22, q30 0.37, q10 1.0. Quality 90-95 cannot be told from clean by blockiness alone.
BLOCKINESS_THRESHOLDS = (0.06, 0.2, 0.6)  # mild, moderate, severe
# DCT-histogram test on the same photos: best IJG-quality score <= 0.47 for never-compressed content,
# >= 0.70 for decoded JPEGs of quality 30-95 (and the best quality was the true one).
DCT_THRESHOLD = 0.6
DCT_BLOCKS = 400               # 8x8 blocks sampled for the DCT-histogram test
COARSE_QUALITIES = range(5, 101, 5)
GRID_VISIBLE = 0.03            # blockiness above which the found grid offset is trusted


@dataclass(kw_only=True)
class JpegMeasurement(Measurement):
    """``quality`` is the IJG quality (1..100) read from the file, or None when not a JPEG file."""

    quality: int | None = None
    method: str = "none"
    exact: bool | None = None
    estimated_quality: int | None = None
    dct_score: float | None = None
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


def _block_dct(gray: np.ndarray, offset: tuple[int, int]) -> np.ndarray:
    """Orthonormal DCT of up to ``DCT_BLOCKS`` 8x8 blocks on the grid at ``offset`` (rows x 64)."""
    y = gray[offset[0]:, offset[1]:]
    h, w = y.shape[0] // 8 * 8, y.shape[1] // 8 * 8
    blocks = y[:h, :w].reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3).reshape(-1, 8, 8)
    if len(blocks) > DCT_BLOCKS:
        blocks = blocks[np.linspace(0, len(blocks) - 1, DCT_BLOCKS).astype(int)]
    return dctn(blocks - 128.0, axes=(1, 2), norm="ortho").reshape(-1, 64)


def _lattice_score(coefficients: np.ndarray, quality: int) -> float:
    """How well the AC coefficients sit on multiples of the quality's luminance steps (1: exactly)."""
    steps = _ALL_TABLES[quality][0][1:].astype(np.float64)
    ac = coefficients[:, 1:]
    used = (np.abs(ac) > steps / 2) & (steps >= 2)  # zeros sit on every lattice; step 1 tells nothing
    counts = used.sum(axis=0)
    valid = counts >= 20
    if valid.sum() < 3:
        return 0.0
    cosines = np.where(used, np.cos(2 * np.pi * ac / steps), 0.0).sum(axis=0)
    return float((cosines[valid] / counts[valid]).mean())


def dct_quality(gray: np.ndarray, offsets: list[tuple[int, int]]) -> tuple[int, float]:
    """Best IJG quality for pixels that were decoded from a JPEG, and its lattice score.

    Decoded JPEGs keep their DCT coefficients near multiples of the quantization steps; the score of the
    true quality is near 1 and of never-compressed content near 0. Coarse search, then +-4 around it.
    """
    best_q, best = 0, -1.0
    for offset in dict.fromkeys(offsets):
        coefficients = _block_dct(gray, offset)
        coarse = max(COARSE_QUALITIES, key=lambda q: _lattice_score(coefficients, q))
        for q in range(max(1, coarse - 4), min(100, coarse + 4) + 1):
            score = _lattice_score(coefficients, q)
            if score > best:
                best_q, best = q, score
    return best_q, best


def read_quantization(path: Path | None) -> dict | None:
    """The file's JPEG quantization tables, or None when it is not a JPEG file (read through the read guard, by
    the JPEG decoder only)."""
    from tools.errors import UserError
    from tools.read_guard import PHOTO, open_checked

    if path is None:
        return None
    try:
        with open_checked(path, PHOTO) as handle, Image.open(handle, formats=["JPEG"]) as img:
            return dict(img.quantization) if getattr(img, "quantization", None) else None
    except (OSError, UserError):
        return None


def measure_jpeg(pixels: np.ndarray, path: Path | None = None) -> JpegMeasurement:
    """Compression level: exact IJG quality for JPEG files; for other files the IJG quality whose steps the
    DCT coefficients still sit on (a decoded JPEG saved as PNG), else a blockiness score."""
    tables = read_quantization(path)
    small = too_small(pixels, 16)
    gray = None if small else gray_float(pixels)
    score, offset = (None, None) if small else blockiness(gray)
    if tables:
        quality, exact = quality_from_tables(tables)
        how = "matches" if exact else "is closest to"
        return JpegMeasurement(
            quality=quality, method="quantization-tables", exact=exact, blockiness=rounded(score, 3),
            grid_offset=offset, **graded(100 - quality, 5, 21, 61), confidence=1.0 if exact else 0.7,
            evidence=f"JPEG file; quantization table {how} IJG quality {quality}")
    if small:
        return JpegMeasurement(method="blockiness", evidence=TOO_SMALL)
    # An uncropped re-save keeps the grid at (0, 0); a found grid is tried too when it is visible.
    estimated, lattice = dct_quality(gray, [(0, 0), offset] if score >= GRID_VISIBLE else [(0, 0)])
    if lattice >= DCT_THRESHOLD:
        return JpegMeasurement(
            method="dct-histogram", estimated_quality=estimated, dct_score=rounded(lattice, 3), exact=False,
            blockiness=rounded(score, 3), grid_offset=offset, **graded(100 - estimated, 5, 21, 61),
            confidence=round(min(1.0, lattice), 2),
            evidence=f"decoded JPEG saved without compression: DCT coefficients sit on the IJG quality "
                     f"{estimated} steps (score {lattice:.2f})")
    grade = graded(score, *BLOCKINESS_THRESHOLDS)
    found = grade["severity"] != "none"
    return JpegMeasurement(
        method="blockiness", blockiness=rounded(score, 3), grid_offset=offset, dct_score=rounded(lattice, 3), **grade,
        confidence=min(1.0, 0.5 + score) if found else 0.6,
        evidence=(f"8x8 block edges at offset {offset}, blockiness {score:.2f}" if found
                  else f"no 8x8 block grid (blockiness {score:.2f}, DCT lattice score {lattice:.2f})"))
