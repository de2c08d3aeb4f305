"""The project's own SwinIR weights ship in the package and really denoise."""
from __future__ import annotations

import numpy as np
from skimage import data
from skimage.metrics import peak_signal_noise_ratio

from tools.swinir import load_swinir, weights
from tools.swinir.inference import denoise_array


def test_shipped_weights_load_and_raise_psnr_by_5_db(sample_photo):
    entry = weights.find("swinir-s-noise15")
    assert entry.kind == "embedded" and entry.available, "the package must ship swinir-s-noise15.pth"
    model = load_swinir(entry.path)
    assert model.config["in_chans"] == 3 and model.num_params < 2_000_000

    clean = sample_photo[64:256, 160:352]
    rng = np.random.default_rng(15)
    noisy = np.clip(np.rint(clean + rng.normal(0, 15, clean.shape)), 0, 255).astype(np.uint8)
    restored = denoise_array(model, noisy)

    before = peak_signal_noise_ratio(clean, noisy, data_range=255)
    after = peak_signal_noise_ratio(clean, restored, data_range=255)
    assert after - before >= 5.0, f"PSNR {before:.2f} -> {after:.2f} dB"


def psnr_gain(model, clean: np.ndarray, sigma: float, noise_ratio: float = 1.0) -> float:
    noisy = np.clip(np.rint(clean + np.random.default_rng(7).normal(0, sigma, clean.shape)), 0, 255).astype(np.uint8)
    restored = denoise_array(model, noisy, noise_ratio=noise_ratio)
    return peak_signal_noise_ratio(clean, restored, data_range=255) - peak_signal_noise_ratio(clean, noisy, data_range=255)


def test_noise_matching_lets_the_sigma_15_weights_clean_gray_and_stronger_noise(sample_photo):
    model = load_swinir(weights.find("swinir-s-noise15").path)
    gray = np.asarray(data.camera())[128:320, 128:320]
    assert psnr_gain(model, gray, 15) >= 5.0  # replicated gray noise, matched inside denoise_array
    color = sample_photo[64:256, 160:352]
    unmatched, matched = psnr_gain(model, color, 25), psnr_gain(model, color, 25, noise_ratio=15 / 25)
    assert matched >= unmatched + 1.0 and matched >= 6.0, (unmatched, matched)


def test_shipped_weights_are_the_default_for_sigma_15(monkeypatch, tmp_path):
    monkeypatch.setenv("RESTORE_AGENT_HOME", str(tmp_path))  # no official checkpoint installed
    resolved = weights.resolve(noise_level=15, gray=False)
    assert resolved.kind == "embedded"
    assert resolved.path.name == "swinir-s-noise15.pth"


def test_weights_list_names_the_project_model_as_the_default(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "RESTORE_AGENT_HOME": str(tmp_path), "COLUMNS": "200"}
    out = subprocess.run([sys.executable, "-m", "agent", "weights", "list"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    row = next(line for line in out.stdout.splitlines() if "swinir-s-noise15" in line)
    assert "trained by this project" in row and "default" in row
    assert "SwinIR-M" not in row


def test_self_ensemble_cleans_a_little_more_than_one_run(sample_photo):
    model = load_swinir(weights.find("swinir-s-noise15").path)
    clean = sample_photo[64:192, 160:288]
    noisy = np.clip(np.rint(clean + np.random.default_rng(3).normal(0, 15, clean.shape)), 0, 255).astype(np.uint8)
    one = peak_signal_noise_ratio(clean, denoise_array(model, noisy), data_range=255)
    eight = peak_signal_noise_ratio(clean, denoise_array(model, noisy, ensemble=True), data_range=255)
    assert eight > one + 0.03, (one, eight)
