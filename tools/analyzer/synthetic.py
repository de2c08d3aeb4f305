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
