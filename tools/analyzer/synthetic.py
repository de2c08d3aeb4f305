"""Synthetic degradations with known answers, for calibration, benchmarks and tests."""
from __future__ import annotations

import numpy as np
from scipy import ndimage


def add_noise(clean: np.ndarray, sigma: float, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """8-bit copy with Gaussian noise (rounded, clipped) and its effective sigma, std(noisy - clean)."""
    clean = np.asarray(clean, dtype=np.float64)
    noisy = np.clip(np.rint(clean + rng.normal(0.0, sigma, clean.shape)), 0, 255).astype(np.uint8)
    return noisy, float(np.std(noisy - clean))


def gaussian_blur(clean: np.ndarray, sigma: float) -> np.ndarray:
    """8-bit copy blurred by a Gaussian of ``sigma`` pixels in each image axis (not across channels)."""
    clean = np.asarray(clean, dtype=np.float64)
    if sigma == 0:
        return np.clip(np.rint(clean), 0, 255).astype(np.uint8)
    axes = (sigma, sigma, 0) if clean.ndim == 3 else sigma
    return np.clip(np.rint(ndimage.gaussian_filter(clean, axes)), 0, 255).astype(np.uint8)


NOISE_KINDS = ("white", "correlated", "luminance", "signal-dependent", "jpeg")


def _as_8bit(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def realistic_noise(clean: np.ndarray, kind: str, strength: float, rng: np.random.Generator,
                    jpeg_quality: int = 85) -> np.ndarray:
    """8-bit copy of ``clean`` with noise as real photos have it.

    ``white``: independent Gaussian noise of std ``strength`` per pixel and channel. ``correlated``: white noise
    of std ``strength`` blurred by a 1 px Gaussian per channel, like film grain or demosaicked sensor noise
    (its std is about 0.28 x ``strength``). ``luminance``: the same Gaussian noise in every channel.
    ``signal-dependent``: Poisson-Gaussian, variance ``strength``^2 x brightness / 128 plus a read-noise floor
    of a fifth of that at mid grey. ``jpeg``: white noise of std ``strength`` then JPEG at ``jpeg_quality``.
    """
    image = np.asarray(clean, dtype=np.float64)
    if kind in ("white", "jpeg"):
        noisy = _as_8bit(image + rng.normal(0.0, strength, image.shape))
        return _jpeg(noisy, jpeg_quality) if kind == "jpeg" else noisy
    if kind == "correlated":
        field = rng.normal(0.0, strength, image.shape)
        return _as_8bit(image + ndimage.gaussian_filter(field, (1.0, 1.0, 0) if image.ndim == 3 else 1.0))
    if kind == "luminance":
        field = rng.normal(0.0, strength, image.shape[:2])
        return _as_8bit(image + (field[..., None] if image.ndim == 3 else field))
    if kind == "signal-dependent":
        variance = strength**2 * (np.maximum(image, 0) / 128.0 + 0.2)
        return _as_8bit(image + rng.normal(0.0, 1.0, image.shape) * np.sqrt(variance))
    raise ValueError(f"unknown noise kind {kind!r}: one of {', '.join(NOISE_KINDS)}")


def _jpeg(pixels: np.ndarray, quality: int) -> np.ndarray:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())))
