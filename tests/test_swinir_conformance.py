"""The network matches the official implementation's outputs on the shared test vectors."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tools.errors import UserError
from tools.swinir import load_swinir
from tools.swinir.model import SwinIR


def conformance_cases(shared):
    folder = shared / "conformance" / "swinir"
    manifest = json.loads((folder / "manifest.json").read_text())
    for name, spec in manifest.items():
        for case in spec["cases"]:
            yield name, spec, folder / spec["checkpoint"], folder / case["input"], folder / case["output"]


@pytest.mark.parametrize("attention", ["fast", "reference"])
def test_official_vectors_match(shared_dir, attention):
    checked = 0
    for name, spec, ckpt, inp, expected in conformance_cases(shared_dir):
        model = load_swinir(ckpt).set_attention(attention)
        assert model.num_params == spec["params"], name
        for key, value in spec["config"].items():
            if key != "img_size":
                assert tuple(np.atleast_1d(model.config[key])) == tuple(np.atleast_1d(value)), (name, key)
        with torch.inference_mode():
            out = model(torch.from_numpy(np.load(inp))).numpy()
        diff = float(np.abs(out - np.load(expected)).max())
        assert diff <= 1e-4, f"{name} {inp.name}: max abs diff {diff}"
        checked += 1
    assert checked >= 6


def test_training_path_matches_inference_path():
    torch.manual_seed(0)
    model = SwinIR(in_chans=3, embed_dim=24, depths=(2,), num_heads=(2,), img_size=32).eval()
    x = torch.rand(2, 3, 40, 48)
    with torch.inference_mode():
        fast = model(x)
    with_grad = model(x)  # grad enabled: the full-mask attention used for training
    assert with_grad.requires_grad
    assert torch.allclose(fast, with_grad.detach(), atol=1e-5)
    with_grad.mean().backward()
    assert model.layers[0].residual_group.blocks[1].attn.relative_position_bias_table.grad.abs().sum() > 0


def test_fast_equals_reference_on_large_odd_input():
    torch.manual_seed(1)
    model = SwinIR(in_chans=1, embed_dim=24, depths=(2, 2), num_heads=(3, 3)).eval()
    x = torch.rand(1, 1, 77, 101)
    with torch.inference_mode():
        fast = model(x)
        ref = model.set_attention("reference")(x)
    assert fast.shape == x.shape
    assert float((fast - ref).abs().max()) <= 1e-5


def test_state_dict_round_trip_infers_config(tmp_path):
    model = SwinIR(in_chans=3, embed_dim=36, depths=(2, 4), num_heads=(4, 6), mlp_ratio=1.5,
                   img_size=48, resi_connection="3conv")
    path = tmp_path / "ckpt.pth"
    torch.save({"params": model.state_dict()}, path)
    loaded = load_swinir(path)
    assert loaded.config == model.config
    assert not loaded.training


def test_refuses_super_resolution_and_jpeg_checkpoints():
    sd = SwinIR(in_chans=3, embed_dim=12, depths=(2,), num_heads=(2,), img_size=16).state_dict()
    with pytest.raises(UserError, match="super-resolution"):
        load_swinir({**sd, "conv_before_upsample.0.weight": torch.zeros(1), "upsample.0.weight": torch.zeros(1)})
    jpeg = SwinIR(in_chans=1, embed_dim=12, depths=(2,), num_heads=(2,), window_size=7, img_size=14).state_dict()
    with pytest.raises(UserError, match="JPEG"):
        load_swinir(jpeg)


def test_refuses_files_that_are_not_checkpoints(tmp_path):
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(UserError, match="not a readable PyTorch checkpoint"):
        load_swinir(junk)
    other = tmp_path / "other.pth"
    torch.save({"weight": torch.zeros(3)}, other)
    with pytest.raises(UserError, match="not a SwinIR checkpoint"):
        load_swinir(other)
