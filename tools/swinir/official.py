"""The network run as its authors' test script runs it (SwinIR's ``main_test_swinir.py``): ``denoise --no-match``.

The script pads every image by mirroring it, always by at least one row and one column, up to the next multiple
of the window beyond its size (``h_pad = (h // ws + 1) * ws - h``: a 64-row image gets 8 rows), runs the whole
padded image through the network, and crops the output back. The network itself pads by reflection, which
leaves out the edge row, and only when a side is not a multiple of the window, so the two differ near the
bottom and right edges; this is the script's way. The caller clamps to [0, 1] and rounds (``x * 255``,
rounded to the nearest, ties to even, as numpy's ``round`` does).
"""
from __future__ import annotations

from collections.abc import Callable


def flip_pad(inputs, window: int):
    """(N, C, H, W) ``inputs`` padded at the bottom and right with their mirror image (edge row included) to the
    next multiple of ``window`` beyond H and W, as the official test script pads them."""
    import torch

    height, width = inputs.shape[-2:]
    if min(height, width) < window:
        raise ValueError(f"the official padding needs at least {window} pixels a side, got {height}x{width}")
    pad_h, pad_w = (height // window + 1) * window - height, (width // window + 1) * window - width
    padded = torch.cat([inputs, torch.flip(inputs, [2])], 2)[:, :, :height + pad_h, :]
    return torch.cat([padded, torch.flip(padded, [3])], 3)[:, :, :, :width + pad_w]


def padded_forward(network: Callable, inputs, window: int):
    """``network`` on ``inputs`` flip-padded as the official script pads them (:func:`flip_pad`), cropped back to
    the input's size; unclamped."""
    height, width = inputs.shape[-2:]
    return network(flip_pad(inputs, window))[..., :height, :width]
