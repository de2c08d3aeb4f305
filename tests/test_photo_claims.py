"""Claims about real photos: the kind of noise, the decision to denoise, and the check of a run's result."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.core.loop import ask
from tests.agent_fixtures import sha, weights_env  # noqa: F401 (fixture)
from tests.cli_run import run_cli
from tools.analyzer import analyze
from tools.analyzer.method_noise import check_residual
from tools.analyzer.noise import measure_noise
from tools.analyzer.synthetic import realistic_noise
from tools.restore import RestoreRequest, decide, restore


def photo(name: str = "astronaut", size: int = 256) -> np.ndarray:
    """A real photo shipped with scikit-image, cropped to ``size`` (its centre)."""
    from skimage import data

    pixels = getattr(data, name)()
    top, left = (pixels.shape[0] - size) // 2, (pixels.shape[1] - size) // 2
    return np.ascontiguousarray(pixels[top:top + size, left:left + size])


def save(pixels: np.ndarray, path: Path) -> Path:
    Image.fromarray(pixels).save(path)
    return path


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_clean_photos_read_as_noise_free_and_are_not_denoised(name: str) -> None:
    noise = measure_noise(photo(name))
    assert noise.kind == "none" and noise.severity == "none", noise.evidence
    assert noise.suggested_level is None


@pytest.mark.parametrize("kind, strength", [("correlated", 30), ("correlated", 40), ("luminance", 12),
                                            ("signal-dependent", 14), ("white", 15)])
def test_each_kind_of_noise_is_found_and_named(kind: str, strength: float) -> None:
    clean = photo("astronaut", 320)
    noisy = realistic_noise(clean, kind, strength, np.random.default_rng(3))
    noise = measure_noise(noisy)
    assert noise.kind == kind, noise.evidence
    true_std = float(np.std(noisy.astype(float) - clean))
    assert noise.low - 0.25 * true_std <= true_std <= noise.high + 0.25 * true_std, (true_std, noise)


def test_grain_gets_a_range_a_correlation_length_and_lower_confidence() -> None:
    noisy = realistic_noise(photo("coffee", 320), "correlated", 30, np.random.default_rng(4))
    noise = measure_noise(noisy)
    assert noise.kind == "correlated" and noise.high > noise.low
    assert 0.5 <= noise.correlation_length <= 2.5
    assert noise.confidence < 0.9 and "grain" in noise.evidence


def test_the_policy_runs_on_white_noise_and_skips_clean_photos_and_grain() -> None:
    clean = photo()
    rng = np.random.default_rng(5)
    skip = decide(analyze_pixels(clean))
    assert not skip.denoise and "no visible" in skip.reason and "sigma" in skip.reason
    grain = decide(analyze_pixels(realistic_noise(clean, "correlated", 35, rng)))
    assert not grain.denoise and "grain" in grain.reason and "white noise" in grain.reason
    white = decide(analyze_pixels(realistic_noise(clean, "white", 25, rng)))
    assert white.denoise and white.noise_level == 25 and not white.forced
    forced = decide(analyze_pixels(clean), force=True)
    assert forced.denoise and forced.forced and "would not run it" in forced.reason


def analyze_pixels(pixels: np.ndarray):
    from tools.imageio import LoadedImage

    return analyze(LoadedImage(pixels=pixels, path=Path("photo.png"), format="PNG"))


def test_clean_this_photo_on_a_clean_photo_does_not_run_the_denoiser(tmp_path: Path) -> None:
    path = save(photo(), tmp_path / "clean.png")
    before = sha(path)
    reply = ask("Please clean this photo", images=[path], output_dir=tmp_path)
    calls = reply.response["tool_calls"]
    assert [c["name"] for c in calls] == ["search_records", "analyze_image", "denoise_image"]
    assert reply.evidence.restorations[0].run is None
    workflow = reply.response["sections"]["workflow"]
    sigma = reply.evidence.restorations[0].analysis.noise.sigma
    assert "the denoiser was not run" in workflow and "no visible" in workflow and f"sigma {sigma:.1f}" in workflow
    assert not (tmp_path / "clean.denoised.png").exists() and sha(path) == before


def test_clean_it_anyway_runs_it_with_a_note(weights_env: dict, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RESTORE_AGENT_HOME", weights_env["RESTORE_AGENT_HOME"])
    path = save(photo(size=96), tmp_path / "clean.png")
    reply = ask("Please denoise this photo anyway", images=[path], output_dir=tmp_path)
    result = reply.evidence.restorations[0]
    assert result.run is not None and result.decision.forced
    assert "It ran because it was asked for" in reply.response["sections"]["workflow"]


def test_noisy_photo_is_denoised_and_the_check_passes(weights_env: dict, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RESTORE_AGENT_HOME", weights_env["RESTORE_AGENT_HOME"])
    noisy = realistic_noise(photo(size=128), "white", 15, np.random.default_rng(6))
    path = save(noisy, tmp_path / "noisy.png")
    result = restore(path, RestoreRequest(tmp_path / "out.png"))
    assert result.decision.denoise and result.run is not None
    assert result.check is not None and result.check.ok, result.check.problems
    reply = ask("Please clean this photo", images=[path], output_dir=tmp_path)
    assert "Checked without a reference: the removed residual looks like noise" in \
        reply.response["sections"]["workflow"]


def test_the_check_flags_noise_weights_forced_onto_a_clean_textured_photo(
        weights_env: dict, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RESTORE_AGENT_HOME", weights_env["RESTORE_AGENT_HOME"])
    path = save(photo("chelsea", 256), tmp_path / "fur.png")
    result = restore(path, RestoreRequest(tmp_path / "out.png", noise_level=15))
    assert result.decision.forced and result.check is not None and not result.check.ok
    assert any("removed" in problem and "as well as noise" in problem or "along with the noise" in problem
               for problem in result.check.problems), result.check.problems


def test_check_residual_passes_noise_and_fails_structure() -> None:
    clean = photo("astronaut", 128).astype(float)
    noise = np.random.default_rng(7).normal(0, 10, clean.shape)
    good = check_residual(clean + noise, clean, 10.0, "white")
    assert good.ok and good.edge_correlation < 0.2
    smoothed = check_residual(clean + noise, clean, 10.0, "white", piqe_before=40.0, piqe_after=55.0)
    assert smoothed.ok and "PIQE 40.0 -> 55.0" in smoothed.notes[0] and "although" in smoothed.verdict
    blurred = np.stack([np.asarray(Image.fromarray(clean[..., c].astype(np.uint8)).resize((32, 32)).resize((128, 128)))
                        for c in range(3)], axis=2).astype(float)
    bad = check_residual(clean, blurred, 0.5, "none", piqe_before=40.0, piqe_after=55.0)
    assert not bad.ok and bad.edge_correlation > 0.2 and any("PIQE" in problem for problem in bad.problems)


def test_denoise_json_reports_the_check(weights_env: dict, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RESTORE_AGENT_HOME", weights_env["RESTORE_AGENT_HOME"])
    path = save(photo("chelsea", 256), tmp_path / "fur.png")
    run = run_cli("denoise", path, "-o", tmp_path / "out.png", "--json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["check"]["ok"] is False and "noise" in data["check"]["verdict"]
    assert f"warning: {data['check']['problems'][0]}" in run.err
