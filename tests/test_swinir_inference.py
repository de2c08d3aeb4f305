"""Tiled inference: tile plans, blending weights, tiled == whole, channel handling, progress."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tools.swinir.inference import (denoise_array, denoise_float, matching_contrast, model_window, plan_tiles,
                                    ramp, tile_starts, tile_weights, to_uint8)
from tests.swinir_helpers import tiny_swinir


@pytest.fixture(scope="module")
def color_model():
    return tiny_swinir(3)


@pytest.fixture(scope="module")
def gray_model():
    return tiny_swinir(1, seed=1)


def noisy_crop(photo: np.ndarray, height: int, width: int) -> np.ndarray:
    crop = photo[90:90 + height, 160:160 + width].astype(np.float64)
    return np.clip(crop + np.random.default_rng(0).normal(0, 15, crop.shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def noisy(sample_photo):
    """A noisy 100 x 124 crop of the sample photo (sizes not multiples of the window)."""
    return noisy_crop(sample_photo, 100, 124)


@pytest.fixture(scope="module")
def small(sample_photo):
    """A noisy 36 x 52 crop."""
    return noisy_crop(sample_photo, 36, 52)


@pytest.mark.parametrize("length,tile,overlap", [(100, 32, 8), (64, 64, 16), (65, 64, 16), (300, 96, 40), (20, 64, 8)])
def test_tiles_cover_the_image_with_equal_tiles(length, tile, overlap):
    starts = tile_starts(length, tile, overlap)
    size = min(tile, length)
    covered = np.zeros(length, bool)
    for s in starts:
        assert 0 <= s and s + size <= length
        covered[s:s + size] = True
    assert covered.all()
    assert starts[-1] + size == length
    gaps = np.diff(starts)
    assert (gaps <= tile - overlap).all()


@pytest.mark.parametrize("height,width,tile,overlap", [(100, 124, 64, 32), (300, 90, 100, 20), (37, 250, 256, 32)])
def test_tiles_start_on_the_window_grid_of_the_padded_image(height, width, tile, overlap):
    plan = plan_tiles(height, width, tile, overlap, align=8)
    assert plan.height % 8 == 0 and plan.width % 8 == 0
    assert 0 <= plan.height - height < 8 and 0 <= plan.width - width < 8
    assert plan.tile_h % 8 == 0 and plan.tile_w % 8 == 0
    assert all(y % 8 == 0 for y in plan.ys) and all(x % 8 == 0 for x in plan.xs)
    assert plan.ys[-1] + plan.tile_h == plan.height and plan.xs[-1] + plan.tile_w == plan.width
    assert all(b - a <= plan.tile_h - overlap for a, b in zip(plan.ys, plan.ys[1:]))


def test_plan_counts_and_rejects_bad_overlap():
    plan = plan_tiles(130, 170, 64, 16)
    assert (plan.tile_h, plan.tile_w) == (64, 64)
    assert plan.count == len(plan.ys) * len(plan.xs) == len(plan.boxes())
    assert plan_tiles(130, 170, None, 16).count == 1 and plan_tiles(130, 170, 0, 16).whole
    with pytest.raises(ValueError):
        plan_tiles(100, 100, 32, 32)


@pytest.mark.parametrize("height,width,tile,overlap", [(130, 170, 64, 16), (300, 90, 96, 32), (64, 200, 64, 48), (97, 97, 32, 1)])
def test_blend_weights_are_positive_everywhere(height, width, tile, overlap):
    plan = plan_tiles(height, width, tile, overlap)
    total = np.zeros((height, width))
    for y, x in plan.boxes():
        w = tile_weights(plan, y, x, overlap)
        assert w.min() >= 0 and w.max() <= 1
        total[y:y + plan.tile_h, x:x + plan.tile_w] += w
    assert total.min() > 0.05


def test_ramp_discards_tile_edges_and_is_flat_inside():
    w = ramp(64, 32, True, True)
    assert w[0] == 0 and w[-1] == 0 and w[32] == 1
    assert (np.diff(w[:32]) >= 0).all()
    assert (ramp(64, 32, False, False) == 1).all()


def test_tiled_matches_whole_image_away_from_borders(color_model, noisy):
    whole = denoise_float(color_model, noisy, tile=0)
    tiled = denoise_float(color_model, noisy, tile=64, overlap=32)
    assert tiled.shape == whole.shape == noisy.shape
    assert np.abs(tiled - whole)[8:-8, 8:-8].max() < 1e-3
    # Without blending weights the seams would show: plain averaging of the same tiles differs more.
    assert np.abs(denoise_float(color_model, noisy, tile=64, overlap=0) - whole).max() > 1e-3


def test_batch_size_does_not_change_the_result(color_model, small):
    one_by_one = denoise_float(color_model, small, tile=32, overlap=8, max_memory=1)
    batched = denoise_float(color_model, small, tile=32, overlap=8, max_memory=1e9)
    assert np.abs(one_by_one - batched).max() < 1e-5


def test_progress_reports_every_tile_and_input_is_untouched(color_model, small):
    before = small.copy()
    calls = []
    out = denoise_array(color_model, small, tile=32, overlap=8, progress=lambda d, t: calls.append((d, t)))
    assert out.dtype == np.uint8 and out.shape == small.shape
    assert np.array_equal(small, before)
    plan = plan_tiles(*small.shape[:2], 32, 8, align=model_window(color_model))
    assert calls[0] == (0, plan.count) and calls[-1] == (plan.count, plan.count)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_gray_network_on_color_photo_runs_per_channel(gray_model, small):
    out = denoise_float(gray_model, small, tile=0)
    assert out.shape == small.shape
    for c in range(3):
        alone = denoise_float(gray_model, np.ascontiguousarray(small[..., c]), tile=0)
        assert np.abs(out[..., c] - alone).max() < 1e-5


def test_color_network_on_gray_photo_keeps_it_gray_with_its_noise_matched(color_model, small):
    import torch

    gray = np.ascontiguousarray(small[..., 1])
    out = denoise_float(color_model, gray, tile=0)
    assert out.shape == gray.shape
    # Replicated gray noise is sqrt(3) stronger along the gray axis: the plane runs at 1/sqrt(3) contrast.
    k = 1 / np.sqrt(3)
    scaled = 0.5 + (np.repeat(gray[..., None], 3, axis=2) / 255.0 - 0.5) * k
    with torch.inference_mode():
        raw = color_model(torch.from_numpy(scaled.astype(np.float32)).permute(2, 0, 1)[None])[0]
    expected = np.clip(0.5 + (raw.permute(1, 2, 0).numpy() - 0.5) / k, 0, 1).mean(axis=2)
    assert np.abs(out - expected).max() < 1e-5


def test_matching_contrast_follows_the_noise_ratio_within_its_range():
    assert matching_contrast(15 / 25) == pytest.approx(0.6)
    assert matching_contrast(1.0, gray=True, network_channels=3) == pytest.approx(1 / np.sqrt(3))
    assert matching_contrast(1.0, gray=True, network_channels=1) == 1.0
    assert matching_contrast(1.0, gray=False, network_channels=1) == 1.0
    assert matching_contrast(15 / 1000) == 0.2
    # never raised: noise weaker than the network's runs at the photo's own contrast (bench/contrast_band.py)
    assert matching_contrast(15 / 0.1) == matching_contrast(15 / 14) == 1.0
    assert matching_contrast(3.0, gray=True, network_channels=3) == 1.0


def test_noise_ratio_scales_the_network_input(color_model, small):
    plain = denoise_float(color_model, small, tile=0)
    matched = denoise_float(color_model, small, tile=0, noise_ratio=0.6)
    assert np.abs(plain - matched).max() > 1e-3
    assert np.array_equal(plain, denoise_float(color_model, small, tile=0, noise_ratio=1.0))


def test_rejects_non_uint8_pixels(color_model):
    with pytest.raises(ValueError):
        denoise_array(color_model, np.zeros((16, 16, 3), np.float32))


def test_to_uint8_rounds_and_clips():
    assert to_uint8(np.array([-0.1, 0.5, 1.2])).tolist() == [0, 128, 255]


def test_self_ensemble_turns_every_run_back_so_a_position_bias_averages_out():
    import torch

    from tools.swinir.inference import self_ensemble

    x = torch.rand(2, 3, 8, 8)
    ramp = torch.arange(8.0)  # adds 0..7 along the width: not flip- or turn-invariant
    assert torch.allclose(self_ensemble(lambda t: t, x), x)
    assert torch.allclose(self_ensemble(lambda t: t + ramp, x), x + 3.5)


def test_ensemble_turns_non_square_tiles_and_returns_the_photo_shape(color_model, small):
    plain = denoise_float(color_model, small, tile=32, overlap=8)
    averaged = denoise_float(color_model, small, tile=32, overlap=8, ensemble=True)
    assert averaged.shape == plain.shape == small.shape and np.isfinite(averaged).all()
    assert not np.allclose(averaged, plain)  # the untrained network is not flip-invariant


def test_memory_plan_runs_a_small_photo_whole_and_keeps_large_ones_within_the_budget():
    from tools.swinir.tiling import plan_by_memory

    assert plan_by_memory(100, 124, 200 * 200, 32, align=8).whole
    pixels = 600 * 600
    plan = plan_by_memory(3000, 4000, pixels, 32, align=8)
    assert plan.tile_h * plan.tile_w <= pixels and not plan.whole
    assert plan.tile_h % 8 == 0 and plan.tile_w % 8 == 0
    assert plan.ys[-1] + plan.tile_h == plan.height and plan.xs[-1] + plan.tile_w == plan.width
    square = plan_tiles(3000, 4000, 600, 32, align=8)  # the same budget as fixed square tiles
    assert plan.computed_pixels <= square.computed_pixels
    assert plan.computed_pixels < 1.2 * 3000 * 4000


def test_tiles_sized_by_memory_match_the_whole_image(color_model, noisy):
    from tools.swinir.inference import plan_for
    from tools.swinir.tiling import image_bytes, working_bytes_per_pixel

    whole = denoise_float(color_model, noisy, tile=0)
    assert np.array_equal(denoise_float(color_model, noisy), whole)  # small: runs whole by default
    assert plan_for(color_model, noisy.shape)[0].whole
    budget = image_bytes(*noisy.shape) + 64 * 64 * working_bytes_per_pixel(color_model.config)
    plan, batch = plan_for(color_model, noisy.shape, overlap=16, max_memory=budget)
    assert plan.count > 1 and plan.tile_h * plan.tile_w * batch <= 64 * 64
    tiled = denoise_float(color_model, noisy, overlap=16, max_memory=budget)
    assert np.abs(tiled - whole)[8:-8, 8:-8].max() < 1e-3


class _Stop(Exception):
    pass


def _count_layers(monkeypatch, delay: float = 0.0) -> list[int]:
    """Counts (and optionally slows down) the transformer layers the fast path runs."""
    import time

    from tools.swinir.model import SwinTransformerBlock

    ran = [0]
    original = SwinTransformerBlock.forward_windows

    def counted(self, x, x_size):
        ran[0] += 1
        time.sleep(delay)
        return original(self, x, x_size)

    monkeypatch.setattr(SwinTransformerBlock, "forward_windows", counted)
    return ran


def test_a_raising_progress_stops_a_whole_image_pass_between_layers(color_model, noisy, monkeypatch):
    from tools.swinir import inference

    monkeypatch.setattr(inference, "STAGE_INTERVAL_S", 0.0)
    ran = _count_layers(monkeypatch)
    calls = []

    def progress(done, total):
        calls.append((done, total))
        if len(calls) > 1:
            raise _Stop

    with pytest.raises(_Stop):
        denoise_float(color_model, noisy, tile=0, progress=progress)
    assert calls == [(0, 1), (0, 1)]  # the start, then after the first layer, where it stopped
    assert ran[0] == 1


def test_cancel_lands_within_a_second_even_when_layers_are_slow(color_model, noisy, monkeypatch):
    import time

    ran = _count_layers(monkeypatch, delay=0.15)  # four layers: 0.6 s for the whole pass
    started = []

    def progress(done, total):
        if started:
            raise _Stop
        started.append(time.monotonic())

    with pytest.raises(_Stop):
        denoise_float(color_model, noisy, tile=0, progress=progress)
    assert time.monotonic() - started[0] < 1.0
    assert ran[0] < 4  # stopped inside the pass, not after it


def test_bf16_is_asked_for_and_stays_close(color_model, small):
    fp32 = denoise_float(color_model, small, tile=0)
    bf16 = denoise_float(color_model, small, tile=0, precision="bf16")
    assert 0 < np.abs(bf16 - fp32).max() < 0.05
    with pytest.raises(ValueError, match="precision"):
        denoise_float(color_model, small, tile=0, precision="fp16")


@pytest.fixture()
def photo_file(noisy, tmp_path):
    from PIL import Image

    path = tmp_path / "noisy.png"
    Image.fromarray(noisy).save(path)
    return path


@pytest.fixture()
def tiny_weights(tmp_path, monkeypatch):
    from tests.swinir_helpers import save_checkpoint
    from tools.swinir import weights as registry

    monkeypatch.setenv(registry.HOME_ENV, str(tmp_path / "home"))
    return save_checkpoint(tmp_path / "tiny_noise15.pth")


def test_denoise_file_sizes_tiles_by_its_memory_budget_and_reports_the_precision(photo_file, tiny_weights, tmp_path):
    from tools.swinir.service import denoise_file

    whole = denoise_file(photo_file, tmp_path / "whole.png", weights=str(tiny_weights))
    assert whole.tiles == 1 and whole.precision == "fp32" and whole.to_json()["precision"] == "fp32"
    small = denoise_file(photo_file, tmp_path / "small.png", weights=str(tiny_weights), max_memory=2e6, overlap=16)
    assert small.tiles > 1
    bf16 = denoise_file(photo_file, tmp_path / "bf16.png", weights=str(tiny_weights), precision="bf16")
    assert bf16.precision == "bf16"


def test_a_raising_progress_stops_denoise_file_before_anything_is_written(photo_file, tiny_weights, tmp_path):
    from tools.swinir.service import denoise_file

    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) > 1:
            raise _Stop

    with pytest.raises(_Stop):
        denoise_file(photo_file, tmp_path / "out.png", weights=str(tiny_weights), progress=progress)
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("args,flag", [(("--max-memory", "0.01"), "--max-memory"), (("--precision", "fp16"), "--precision"),
                                       (("--max-memory", "0"), "--max-memory")])
def test_denoise_rejects_a_bad_budget_or_precision_in_one_line(photo_file, tiny_weights, tmp_path, args, flag):
    from tests.cli_run import run_cli

    done = run_cli("denoise", photo_file, "-o", tmp_path / "out.png", "--weights", tiny_weights, *args)
    assert done.code == 2 and flag in done.err and "Traceback" not in done.err
    assert not (tmp_path / "out.png").exists()


def test_denoise_cli_takes_a_memory_budget(photo_file, tiny_weights, tmp_path):
    import json

    from tests.cli_run import run_cli

    shipped = Path(__file__).resolve().parents[1] / "tools" / "swinir" / "weights" / "swinir-s-noise15.pth"
    done = run_cli("denoise", photo_file, "-o", tmp_path / "out.png", "--weights", shipped, "--max-memory", "0.1",
                   "--json")  # trained weights: the output passes its check (exit 0)
    assert done.code == 0, done.err
    assert json.loads(done.out)["tiles"] == 1  # 100 x 124 fits 0.1 GB whole
