"""`restore-agent demo`: files, figures and timings of a real run; as-is mode; bad input."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.products.demo import add_gaussian_noise
from tests.cli_run import run_cli
from tests.swinir_helpers import save_checkpoint
from tests.trivial_denoisers import BASELINES, assert_beats_trivial, assert_gate_refuses, pixels
from tools.errors import UserError
from tools.json_numbers import digits_for
from tools.swinir import weights as registry

STEPS = {"prepare", "analyze", "denoise", "measure", "compare"}
DEMO_MARGIN_DB = 1.0  # over the best trivial denoiser (NLM): the trained weights lead it by 1.53 dB on the crop


@pytest.fixture(scope="module")
def crop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 128 x 128 crop of the sample photo as a PNG file."""
    from skimage import data

    path = tmp_path_factory.mktemp("photo") / "crop.png"
    Image.fromarray(data.astronaut()[100:228, 180:308]).save(path)
    return path


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random SwinIR checkpoint: the pipeline runs for real, fast, but does not really denoise."""
    return save_checkpoint(tmp_path_factory.mktemp("weights") / "tiny_noise15.pth", 3)


@pytest.fixture(scope="module")
def demo_run(crop: Path, random_weights: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    out = tmp_path_factory.mktemp("demo") / "out"
    digest = hashlib.sha256(crop.read_bytes()).hexdigest()
    run = run_cli("demo", "--image", crop, "--add-noise", "15", "-o", out, "--weights", random_weights)
    assert run.code == 0, run.err
    assert hashlib.sha256(crop.read_bytes()).hexdigest() == digest, "the input photo was modified"
    return out, json.loads((out / "demo.json").read_text()), run.out


def test_demo_writes_every_file_and_the_figures(demo_run, crop: Path):
    out, report, _ = demo_run
    for name in ("clean.png", "input.png", "restored.png", "comparison.png", "demo.json"):
        assert (out / name).is_file(), name
    assert report["mode"] == "reference" and report["sigma"] == 15
    clean = np.asarray(Image.open(out / "clean.png"))
    noisy = np.asarray(Image.open(out / "input.png"))
    assert np.array_equal(clean, np.asarray(Image.open(crop)))
    assert abs(float(np.std(noisy.astype(float) - clean)) - 15) < 1.5, "the input is not the clean photo + sigma 15"
    assert 23.0 < report["metrics"]["noisy"]["psnr"] < 27.0  # 20 log10(255 / 15) = 24.6 dB before clipping
    assert set(report["metrics"]["restored"]) == {"psnr", "ssim"}
    assert 10 < report["noise_estimate"]["before"] < 20 and report["noise_estimate"]["after"] is not None
    assert report["checkpoint"]["suggested_noise_level"] == 15
    assert set(report["seconds"]) == STEPS and report["seconds"]["denoise"] > 0
    assert any(r["record"] == "denoise-swinir-noise15" for r in report["recommendations"])


def test_demo_comparison_has_three_panels_and_zoom(demo_run):
    out, _, _ = demo_run
    sheet = Image.open(out / "comparison.png")
    assert sheet.width > 3 * 300 and sheet.height > sheet.width / 3
    assert np.asarray(sheet).std() > 10


def test_demo_summary_shows_the_workflow_with_real_numbers(demo_run):
    _, report, printed = demo_run
    for stage in ("Input", "Analyzer", "SwinIR checkpoint", "Output"):
        assert stage in printed
    assert f"{report['metrics']['noisy']['psnr']:.2f}" in printed
    assert f"{report['seconds']['denoise']:.2f} s" in printed


def test_demo_as_is_compares_without_reference(demo_run, random_weights: Path, tmp_path: Path):
    out, _, _ = demo_run
    run = run_cli("demo", "--as-is", "--image", out / "input.png", "-o", tmp_path / "as-is", "--weights",
                  random_weights, "--json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["mode"] == "as-is" and report["metrics"] is None
    assert not (tmp_path / "as-is" / "clean.png").exists()
    assert report["quality"]["before"] is not None and report["quality"]["after"] is not None
    assert report["noise_estimate"]["before"] > 10


def test_demo_refuses_bad_input(demo_run, crop: Path, tmp_path: Path):
    out, _, _ = demo_run
    cases = {
        ("demo", "--image", crop, "-o", out): "output exists",
        ("demo", "--image", tmp_path / "missing.png", "-o", tmp_path / "a"): "no such file",
        ("demo", "--as-is", "-o", tmp_path / "b"): "--image must be given to restore a photo as is",
        ("demo", "--as-is", "--image", crop, "--add-noise", "15", "-o", tmp_path / "d"): "takes no --add-noise",
        ("demo", "--image", crop, "-o", crop / "sub"): "output folder",
        ("demo", "--image", crop, "--add-noise", "-3", "-o", tmp_path / "c"): "--add-noise",
        ("demo", "--image", crop, "--noise", "15", "-o", tmp_path / "e"): "--noise is now --add-noise",
    }
    for args, message in cases.items():
        run = run_cli(*args)
        assert run.code == 2 and message in run.err, (args, run.err)
        assert run.err.count("\n") == 1 and "Traceback" not in run.err


def test_noise_is_reproducible_and_clipped_to_eight_bits():
    pixels = np.full((32, 32), 250, np.uint8)
    first, second = add_gaussian_noise(pixels, 15, seed=3), add_gaussian_noise(pixels, 15, seed=3)
    assert first.dtype == np.uint8 and np.array_equal(first, second) and first.max() == 255
    with pytest.raises(UserError):
        add_gaussian_noise(pixels, -1)


@pytest.fixture(scope="module")
def real_demo(crop: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The demo on the crop with the trained noise-15 weights: its output folder and report."""
    try:
        chosen = registry.resolve(15)
    except UserError as missing:
        pytest.skip(f"no trained SwinIR noise-15 weights installed or shipped ({missing})")
    out = tmp_path_factory.mktemp("real") / "real"
    run = run_cli("demo", "--image", crop, "-o", out, "--json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["checkpoint"]["id"] == chosen.id and report["sigma"] == 15
    return out, report


def demo_photos(out: Path) -> tuple[np.ndarray, np.ndarray]:
    """(clean, noisy): the photo and the seeded noisy copy the demo wrote and restored."""
    return pixels(out / "clean.png"), pixels(out / "input.png")


def test_demo_restores_better_than_trivial_denoisers_with_real_weights(real_demo):
    out, report = real_demo
    figures = assert_beats_trivial(*demo_photos(out), pixels(out / "restored.png"), report["sigma"], DEMO_MARGIN_DB)
    assert report["metrics"]["restored"]["psnr"] == pytest.approx(figures["restored"], abs=0.01)
    assert report["metrics"]["restored"]["ssim"] > report["metrics"]["noisy"]["ssim"]
    assert report["noise_estimate"]["after"] < report["noise_estimate"]["before"]


@pytest.mark.parametrize("baseline", BASELINES)
def test_demo_gate_refuses_each_trivial_denoiser(real_demo, baseline: str):
    out, report = real_demo
    assert_gate_refuses(baseline, *demo_photos(out), report["sigma"], DEMO_MARGIN_DB)


@pytest.fixture(scope="module")
def decision_photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from tests.report_photos import clean_photo, grain_photo, noisy_photo

    folder = tmp_path_factory.mktemp("decisions")
    return {"clean": clean_photo(folder / "coffee.png"), "grain": grain_photo(folder / "grain.png"),
            "noisy": noisy_photo(folder / "astronaut-25.png")}


@pytest.mark.parametrize("kind, noise_kind, reason", [("clean", "none", "denoising would only remove detail"),
                                                      ("grain", "correlated", "trained on white noise")])
def test_demo_as_is_leaves_a_photo_the_analysis_would_not_denoise(decision_photos, tmp_path: Path, kind: str,
                                                                  noise_kind: str, reason: str):
    out = tmp_path / "out"
    run = run_cli("demo", "--as-is", "--image", decision_photos[kind], "-o", out)
    assert run.code == 0, run.err
    assert sorted(p.name for p in out.iterdir()) == ["demo.json", "input.png"]  # no restored image, no comparison
    report = json.loads((out / "demo.json").read_text())
    assert report["status"] == "not-run" and report["caption"] == "not denoised"
    assert report["analysis"]["noise"]["kind"] == noise_kind
    assert report["decision"]["denoise"] is False and reason in report["decision"]["reason"]
    assert report["checkpoint"] is None and report["after"] is None and "denoise" not in report["seconds"]
    assert "Output: not denoised" in run.out and "--force-run runs it anyway" in run.out
    assert "restored" not in run.out.split("steps:")[0] and run.err == ""


def test_demo_force_run_announces_the_notice_first_and_captions_the_failed_check(decision_photos, tmp_path: Path):
    out = tmp_path / "forced"
    run = run_cli("demo", "--as-is", "--image", decision_photos["clean"], "-o", out, "--force-run", "--json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["decision"]["forced"] and report["decision"]["notice"].endswith("running anyway because you asked")
    assert report["status"] == "check-failed" and report["caption"].startswith("denoised (check failed: ")
    assert report["warnings"][0] == report["decision"]["notice"] and report["check"]["problems"]
    lines = run.err.splitlines()
    assert lines[0] == f"warning: {report['decision']['notice']}"  # before the work, then what the check found
    assert all(line.startswith("warning: check failed: ") for line in lines[1:]) and len(lines) > 1
    assert {"restored.png", "comparison.png"} <= {p.name for p in out.iterdir()}
    summary = run_cli("demo", "--as-is", "--image", decision_photos["clean"], "-o", out, "--force-run", "--force")
    assert "Output: check failed" in summary.out and "forced: run anyway, as asked" in summary.out
    shown = summary.out.split("steps:")[0]  # the workflow and figures, before the files written
    assert "┃ denoised ┃" in shown and "restored" not in shown


def test_demo_on_a_noisy_photo_restores_it_and_rounds_its_json(decision_photos, tmp_path: Path):
    out = tmp_path / "noisy"
    run = run_cli("demo", "--as-is", "--image", decision_photos["noisy"], "-o", out, "--json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["status"] == "restored" and report["caption"] == f"restored ({report['checkpoint']['id']})"
    assert report["decision"] == {**report["decision"], "denoise": True, "forced": False, "notice": None}
    assert report == json.loads((out / "demo.json").read_text()) | {"seconds": report["seconds"],
                                                                     "total_seconds": report["total_seconds"]}
    floats = re.findall(r'"(\w+)": (-?\d+\.\d+)', (out / "demo.json").read_text())
    assert floats and all(len(value.split(".")[1]) <= digits_for(key) or not digits_for(key)  # 0: left as is
                          for key, value in floats), floats
    assert run.err == ""


def test_demo_synthetic_noise_runs_because_the_analysis_finds_it(demo_run):
    _, report, _ = demo_run
    assert report["decision"]["denoise"] and not report["decision"]["forced"]
    assert report["status"] in ("restored", "check-failed") and report["checkpoint"]["id"] == "tiny_noise15.pth"


def test_demo_without_added_noise_leaves_the_clean_photo_and_clears_an_earlier_output(demo_run, decision_photos):
    out, _, _ = demo_run
    run = run_cli("demo", "--image", decision_photos["clean"], "--add-noise", "0", "-o", out, "--force", "--json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["status"] == "not-run" and set(report["metrics"]) == {"noisy"}
    assert sorted(p.name for p in out.iterdir()) == ["clean.png", "demo.json", "input.png"]


def test_demo_checks_the_weights_before_writing_anything(crop: Path, tmp_path: Path):
    for weights in ("no-such-weights", str(tmp_path / "missing.pth")):
        run = run_cli("demo", "--image", crop, "-o", tmp_path / "out", "--weights", weights)
        assert run.code == 2 and "weights" in run.err and run.err.count("\n") == 1, run.err
        assert not (tmp_path / "out").exists()
