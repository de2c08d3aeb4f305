"""Small synthetic photos with known degradations, shared by the analyzer tests."""
from __future__ import annotations

import numpy as np

from tools.analyzer.synthetic import add_noise, gaussian_blur


def crop(photo: np.ndarray, size: int = 160, top: int = 40, left: int = 180) -> np.ndarray:
    return np.ascontiguousarray(photo[top:top + size, left:left + size])


def with_noise(clean: np.ndarray, sigma: float, seed: int = 0) -> tuple[np.ndarray, float]:
    """8-bit noisy copy and its effective sigma (std of clipped, rounded noisy minus clean)."""
    return add_noise(clean, sigma, np.random.default_rng(seed))


def blurred(clean: np.ndarray, sigma: float) -> np.ndarray:
    return gaussian_blur(clean, sigma)
