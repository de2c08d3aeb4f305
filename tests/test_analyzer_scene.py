"""Exposure, haze, color cast, resolution and PIQE on synthetic cases with known answers."""
from __future__ import annotations

import numpy as np
import pytest

from tests.analyzer_images import crop, with_noise
from tools.analyzer.color import measure_color
from tools.analyzer.exposure import measure_exposure
from tools.analyzer.haze import measure_haze
from tools.analyzer.measurement import TOO_SMALL, level
from tools.analyzer.quality import measure_quality
from tools.analyzer.resolution import measure_resolution


@pytest.fixture(scope="module")
def photo(sample_photo: np.ndarray) -> np.ndarray:
    return crop(sample_photo, 200, top=0, left=150)


def test_under_exposed_photo_is_low_light(photo: np.ndarray) -> None:
    dark = measure_exposure((photo * 0.12).astype(np.uint8))
    assert dark.severity in ("moderate", "severe") and dark.p50 < 30
    normal = measure_exposure(photo)
    assert normal.severity == "none" and normal.p50 > 60


def test_clipped_highlights_are_reported(photo: np.ndarray) -> None:
    bright = measure_exposure(np.clip(photo.astype(int) + 140, 0, 255).astype(np.uint8))
    assert bright.overexposed and bright.clipped_highlights > 0.1 and bright.severity == "none"


def test_haze_raises_the_dark_channel(photo: np.ndarray) -> None:
    hazy = (0.35 * photo + 0.65 * 215).astype(np.uint8)  # atmospheric scattering model, airlight 215
    result = measure_haze(hazy)
    assert result.severity != "none" and result.dark_channel > measure_haze(photo).dark_channel + 80
    assert measure_haze(photo).severity == "none"


def test_white_paper_is_not_haze() -> None:
    page = np.full((200, 200, 3), 245, np.uint8)
    page[20:180:12, 20:180] = 20  # lines of dark text
    result = measure_haze(page)
    assert result.severity == "none" and "not read as haze" in result.evidence


def test_color_cast_direction(photo: np.ndarray) -> None:
    blue = photo.astype(int)
    blue[..., 2] += 60
    blue[..., 0] -= 30
    result = measure_color(np.clip(blue, 0, 255).astype(np.uint8))
    assert result.severity != "none" and "blue" in result.direction
    gray = measure_color(photo.mean(axis=2).astype(np.uint8))
    assert gray.severity == "none" and gray.cast_factor is None


@pytest.mark.parametrize(("side", "severity"), [(64, "severe"), (150, "moderate"), (300, "mild"), (500, "none")])
def test_resolution_grades_by_the_longer_side(side: int, severity: str) -> None:
    assert measure_resolution(np.zeros((side // 2, side), np.uint8)).severity == severity


def test_piqe_is_worse_for_a_noisy_copy(photo: np.ndarray) -> None:
    clean = measure_quality(photo)
    noisy = measure_quality(with_noise(photo, 25)[0])
    assert noisy.piqe > clean.piqe + 10 and 0 <= clean.piqe <= 100
    assert measure_quality(np.zeros((8, 8, 3), np.uint8)).evidence == TOO_SMALL


def test_severity_levels_are_continuous_between_thresholds() -> None:
    assert [level(v, 1, 2, 3) for v in (0.5, 1, 1.5, 2, 3, 4, 9)] == [0.5, 1, 1.5, 2, 3, 4, 4]
