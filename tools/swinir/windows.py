"""Windows of a SwinIR layer: partition, shift masks, relative positions, and token orders.

The fast path keeps a residual group's tokens in the window order of the layer it is in: each
layer gathers them once from the previous layer's order (a single ``index_select`` that both
rolls by the shift and partitions), so the per-token parts (norms, MLP, residual adds) never
wait on a scatter back to image order.
"""
from __future__ import annotations

import functools

import torch

SHIFT_MASK_VALUE = -100.0  # what the official implementation adds between unrelated regions


def window_partition(x: torch.Tensor, ws: int) -> torch.Tensor:
    """(B, H, W, C) -> (B * windows, ws * ws, C), windows in row-major order."""
    b, h, w, c = x.shape
    x = x.view(b, h // ws, ws, w // ws, ws, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, c)


def window_reverse(windows: torch.Tensor, ws: int, h: int, w: int) -> torch.Tensor:
    """(B * windows, ws * ws, C) -> (B, H, W, C); inverse of :func:`window_partition`."""
    c = windows.shape[-1]
    x = windows.view(-1, h // ws, w // ws, ws, ws, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, h, w, c)


def relative_position_index(ws: int) -> torch.Tensor:
    """(N, N) index into the (2ws-1)^2 bias table for every pair of positions in a window."""
    coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (ws - 1)
    return rel[:, :, 0] * (2 * ws - 1) + rel[:, :, 1]


def shift_window_mask(h: int, w: int, ws: int, shift: int) -> torch.Tensor:
    """(windows, N, N) additive mask of a shifted layer: 0 within a region, -100 across regions.

    After the cyclic shift, windows on the bottom and right borders hold pixels from parts of
    the image that are not neighbours; the mask stops them attending to each other.
    """
    labels = torch.zeros(1, h, w, 1)
    bands = (slice(0, -ws), slice(-ws, -shift), slice(-shift, None))
    for i, (hs, wsl) in enumerate((a, b) for a in bands for b in bands):
        labels[:, hs, wsl, :] = i
    windows = window_partition(labels, ws).squeeze(-1)
    diff = windows[:, None, :] - windows[:, :, None]
    return torch.zeros_like(diff).masked_fill(diff != 0, SHIFT_MASK_VALUE)


@functools.lru_cache(maxsize=16)
def cached_shift_mask(h: int, w: int, ws: int, shift: int) -> torch.Tensor:
    """:func:`shift_window_mask`, cached per size (a border window's mask is the same at every size)."""
    with torch.inference_mode(False):  # usable later in autograd too
        return shift_window_mask(h, w, ws, shift)


def window_order(h: int, w: int, ws: int, shift: int) -> torch.Tensor:
    """Token gather order (over ``h * w`` image-order tokens) that rolls by -shift and partitions into windows."""
    grid = torch.arange(h * w).view(1, h, w, 1)
    if shift:
        grid = torch.roll(grid, shifts=(-shift, -shift), dims=(1, 2))
    return window_partition(grid, ws).flatten()


@functools.lru_cache(maxsize=32)
def order_change(h: int, w: int, ws: int, source: int | None, target: int | None,
                 device: torch.device) -> torch.Tensor:
    """Gather index taking tokens from the window order of shift ``source`` to that of shift ``target``.

    ``None`` stands for image (row-major) order, so ``order_change(.., None, s)`` partitions an image
    and ``order_change(.., s, None)`` puts windows back.
    """
    with torch.inference_mode(False):  # usable later in autograd too
        src = torch.arange(h * w) if source is None else window_order(h, w, ws, source)
        dst = torch.arange(h * w) if target is None else window_order(h, w, ws, target)
        return torch.argsort(src)[dst].to(device)


def reorder(tokens: torch.Tensor, h: int, w: int, ws: int, source: int | None, target: int | None) -> torch.Tensor:
    """(B, H*W, C) tokens from one order (see :func:`order_change`) to another; no copy when they agree."""
    if source == target:
        return tokens
    return tokens.index_select(1, order_change(h, w, ws, source, target, tokens.device))
