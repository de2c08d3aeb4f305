"""Noise level: known sigmas on small synthetic images, clipping model, whiteness, checkpoint choice."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from tests.analyzer_images import crop, with_noise
from tools.analyzer.measurement import TOO_SMALL
from tools.analyzer.noise import checkpoint_level, clip_factor, estimate_noise_sigma, measure_noise, nearest_level


@pytest.fixture(scope="module")
def clean(sample_photo: np.ndarray) -> np.ndarray:
    return crop(sample_photo, 192)


@pytest.mark.parametrize("sigma", [5, 15, 25, 50])
def test_sigma_matches_the_effective_sigma(clean: np.ndarray, sigma: float) -> None:
    noisy, effective = with_noise(clean, sigma)
    assert estimate_noise_sigma(noisy) == pytest.approx(effective, abs=max(0.8, 0.06 * effective))


def test_gray_image_sigma(clean: np.ndarray) -> None:
    gray = clean.mean(axis=2)
    noisy, effective = with_noise(gray, 10, seed=3)
    assert estimate_noise_sigma(noisy) == pytest.approx(effective, abs=0.8)


def test_clean_photo_reads_as_no_noise(clean: np.ndarray) -> None:
    result = measure_noise(clean)
    assert result.sigma < 3 and result.severity == "none" and result.suggested_level is None


def test_white_noise_is_gaussian_like_with_the_nearest_checkpoint(clean: np.ndarray) -> None:
    result = measure_noise(with_noise(clean, 27)[0])
    assert result.gaussian_like and result.severity == "severe" and result.suggested_level == 25
    assert result.low <= result.sigma <= result.high


def test_noise_shared_by_the_channels_is_called_luminance_not_white(clean: np.ndarray) -> None:
    grain = np.random.default_rng(1).normal(0, 12, clean.shape[:2])[..., None]  # same noise in R, G and B
    result = measure_noise(np.clip(np.rint(clean + grain), 0, 255).astype(np.uint8))
    assert result.severity != "none" and not result.gaussian_like and result.kind == "luminance"
    assert result.channel_correlation > 0.9 and "luminance-only noise" in result.evidence
    assert result.suggested_level == 15  # the white-noise weights run on it once matched (tools.restore.decide)


def test_spatially_correlated_noise_is_not_called_gaussian(clean: np.ndarray) -> None:
    grain = ndimage.gaussian_filter(np.random.default_rng(2).normal(0, 1, clean.shape), (1.0, 1.0, 0))
    result = measure_noise(np.clip(np.rint(clean + grain / grain.std() * 12), 0, 255).astype(np.uint8))
    assert not result.gaussian_like and result.suggested_level is None
    assert result.neighbour_correlation > -0.6


def test_clip_factor_of_black_pixels_is_the_half_normal_ratio() -> None:
    # std of max(n, 0) for n ~ N(0, s^2) is s * sqrt(1/2 - 1/(2 pi))
    assert clip_factor(np.zeros(500), 10.0, unbias=False) == pytest.approx(np.sqrt(0.5 - 0.5 / np.pi), rel=1e-6)
    assert clip_factor(np.full(500, 128.0), 5.0) == pytest.approx(1.0, abs=1e-9)


def test_nearest_level() -> None:
    assert [nearest_level(s) for s in (3, 19, 20, 35, 36, 80)] == [15, 15, 25, 25, 50, 50]


def test_the_checkpoint_level_never_lies_far_above_the_noise() -> None:
    """Matching raises a photo's contrast at most 1 / 0.95 times (weights matched further up lose; see
    bench/weights_choice.py)."""
    sigmas = (3, 19, 23.7, 23.8, 36, 40, 47.4, 47.6, 80)
    assert [checkpoint_level(s) for s in sigmas] == [15, 15, 15, 25, 25, 25, 25, 50, 50]


def test_clipped_heavy_noise_reads_below_its_sigma_and_runs_the_weights_below_it() -> None:
    """Sigma-50 noise clipped at black and white on the camera photo: a fifth of the samples are held at 0 or 255, the
    measured (effective) sigma is about 42, and the sigma-25 weights are chosen, not the sigma-50 ones matched up."""
    from skimage import data

    clean = np.asarray(data.camera())[128:320, 128:320]
    noisy, effective = with_noise(clean, 50, seed=5)
    assert np.mean((noisy == 0) | (noisy == 255)) > 0.2
    result = measure_noise(noisy)
    assert result.sigma == pytest.approx(effective, abs=3) and result.sigma < 45
    assert nearest_level(result.sigma) == 50 and result.suggested_level == 25


def test_tiny_image_is_too_small_to_measure() -> None:
    assert measure_noise(np.zeros((8, 8), np.uint8)).evidence == TOO_SMALL
    assert measure_noise(np.zeros((8, 8), np.uint8)).sigma is None
    with pytest.raises(ValueError, match="too small"):
        estimate_noise_sigma(np.zeros((1, 1, 3), np.uint8))
