"""Blur: edge width grows and sharpness falls with Gaussian blur, with and without noise."""
from __future__ import annotations

import numpy as np
import pytest

from tests.analyzer_images import blurred, crop, with_noise
from tools.analyzer.blur import measure_blur
from tools.analyzer.measurement import TOO_SMALL

LEVELS = (0, 1, 2, 3)


@pytest.mark.parametrize("noise", [0, 5])
def test_width_and_sharpness_follow_the_blur(sample_photo: np.ndarray, noise: float) -> None:
    clean = crop(sample_photo, 192)
    results = []
    for level in LEVELS:
        image = blurred(clean, level) if level else clean
        if noise:
            image = with_noise(image.astype(np.float64), noise)[0]
        results.append(measure_blur(image, noise_sigma=noise))
    widths = [r.width for r in results]
    sharpness = [r.sharpness for r in results]
    assert widths == sorted(widths) and widths[-1] > widths[0] + 1.5
    assert sharpness == sorted(sharpness, reverse=True)
    assert results[0].severity == "none" and results[-1].severity in ("moderate", "severe")


def test_estimated_width_is_close_to_the_blur_sigma(sample_photo: np.ndarray) -> None:
    result = measure_blur(blurred(crop(sample_photo, 192), 3))
    assert 2.3 < result.width < 3.8


def test_flat_or_tiny_images_have_no_width() -> None:
    assert measure_blur(np.full((64, 64), 128, np.uint8)).width is None
    assert measure_blur(np.zeros((10, 10), np.uint8)).evidence == TOO_SMALL


@pytest.mark.parametrize("level", [2, 3])
def test_width_of_blurred_disks_is_the_blur_sigma(level: float) -> None:
    y, x = np.mgrid[:160, :160]
    disks = np.full((160, 160), 60.0)
    for cy, cx, radius in ((40, 40, 25), (110, 60, 30), (60, 120, 22), (125, 125, 20)):
        disks[(y - cy) ** 2 + (x - cx) ** 2 < radius**2] = 190
    assert abs(measure_blur(blurred(disks, level)).width - level) < 0.2
