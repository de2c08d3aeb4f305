"""JPEG: exact IJG quality from quantization tables, blockiness and grid offset on re-saved files."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.analyzer_images import blurred, crop
from tools.analyzer import analyze
from tools.analyzer.jpeg import IJG_LUMA, blockiness, ijg_tables, measure_jpeg, quality_from_tables
from tools.analyzer.measurement import gray_float


def test_quality_50_tables_are_the_standard_tables() -> None:
    assert (ijg_tables(50)[0] == IJG_LUMA).all() and (ijg_tables(100)[0] == 1).all()


@pytest.mark.parametrize("quality", [1, 10, 30, 50, 75, 95, 100])
def test_quality_read_exactly_from_a_pillow_jpeg(tmp_path, sample_photo, quality) -> None:
    path = tmp_path / f"q{quality}.jpg"
    Image.fromarray(crop(sample_photo, 64)).save(path, quality=quality)
    result = measure_jpeg(np.asarray(Image.open(path)), path)
    assert (result.quality, result.exact, result.method) == (quality, True, "quantization-tables")


def test_custom_tables_give_the_closest_quality() -> None:
    luma, chroma = ijg_tables(60)
    quality, exact = quality_from_tables({0: list(luma + 1), 1: list(chroma)})
    assert not exact and abs(quality - 60) <= 2


def _jpeg_decoded(tmp_path, pixels: np.ndarray, quality: int) -> np.ndarray:
    path = tmp_path / "x.jpg"
    Image.fromarray(pixels).save(path, quality=quality)
    return np.asarray(Image.open(path))


def test_blockiness_finds_the_grid_and_its_offset(tmp_path, sample_photo) -> None:
    clean = crop(sample_photo, 200)
    decoded = _jpeg_decoded(tmp_path, clean, 15)
    score, offset = blockiness(gray_float(decoded))
    assert score > 0.3 and offset == (0, 0)
    shifted_score, shifted = blockiness(gray_float(decoded[3:, 5:]))
    assert shifted == (5, 3) and shifted_score > 0.3
    assert blockiness(gray_float(clean))[0] < 0.1


@pytest.mark.parametrize("quality", [10, 50, 95])
def test_png_resave_quality_from_the_dct_lattice(tmp_path, sample_photo, quality) -> None:
    decoded = _jpeg_decoded(tmp_path, crop(sample_photo, 200), quality)
    result = measure_jpeg(decoded, None)
    assert result.quality is None and result.method == "dct-histogram" and result.estimated_quality == quality
    assert result.severity != "none"


def test_never_compressed_photo_has_no_jpeg_finding(sample_photo) -> None:
    result = measure_jpeg(crop(sample_photo, 200), None)
    assert result.severity == "none" and result.method == "blockiness" and result.dct_score < 0.6


def test_cropped_resave_falls_back_to_the_found_grid(tmp_path, sample_photo) -> None:
    decoded = _jpeg_decoded(tmp_path, crop(sample_photo, 200), 20)[3:, 5:]
    result = measure_jpeg(np.ascontiguousarray(decoded), None)
    assert result.grid_offset == (5, 3) and result.severity != "none"


@pytest.mark.parametrize(("level", "main"), [(1, "jpeg"), (3, "blur")])
def test_a_proven_jpeg_explains_mild_blur_but_not_strong_blur(sample_photo, tmp_path, level, main) -> None:
    path = tmp_path / "blurred.jpg"
    Image.fromarray(blurred(crop(sample_photo, 400, top=50, left=50), level)).save(path, quality=92)
    result = analyze(path)
    blur = next(f for f in result.findings if f.degradation == "blur")
    assert blur.severity == ("mild" if main == "jpeg" else "severe")
    assert (blur.explained_by == "jpeg") == (main == "jpeg")
    assert result.main_degradation() == main
