"""Three photos the decision rule treats apart, as PNG files: clean, film grain, and white Gaussian noise."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

QUESTION = "How do I remove the noise from this photo?"
CLEAN_REASON = "denoising would only remove detail"  # the decision's words for a photo with no visible noise
GRAIN_REASON = "trained on white noise"  # and for grain


def _save(pixels: np.ndarray, path: Path) -> Path:
    Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8)).save(path)
    return path


def clean_photo(path: Path) -> Path:
    """scikit-image's coffee photo (600 x 400), as it ships: no visible noise."""
    from skimage import data

    return _save(data.coffee().astype(float), path)


def grain_photo(path: Path, blur: float = 1.5, std: float = 8.0, seed: int = 0) -> Path:
    """The coffee photo with film-like grain: Gaussian noise blurred by ``blur`` px in each channel, scaled to
    ``std``; spatially correlated, so the white-noise weights do not fit it."""
    from skimage import data

    clean = data.coffee().astype(float)
    grain = ndimage.gaussian_filter(np.random.default_rng(seed).normal(0, 1, clean.shape), (blur, blur, 0))
    return _save(clean + grain / grain.std() * std, path)


def noisy_photo(path: Path, sigma: float = 25.0, seed: int = 0) -> Path:
    """scikit-image's astronaut (512 x 512) with white Gaussian noise at ``sigma``."""
    from skimage import data

    clean = data.astronaut().astype(float)
    return _save(clean + np.random.default_rng(seed).normal(0, sigma, clean.shape), path)
