"""Tiled, batched, memory-bounded inference of an image-to-image network on uint8 photos.

Large photos are cut into equal-size overlapping tiles; the tiles run through the network in
bounded-size batches and are blended back with cosine-ramp weights, so tile seams do not show
and the peak memory depends on the tile size, not on the photo size.

Noise matching: a denoiser trained on Gaussian noise of one sigma, independent in each channel,
removes other noise best when the photo is first made to look like its training data. Scaling
the photo's contrast by ``k`` about mid-gray scales its noise by ``k`` too, so the network runs
on ``0.5 + k (x - 0.5)`` and its output is scaled back by ``1 / k``. ``k`` is the ratio of the
network's training sigma to the photo's sigma; a gray photo replicated into a color network
carries the same noise in every channel, which is sqrt(3) stronger along the gray axis than the
independent noise the network knows, so ``k`` is divided by sqrt(3) there.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DEFAULT_TILE = 256
DEFAULT_OVERLAP = 32
# Working memory per batch of tiles, as a number of pixels of the network's input; the batch
# size follows from it. With the heap allocator (see tools.swinir.runtime) SwinIR-M's working set
# is about 1.4 GB per 256 x 256 tile, so one such tile a batch keeps a 12 MP photo under 2 GB.
BATCH_PIXELS = 256 * 256
# Share of the overlap discarded at a tile edge, and share over which neighbours blend.
EDGE_DISCARD = 3 / 8
BLEND = 1 / 4
# Range of the noise-matching contrast: beyond it the scaled photo no longer resembles training data.
CONTRAST_RANGE = (0.2, 3.0)

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called at the start and after each batch with the tiles finished."""


@dataclass(frozen=True)
class TilePlan:
    """Where the tiles of an H x W image lie: equal-size tiles, the last ones flush with the edges."""

    height: int
    width: int
    tile_h: int
    tile_w: int
    ys: tuple[int, ...]
    xs: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.ys) * len(self.xs)

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


def plan_tiles(height: int, width: int, tile: int | None = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP,
               align: int = 1) -> TilePlan:
    """Plan the tiles of an image padded to a multiple of ``align`` (the network's window).

    ``tile=None`` or 0 means one tile, the whole image. Tiles start on multiples of ``align`` so a
    windowed network partitions each tile exactly as it would the whole image.
    """
    if overlap < 0:
        raise ValueError(f"overlap must not be negative, got {overlap}")
    if tile is not None and (tile < 0 or 0 < tile < align):
        raise ValueError(f"tile size must be 0 or at least {align}, got {tile}")
    if tile and overlap >= tile:
        raise ValueError(f"overlap ({overlap}) must be smaller than the tile size ({tile})")
    height, width = round_up(height, align), round_up(width, align)
    size = tile // align * align if tile else max(height, width)
    tile_h, tile_w = min(size, height), min(size, width)
    return TilePlan(height, width, tile_h, tile_w,
                    tile_starts(height, tile_h, overlap, align), tile_starts(width, tile_w, overlap, align))


def model_window(model) -> int:
    """The spatial alignment a windowed network needs (its window size; 1 for anything else)."""
    return int(getattr(model, "window_size", 1) or 1)


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


def tile_weights(plan: TilePlan, y: int, x: int, overlap: int) -> np.ndarray:
    """tile_h x tile_w weights of one tile: faded towards neighbouring tiles, flat at the image edges."""
    rows = ramp(plan.tile_h, overlap, y > 0, y + plan.tile_h < plan.height)
    cols = ramp(plan.tile_w, overlap, x > 0, x + plan.tile_w < plan.width)
    return np.outer(rows, cols)


def model_channels(model) -> int:
    """Number of input channels the network expects (read from its first convolution)."""
    import torch

    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            return int(module.in_channels)
    raise ValueError("the network has no convolution to read its input channels from")


def _planes(pixels: np.ndarray, channels: int) -> list[np.ndarray]:
    """Split an H x W (x 3) uint8 image into the H x W x ``channels`` arrays the network takes."""
    image = pixels[..., None] if pixels.ndim == 2 else pixels
    have = image.shape[2]
    if have == channels:
        return [image]
    if channels == 1:  # a gray network on a color photo: one channel at a time
        return [image[..., c:c + 1] for c in range(have)]
    if have == 1:  # a color network on a gray photo: the gray plane replicated
        return [np.repeat(image, channels, axis=2)]
    raise ValueError(f"cannot feed a {have}-channel image to a {channels}-channel network")


def matching_contrast(noise_ratio: float, gray: bool = False, network_channels: int = 3) -> float:
    """Input contrast that matches a photo's noise to the network's training noise (module docstring).

    ``noise_ratio`` is the network's training sigma over the photo's sigma. A ``gray`` photo fed
    to a color network has its plane copied into every channel.
    """
    replicated = network_channels if gray else 1
    low, high = CONTRAST_RANGE
    return float(min(high, max(low, noise_ratio / math.sqrt(replicated))))


def self_ensemble(forward, inputs):
    """Mean of ``forward`` over the eight flips and quarter turns of (N, C, H, W) ``inputs``, each turned back."""
    import torch

    total = None
    for flipped in (False, True):
        x = inputs.flip(-1) if flipped else inputs
        for turns in range(4):
            y = torch.rot90(forward(torch.rot90(x, turns, (-2, -1))), -turns, (-2, -1))
            y = y.flip(-1) if flipped else y
            total = y if total is None else total + y
    return total / 8


def matched_forward(model, inputs, contrast: float = 1.0, ensemble: bool = False):
    """The network on float (N, C, H, W) inputs in [0, 1] at the noise-matching ``contrast``; unclamped output.

    ``ensemble`` averages the eight flipped and turned runs (eight times the time, a slightly
    cleaner result).
    """
    if ensemble:
        return self_ensemble(lambda x: matched_forward(model, x, contrast), inputs)
    if contrast == 1.0:
        return model(inputs)
    return (model((inputs - 0.5) * contrast + 0.5) - 0.5) / contrast + 0.5


def _merge(outputs: list[np.ndarray], gray: bool) -> np.ndarray:
    """Assemble float H x W x C network outputs back into the image's own layout."""
    merged = np.concatenate(outputs, axis=2) if len(outputs) > 1 else outputs[0]
    if gray and merged.shape[2] > 1:
        merged = merged.mean(axis=2, keepdims=True)
    return merged[..., 0] if gray else merged


def run_tiled(model, image: np.ndarray, plan: TilePlan, overlap: int, batch: int,
              on_batch: Callable[[int], None], contrast: float = 1.0, ensemble: bool = False) -> np.ndarray:
    """Run the network on every tile of one H x W x C uint8 image; blended float32 result in [0, 1].

    The image is first reflect-padded (bottom and right) to the plan's size, as the network
    itself pads a whole image, then cropped back. ``contrast`` is the noise-matching scale;
    ``ensemble`` see :func:`matched_forward`.
    """
    import torch

    height, width, channels = image.shape
    image = np.pad(image, ((0, plan.height - height), (0, plan.width - width), (0, 0)), mode="reflect")
    total = np.zeros((plan.height, plan.width, channels), dtype=np.float32)
    weight_sum = np.zeros((plan.height, plan.width, 1), dtype=np.float32)
    boxes = plan.boxes()
    for first in range(0, len(boxes), batch):
        chunk = boxes[first:first + batch]
        tiles = np.stack([image[y:y + plan.tile_h, x:x + plan.tile_w] for y, x in chunk])
        inputs = torch.from_numpy(tiles).permute(0, 3, 1, 2).float()
        if tiles.dtype == np.uint8:
            inputs.div_(255.0)
        outputs = matched_forward(model, inputs, contrast, ensemble).clamp_(0.0, 1.0).permute(0, 2, 3, 1).numpy()
        for (y, x), out in zip(chunk, outputs):
            w = tile_weights(plan, y, x, overlap)[..., None]
            total[y:y + plan.tile_h, x:x + plan.tile_w] += out * w
            weight_sum[y:y + plan.tile_h, x:x + plan.tile_w] += w
        on_batch(len(chunk))
    total /= weight_sum
    return total[:height, :width]


def denoise_float(model, pixels: np.ndarray, tile: int | None = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP,
                  progress: Progress | None = None, batch_pixels: int = BATCH_PIXELS,
                  noise_ratio: float = 1.0, ensemble: bool = False) -> np.ndarray:
    """Like :func:`denoise_array` but returns float32 in [0, 1] (for exact comparisons); ``pixels`` may also be
    float32 in [0, 1] (16-bit photos)."""
    import torch

    layout_ok = pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] in (1, 3))
    if pixels.dtype not in (np.uint8, np.float32) or not layout_ok:
        raise ValueError(f"expected uint8 or float32 H x W or H x W x 3 pixels, got {pixels.dtype} {pixels.shape}")
    gray = pixels.ndim == 2 or pixels.shape[2] == 1
    channels = model_channels(model)
    planes = _planes(pixels, channels)
    contrast = matching_contrast(noise_ratio, gray, channels)
    plan = plan_tiles(pixels.shape[0], pixels.shape[1], tile, overlap, model_window(model))
    batch = max(1, batch_pixels // (plan.tile_h * plan.tile_w))
    total = plan.count * len(planes)
    done = 0

    def on_batch(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    on_batch(0)
    model.eval()
    with torch.inference_mode():
        outputs = [run_tiled(model, plane, plan, overlap, batch, on_batch, contrast, ensemble) for plane in planes]
    result = _merge(outputs, gray)
    return result if pixels.ndim == 2 or not gray else result[..., None]


def to_uint8(values: np.ndarray) -> np.ndarray:
    """float in [0, 1] -> uint8, rounded (one temporary, to keep large photos light)."""
    scaled = values * np.float32(255.0)
    np.rint(scaled, out=scaled)
    np.clip(scaled, 0, 255, out=scaled)
    return scaled.astype(np.uint8)


def denoise_array(model, pixels: np.ndarray, tile: int | None = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP,
                  progress: Progress | None = None, noise_ratio: float = 1.0, ensemble: bool = False) -> np.ndarray:
    """Denoise uint8 gray (H x W) or color (H x W x 3) pixels with a SwinIR-style network.

    The image is processed in ``tile`` x ``tile`` tiles overlapping by ``overlap`` pixels
    (``tile=None`` runs the whole image at once); a gray network on a color photo runs once per
    channel, a color network on a gray photo sees the gray plane replicated, with its noise
    matched (module docstring). ``noise_ratio`` is the network's training sigma over the photo's
    sigma; ``ensemble`` averages eight flipped and turned runs. Computation is float32 throughout.
    Alpha channels are not handled here: the caller keeps and re-attaches them.
    """
    if pixels.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {pixels.dtype} (float32 samples go to denoise_float)")
    return to_uint8(denoise_float(model, pixels, tile, overlap, progress, noise_ratio=noise_ratio, ensemble=ensemble))
