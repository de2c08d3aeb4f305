"""Claims about real photos: the kind of noise, the decision to denoise, and the check of a run's result."""
from __future__ import annotations

import json
import re
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
    measured = analyze_pixels(realistic_noise(clean, "white", 25, rng))
    white = decide(measured)
    assert white.denoise and white.noise_level == measured.suggested_noise_level and not white.forced
    forced = decide(analyze_pixels(clean), force=True)
    assert forced.denoise and forced.forced and "would not run it" in forced.reason


def analyze_pixels(pixels: np.ndarray):
    from tools.imageio import LoadedImage

    return analyze(LoadedImage(pixels=pixels, path=Path("photo.png"), format="PNG"))


def grain(pixels: np.ndarray, blur: float = 1.5, std: float = 8.0, seed: int = 0) -> np.ndarray:
    """``pixels`` with film-like grain: Gaussian noise blurred by ``blur`` px in each channel, scaled to ``std``."""
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(np.random.default_rng(seed).normal(0, 1, pixels.shape), (blur, blur, 0))
    return np.clip(np.rint(pixels + field / field.std() * std), 0, 255).astype(np.uint8)


def paragraphs(text: str) -> list[str]:
    return [part for part in text.split("\n\n") if part.strip() and not part.startswith("#")]


QUESTION = "What is wrong with input.png and can you clean it?"


@pytest.fixture(scope="module")
def three_photos(weights_env: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """The user's question on a clean photo, a grainy one and a noisy one, each as ``input.png`` in its own folder:
    the answer and the result of the pipeline on the photo."""
    from skimage import data

    noisy = realistic_noise(photo("astronaut", 256), "white", 25, np.random.default_rng(8))
    answers = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RESTORE_AGENT_HOME", weights_env["RESTORE_AGENT_HOME"])
        for name, pixels in (("clean", data.coffee()), ("grain", grain(data.coffee())), ("noisy", noisy)):
            folder = tmp_path_factory.mktemp(name)
            path = save(pixels, folder / "input.png")
            before = sha(path)
            patch.chdir(folder)
            reply = ask(QUESTION, output_dir=folder)
            assert sha(path) == before, "the input photo was modified"
            answers[name] = (reply, folder)
    return answers


@pytest.mark.parametrize("name", ["clean", "grain", "noisy"])
def test_the_answer_opens_with_what_was_measured_done_written_and_checked(three_photos: dict, name: str) -> None:
    reply, folder = three_photos[name]
    result = reply.evidence.restorations[0]
    noise = result.analysis.noise
    assert noise.kind == {"clean": "none", "grain": "correlated", "noisy": "white"}[name], noise.evidence
    first, second = paragraphs(reply.response["answer"])[:2]
    assert first == paragraphs(reply.response["sections"]["task"])[0]
    assert f"sigma {noise.sigma:.1f}" in first or f"std about {noise.sigma:.1f}" in first
    assert "The analysis of `input.png`" in first and "0-255 scale" in first
    if name == "noisy":
        assert result.status == "restored" and "It was denoised" in first
        assert f"written to `{folder / 'input.denoised.png'}`" in first and (folder / "input.denoised.png").is_file()
        assert "Checked without a reference, the result is restored" in first
        assert f"the measured sigma {noise.sigma:.1f} / sqrt(3)" in first  # the check explains its prediction
    else:
        assert result.run is None and not list(folder.glob("input.denoised*"))
        assert "Not denoised, and no file written" in first and "say 'denoise it anyway'" in first
        assert ("would only remove detail" if name == "clean" else "trained on white noise") in first
    assert second.startswith("The task is")  # the records' overview follows the photo
    assert "ran because it was asked" not in reply.response["answer"] and "running anyway" not in first
    assert "asked" not in result.decision.reason and not result.decision.forced  # nobody asked for a level or a run


def test_the_overview_keeps_its_three_sections_after_the_photo(three_photos: dict) -> None:
    reply, _ = three_photos["noisy"]
    answer = reply.response["answer"]
    assert answer.index("## Task") < answer.index("## Workflow") < answer.index("## Papers and tools")
    assert "Here: `input.png` → " in reply.response["sections"]["workflow"]
    assert re.search(r"Here: `input\.png` → `[^`]+`, restored\.", reply.response["sections"]["workflow"])
    assert "[denoise-swinir-noise15]" in reply.response["sections"]["references"]
    assert reply.response["photos"] == [{
        "path": "input.png", "noise_sigma": round(reply.evidence.restorations[0].analysis.noise.sigma, 2),
        "noise_kind": "white", "status": "restored", "caption": reply.evidence.restorations[0].caption,
        "output": str(reply.evidence.restorations[0].run.output), "notice": None}]


def test_a_level_alone_does_not_run_the_denoiser_and_force_counts_only_when_the_user_insists(tmp_path: Path) -> None:
    from agent.core.toolbox import Toolbox
    from agent.core.turn import Evidence, make_turn
    from tools.cards import load_card

    path = save(photo(size=96), tmp_path / "clean.png")
    records = load_card(None).records
    plain = Toolbox(make_turn("please clean this photo", records, attached=[path]), Evidence())
    assert plain.denoise_image(str(path), noise_level=15)["status"] == "not-run"
    ignored = plain.denoise_image(str(path), force=True)  # a model that forces what the user did not ask for
    assert ignored["status"] == "not-run" and "force_ignored" in ignored and not ignored["decision"]["forced"]
    assert not list(tmp_path.glob("clean.denoised*"))


def test_denoise_it_anyway_says_the_notice_before_the_result(weights_env: dict, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RESTORE_AGENT_HOME", weights_env["RESTORE_AGENT_HOME"])
    path = save(photo(size=96), tmp_path / "clean.png")
    reply = ask("Please denoise this photo anyway", images=[path], output_dir=tmp_path)
    result = reply.evidence.restorations[0]
    assert result.run is not None and result.decision.forced
    first = paragraphs(reply.response["sections"]["task"])[0]
    notice = result.decision.notice
    assert first.startswith(f"**{notice[0].upper()}{notice[1:]}.**") and "running anyway because you asked" in notice
    assert first.index("running anyway") < first.index("It was denoised") < first.index("Checked without a reference")
    assert f"`{result.run.output}`" in first
    if result.status == "check-failed":  # never called restored or cleaned
        assert "**denoised (check failed: " in first and "not restored" in first and "result is restored" not in first
        assert result.check.prediction in first


def test_a_follow_up_that_insists_runs_what_the_first_turn_left_alone(weights_env: dict, tmp_path: Path,
                                                                         monkeypatch) -> None:
    monkeypatch.setenv("RESTORE_AGENT_HOME", weights_env["RESTORE_AGENT_HOME"])
    from agent.core.backends import LLMSettings
    from agent.core.session import ChatSession

    path = save(photo(size=96), tmp_path / "clean.png")
    session = ChatSession(LLMSettings(), output_dir=tmp_path)
    first = session.ask(f"can you clean {path}?")
    assert first.evidence.restorations[0].run is None
    again = session.ask("do it anyway")
    assert again.evidence.restorations[0].decision.forced and again.evidence.restorations[0].run is not None
    assert "running anyway because you asked" in paragraphs(again.response["sections"]["task"])[0]


def test_noisy_photo_is_denoised_and_the_check_passes(weights_env: dict, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RESTORE_AGENT_HOME", weights_env["RESTORE_AGENT_HOME"])
    noisy = realistic_noise(photo(size=128), "white", 15, np.random.default_rng(6))
    path = save(noisy, tmp_path / "noisy.png")
    result = restore(path, RestoreRequest(tmp_path / "out.png"))
    assert result.decision.denoise and result.run is not None
    assert result.check is not None and result.check.ok, result.check.problems


def test_the_check_flags_noise_weights_forced_onto_a_clean_textured_photo(
        weights_env: dict, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RESTORE_AGENT_HOME", weights_env["RESTORE_AGENT_HOME"])
    path = save(photo("chelsea", 256), tmp_path / "fur.png")
    assert restore(path, RestoreRequest(tmp_path / "asked.png", noise_level=15)).run is None  # a level says how
    result = restore(path, RestoreRequest(tmp_path / "out.png", noise_level=15, force=True))
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
    run = run_cli("denoise", path, "-o", tmp_path / "out.png", "--json", "--force-run")
    data = json.loads(run.out)  # the command's exit status on a failed check is the denoise command's own test
    assert data["status"] == "check-failed" and data["check"]["ok"] is False and "noise" in data["check"]["verdict"]
    assert data["check"]["problems"][0] in run.err and "running anyway because you asked" in run.err


@pytest.mark.parametrize("name", ["astronaut", "coffee"])
def test_clipped_blocks_do_not_read_as_removed_structure(name: str, monkeypatch) -> None:
    from skimage import data

    clean = np.asarray(Image.fromarray(getattr(data, name)()).resize((512, 384)), dtype=np.float64)
    noisy = np.clip(np.rint(clean + np.random.default_rng(0).normal(0, 15, clean.shape)), 0, 255).astype(np.uint8)
    perfect = check_residual(noisy, clean, 15.0, "independent")  # the clean photo: what a perfect denoiser gives
    assert perfect.ok and abs(perfect.edge_correlation) < 0.1, perfect
    monkeypatch.setattr("tools.analyzer.method_noise.CLIPPED_LIMIT", 1.0)  # every block, clipped ones included
    assert check_residual(noisy, clean, 15.0, "independent").edge_correlation > 0.2


def test_too_few_blocks_for_an_edge_correlation_say_so() -> None:
    rng = np.random.default_rng(1)
    clean = np.tile(np.linspace(40, 200, 64), (48, 1))[..., None].repeat(3, axis=2)  # 3 x 4 blocks of 16 px
    noisy = np.clip(np.rint(clean + rng.normal(0, 10, clean.shape)), 0, 255).astype(np.uint8)
    check = check_residual(noisy, clean, 10.0, "independent")
    assert check.edge_correlation is None and "edge correlation not measured" in check.verdict
    bigger = np.tile(np.linspace(40, 200, 128), (128, 1))[..., None].repeat(3, axis=2)
    noisy = np.clip(np.rint(bigger + rng.normal(0, 10, bigger.shape)), 0, 255).astype(np.uint8)
    assert check_residual(noisy, bigger, 10.0, "independent").edge_correlation is not None
