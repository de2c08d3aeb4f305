"""Trivial denoisers a trained network must clearly beat, on the very noisy image the product saw: a 3 x 3 box
blur, the Gaussian blur of the best sigma and scikit-image non-local means; and one gate over the best of them.

Images are on the 0..255 scale (8-bit, or float for the unclipped paper protocol); every output is rounded and
clipped to 8 bits before it is scored, as the product's output is."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from skimage.metrics import peak_signal_noise_ratio
from skimage.restoration import denoise_nl_means

BOX, GAUSSIAN, NLM = "3x3 box blur", "Gaussian blur", "NLM"
BASELINES = (BOX, GAUSSIAN, NLM)
GAUSSIAN_SIGMAS = tuple(round(0.3 + 0.1 * step, 1) for step in range(28))  # 0.3 .. 3.0 pixels
NLM_STRENGTHS = (0.6, 0.8, 1.0)  # h as a multiple of the noise sigma; 0.6 is bench/denoise_quality.py's

Outputs = dict[str, tuple[str, np.ndarray]]  # {baseline: (label with its chosen setting, 8-bit output)}


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def psnr(clean: np.ndarray, image: np.ndarray) -> float:
    """PSNR in dB of ``image`` (rounded to 8 bits) against ``clean``."""
    return float(peak_signal_noise_ratio(clean, to_uint8(image), data_range=255))


def box_blur(noisy: np.ndarray) -> np.ndarray:
    size = (3, 3) if noisy.ndim == 2 else (3, 3, 1)
    return ndimage.uniform_filter(noisy.astype(np.float64), size=size, mode="reflect")


def gaussian_blur(noisy: np.ndarray, sigma: float) -> np.ndarray:
    sigmas = (sigma, sigma) if noisy.ndim == 2 else (sigma, sigma, 0.0)
    return ndimage.gaussian_filter(noisy.astype(np.float64), sigma=sigmas, mode="reflect")


def nl_means(noisy: np.ndarray, noise_sigma: float, strength: float) -> np.ndarray:
    """scikit-image NLM with the known noise sigma, bench/denoise_quality.py's patch sizes and fast mode."""
    s = noise_sigma / 255.0
    out = denoise_nl_means(noisy / 255.0, h=strength * s, sigma=s, fast_mode=True, patch_size=5, patch_distance=6,
                           channel_axis=2 if noisy.ndim == 3 else None)
    return out * 255.0


def best_of(clean: np.ndarray, outputs: dict[str, np.ndarray]) -> tuple[str, np.ndarray]:
    """The label and output of the candidate with the highest PSNR against ``clean``."""
    label = max(outputs, key=lambda key: psnr(clean, outputs[key]))
    return label, outputs[label]


def baseline_outputs(clean: np.ndarray, noisy: np.ndarray, noise_sigma: float) -> Outputs:
    """``{baseline: (label with its chosen setting, 8-bit output)}``, the Gaussian sigma and the NLM strength
    chosen with the clean image (an oracle: the strongest version of each)."""
    gaussian = best_of(clean, {f"{GAUSSIAN} (sigma {s})": gaussian_blur(noisy, s) for s in GAUSSIAN_SIGMAS})
    nlm = best_of(clean, {f"{NLM} (h {k} sigma)": nl_means(noisy, noise_sigma, k) for k in NLM_STRENGTHS})
    found = {BOX: (BOX, box_blur(noisy)), GAUSSIAN: gaussian, NLM: nlm}
    return {name: (label, to_uint8(out)) for name, (label, out) in found.items()}


def pixels(path: Path) -> np.ndarray:
    """An image file's pixels as the product wrote or read them."""
    return np.asarray(Image.open(path))


def assert_beats_trivial(clean: np.ndarray, noisy: np.ndarray, restored: np.ndarray, noise_sigma: float,
                         margin_db: float, outputs: Outputs | None = None) -> dict[str, float]:
    """Fail unless ``restored`` is at least ``margin_db`` above the best trivial baseline on ``noisy`` (``outputs``:
    their outputs, when already computed); the figures otherwise, ``restored`` then each baseline, best first."""
    found = baseline_outputs(clean, noisy, noise_sigma) if outputs is None else outputs
    scores = dict(sorted(((label, psnr(clean, out)) for label, out in found.values()), key=lambda item: -item[1]))
    (best, top), ours = next(iter(scores.items())), psnr(clean, restored)
    figures = ", ".join(f"{label} {value:.2f} dB" for label, value in scores.items())
    assert ours >= top + margin_db, (f"restored {ours:.2f} dB is not {margin_db} dB above the best trivial denoiser, "
                                     f"{best} at {top:.2f} dB ({figures})")
    return {"restored": ours, **scores}


def assert_gate_refuses(baseline: str, clean: np.ndarray, noisy: np.ndarray, noise_sigma: float, margin_db: float,
                        outputs: Outputs | None = None) -> None:
    """The gate, given ``baseline``'s own output on ``noisy`` as the restored image, fails."""
    found = baseline_outputs(clean, noisy, noise_sigma) if outputs is None else outputs
    with pytest.raises(AssertionError, match="is not .* dB above the best trivial denoiser"):
        assert_beats_trivial(clean, noisy, found[baseline][1], noise_sigma, margin_db, found)
