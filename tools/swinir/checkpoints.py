"""A training run's weights in and out: the state a checkpoint keeps, the complete network it exports, the
weights a fine-tuning run starts from (a gray network folded from a color one included)."""
from __future__ import annotations

from pathlib import Path

import torch

from tools.errors import UserError
from tools.fileio import write_atomic
from tools.swinir.loading import read_state_dict
from tools.swinir.model import RGB_MEAN, SwinIR

DERIVED_BUFFER = ".attn_mask"  # the shifted windows' masks: computed from the configuration, not learned


def trained_state(model: torch.nn.Module) -> dict:
    """The model's state without the buffers its constructor computes (a run's checkpoint stays small)."""
    return {key: value for key, value in model.state_dict().items() if not key.endswith(DERIVED_BUFFER)}


def gray_from_color(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A gray network that computes what the color one computes on a gray photo copied into R, G and B and
    averaged back: the first convolution sums its input channels (and takes in the color mean it no longer
    subtracts), the last averages its outputs. A fine-tuning start: on a 64 px gray patch its output is within
    0.02 of the color network's (zero padding at the border differs, and attention spreads that a little inward)."""
    weights = dict(weights)
    cells = int(weights["unshuffle_factor"]) ** 2 if "unshuffle_factor" in weights else 1  # channels per color
    first_w, first_b = weights["conv_first.weight"].float(), weights["conv_first.bias"].float()
    by_color = first_w.unflatten(1, (3, cells))  # a pixel-unshuffled input is color-major: (3, cells)
    mean = torch.tensor(RGB_MEAN).view(1, 3, 1, 1, 1)
    weights["conv_first.weight"] = by_color.sum(dim=1)
    weights["conv_first.bias"] = first_b - (by_color * mean).sum(dim=(1, 2, 3, 4))
    last_w, last_b = weights["conv_last.weight"].float(), weights["conv_last.bias"].float()
    weights["conv_last.weight"] = last_w.unflatten(0, (3, cells)).mean(dim=0)
    weights["conv_last.bias"] = last_b.unflatten(0, (3, cells)).mean(dim=0)
    return weights


def deepened(weights: dict[str, torch.Tensor], groups: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """The same network with residual groups appended up to ``groups``, computing exactly what it computed: each
    new group starts from a fresh initialisation but with its closing convolution at zero, so its skip connection
    passes the tokens through unchanged until training moves that convolution (a deeper network warm-started)."""
    from tools.swinir.loading import infer_config

    config = infer_config(weights)
    have = len(config["depths"])
    if groups <= have:
        raise UserError(f"deepening to {groups} residual groups needs more than the network's {have}")
    config = {**config, "depths": config["depths"] + (config["depths"][-1],) * (groups - have),
              "num_heads": config["num_heads"] + (config["num_heads"][-1],) * (groups - have)}
    torch.manual_seed(seed)
    grown = SwinIR(**config).state_dict()
    for key, value in weights.items():
        grown[key] = value
    for layer in range(have, groups):
        for key in grown:
            if key.startswith(f"layers.{layer}.conv."):
                grown[key] = torch.zeros_like(grown[key])
    return grown


def load_trained(model: torch.nn.Module, state: dict) -> None:
    """Load a run checkpoint's ``state`` into ``model``: every tensor but the derived buffers must be there."""
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not key.endswith(DERIVED_BUFFER) for key in missing):
        raise UserError(f"the checkpoint does not fit this network: missing {missing}, unexpected {unexpected}")


def full_state(checkpoint: dict) -> dict:
    """A run checkpoint's network as a complete state dict (the derived buffers a checkpoint leaves out rebuilt)."""
    model = SwinIR(**checkpoint["config"]["model"], init_weights=False)
    load_trained(model, checkpoint["model"])
    return model.state_dict()


def initial_weights(path: Path) -> dict:
    """The weights a fine-tuning run starts from: a run's ``checkpoint.pt`` (made complete) or a weights file."""
    if path.name == "checkpoint.pt":
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
        if "config" in checkpoint and "model" in checkpoint:
            return full_state(checkpoint)
    return read_state_dict(path)


def export_weights(run: Path, output: Path, half: bool = True) -> Path:
    """Write the run's model as an official-layout checkpoint ``{'params': state_dict}`` (fp16 by default)."""
    state = torch.load(Path(run) / "checkpoint.pt", map_location="cpu", weights_only=False)
    params = {k: (v.half() if half and v.is_floating_point() else v) for k, v in full_state(state).items()}
    meta = {"step": state["step"], "config": state["config"]}
    return write_atomic(Path(output), lambda tmp: torch.save({"params": params, "meta": meta}, tmp))
