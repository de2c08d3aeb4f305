"""Small synthetic photos with known degradations, shared by the analyzer tests."""
from __future__ import annotations

import numpy as np
from scipy import ndimage


def crop(photo: np.ndarray, size: int = 160, top: int = 40, left: int = 180) -> np.ndarray:
    return np.ascontiguousarray(photo[top:top + size, left:left + size])


def with_noise(clean: np.ndarray, sigma: float, seed: int = 0) -> tuple[np.ndarray, float]:
    """8-bit noisy copy and its effective sigma (std of clipped, rounded noisy minus clean)."""
    rng = np.random.default_rng(seed)
    noisy = np.clip(np.rint(clean + rng.normal(0.0, sigma, clean.shape)), 0, 255).astype(np.uint8)
    return noisy, float(np.std(noisy.astype(np.float64) - clean))


def blurred(clean: np.ndarray, sigma: float) -> np.ndarray:
    axes = (sigma, sigma, 0) if clean.ndim == 3 else sigma
    return np.clip(np.rint(ndimage.gaussian_filter(clean.astype(np.float64), axes)), 0, 255).astype(np.uint8)
