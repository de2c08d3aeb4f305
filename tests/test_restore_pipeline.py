"""The one restoration pipeline (analyze -> decide -> denoise -> check), and that its results are passed on."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.core.backends import LLMSettings
from agent.core.loop import run_agent
from agent.core.turn import make_turn
from agent.products.report.build import ReportJob
from agent.products.report.run import create_report
from tests.agent_fixtures import noisy_crop, sha
from tests.swinir_helpers import home, save_checkpoint  # noqa: F401 (autouse fixture)
from tools.cards import load_records
from tools.restore import RestoreRequest, decide, photo_key, restore

QUESTION = "How do I remove the noise from this photo?"


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts analyzer runs (by photo file name) and denoiser runs (key ``denoise``), still running both."""
    import tools.analyzer
    import tools.swinir.service

    calls: Counter = Counter()
    analyze, denoise_file = tools.analyzer.analyze, tools.swinir.service.denoise_file

    def counting_analyze(image, *args, **kwargs):
        calls[Path(str(getattr(image, "path", image))).name] += 1  # a file path or a loaded image
        return analyze(image, *args, **kwargs)

    def counting_denoise(*args, **kwargs):
        calls["denoise"] += 1
        return denoise_file(*args, **kwargs)

    monkeypatch.setattr(tools.analyzer, "analyze", counting_analyze)
    monkeypatch.setattr(tools.swinir.service, "denoise_file", counting_denoise)
    return calls


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    """A tiny random SwinIR checkpoint: the pipeline runs for real, fast (it does not really denoise)."""
    return save_checkpoint(tmp_path / "tiny_noise15.pth", 3)


def test_decide_takes_the_suggested_level_and_matches_the_measured_sigma(tmp_path: Path) -> None:
    from tools.analyzer import analyze

    analysis = analyze(noisy_crop(tmp_path / "n.png", 100, 180, sigma=25, seed=4))
    assert analysis.noise.gaussian_like and analysis.suggested_noise_level == 25
    decision = decide(analysis)
    assert (decision.denoise, decision.noise_level, decision.noise_sigma) == (True, 25, analysis.noise.sigma)
    assert "noise-25" in decision.reason and f"{analysis.noise.sigma:.1f}" in decision.reason
    asked = decide(analysis, noise_level=50)  # another level asked for: run it, matched to its own sigma
    assert (asked.noise_level, asked.noise_sigma) == (50, None) and "as asked" in asked.reason
    named = decide(analysis, weights="my.pth")  # named weights: their own level, the photo's sigma matched
    assert (named.noise_level, named.noise_sigma) == (None, analysis.noise.sigma)


def test_restore_analyzes_denoises_and_checks_once_each(tmp_path: Path, weights: Path, counted: Counter) -> None:
    photo = noisy_crop(tmp_path / "noisy.png", 100, 180, sigma=15, seed=1)
    before = sha(photo)
    result = restore(photo, RestoreRequest(tmp_path / "out.png", weights=str(weights)))
    assert counted == Counter({"noisy.png": 1, "denoise": 1, "out.png": 1})
    assert result.run.output == str(tmp_path / "out.png") and (tmp_path / "out.png").is_file()
    assert result.after is not None and result.after.image == str(tmp_path / "out.png")
    assert set(result.seconds) == {"analyze", "denoise", "check"}
    summary = result.to_json()
    assert summary["decision"]["reason"] == result.decision.reason
    assert summary["after"]["noise_sigma"] == result.after.noise.sigma
    assert sha(photo) == before

    again = restore(photo, RestoreRequest(tmp_path / "out2.png", weights=str(weights), check=False),
                    analysis=result.analysis)  # an analysis in hand is not measured again
    assert counted["noisy.png"] == 1 and again.after is None and "analyze" not in again.seconds


def test_a_turn_reuses_the_restoration_it_is_given(tmp_path: Path, weights: Path, counted: Counter) -> None:
    photo = noisy_crop(tmp_path / "noisy.png", 100, 180, sigma=15, seed=1)
    records = load_records(None)
    known = restore(photo, RestoreRequest(tmp_path / "out.png", weights=str(weights)), records)
    counted.clear()
    turn = make_turn("Please clean this photo", records, attached=[photo], restorations={photo_key(photo): known})
    result = run_agent(turn, LLMSettings())
    assert [call["name"] for call in result.response["tool_calls"]] == ["search_records", "analyze_image",
                                                                         "denoise_image"]
    assert counted == Counter(), "the turn measured or denoised again"
    assert result.evidence.restorations == [known]
    assert f"in {known.seconds['denoise']:.2f} s" in result.response["sections"]["task"]  # the photo comes first


def test_one_report_with_one_photo_runs_the_analyzer_and_the_denoiser_once(
        tmp_path: Path, weights: Path, counted: Counter) -> None:
    photo = tmp_path / "photo.png"
    from skimage import data

    clean = data.astronaut()[110:206, 180:308].astype(float)
    noisy = np.clip(np.rint(clean + np.random.default_rng(5).normal(0, 20, clean.shape)), 0, 255)
    Image.fromarray(noisy.astype(np.uint8)).save(photo)
    output = tmp_path / "report.md"
    report = create_report(ReportJob(QUESTION, [photo], weights=str(weights)), LLMSettings(), output)
    # the photo once, the restored output once (the pipeline's check), one denoise run
    assert counted == Counter({"photo.png": 1, "restored.png": 1, "denoise": 1}), counted
    run = report.runs[0]
    denoise_calls = [c for c in report.answer["tool_calls"] if c["name"] == "denoise_image"]
    assert len(denoise_calls) == 1 and denoise_calls[0]["ok"]
    text = output.read_text()
    assert f"{run.seconds['denoise']:.2f} s" in report.answer["sections"]["task"]
    assert text.count(f"{run.seconds['denoise']:.2f} s") >= 2  # the answer and the photo section agree
