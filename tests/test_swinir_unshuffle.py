"""The half-resolution body (``unshuffle``): saved and loaded with its factor, same output either attention
formulation, any photo size, and a quarter of the work per pixel."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tools.swinir.inference import denoise_array  # noqa: E402
from tools.swinir.loading import infer_config, load_swinir  # noqa: E402
from tools.swinir.model import SwinIR  # noqa: E402
from tools.swinir.tiling import working_bytes_per_pixel  # noqa: E402

CONFIG = dict(in_chans=3, embed_dim=24, depths=(2, 2), num_heads=(2, 2), window_size=8, mlp_ratio=2.0, img_size=16,
              resi_connection="1conv")


def tiny(unshuffle: int, seed: int = 0) -> SwinIR:
    torch.manual_seed(seed)
    return SwinIR(**CONFIG, unshuffle=unshuffle).eval()


def test_the_factor_travels_with_the_weights_and_official_layouts_carry_none():
    model = tiny(2)
    state = model.state_dict()
    assert int(state["unshuffle_factor"]) == 2 and state["conv_first.weight"].shape[1] == 12
    assert infer_config(state) == {**CONFIG, "unshuffle": 2}
    assert "unshuffle_factor" not in tiny(1).state_dict()  # official checkpoints load strictly as before
    assert "unshuffle" not in infer_config(tiny(1).state_dict())
    loaded = load_swinir(state)
    x = torch.rand(1, 3, 40, 48)
    with torch.inference_mode():
        assert torch.equal(loaded(x), model(x))


@pytest.mark.parametrize("height,width", [(37, 53), (64, 64), (17, 90)])
def test_any_size_comes_back_at_its_size_and_both_attention_modes_agree(height, width):
    model = tiny(2, seed=1)
    x = torch.rand(1, 3, height, width)
    with torch.inference_mode():
        fast = model(x)
        reference = model.set_attention("reference")(x)
    model.set_attention("fast")
    assert fast.shape == x.shape
    assert torch.allclose(fast, reference, atol=1e-5)


def test_the_body_runs_at_half_resolution_so_its_work_per_pixel_is_a_quarter():
    from torch.utils.flop_counter import FlopCounterMode

    seen = []
    model = tiny(2)
    model.layers[0].register_forward_hook(lambda _m, args, _out: seen.append(args[1]))
    x = torch.rand(1, 3, 64, 96)
    flops = {}
    for factor, net in ((2, model), (1, tiny(1))):
        with FlopCounterMode(display=False) as counter:
            net(x)
        flops[factor] = counter.get_total_flops()
    assert seen == [(32, 48)]
    assert 0.2 < flops[2] / flops[1] < 0.32  # a quarter, plus the wider first and last convolutions
    wide = {**CONFIG, "embed_dim": 180}  # wide enough that the tokens, not the photo's buffers, dominate
    assert working_bytes_per_pixel({**wide, "unshuffle": 2}) < working_bytes_per_pixel(wide) / 2


def test_tiled_run_matches_the_whole_image_away_from_borders():
    model = tiny(2, seed=2)
    photo = (np.random.default_rng(0).random((96, 128, 3)) * 255).astype(np.uint8)
    with torch.inference_mode():
        whole = denoise_array(model, photo, tile=0)
        tiled = denoise_array(model, photo, tile=64, overlap=32)
    assert whole.shape == photo.shape
    inner = np.abs(whole[16:-16, 16:-16].astype(int) - tiled[16:-16, 16:-16]).max()
    assert inner <= 1
