"""Noise as real photos have it: white, spatially correlated (grain), luminance-only or signal-dependent.

The white-noise estimators of :mod:`tools.analyzer.noise` see only the finest scale, so grain (noise blurred
over a pixel or two) reads as no noise there. Three more measurements fill the gap:

- ``coarse`` and ``half``: the same calibrated estimator on the photo averaged over 4 x 4 and 2 x 2 pixels. White noise shrinks
  four times there; grain a pixel or two wide shrinks far less and, at that scale, looks white to the
  estimator, so ``4 x coarse / full`` measures the correlation and the coarse level reveals grain that the
  full scale misses. Its correlation length comes from the neighbour correlation in the flattest blocks;
- a noise-level function: the noise of the flattest blocks in each brightness band (signal-dependent,
  Poisson-Gaussian noise grows with brightness, white noise does not);
- the channel correlation of the fine-scale response (luminance-only noise is the same in every channel).

Thresholds and the grain-size table come from ``bench/calibrate_noise_kinds.py`` (CBSD432 only), stored in
``noise_kinds.json``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).with_name("noise_kinds.json")
BLOCK = 8
BANDS = 4                      # brightness bands of the noise-level function
NLF_SIDE = 384                 # px: the central square the noise-level function is measured on
FLATTEST = 0.3                 # share of each band's blocks (least response) that measure its noise
MEAN_ABS_TO_SIGMA = np.sqrt(np.pi / 2) / 6  # mean |[1,-2,1] x [1,-2,1] response| -> sigma, for white noise


@dataclass(frozen=True)
class NoiseKind:
    """The kind of noise and its strength beyond the white-noise level."""

    kind: str
    std: float                          # noise std on the 0..255 scale (for grain: its full std)
    correlation_length: float | None    # px: the blur radius that makes white noise this correlated
    brightness_slope: float | None      # noise std in the brightest band over the darkest (1: flat)
    nlf: tuple[tuple[float, float], ...]  # (brightness, noise std) per band


@lru_cache(maxsize=1)
def model() -> dict:
    return json.loads(MODEL_FILE.read_text(encoding="utf-8"))


def half_scale(pixels: np.ndarray) -> np.ndarray:
    """The photo averaged over 2 x 2 pixel blocks (float32); twice gives the 4 x 4 coarse scale."""
    image = np.asarray(pixels, dtype=np.float32)
    image = image[: image.shape[0] // 2 * 2, : image.shape[1] // 2 * 2]
    return (image[0::2, 0::2] + image[1::2, 0::2] + image[0::2, 1::2] + image[1::2, 1::2]) * np.float32(0.25)


def _blocks(values: np.ndarray) -> np.ndarray:
    """(blocks, BLOCK, BLOCK) views of a 2-D array cut into BLOCK x BLOCK tiles."""
    rows, cols = values.shape[0] // BLOCK, values.shape[1] // BLOCK
    tiles = values[:rows * BLOCK, :cols * BLOCK].reshape(rows, BLOCK, cols, BLOCK)
    return tiles.transpose(0, 2, 1, 3).reshape(-1, BLOCK, BLOCK)


def _planes(blocks: np.ndarray) -> np.ndarray:
    """The least-squares plane a + b x + c y through each block (removes smooth shading)."""
    ys, xs = np.mgrid[0:BLOCK, 0:BLOCK].astype(np.float32) - (BLOCK - 1) / 2
    design = np.stack([np.ones_like(xs).ravel(), xs.ravel(), ys.ravel()], axis=1)
    coefficients = np.linalg.lstsq(design, blocks.reshape(len(blocks), -1).T, rcond=None)[0]
    return (design @ coefficients).T.reshape(blocks.shape)


def flat_block_correlation(pixels: np.ndarray) -> float:
    """Neighbour correlation of the pixels around their block means, in the flattest blocks (the noise's own
    correlation where noise dominates them)."""
    image = np.asarray(pixels, dtype=np.float32)
    luma = image.mean(axis=2) if image.ndim == 3 else image
    blocks = _blocks(luma)
    if len(blocks) < 8:
        return 0.0
    response = np.abs(np.diff(np.diff(blocks, 2, axis=1), 2, axis=2)).mean(axis=(1, 2))
    flat = blocks[response <= np.quantile(response, FLATTEST)]
    centred = flat - _planes(flat)
    pairs = [(centred[:, :, :-1], centred[:, :, 1:]), (centred[:, :-1, :], centred[:, 1:, :])]
    products = sum(float((a * b).mean()) for a, b in pairs) / 2
    return products / max(float((centred * centred).mean()), 1e-9)


def correlation_length(correlation: float) -> float:
    """Blur radius (px) of white noise with this flat-block neighbour correlation (calibrated table; the
    8 px blocks saturate above about 1.5 px)."""
    table = model()["length_table"]
    return float(np.interp(correlation, [row[0] for row in table], [row[1] for row in table]))


def _central(size: int, limit: int = NLF_SIDE) -> slice:
    """The central ``limit`` pixels of an axis (all of it when shorter)."""
    start = max(0, (size - limit) // 2)
    return slice(start, start + limit)


def noise_level_function(pixels: np.ndarray) -> tuple[tuple[float, float], ...]:
    """(median brightness, noise std) of the flattest blocks in each of ``BANDS`` brightness bands.

    Measured on the central ``NLF_SIDE`` x ``NLF_SIDE`` pixels; bands avoid the clipped ends (below 16 and
    above 239). The fine-scale response of the flattest blocks
    measures noise, not texture; it reads low for grain, so only the ratio across bands is used for it.
    """
    image = np.asarray(pixels, dtype=np.float32)
    if image.ndim == 2:
        image = image[..., None]
    image = image[tuple(_central(size) for size in image.shape[:2])]
    response = np.abs(np.diff(np.diff(image, 2, axis=0), 2, axis=1)).mean(axis=2)
    brightness = image.mean(axis=2)[1:-1, 1:-1]
    energy = _blocks(response).mean(axis=(1, 2))
    level = _blocks(brightness).mean(axis=(1, 2))
    usable = (level > 16) & (level < 239)
    if usable.sum() < BANDS * 8:
        return ()
    edges = np.quantile(level[usable], np.linspace(0, 1, BANDS + 1))
    points = []
    for low, high in zip(edges[:-1], edges[1:]):
        band = usable & (level >= low) & (level <= high)
        values = np.sort(energy[band])[: max(2, int(band.sum() * FLATTEST))]
        points.append((float(np.median(level[band])), float(values.mean()) * MEAN_ABS_TO_SIGMA))
    return tuple(points)


def brightness_slope(nlf: tuple[tuple[float, float], ...]) -> float | None:
    """Noise std of the brightest band over the darkest (None without a usable curve)."""
    if len(nlf) < 2 or nlf[0][1] <= 0:
        return None
    return nlf[-1][1] / nlf[0][1]


def classify(pixels: np.ndarray, full: float, half: float, coarse: float,
             channel_correlation: float | None) -> NoiseKind:
    """The kind of noise from the full-, half- and coarse-scale levels, the channel correlation and, where
    noise is found, its correlation length or its noise-level function (measured only then).

    Noise that a coarser scale shows far above what white noise would leave there is correlated: grain at the
    coarse (4 x 4) scale, finer mottling (such as noise left under JPEG) at the half (2 x 2) scale.
    """
    m = model()
    floor = max(full, m["full_floor"])
    grain = coarse >= m["coarse_threshold"] and 4 * coarse / floor >= m["correlated_ratio"]
    mottle = half >= m["half_threshold"] and 2 * half / floor >= m["half_ratio"]
    if grain or mottle:
        std = m["grain_scale"] * coarse if grain else 2 * half
        return NoiseKind("correlated", std, correlation_length(flat_block_correlation(pixels)), None, ())
    if full < m["white_threshold"]:
        return NoiseKind("none", full, None, None, ())
    nlf = noise_level_function(pixels)
    slope = brightness_slope(nlf)
    if channel_correlation is not None and channel_correlation >= m["luminance_correlation"]:
        return NoiseKind("luminance", full, None, slope, nlf)
    if slope is not None and slope >= m["signal_slope"]:
        return NoiseKind("signal-dependent", full, None, slope, nlf)
    return NoiseKind("white", full, None, slope, nlf)
