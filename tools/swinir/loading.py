"""Load SwinIR denoising checkpoints, inferring the configuration from the tensors themselves."""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from tools.errors import UserError
from tools.read_guard import WEIGHTS, open_checked

SR_KEYS = ("conv_before_upsample", "upsample.", "conv_up1", "conv_hr")
BLOCK_KEY = re.compile(r"^layers\.(\d+)\.residual_group\.blocks\.(\d+)\.")


def _torch_load(path: Path):
    """``torch.load`` on the CPU of the file the read guard opened (a regular file within the weights cap),
    memory-mapped where the file's format allows (pages are read as used)."""
    import torch

    with open_checked(path, WEIGHTS) as handle:
        opened = Path(f"/proc/self/fd/{handle.fileno()}")  # the checked file itself, whatever the path names now
        try:
            return torch.load(opened if opened.exists() else path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError:  # the legacy (non-zip) format cannot be memory-mapped
            handle.seek(0)
            return torch.load(handle, map_location="cpu", weights_only=True)


def read_state_dict(source: str | Path | dict) -> dict[str, Any]:
    """The state dict of a checkpoint file or object: ``{'params': sd}``, ``{'params_ema': sd}`` or bare."""
    import torch

    if isinstance(source, dict):
        ckpt = source
    else:
        path = Path(source)
        try:
            ckpt = _torch_load(path)
        except UserError:
            raise
        except Exception as exc:  # torch raises many types for corrupt or foreign files
            raise UserError(f"not a readable PyTorch checkpoint ({type(exc).__name__}): {path}") from None
    if not isinstance(ckpt, dict):
        raise UserError("not a SwinIR checkpoint: expected a state dict")
    for wrapper in ("params", "params_ema", "state_dict", "model"):
        if isinstance(ckpt.get(wrapper), dict):
            ckpt = ckpt[wrapper]
            break
    if not all(isinstance(k, str) for k in ckpt) or "conv_first.weight" not in ckpt:
        raise UserError("not a SwinIR checkpoint: no conv_first.weight tensor")
    return ckpt


def infer_config(sd: dict[str, Any]) -> dict[str, Any]:
    """SwinIR constructor arguments read off the tensors; refuses super-resolution and JPEG checkpoints."""
    sr = sorted({k.split(".")[0] for k in sd if k.startswith(SR_KEYS)})
    if sr or "conv_last.weight" not in sd:
        raise UserError("this is a super-resolution SwinIR checkpoint (it has "
                        f"{', '.join(sr) or 'no conv_last'}): only denoising checkpoints can run here")
    embed_dim, in_chans = sd["conv_first.weight"].shape[:2]
    unshuffle = int(sd["unshuffle_factor"]) if "unshuffle_factor" in sd else 1
    if sd["conv_last.weight"].shape[0] != in_chans:
        raise UserError("not a denoising SwinIR checkpoint: output and input channels differ")
    depth: dict[int, int] = {}
    for key in sd:
        if m := BLOCK_KEY.match(key):
            layer, block = int(m.group(1)), int(m.group(2))
            depth[layer] = max(depth.get(layer, 0), block + 1)
    if not depth:
        raise UserError("not a SwinIR checkpoint: no residual Swin Transformer blocks")
    layers = range(len(depth))
    first = "layers.0.residual_group.blocks.0."
    table = sd[first + "attn.relative_position_bias_table"]
    window_size = (math.isqrt(table.shape[0]) + 1) // 2
    if window_size != 8:
        raise UserError(f"window size {window_size} is a JPEG artifact-reduction checkpoint "
                        "(SwinIR denoising uses window 8): only denoising checkpoints can run here")
    mask_key = "layers.0.residual_group.blocks.1.attn_mask"
    img_size = math.isqrt(sd[mask_key].shape[0]) * window_size if mask_key in sd else window_size
    extra = {"unshuffle": unshuffle} if unshuffle > 1 else {}
    return dict(
        in_chans=int(in_chans) // unshuffle**2, embed_dim=int(embed_dim),
        depths=tuple(depth[i] for i in layers),
        num_heads=tuple(int(sd[f"layers.{i}.residual_group.blocks.0.attn.relative_position_bias_table"].shape[1])
                        for i in layers),
        window_size=window_size,
        mlp_ratio=sd[first + "mlp.fc1.weight"].shape[0] / embed_dim,
        img_size=img_size,
        resi_connection="3conv" if "layers.0.conv.0.weight" in sd else "1conv",
        **extra,
    )


def load_swinir(source: str | Path | dict):
    """A SwinIR denoiser in eval mode from an official or project checkpoint (path or state dict).

    The network skips its random initialisation (seconds for SwinIR-M) and takes the checkpoint's tensors as
    they are, without copying them.
    """
    import torch

    from tools.swinir.model import SwinIR

    sd = read_state_dict(source)
    config = infer_config(sd)
    model = SwinIR(**config, init_weights=False)
    sd = {k: v.float() if torch.is_floating_point(v) else v for k, v in sd.items()}
    try:
        model.load_state_dict(sd, strict=True, assign=True)
    except RuntimeError as exc:
        first_line = str(exc).splitlines()[1] if len(str(exc).splitlines()) > 1 else str(exc)
        raise UserError(f"checkpoint does not match the SwinIR layout: {first_line.strip()}") from None
    return model.eval()
