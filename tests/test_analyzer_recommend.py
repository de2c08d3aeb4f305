"""Recommendations name only loaded records, match findings to ``handles``, and pick the noise checkpoint."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.analyzer_images import blurred, crop, with_noise
from tools.analyzer import analyze, recommend
from tools.imageio import LoadedImage
from tools.records import Record

DENOISE = Record(id="denoiser", title="Denoiser", kind="recommended model", paper="p1",
                 handles=("gaussian-noise",), runnable=True)
ALL_IN_ONE = Record(id="all-in-one", title="All-in-one", kind="related paper", paper="p2",
                    handles=("unknown", "noise", "haze", "blur", "low-light"))
GENERATIVE = Record(id="generative", title="Generative", kind="related paper", paper="p3",
                    handles=("real-world-mixed", "jpeg", "low-resolution"))
RECORDS = [DENOISE, ALL_IN_ONE, GENERATIVE]


def loaded(pixels: np.ndarray, name: str = "synthetic.png") -> LoadedImage:
    return LoadedImage(path=Path(name), pixels=pixels, source_mode="RGB", format="PNG")


@pytest.fixture(scope="module")
def photo(sample_photo: np.ndarray) -> np.ndarray:
    return crop(sample_photo, 400, top=50, left=50)


@pytest.mark.parametrize(("sigma", "checkpoint"), [(14, 15), (26, 25), (54, 50)])
def test_gaussian_noise_goes_to_the_denoiser_with_its_checkpoint(photo, sigma, checkpoint) -> None:
    """On the photo toned to mid-gray, where little of the noise is clipped (clipped noise measures lower and runs
    the weights below: test_analyzer_noise)."""
    result = analyze(loaded(with_noise(photo * 0.5 + 64, sigma)[0]), RECORDS)
    assert result.suggested_noise_level == checkpoint
    first = result.recommendations[0]
    assert (first.record, first.noise_level) == ("denoiser", checkpoint)
    assert f"noise-level {checkpoint} checkpoint" in first.why and "runs here" in first.why


def test_blur_goes_to_the_all_in_one_record_only(photo) -> None:
    result = analyze(loaded(blurred(photo, 3)), RECORDS)
    assert result.main_degradation() == "blur"
    assert [r.record for r in result.recommendations] == ["all-in-one"]
    assert "described only" in result.recommendations[0].why


def test_only_loaded_records_are_named(photo) -> None:
    noisy = loaded(with_noise(photo, 26)[0])
    assert analyze(noisy, [GENERATIVE]).recommendations == []
    assert analyze(noisy, []).recommendations == []
    # Without a Gaussian-noise record, the wider "noise" handler is used, with no checkpoint.
    fallback = analyze(noisy, [ALL_IN_ONE]).recommendations
    assert [(r.record, r.noise_level) for r in fallback] == [("all-in-one", None)]


def test_several_degradations_call_for_the_all_in_one_record(photo) -> None:
    dark_blurry_noisy = with_noise(blurred(photo, 2.5) * 0.15, 10)[0]
    result = analyze(loaded(dark_blurry_noisy), RECORDS)
    found = {f.degradation for f in result.findings}
    assert {"blur", "low-light"} <= found
    reasons = {r.record: r.why for r in result.recommendations}
    assert "several degradations at once" in reasons["all-in-one"]


def test_clean_photo_needs_nothing(photo) -> None:
    result = analyze(loaded(photo), RECORDS)
    assert result.findings == [] and result.recommendations == [] and result.main_degradation() == "none"


def test_recommend_can_be_rerun_on_an_analysis(photo) -> None:
    result = analyze(loaded(blurred(photo, 3)))
    assert result.recommendations == []
    assert [r.record for r in recommend(result.findings, result.suggested_noise_level, RECORDS)] == ["all-in-one"]
