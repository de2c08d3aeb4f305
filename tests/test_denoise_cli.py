"""`restore-agent denoise` and `weights`: end to end, the decision to run, output formats, and every kind of bad
input."""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.cli import main
from tests.swinir_helpers import home, save_sr_checkpoint  # noqa: F401 (home: fixture)
from tools.swinir import weights as registry

ROOT = Path(__file__).resolve().parents[1]
JSON_KEYS = {"input", "output", "model", "noise_level", "seconds", "megapixels", "tiles", "weights_kind", "contrast",
             "ensemble", "psnr", "ssim", "check", "precision", "device", "notes", "decision", "status", "before", "after"}
SHIPPED = ROOT / "tools" / "swinir" / "weights"


@pytest.fixture(scope="module")
def small_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped small sigma-15 weights, copied: a trained denoiser (fast on small crops), so its runs pass
    the check."""
    path = tmp_path_factory.mktemp("ckpt") / "small_noise15.pth"
    path.write_bytes((SHIPPED / "swinir-s-noise15.pth").read_bytes())
    return path


@pytest.fixture
def photo(sample_photo, tmp_path: Path) -> tuple[Path, Path]:
    """A noisy 40 x 56 color crop and its clean original, as PNG files."""
    clean = sample_photo[100:140, 180:236]
    noisy = np.clip(clean + np.random.default_rng(1).normal(0, 15, clean.shape), 0, 255).astype(np.uint8)
    paths = tmp_path / "noisy.png", tmp_path / "clean.png"
    Image.fromarray(noisy).save(paths[0])
    Image.fromarray(clean).save(paths[1])
    return paths


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """Run the console entry point in this process: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["restore-agent", *args])
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_weights_install_then_denoise_end_to_end_in_a_subprocess(shared_dir: Path, sample_photo, tmp_path: Path):
    checkpoint = shared_dir / "conformance" / "swinir" / "color_small.pth"
    before = sha(checkpoint)
    clean = sample_photo[60:124, 140:236]
    noisy = np.clip(clean + np.random.default_rng(2).normal(0, 15, clean.shape), 0, 255).astype(np.uint8)
    Image.fromarray(noisy).save(tmp_path / "noisy.png")
    Image.fromarray(clean).save(tmp_path / "clean.png")
    env = {**os.environ, registry.HOME_ENV: str(tmp_path / "home")}
    script = Path(sys.executable).with_name("restore-agent")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "agent"]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*command, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)

    installed = run("weights", "install", str(checkpoint), "--id", "swinir-m-color-noise15")
    assert installed.returncode == 0, installed.stderr
    assert sha(checkpoint) == before
    listed = run("weights", "list")
    assert "swinir-m-color-noise15" in listed.stdout and "installed" in listed.stdout
    done = run("denoise", "noisy.png", "-o", "out.png", "--weights", "swinir-m-color-noise15",
               "--reference", "clean.png", "--tile", "48", "--overlap", "16", "--json")
    # the conformance network is untrained: its output fails the check, which exits 1 with the output written
    assert done.returncode == 1, done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith("error: the output did not pass its check: ") and last.endswith("(written anyway: out.png)")
    result = json.loads(done.stdout)
    assert set(result) == JSON_KEYS and result["status"] == "check-failed" and not result["check"]["ok"]
    assert result["decision"]["denoise"] and not result["decision"]["forced"] and result["decision"]["notice"] is None
    assert result["model"] == "swinir-m-color-noise15" and result["noise_level"] == 15
    assert result["tiles"] == 6 and result["megapixels"] == round(64 * 96 / 1e6, 4)
    out = np.asarray(Image.open(tmp_path / "out.png"))
    assert out.shape == clean.shape and not np.array_equal(out, noisy)
    from skimage.metrics import peak_signal_noise_ratio

    assert result["psnr"] == pytest.approx(peak_signal_noise_ratio(clean, out, data_range=255), abs=0.005)  # 0.01 dB
    assert 0 < result["ssim"] <= 1


def test_text_output_reports_time_per_megapixel_and_metrics(monkeypatch, capsys, photo, small_ckpt, tmp_path):
    noisy, clean = photo
    code, out, err = cli(monkeypatch, capsys, "denoise", str(noisy), "-o", str(tmp_path / "out.webp"),
                         "--weights", str(small_ckpt), "--reference", str(clean))
    assert code == 0, err
    assert "s/MP" in out and "PSNR" in out and "SSIM" in out
    assert Image.open(tmp_path / "out.webp").size == (56, 40)


def test_ensemble_flag_runs_the_self_ensemble_and_says_so(monkeypatch, capsys, photo, small_ckpt, tmp_path):
    noisy, _ = photo
    code, out, err = cli(monkeypatch, capsys, "denoise", str(noisy), "-o", str(tmp_path / "x8.png"),
                         "--weights", str(small_ckpt), "--ensemble")
    assert code == 0, err
    assert "self-ensemble x8" in out
    code, out, err = cli(monkeypatch, capsys, "denoise", str(noisy), "-o", str(tmp_path / "x1.png"),
                         "--weights", str(small_ckpt), "--json")
    assert json.loads(out)["ensemble"] is False
    assert not np.array_equal(np.asarray(Image.open(tmp_path / "x8.png")), np.asarray(Image.open(tmp_path / "x1.png")))


def test_gray_stays_gray_and_alpha_is_reattached(monkeypatch, capsys, photo, small_ckpt, tmp_path):
    rgba = Image.open(photo[0]).convert("RGBA")
    alpha = np.tile(np.linspace(0, 255, 56, dtype=np.uint8), (40, 1))
    rgba.putalpha(Image.fromarray(alpha))
    rgba.save(tmp_path / "rgba.png")
    Image.open(photo[0]).convert("L").save(tmp_path / "gray.png")
    code, _, err = cli(monkeypatch, capsys, "denoise", str(tmp_path / "rgba.png"), "-o", str(tmp_path / "a.png"),
                       "--weights", str(small_ckpt))
    assert code == 0, err
    result = Image.open(tmp_path / "a.png")
    assert result.mode == "RGBA" and np.array_equal(np.asarray(result.getchannel("A")), alpha)
    code, _, err = cli(monkeypatch, capsys, "denoise", str(tmp_path / "gray.png"), "-o", str(tmp_path / "g.png"),
                       "--weights", str(small_ckpt))
    assert code == 0, err
    assert Image.open(tmp_path / "g.png").mode == "L"
    assert "color checkpoint on a gray photo" in err


def test_sixteen_bit_input_stays_sixteen_bit_and_jpeg_says_why_not(monkeypatch, capsys, photo, small_ckpt, tmp_path):
    gray16 = (np.asarray(Image.open(photo[0]).convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    Image.fromarray(gray16).save(tmp_path / "deep.png")
    code, _, err = cli(monkeypatch, capsys, "denoise", str(tmp_path / "deep.png"), "-o", str(tmp_path / "o.png"),
                       "--weights", str(small_ckpt), "--json")
    assert code == 0, err
    assert "note: 16-bit image processed in float and written at 16 bits" in err and "warning" not in err
    assert Image.open(tmp_path / "o.png").mode == "I;16"
    code, _, err = cli(monkeypatch, capsys, "denoise", str(tmp_path / "deep.png"), "-o", str(tmp_path / "o.jpg"),
                       "--weights", str(small_ckpt), "--json")
    assert code == 0 and "note: 16-bit image written at 8 bits: JPEG holds 8 bits" in err


def _bad_file(kind: str, folder: Path, photo: Path) -> Path:
    """Input files that are not usable images."""
    path = folder / f"{kind}.png"
    if kind == "missing":
        return path
    if kind == "text":
        path.write_text("hello, not an image\n")
    if kind == "truncated":
        path.write_bytes(photo.read_bytes()[: photo.stat().st_size // 2])
    if kind == "bomb":
        path.write_bytes(photo.read_bytes())
    return path


@pytest.mark.parametrize("kind,message", [
    ("missing", "no such file"),
    ("text", "not an image"),
    ("truncated", "truncated or corrupt"),
    ("bomb", "decompression-bomb"),
])
def test_unusable_inputs_exit_2_with_one_line(monkeypatch, capsys, photo, small_ckpt, tmp_path, kind, message):
    if kind == "bomb":  # Pillow's limit lowered, so a small file stands for a huge one
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)
    (tmp_path / "in").mkdir()
    source = _bad_file(kind, tmp_path / "in", photo[0])
    before = sha(source) if source.exists() else None
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = cli(monkeypatch, capsys, "denoise", str(source), "-o", str(out_dir / "r.png"),
                         "--weights", str(small_ckpt))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert list(out_dir.iterdir()) == []
    assert (sha(source) if source.exists() else None) == before


def _bad_checkpoint(kind: str, folder: Path) -> Path:
    import torch

    path = folder / f"{kind}.pth"
    if kind == "corrupt":
        path.write_bytes(b"\x80\x02 this is no checkpoint")
    elif kind == "foreign":
        torch.save({"state_dict": {"encoder.weight": torch.zeros(3, 3)}}, path)
    elif kind == "super-resolution":
        save_sr_checkpoint(path)
    return path


@pytest.mark.parametrize("kind,message", [
    ("corrupt", "not a readable PyTorch checkpoint"),
    ("foreign", "not a SwinIR checkpoint"),
    ("super-resolution", "super-resolution"),
])
def test_unusable_checkpoints_exit_2(monkeypatch, capsys, photo, tmp_path, kind, message):
    checkpoint = _bad_checkpoint(kind, tmp_path)
    before = sha(photo[0]), sha(checkpoint)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, _, err = cli(monkeypatch, capsys, "denoise", str(photo[0]), "-o", str(out_dir / "r.png"),
                       "--weights", str(checkpoint))
    assert code == 2 and err.startswith("error: ") and message in err and err.count("\n") == 1
    assert list(out_dir.iterdir()) == []
    assert (sha(photo[0]), sha(checkpoint)) == before
    code, _, err = cli(monkeypatch, capsys, "weights", "install", str(checkpoint), "--id", "swinir-m-color-noise15")
    assert code == 2 and message in err
    assert not registry.find("swinir-m-color-noise15").available


@pytest.mark.parametrize("args,message", [
    (("-o", "{noisy}"), "output path is the input file"),
    (("-o", "{tmp}/no/such/dir/out.png"), "output folder does not exist"),
    (("-o", "{tmp}/out.xyz"), "unsupported output extension"),
    (("-o", "{tmp}/out.png", "--tile", "4"), "--tile must be"),
    (("-o", "{tmp}/out.png", "--tile", "64", "--overlap", "64"), "--overlap must be"),
    (("-o", "{tmp}/out.png", "--noise", "30"), "noise level must be one of"),
    (("-o", "{tmp}/out.png", "--weights", "swinir-m-color-noise99"), "--weights must be a known weights id"),
    (("-o", "{tmp}/out.png", "--weights", "swinir-m-color-noise25"), "weights download swinir-m-color-noise25"),
    (("-o", "{tmp}/out.png", "--reference", "{tmp}/small.png", "--weights", "{ckpt}"), "must match"),
    (("-o", "{tmp}/out.png", "--no-match", "--tile", "64"), "--tile must be 0 or unset for an unmatched run"),
    (("-o", "{tmp}/out.png", "--no-match", "--ensemble"), "--ensemble must be off for an unmatched run"),
    (("-o", "{tmp}/out.png", "--no-match", "--precision", "bf16"), "--precision must be fp32 for an unmatched run"),
])
def test_bad_arguments_exit_2(monkeypatch, capsys, photo, small_ckpt, tmp_path, args, message):
    Image.new("RGB", (8, 8)).save(tmp_path / "small.png")
    before = sha(photo[0])
    listing = sorted(p.name for p in tmp_path.iterdir())
    args = [a.format(noisy=photo[0], tmp=tmp_path, ckpt=small_ckpt) for a in args]
    code, _, err = cli(monkeypatch, capsys, "denoise", str(photo[0]), *args)
    assert code == 2 and err.startswith("error: ") and message in err and err.count("\n") == 1
    assert sha(photo[0]) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


def test_without_any_weights_denoise_says_how_to_get_them(monkeypatch, capsys, photo, tmp_path):
    code, _, err = cli(monkeypatch, capsys, "denoise", str(photo[0]), "-o", str(tmp_path / "o.png"))
    assert code == 2
    assert "no SwinIR weights" in err and "weights download" in err and "weights install" in err
    assert not (tmp_path / "o.png").exists()


def test_weights_download_without_network_points_to_install(monkeypatch, capsys):
    monkeypatch.setattr(registry, "RELEASE_URL", "http://127.0.0.1:9/")  # discard port: connection refused
    code, _, err = cli(monkeypatch, capsys, "weights", "download", "swinir-m-gray-noise15")
    assert code == 2 and "weights install PATH --id swinir-m-gray-noise15" in err


def test_weights_install_of_an_unnamed_file_asks_for_the_id_flag(monkeypatch, capsys, small_ckpt, tmp_path):
    unnamed = tmp_path / "checkpoint.pth"
    unnamed.write_bytes(small_ckpt.read_bytes())
    code, _, err = cli(monkeypatch, capsys, "weights", "install", str(unnamed))
    assert code == 2 and err.startswith("error: --id must be given (one of swinir-m-color-noise15")


def test_weights_list_shows_installed_and_missing(monkeypatch, capsys, small_ckpt, home):
    code, _, err = cli(monkeypatch, capsys, "weights", "install", str(small_ckpt))
    assert code == 0, err
    code, out, _ = cli(monkeypatch, capsys, "weights", "list")
    assert code == 0
    rows = {line.split()[1]: line for line in out.splitlines() if "swinir-m-" in line}
    assert set(rows) == {e.id for e in registry.REGISTRY if e.kind == "official"}
    assert "installed" in rows["swinir-m-color-noise15"] and "not installed" not in rows["swinir-m-color-noise15"]
    assert all("not installed" in line for name, line in rows.items() if name != "swinir-m-color-noise15")


def test_alpha_to_jpeg_is_dropped_with_a_warning(monkeypatch, capsys, photo, small_ckpt, tmp_path):
    Image.open(photo[0]).convert("RGBA").save(tmp_path / "rgba.png")
    code, _, err = cli(monkeypatch, capsys, "denoise", str(tmp_path / "rgba.png"), "-o", str(tmp_path / "o.jpg"),
                       "--weights", str(small_ckpt))
    assert code == 0 and "JPEG has no alpha channel" in err
    assert Image.open(tmp_path / "o.jpg").mode == "RGB"


def test_quality_on_tiny_and_identical_images():
    from tools.swinir.service import DenoiseResult, quality

    pixels = np.random.default_rng(0).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    psnr, ssim = quality(pixels, pixels)
    assert psnr == float("inf") and ssim == pytest.approx(1.0)
    noisier = np.clip(pixels.astype(int) + 3, 0, 255).astype(np.uint8)
    assert 30 < quality(pixels, noisier)[0] < 50
    result = DenoiseResult("a", "b", "m", 15, 1.0, 1.0, 1, psnr=psnr, ssim=ssim)
    assert json.loads(json.dumps(result.to_json()))["psnr"] is None


def test_a_level_without_weights_runs_the_nearest_with_its_noise_matched(monkeypatch, capsys, photo, small_ckpt,
                                                                          home, tmp_path):
    registry.install(small_ckpt, "swinir-m-color-noise15")
    code, out, err = cli(monkeypatch, capsys, "denoise", str(photo[0]), "-o", str(tmp_path / "o.png"),
                         "--noise", "25", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["model"] == "swinir-m-color-noise15" and result["noise_level"] == 15
    assert result["contrast"] == pytest.approx(0.6)
    assert "no noise-25 weights here" in err and "input contrast x0.60" in err


# ---------------------------------------------------------------- the analysis decides; --force-run overrides it

REAL = ROOT.parent / "shared" / "data" / "test" / "RealSRSet"
NOT_RUN = re.compile(r"error: not denoised: (?P<name>\S+) has (?P<finding>.+?): (?P<why>.+) "
                     r"\(use --force-run to denoise anyway\)\n")


@pytest.fixture
def coffee(tmp_path: Path) -> Path:
    """A crop of scikit-image's coffee photo: clean, no visible noise."""
    from skimage import data

    path = tmp_path / "coffee.png"
    Image.fromarray(data.coffee()[100:260, 200:440]).save(path)
    return path


@pytest.fixture
def shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's own weights, as a plain installation has them."""
    monkeypatch.setattr(registry, "EMBEDDED_DIR", SHIPPED)


@pytest.mark.parametrize("how", [(), ("--noise", "25"), ("--weights", "{ckpt}"), ("--json",)])
def test_a_clean_photo_is_not_denoised_and_nothing_is_written(monkeypatch, capsys, coffee, small_ckpt, shipped,
                                                              tmp_path, how):
    before, out_dir = sha(coffee), tmp_path / "out"
    out_dir.mkdir()
    code, out, err = cli(monkeypatch, capsys, "denoise", str(coffee), "-o", str(out_dir / "c.png"),
                         *(arg.format(ckpt=small_ckpt) for arg in how))
    assert code == 2 and out == ""
    said = NOT_RUN.fullmatch(err)
    assert said, err
    assert said["name"] == "coffee.png" and re.fullmatch(r"no visible noise \(sigma \d\.\d\)", said["finding"])
    assert said["why"] == "denoising would only remove detail"
    assert list(out_dir.iterdir()) == [] and sha(coffee) == before


def test_grain_on_a_real_photo_is_not_denoised(monkeypatch, capsys, shared_dir, shipped, tmp_path):
    code, _, err = cli(monkeypatch, capsys, "denoise", str(REAL / "building.png"), "-o", str(tmp_path / "b.png"))
    said = NOT_RUN.fullmatch(err)
    assert code == 2 and said, err
    assert said["finding"].startswith("spatially correlated noise (grain)") and "trained on white noise" in said["why"]
    assert not (tmp_path / "b.png").exists()


def test_force_run_says_so_before_the_work_and_a_failed_check_exits_1(monkeypatch, capsys, coffee, shipped,
                                                                     tmp_path):
    from tools.swinir import service

    denoise_file = service.denoise_file

    def marked(*args, **kwargs):  # the work starts here
        print("<denoising>", file=sys.stderr)
        return denoise_file(*args, **kwargs)

    monkeypatch.setattr(service, "denoise_file", marked)
    output = tmp_path / "forced.png"
    code, out, err = cli(monkeypatch, capsys, "denoise", str(coffee), "-o", str(output), "--force-run")
    lines = err.splitlines()
    assert re.fullmatch(r"warning: no visible noise \(sigma \d\.\d\); running anyway because you asked", lines[0])
    assert lines[1] == "<denoising>"
    # denoising a clean photo removes detail: the check says so, the summary does not call it restored, exit 1
    assert code == 1 and output.is_file()
    assert out.startswith("denoised (check failed: ") and "restored" not in out
    assert lines[-1].startswith("error: the output did not pass its check: ")
    assert lines[-1].endswith(f"(written anyway: {output})")
    code, out, err = cli(monkeypatch, capsys, "denoise", str(coffee), "-o", str(output), "--force-run", "--force",
                         "--json")
    result = json.loads(out)
    assert code == 1 and result["status"] == "check-failed" and not result["check"]["ok"]
    decision = result["decision"]
    assert decision["forced"] and decision["notice"].endswith("running anyway because you asked")
    assert err.splitlines()[:2] == [f"warning: {decision['notice']}", "<denoising>"]


def _decimals(data: object) -> int:
    """The most decimals any float in JSON-like ``data`` has."""
    if isinstance(data, dict):
        return max(map(_decimals, data.values()), default=0)
    if isinstance(data, list):
        return max(map(_decimals, data), default=0)
    return len(repr(data).partition(".")[2]) if isinstance(data, float) else 0


@pytest.mark.parametrize("source", ["astronaut", "frog.png"])
def test_a_noisy_photo_is_restored_and_its_routine_notes_are_no_warnings(monkeypatch, capsys, sample_photo,
                                                                         shared_dir, shipped, tmp_path, source):
    if source == "astronaut":  # Gaussian noise sigma 25 on scikit-image's astronaut
        photo = tmp_path / "noisy.png"
        crop = sample_photo[:192, :192].astype(float)
        noisy = crop + np.random.default_rng(0).normal(0, 25, crop.shape)
        Image.fromarray(np.clip(noisy, 0, 255).round().astype(np.uint8)).save(photo)
    else:  # a real photo with white noise
        photo = REAL / source
    code, out, err = cli(monkeypatch, capsys, "denoise", str(photo), "-o", str(tmp_path / "r.png"))
    assert code == 0, err
    assert re.fullmatch(r"note: (noise matched: photo sigma \d+\.\d to the checkpoint's (15|25)|noise weaker than "
                        r"the checkpoint's: photo sigma \d+\.\d, the checkpoint's (15|25); contrast not raised above 1) "
                        r"\(input contrast x\d\.\d\d\)\n", err)
    summary, check = out.splitlines()
    assert summary.startswith(f"restored: wrote {tmp_path / 'r.png'} with swinir-half-noise")
    assert check.startswith("check: the removed residual looks like noise")
    assert re.search(r"predicted: the measured sigma \d+\.\d / sqrt\(3\), as the check compares luma", check)
    code, out, err = cli(monkeypatch, capsys, "denoise", str(photo), "-o", str(tmp_path / "r.png"), "--force",
                         "--json")
    result = json.loads(out)
    assert code == 0 and result["status"] == "restored" and result["notes"] == [err[len("note: "):].strip()]
    assert result["decision"] == {**result["decision"], "denoise": True, "forced": False, "notice": None}
    assert _decimals(result) <= 4 and _decimals(result["check"]) <= 3  # seconds, sigma and std to 0.01
