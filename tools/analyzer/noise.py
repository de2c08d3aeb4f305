"""Gaussian-like noise level (sigma on the 0..255 scale) from several estimators, combined and calibrated.

The estimators (all on each channel, pooled):

- ``immerkaer``: Immerkaer (1996), mean absolute response of a Laplacian-difference mask over the whole
  image; fast and unbiased at high levels but reads texture as noise at low ones;
- ``pca``: weak-texture patch selection (Liu, Tanaka & Okutomi 2013) then the noise eigenvalues of the patch
  covariance (Chen, Zhu & Heng 2015);
- ``pca_min``: the smallest eigenvalue corrected for the Marchenko-Pastur spread of a finite sample;
- ``immerkaer_flat``: the Immerkaer response on the selected weak-texture patches only (masking edges and
  texture, in the spirit of Tai & Yang 2008, with the patch selection's statistical threshold).

Edge-masked (Sobel) and median variants were measured too; they added run time but no accuracy.

No single one wins at every level, so ``combine`` applies a log-linear model whose coefficients were fitted
on CBSD432 with synthetic noise saved as 8-bit files (``bench/calibrate_noise.py``); the target is the
effective sigma after clipping and rounding, std(noisy - clean). Where the estimators disagree (correlated,
coloured or spatially varying noise) the result says so and gives a range instead of one number.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special

from tools.analyzer.measurement import Measurement, TOO_SMALL, graded, rounded, too_small
from tools.analyzer.noise_kind import NoiseKind, classify, half_scale
from tools.analyzer.noise_kind import model as kind_model

MODEL_FILE = Path(__file__).with_name("noise_model.json")
PATCH = 7
DIMS = PATCH * PATCH
MAX_PATCHES = 40_000           # patches sampled per image (all channels together)
COARSE_PATCHES = 16_000        # the same at the coarser scales that look for correlated noise
ITERATIONS = 3
BAND = 2.0                      # sigmas kept clear of 0 and 255 by the patches used for the noise level
MEAN_ABS_TO_SIGMA = np.sqrt(np.pi / 2) / 6      # mean |mask * noise| -> sigma
# Gradient energy of a pure-noise patch is Gamma distributed (Liu et al. 2013): 99% quantile per unit variance.
GRADIENT_TRACE = 2 * PATCH * (PATCH - 2) * 0.5
TEXTURE_THRESHOLD = float(special.gammaincinv(DIMS / 2, 0.99) * 2 * GRADIENT_TRACE / DIMS)
LEVELS = (15, 25, 50)           # SwinIR denoising checkpoints
MATCH_UP = 0.05                 # a checkpoint runs on noise at most this much weaker than its own (checkpoint_level)
SEVERITY_THRESHOLDS = (3.0, 10.0, 25.0)  # mild, moderate, severe sigma
WHITE_LAG1 = -2 / 3             # correlation of neighbouring mask responses for white noise
# On CBSD432 with white noise (sigma 3-56) the neighbour correlation stayed within -0.714..-0.617 and the
# channel correlation within -0.43..0.29; camera noise after demosaicking is correlated well beyond both.
WHITE_TOLERANCE = 0.06
CHANNEL_TOLERANCE = 0.5
FEATURES = ("immerkaer", "pca", "pca_min", "immerkaer_flat")
RUNNABLE_KINDS = ("white", "luminance", "signal-dependent")  # kinds the white-noise weights fit once matched


@dataclass(kw_only=True)
class NoiseMeasurement(Measurement):
    """``sigma``: effective noise std (0..255; for grain its full std). ``low``/``high``: the range it lies in
    (the spread of the estimators, or of the grain calibration)."""

    sigma: float | None = None
    low: float | None = None
    high: float | None = None
    gaussian_like: bool = False
    suggested_level: int | None = None
    neighbour_correlation: float | None = None
    channel_correlation: float | None = None
    estimators: dict[str, float] = field(default_factory=dict)
    kind: str = "none"                      # none, white, correlated, luminance or signal-dependent
    correlation_length: float | None = None  # px, for correlated noise
    brightness_slope: float | None = None   # noise in the brightest band over the darkest
    nlf: list[list[float]] = field(default_factory=list)  # [brightness, noise std] per band


def _second_difference(image: np.ndarray, axis: int) -> np.ndarray:
    """[1, -2, 1] along ``axis`` (0 or 1) over the valid positions."""
    if axis == 0:
        return image[:-2] - 2 * image[1:-1] + image[2:]
    return image[:, :-2] - 2 * image[:, 1:-1] + image[:, 2:]


def _eigenvalues(patches: np.ndarray) -> np.ndarray:
    centred = patches - patches.mean(axis=0)
    return np.linalg.eigvalsh((centred.T @ centred).astype(np.float64) / max(len(patches) - 1, 1))


def _noise_eigenvalue_mean(ev: np.ndarray) -> float:
    """Chen et al. 2015: the largest set of smallest eigenvalues whose mean does not exceed its median."""
    for k in range(len(ev), 0, -1):
        tail = ev[:k]
        if tail.mean() <= np.median(tail) * 1.02:
            return float(tail.mean())
    return float(ev[0])


def _select_weak_texture(patches: np.ndarray, texture: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Liu et al. 2013: keep patches whose gradient energy a pure-noise patch would reach 99% of the time.

    Patches whose mean lies within ``BAND`` sigmas of 0 or 255 are left out, so clipping barely touches
    the kept ones (choosing by the mean, not by the pixels, does not bias the noise they carry).
    """
    keep = np.ones(len(patches), bool)
    variance = 1 / 12
    for _ in range(ITERATIONS):
        chosen = np.flatnonzero(keep)[::4]  # a quarter of the candidates is enough for the threshold
        if len(chosen) > 2 * DIMS:
            spread = (1 - np.sqrt(DIMS / len(chosen))) ** 2  # Marchenko-Pastur lower edge of a finite sample
            variance = max(float(_eigenvalues(patches[chosen])[0]) / spread, 1 / 12)
        keep = texture < TEXTURE_THRESHOLD * variance
        for band in (BAND, BAND / 2, 0.0):
            margin = band * np.sqrt(variance)
            banded = keep & (means > margin) & (means < 255 - margin)
            if banded.sum() >= 4 * DIMS:
                keep = banded
                break
        if keep.sum() < 4 * DIMS:
            keep = texture <= np.partition(texture, 4 * DIMS)[4 * DIMS]
    return keep


def _unclip(observed: float, means: np.ndarray) -> float:
    """True sigma whose clipped version over patches with these means reads ``observed``."""
    sigma = observed
    for _ in range(4):
        sigma = observed / clip_factor(means, sigma, unbias=False)
    return sigma


def noise_features(pixels: np.ndarray, max_patches: int = MAX_PATCHES) -> dict[str, float]:
    """Every estimator's sigma plus the whiteness statistics (neighbour and channel correlation), from at most
    about ``max_patches`` sampled patches."""
    image = np.asarray(pixels, dtype=np.float32)
    if image.ndim == 2:
        image = image[..., None]
    height, width, depth = image.shape
    response = _second_difference(_second_difference(image, 0), 1)

    count = depth * (height - PATCH + 1) * (width - PATCH + 1)
    stride = max(1, int(np.ceil(np.sqrt(count / max_patches))))
    windows = sliding_window_view(image, (PATCH, PATCH), axis=(0, 1))[::stride, ::stride]
    grid = windows.shape[:2]
    patches = windows.transpose(2, 0, 1, 3, 4).reshape(-1, PATCH, PATCH)  # channel-major order
    texture = (((patches[:, :, 2:] - patches[:, :, :-2]) / 2) ** 2).sum(axis=(1, 2)) + \
        (((patches[:, 2:, :] - patches[:, :-2, :]) / 2) ** 2).sum(axis=(1, 2))
    patches = patches.reshape(-1, DIMS)
    half = PATCH // 2
    inner = response[half - 1:height - half - 1, half - 1:width - half - 1]
    right = np.concatenate([inner[:, 1:], inner[:, -1:]], axis=1)
    centre = inner[::stride, ::stride][:grid[0], :grid[1]].transpose(2, 0, 1).ravel()
    right = right[::stride, ::stride][:grid[0], :grid[1]].transpose(2, 0, 1).ravel()

    means = patches.mean(axis=1)
    keep = _select_weak_texture(patches, texture, means)
    ev = np.maximum(_eigenvalues(patches[keep]), 0)
    spread = (1 - np.sqrt(DIMS / keep.sum())) ** 2
    flat = {
        "pca": float(np.sqrt(_noise_eigenvalue_mean(ev))),
        "pca_min": float(np.sqrt(ev[0] / spread)),
        "immerkaer_flat": MEAN_ABS_TO_SIGMA * float(np.abs(centre[keep]).mean(dtype=np.float64)),
    }
    # Undo the slight clipping inside the kept patches, then apply the whole image's clipping.
    true_sigma = _unclip(flat["pca_min"], means[keep])
    correction = (true_sigma / flat["pca_min"] if flat["pca_min"] > 0 else 1.0) * clip_factor(means, true_sigma)
    flat_channels = keep.reshape(depth, -1)
    return {
        "immerkaer": MEAN_ABS_TO_SIGMA * float(np.abs(response).mean(dtype=np.float64)),
        **{name: value * correction for name, value in flat.items()},
        "neighbour_correlation": _correlation(centre[keep], right[keep]),
        "channel_correlation": _channel_correlation(centre.reshape(depth, -1), flat_channels.all(axis=0)),
        "saturated": float(np.mean((image <= 0) | (image >= 255))),
    }


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 3 or a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _clipped_moments(mean: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """E[d] and E[d^2] for d = clip(mean + n, 0, 255) - mean, n ~ N(0, sigma^2)."""
    a, b = (0.0 - mean) / sigma, (255.0 - mean) / sigma
    cdf_a, cdf_b = special.ndtr(a), special.ndtr(b)
    pdf_a, pdf_b = np.exp(-a * a / 2) / np.sqrt(2 * np.pi), np.exp(-b * b / 2) / np.sqrt(2 * np.pi)
    first = 255.0 * (1 - cdf_b) + mean * (cdf_b - cdf_a) + sigma * (pdf_a - pdf_b)
    second = 255.0**2 * (1 - cdf_b) + (mean**2 + sigma**2) * (cdf_b - cdf_a) + 2 * mean * sigma * (pdf_a - pdf_b) \
        + sigma**2 * (a * pdf_a - b * pdf_b)
    return first - mean, second - 2 * mean * first + mean**2


def clip_factor(local_means: np.ndarray, sigma: float, unbias: bool = True) -> float:
    """Effective over true sigma that 8-bit clipping leaves, given the observed local means.

    Local means of clipped noise are pulled away from 0 and 255, so they are first mapped back to the
    clean level through the (monotonic) clipped-mean curve.
    """
    if sigma < 0.5:
        return 1.0
    clean = local_means[:: max(1, len(local_means) // 4000)].astype(np.float64)
    if unbias:
        grid = np.linspace(-4 * sigma, 255 + 4 * sigma, 512)
        clean = np.clip(np.interp(clean, grid + _clipped_moments(grid, sigma)[0], grid), 0, 255)
    bias, square = _clipped_moments(clean, sigma)
    effective = np.sqrt(max(float(square.mean() - bias.mean() ** 2), 0.0))
    return effective / sigma


def _channel_correlation(centre: np.ndarray, flat: np.ndarray) -> float | None:
    """Mean correlation between colour channels of the mask response on patches flat in every channel."""
    if len(centre) < 3:
        return None
    values = [centre[c][flat] for c in range(3)]
    return float(np.mean([_correlation(values[i], values[j]) for i, j in ((0, 1), (0, 2), (1, 2))]))


@lru_cache(maxsize=1)
def _model() -> dict:
    return json.loads(MODEL_FILE.read_text(encoding="utf-8"))


def combine(features: dict[str, float], model: dict | None = None) -> tuple[float, float, float]:
    """Calibrated sigma and the range of the individually calibrated estimators."""
    model = model or _model()
    offset = model["offset"]
    logs = {name: np.log(features[name] + offset) for name in FEATURES}
    z = model["intercept"] + sum(model["weights"][name] * logs[name] for name in FEATURES)
    z += model.get("saturated", 0.0) * features["saturated"]
    sigma = max(0.0, float(np.exp(z) - offset))
    singles = [max(0.0, float(np.exp(a * logs[name] + b) - offset)) for name, (a, b) in model["single"].items()]
    return sigma, min(singles), max(singles)


def estimate_noise_sigma(pixels: np.ndarray) -> float:
    """Effective Gaussian noise sigma of uint8 pixels (gray or RGB), on the 0..255 scale."""
    pixels = np.asarray(pixels)
    if too_small(pixels):
        raise ValueError(f"image too small to measure noise ({pixels.shape[1]}x{pixels.shape[0]})")
    return combine(noise_features(pixels))[0]


def nearest_level(sigma: float) -> int:
    """The SwinIR checkpoint (15, 25 or 50) nearest to ``sigma`` on a log scale (not the one to run: that is
    :func:`checkpoint_level`; ``bench/weights_choice.py`` compares the two)."""
    return min(LEVELS, key=lambda level: abs(np.log(level) - np.log(max(sigma, 1e-3))))


def checkpoint_level(sigma: float) -> int:
    """The checkpoint level to run for white noise of ``sigma``: the highest level L with
    ``sigma >= (1 - MATCH_UP) * L``, else 15.

    Noise matching then lowers the photo's contrast to the weights' noise, or leaves it (it is never raised:
    ``tools.swinir.inference``). Weights run on noise weaker than their own lose to lower weights matched down
    (``bench/weights_choice.py``), most of all on clipped photos, whose measured sigma lies below the sigma of
    the noise before clipping.
    """
    return max((level for level in LEVELS if sigma >= level * (1 - MATCH_UP)), default=LEVELS[0])


def coarse_level(image: np.ndarray) -> float:
    """The calibrated level of an already averaged (coarser) photo, 0 when too small. Fewer patches
    (``COARSE_PATCHES``) suffice there and keep the extra scales cheap."""
    if min(np.shape(image)[:2]) < 4 * PATCH:
        return 0.0
    return combine(noise_features(image, COARSE_PATCHES))[0]


def measure_noise(pixels: np.ndarray) -> NoiseMeasurement:
    """Noise level and kind (white, correlated, luminance, signal-dependent), and the checkpoint to run.

    A checkpoint level is suggested for the kinds the white-noise weights fit once matched (white,
    luminance-only, signal-dependent); grain (correlated noise) and no visible noise get none.
    """
    if too_small(pixels):
        return NoiseMeasurement(evidence=TOO_SMALL)
    features = noise_features(pixels)
    sigma, low, high = combine(features)
    lag = features["neighbour_correlation"]
    chan = features["channel_correlation"]
    halved = half_scale(pixels)
    half, coarse = coarse_level(halved), coarse_level(half_scale(halved))
    found = classify(pixels, sigma, half, coarse, chan)
    white = abs(lag - WHITE_LAG1) < WHITE_TOLERANCE and (chan is None or abs(chan) < CHANNEL_TOLERANCE)
    agree = (high - low) <= max(1.5, 0.35 * sigma)
    if found.kind == "correlated":
        spread = kind_model()["grain_spread"]
        low, high = found.std * spread[0], found.std * spread[1]
    grade = graded(found.std, *SEVERITY_THRESHOLDS)
    if found.kind != "none" and grade["severity"] == "none":
        grade = {"severity": "mild", "score": 1.0}
    gaussian_like = found.kind == "white" and white and agree
    runnable = found.kind in RUNNABLE_KINDS and (found.kind != "white" or gaussian_like)
    faint = found.kind == "none" and coarse >= 0.7 * kind_model()["coarse_threshold"]
    confidence = 0.9 if agree and found.kind in ("white", "none") and not faint else \
        0.6 if found.kind in ("correlated", "luminance", "signal-dependent") else 0.4
    return NoiseMeasurement(
        sigma=rounded(found.std), low=rounded(low), high=rounded(high), gaussian_like=gaussian_like,
        suggested_level=checkpoint_level(found.std) if runnable else None,
        neighbour_correlation=rounded(lag, 3), channel_correlation=rounded(chan, 3),
        estimators={name: round(features[name], 3) for name in FEATURES} | {"half_scale": round(half, 3), "coarse_scale": round(coarse, 3)},
        kind=found.kind, correlation_length=rounded(found.correlation_length),
        brightness_slope=rounded(found.brightness_slope, 3),
        nlf=[[round(float(level)), round(float(std), 2)] for level, std in found.nlf],
        confidence=confidence, evidence=_evidence(found, low, high, agree, faint, lag, chan), **grade)


def _evidence(found: NoiseKind, low: float, high: float, agree: bool, faint: bool, lag: float,
              chan: float | None) -> str:
    """What was seen, in words, with the numbers behind it."""
    spread = f"estimators {low:.1f}-{high:.1f}"
    if found.kind == "none":
        if not agree:
            return f"no visible white noise (sigma {found.std:.1f}, but the {spread} disagree)"
        return f"no visible noise (sigma {found.std:.1f})" + ("; at most faint grain" if faint else "")
    if found.kind == "correlated":
        return (f"spatially correlated noise (grain), std about {found.std:.1f} (range {low:.1f}-{high:.1f}), "
                f"correlation length about {found.correlation_length:.1f} px")
    if found.kind == "luminance":
        return f"luminance-only noise (the same in every channel, correlation {chan:+.2f}), sigma {found.std:.1f}"
    if found.kind == "signal-dependent":
        curve = ", ".join(f"{std:.1f} at {level:.0f}" for level, std in found.nlf)
        return (f"signal-dependent noise, stronger in bright areas ({found.brightness_slope:.2f}x), sigma "
                f"{found.std:.1f} overall; by brightness: {curve}")
    if agree and abs(lag - WHITE_LAG1) < WHITE_TOLERANCE:
        return f"white Gaussian-like noise, sigma {found.std:.1f} ({spread})"
    return f"noise about sigma {found.std:.1f}, not clearly white Gaussian ({spread}, neighbour {lag:+.2f})"
