"""Where the tiles of a photo lie, how they blend, and how large they may be in a memory budget.

A tile is as large as the memory budget allows: the network's working set grows with the pixels it
runs on at a rate set by its configuration (:func:`working_bytes_per_pixel`), so the budget, less
the photo-sized buffers of the blend, gives the pixels one batch may hold. A photo within that
runs whole (no tiles, no seams); a larger one gets the fewest, least overlapping equal tiles
(:func:`plan_by_memory`), several to a batch when they are small.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DEFAULT_OVERLAP = 32
DEFAULT_MAX_MEMORY = 2.0e9  # bytes of working memory for a denoise run (``--max-memory``, in GB)
# Share of the overlap discarded at a tile edge, and share over which neighbours blend.
EDGE_DISCARD = 3 / 8
BLEND = 1 / 4
# Peak working set of a SwinIR forward pass per input pixel, with the process settings of the entry points
# (tools.swinir.runtime): measured 1.4, 1.8, 3.2 and 5.8 kB at embeddings 24, 48, 96 and 180 (SwinIR-M),
# 8 to 9 float32 values per channel plus a constant (bench/swinir_memory.py --calibrate). The estimate
# counts 7 token-wide tensors, the wider of the qkv projection and the MLP's hidden layer (3 at MLP ratio
# 2), and 1 kB: 1.4 to 1.7 times each measurement. A body behind a pixel-unshuffle stem holds all of it per
# token, so per pixel it is that over unshuffle**2 (measured 0.55 kB at 1 and 4 MP for swinir-half, against
# 0.9 kB estimated).
TOKEN_TENSORS = 7
PIXEL_BYTES = 1024
# Photo-sized buffers of a tiled run, in bytes per pixel and channel (padded input, blend sum, output)
# and per pixel (blend weights).
IMAGE_BYTES_PER_CHANNEL, IMAGE_BYTES_PER_PIXEL = 10, 4
MIN_TILE = 64  # the smallest tile a budget may shrink to, besides the overlap


@dataclass(frozen=True)
class TilePlan:
    """Where the tiles of an H x W image lie: equal-size tiles, the last ones flush with the edges."""

    height: int
    width: int
    tile_h: int
    tile_w: int
    ys: tuple[int, ...]
    xs: tuple[int, ...]
    overlap: int = 0

    @property
    def count(self) -> int:
        return len(self.ys) * len(self.xs)

    @property
    def whole(self) -> bool:
        """One tile covering the whole (padded) image."""
        return self.count == 1

    @property
    def computed_pixels(self) -> int:
        """Pixels the network runs on, overlaps counted as often as they are computed."""
        return self.count * self.tile_h * self.tile_w

    def boxes(self) -> list[tuple[int, int]]:
        """Top-left corners of every tile, row by row."""
        return [(y, x) for y in self.ys for x in self.xs]


def round_up(n: int, step: int) -> int:
    return -(-n // step) * step


def tile_starts(length: int, tile: int, overlap: int, align: int = 1) -> tuple[int, ...]:
    """Start offsets of ``tile``-long tiles covering ``length`` with at least ``overlap`` shared.

    With ``length`` and ``tile`` multiples of ``align``, every start is a multiple of ``align``.
    """
    if tile >= length:
        return (0,)
    stride = max(align, (tile - overlap) // align * align)
    return (*range(0, length - tile, stride), length - tile)


def plan_tiles(height: int, width: int, tile: int | None = None, overlap: int = DEFAULT_OVERLAP,
               align: int = 1, tile_w: int | None = None) -> TilePlan:
    """Plan ``tile`` x ``tile_w`` (default square) tiles of an image padded to a multiple of ``align`` (the
    network's window).

    ``tile=None`` or 0 means one tile, the whole image. Tiles start on multiples of ``align`` so a
    windowed network partitions each tile exactly as it would the whole image.
    """
    if overlap < 0:
        raise ValueError(f"overlap must not be negative, got {overlap}")
    if tile is not None and (tile < 0 or 0 < tile < align):
        raise ValueError(f"tile size must be 0 or at least {align}, got {tile}")
    if tile and overlap >= min(tile, tile_w or tile):
        raise ValueError(f"overlap ({overlap}) must be smaller than the tile size ({tile})")
    height, width = round_up(height, align), round_up(width, align)
    size_h = tile // align * align if tile else height
    size_w = (tile_w or tile) // align * align if tile else width
    tile_h, tile_w = min(size_h, height), min(size_w, width)
    return TilePlan(height, width, tile_h, tile_w, tile_starts(height, tile_h, overlap, align),
                    tile_starts(width, tile_w, overlap, align), overlap)


def working_bytes_per_pixel(config: dict) -> float:
    """Peak working memory of one forward pass of a SwinIR with this configuration, per input pixel."""
    dim, tokens_per_pixel = int(config["embed_dim"]), 1 / int(config.get("unshuffle", 1)) ** 2
    widest = max(3 * dim, int(dim * float(config.get("mlp_ratio", 2.0))))
    return (4.0 * (TOKEN_TENSORS * dim + widest) + PIXEL_BYTES) * tokens_per_pixel


def image_bytes(height: int, width: int, channels: int) -> int:
    """Photo-sized buffers of a tiled run (not counting the network)."""
    return height * width * (IMAGE_BYTES_PER_CHANNEL * channels + IMAGE_BYTES_PER_PIXEL)


def _balanced(length: int, count: int, overlap: int, align: int) -> int:
    """The smallest aligned tile length with which ``count`` tiles cover ``length`` (at most ``length``)."""
    return min(length, round_up(math.ceil((length - overlap) / count) + overlap, align))


def plan_by_memory(height: int, width: int, pixels: int, overlap: int = DEFAULT_OVERLAP,
                   align: int = 1) -> TilePlan:
    """The plan that computes the fewest pixels with tiles of at most ``pixels`` pixels.

    The whole image when it fits; else equal tiles, their sides chosen so the last tiles are not
    mostly overlap (fewer tiles among equal costs).
    """
    padded_h, padded_w = round_up(height, align), round_up(width, align)
    if padded_h * padded_w <= pixels:
        return plan_tiles(height, width, None, overlap, align)
    smallest = round_up(max(MIN_TILE, 2 * overlap + align), align)
    best: TilePlan | None = None
    for rows in range(1, padded_h // align + 1):
        tile_h = _balanced(padded_h, rows, overlap, align)
        if tile_h < min(smallest, padded_h):
            break
        max_w = min(padded_w, pixels // tile_h // align * align)
        if max_w <= overlap or max_w < min(smallest, padded_w):
            continue
        cols = 1 if max_w >= padded_w else math.ceil((padded_w - overlap) / max(1, max_w - overlap))
        tile_w = _balanced(padded_w, cols, overlap, align)
        plan = plan_tiles(height, width, tile_h, overlap, align, tile_w=tile_w)
        if best is None or (plan.computed_pixels, plan.count) < (best.computed_pixels, best.count):
            best = plan
    if best is None:  # the budget is below the smallest tile: run the smallest
        side = min(smallest, padded_h, padded_w)
        best = plan_tiles(height, width, side, min(overlap, side - align), align)
    return best


def ramp(length: int, overlap: int, fade_start: bool, fade_end: bool) -> np.ndarray:
    """1-D blending weights of a tile along one axis, 1 inside.

    At each faded end the outer 3/8 of the overlap gets weight 0 (pixels near a tile edge lack
    context, so the neighbour's output is used there), then a raised cosine rises over the next
    1/4 of the overlap, where the two neighbours blend.
    """
    weights = np.ones(length, dtype=np.float32)
    if overlap <= 0:
        return weights
    pos = np.arange(length, dtype=np.float32) + 0.5
    rise = 0.5 - 0.5 * np.cos(np.pi * np.clip((pos - EDGE_DISCARD * overlap) / (BLEND * overlap), 0.0, 1.0))
    if fade_start:
        weights *= rise
    if fade_end:
        weights *= rise[::-1]
    return weights


def tile_weights(plan: TilePlan, y: int, x: int, overlap: int | None = None) -> np.ndarray:
    """tile_h x tile_w weights of one tile: faded towards neighbouring tiles, flat at the image edges."""
    overlap = plan.overlap if overlap is None else overlap
    rows = ramp(plan.tile_h, overlap, y > 0, y + plan.tile_h < plan.height)
    cols = ramp(plan.tile_w, overlap, x > 0, x + plan.tile_w < plan.width)
    return np.outer(rows, cols)
