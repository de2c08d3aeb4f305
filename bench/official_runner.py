"""Run the authors' SwinIR code on one photo as their test script does, in its own process (a bench child).

``python bench/official_runner.py SWINIR_CHECKOUT WEIGHTS PHOTO OUT`` imports ``models/network_swinir.py`` from a
checkout of github.com/JingyunLiang/SwinIR, builds the network the weights describe, and runs the whole photo
the way ``main_test_swinir.py`` does: mirror-pad to the window beyond the size (``tools.swinir.official``, the
script's padding), one forward pass under ``torch.no_grad``, crop, clamp, ``round`` to uint8. The official file imports three helpers from ``timm``, which
cannot be installed beside this torch; at inference they are a no-op (drop path 0), a pair and an initializer,
so a stand-in module gives those three. Prints one JSON line: the seconds of the forward pass.
"""
from __future__ import annotations

import json
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def timm_stand_in() -> None:
    """``timm.models.layers`` with DropPath (identity at drop 0), to_2tuple and trunc_normal_."""
    layers = types.ModuleType("timm.models.layers")
    layers.DropPath = lambda p=0.0: torch.nn.Identity()
    layers.to_2tuple = lambda x: x if isinstance(x, tuple) else (x, x)
    layers.trunc_normal_ = torch.nn.init.trunc_normal_
    for name in ("timm", "timm.models"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["timm.models.layers"] = layers


def official_network(checkout: Path, weights: Path) -> torch.nn.Module:
    """The official SwinIR class, built with the configuration the weights imply, weights loaded strictly."""
    sys.path.insert(0, str(ROOT))
    from tools.swinir.loading import infer_config, read_state_dict

    timm_stand_in()
    sys.path.insert(0, str(checkout / "models"))
    from network_swinir import SwinIR

    state = read_state_dict(weights)
    config = infer_config(state)
    model = SwinIR(upscale=1, in_chans=config["in_chans"], img_size=config["img_size"], window_size=config["window_size"],
                   img_range=1.0, depths=list(config["depths"]), embed_dim=config["embed_dim"],
                   num_heads=list(config["num_heads"]), mlp_ratio=config["mlp_ratio"], upsampler="",
                   resi_connection=config["resi_connection"])
    model.load_state_dict(state, strict=True)
    return model.eval()


def main(checkout: str, weights: str, photo: str, out: str) -> None:
    model = official_network(Path(checkout), Path(weights))
    rgb = np.asarray(Image.open(photo).convert("RGB"), dtype=np.float32) / 255.0
    image = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))).unsqueeze(0)
    from tools.swinir.official import padded_forward  # the test script's mirror padding and crop

    start = time.perf_counter()
    with torch.no_grad():
        output = padded_forward(model, image, model.window_size)
    seconds = time.perf_counter() - start
    output = output.squeeze(0).float().clamp_(0, 1).numpy().transpose(1, 2, 0)
    Image.fromarray((output * 255.0).round().astype(np.uint8)).save(out)
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
