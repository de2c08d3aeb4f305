"""Tiled, batched, memory-bounded inference of an image-to-image network on uint8 photos.

A photo runs whole when the network's working set for it fits the memory budget; a larger one is
cut into equal overlapping tiles as large as the budget allows (``tools.swinir.tiling``), which run
through the network in batches and are blended back with cosine-ramp weights, so tile seams do not
show and the peak memory depends on the budget, not on the photo size.

Progress and cancelling: ``progress(done, total)`` (tiles) is called at the start, after each batch
of tiles, and between the network's transformer layers (at most every :data:`STAGE_INTERVAL_S`
seconds, with the same counts), so a callback that raises stops even a whole-image pass within
about a layer's time; the exception propagates and nothing more is computed.

Device: the network runs where the model's weights are (``tools.swinir.device`` chooses it); tiles are moved
there and their outputs back to CPU memory, where they are blended. A CPU model runs exactly as before.

Precision: float32 unless ``precision`` asks for bfloat16 (``bf16``: faster only where the CPU computes in
bfloat16 natively; its cost in PSNR is measured by
``bench/denoise_quality.py --precision fp32 --precision bf16``) or float16
(``fp16``, GPUs only) autocast on the model's device. Never chosen silently: the caller passes it and reports it.

Noise matching: a denoiser trained on Gaussian noise of one sigma, independent in each channel,
removes other noise best when the photo is first made to look like its training data. Scaling
the photo's contrast by ``k`` about mid-gray scales its noise by ``k`` too, so the network runs
on ``0.5 + k (x - 0.5)`` and its output is scaled back by ``1 / k``. ``k`` is the ratio of the
network's training sigma to the photo's sigma; a gray photo replicated into a color network
carries the same noise in every channel, which is sqrt(3) stronger along the gray axis than the
independent noise the network knows, so ``k`` is divided by sqrt(3) there.

``k`` is never above 1: noise weaker than the network's runs at the photo's own contrast. Raising the contrast
pushes shadows and highlights outside [0, 1], where the network never saw data; on clipped 8-bit photos at
sigma 5 to 15 that lost 0.1 to 3.3 dB to the run at contrast 1, which is also what the official script runs
(``bench/contrast_band.py``, ``bench/results/contrast_band.json``).

Official mode (``official=True``, ``denoise --no-match``): the whole image at once, no noise matching and no
self-ensemble, flip-padded as the authors' test script pads it (``tools.swinir.official``).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from tools.swinir.device import autocast as device_autocast
from tools.swinir.official import padded_forward
from tools.swinir.tiling import (DEFAULT_MAX_MEMORY, DEFAULT_OVERLAP, TilePlan, image_bytes, plan_by_memory,
                                 plan_tiles, ramp, round_up, tile_starts, tile_weights, working_bytes_per_pixel)

__all__ = ["DEFAULT_MAX_MEMORY", "DEFAULT_OVERLAP", "DEFAULT_TILE", "PRECISIONS", "TilePlan", "denoise_array",
           "denoise_float", "matched_forward", "matching_contrast", "model_channels", "model_device", "model_overlap",
           "model_window", "plan_for", "plan_tiles", "ramp", "round_up", "tile_starts", "tile_weights", "to_uint8"]

DEFAULT_TILE: int | None = None  # None: tiles sized by the memory budget; 0: the whole image; else the tile side
PRECISIONS = ("fp32", "bf16", "fp16")
STAGE_INTERVAL_S = 0.2  # between-layer progress calls at most this often
# Range of the noise-matching contrast: beyond it the scaled photo no longer resembles training data.
CONTRAST_RANGE = (0.2, 1.0)  # never raised: see the module docstring

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called at the start, after each batch with the tiles finished, and between layers."""


def model_window(model) -> int:
    """The spatial alignment a windowed network needs (its window size; 1 for anything else)."""
    return int(getattr(model, "window_size", 1) or 1)


def model_overlap(model, tile: int | None = None) -> int:
    """The default overlap between tiles: ``DEFAULT_OVERLAP`` pixels of the network's own tokens (times its
    unshuffle factor, so a body at half resolution keeps the same context at a seam), under half a fixed ``tile``."""
    overlap = DEFAULT_OVERLAP * int(getattr(model, "unshuffle", 1) or 1)
    return min(overlap, tile // 2) if tile else overlap


def batch_pixels(model, height: int, width: int, channels: int, max_memory: float) -> int:
    """Network input pixels one batch may hold: ``max_memory`` bytes less the photo's own buffers, over the
    network's working set per pixel (a network without a SwinIR configuration counts as SwinIR-M)."""
    config = getattr(model, "config", None) or {"embed_dim": 180}
    network = max(0.0, max_memory - image_bytes(height, width, channels))
    return int(network // working_bytes_per_pixel(config))


def plan_for(model, shape: tuple[int, ...], tile: int | None = DEFAULT_TILE, overlap: int | None = None,
             max_memory: float = DEFAULT_MAX_MEMORY) -> tuple[TilePlan, int]:
    """The tile plan of a photo of ``shape`` (H, W[, C]) and the tiles per batch: sized by ``max_memory`` when
    ``tile`` is None, the whole photo when it is 0, else ``tile`` x ``tile`` tiles; ``overlap`` None: the
    network's (:func:`model_overlap`)."""
    height, width = shape[:2]
    overlap = model_overlap(model, tile) if overlap is None else overlap
    channels = max(shape[2] if len(shape) == 3 else 1, model_channels(model))
    align = model_window(model)
    pixels = batch_pixels(model, height, width, channels, max_memory)
    plan = (plan_by_memory(height, width, pixels, overlap, align) if tile is None
            else plan_tiles(height, width, tile or None, overlap, align))
    return plan, max(1, pixels // (plan.tile_h * plan.tile_w))


def model_channels(model) -> int:
    """Number of input channels the network expects (its configuration's, else its first convolution's)."""
    import torch

    config = getattr(model, "config", None)
    if isinstance(config, dict) and "in_chans" in config:
        return int(config["in_chans"])
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


def model_device(model):
    """The device the network's weights are on (the CPU for a network without any, or a plain function)."""
    import torch

    parameters = getattr(model, "parameters", None)
    first = next(iter(parameters()), None) if parameters is not None else None
    return torch.device("cpu") if first is None else first.device


def _network(model, on_stage: Callable[[], None] | None, precision: str):
    """``model`` as a function of a batch: between-layer callbacks where the network takes them, and autocast
    on the model's device for ``bf16`` and ``fp16`` (float32 output either way)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    device = model_device(model).type
    if precision == "fp16" and device == "cpu":
        raise ValueError("precision fp16 runs on a GPU only (fp32 or bf16 on the CPU)")
    takes_stages = on_stage is not None and hasattr(model, "forward_features")
    autocast = device_autocast(device, precision)

    def forward(x):
        with autocast:
            y = model(x, on_stage=on_stage) if takes_stages else model(x)
        return y.float()

    return forward


def matched_forward(model, inputs, contrast: float = 1.0, ensemble: bool = False,
                    on_stage: Callable[[], None] | None = None, precision: str = "fp32"):
    """The network on float (N, C, H, W) inputs in [0, 1] at the noise-matching ``contrast``; unclamped output.

    ``ensemble`` averages the eight flipped and turned runs (eight times the time, a slightly
    cleaner result); ``on_stage`` is called between the network's layers; ``precision`` see the module.
    """
    network = _network(model, on_stage, precision)
    if ensemble:
        return self_ensemble(lambda x: matched_forward(network, x, contrast), inputs)
    if contrast == 1.0:
        return network(inputs)
    return (network((inputs - 0.5) * contrast + 0.5) - 0.5) / contrast + 0.5


def _merge(outputs: list[np.ndarray], gray: bool) -> np.ndarray:
    """Assemble float H x W x C network outputs back into the image's own layout."""
    merged = np.concatenate(outputs, axis=2) if len(outputs) > 1 else outputs[0]
    if gray and merged.shape[2] > 1:
        merged = merged.mean(axis=2, keepdims=True)
    return merged[..., 0] if gray else merged


class Ticker:
    """Counts finished tiles and calls ``progress`` at the start, after each batch, and between layers."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0
        self.last = time.monotonic()

    def report(self) -> None:
        self.last = time.monotonic()
        if self.progress is not None:
            self.progress(self.done, self.total)

    def tiles(self, count: int) -> None:
        self.done += count
        self.report()

    def stage(self) -> None:
        if self.progress is not None and time.monotonic() - self.last >= STAGE_INTERVAL_S:
            self.report()


def _tensor(batch: np.ndarray):
    """(N, H, W, C) uint8 or float32 pixels -> float (N, C, H, W) in [0, 1], channels-last in memory."""
    import torch

    inputs = torch.from_numpy(batch).permute(0, 3, 1, 2).float()
    return inputs.div_(255.0) if batch.dtype == np.uint8 else inputs


def run_tiled(model, image: np.ndarray, plan: TilePlan, batch: int, ticker: Ticker, contrast: float = 1.0,
              ensemble: bool = False, precision: str = "fp32", official: bool = False) -> np.ndarray:
    """Run the network on every tile of one H x W x C image; blended float32 result in [0, 1].

    A whole-image plan runs the image as it is (the network pads it itself). Otherwise the image
    is first reflect-padded (bottom and right) to the plan's size, as the network pads a whole
    image, then cropped back. ``contrast`` is the noise-matching scale; ``ensemble`` see
    :func:`matched_forward`; ``official`` flip-pads each tile as the authors' test script does (module docstring).
    """
    def network(inputs):
        return matched_forward(model, inputs, contrast, ensemble, ticker.stage, precision)

    device = model_device(model)

    def forward(tiles: np.ndarray) -> np.ndarray:
        inputs = _tensor(tiles).to(device)
        out = padded_forward(network, inputs, model_window(model)) if official else network(inputs)
        return out.clamp_(0.0, 1.0).permute(0, 2, 3, 1).cpu().numpy()

    height, width, channels = image.shape
    if plan.whole:
        result = forward(image[None])[0]
        ticker.tiles(1)
        return result
    image = np.pad(image, ((0, plan.height - height), (0, plan.width - width), (0, 0)), mode="reflect")
    total = np.zeros((plan.height, plan.width, channels), dtype=np.float32)
    weight_sum = np.zeros((plan.height, plan.width, 1), dtype=np.float32)
    boxes = plan.boxes()
    for first in range(0, len(boxes), batch):
        chunk = boxes[first:first + batch]
        outputs = forward(np.stack([image[y:y + plan.tile_h, x:x + plan.tile_w] for y, x in chunk]))
        for (y, x), out in zip(chunk, outputs):
            w = tile_weights(plan, y, x)[..., None]
            total[y:y + plan.tile_h, x:x + plan.tile_w] += out * w
            weight_sum[y:y + plan.tile_h, x:x + plan.tile_w] += w
        ticker.tiles(len(chunk))
    total /= weight_sum
    return total[:height, :width]


def denoise_float(model, pixels: np.ndarray, tile: int | None = DEFAULT_TILE, overlap: int | None = None,
                  progress: Progress | None = None, max_memory: float = DEFAULT_MAX_MEMORY,
                  noise_ratio: float = 1.0, ensemble: bool = False, precision: str = "fp32",
                  official: bool = False) -> np.ndarray:
    """Like :func:`denoise_array` but returns float32 in [0, 1] (for exact comparisons); ``pixels`` may also be
    float32 in [0, 1] (16-bit photos)."""
    import torch

    if official and (ensemble or noise_ratio != 1.0 or tile):
        raise ValueError("the official mode runs the whole image, unmatched, without self-ensemble")

    layout_ok = pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] in (1, 3))
    if pixels.dtype not in (np.uint8, np.float32) or not layout_ok:
        raise ValueError(f"expected uint8 or float32 H x W or H x W x 3 pixels, got {pixels.dtype} {pixels.shape}")
    gray = pixels.ndim == 2 or pixels.shape[2] == 1
    channels = model_channels(model)
    planes = _planes(pixels, channels)
    contrast = 1.0 if official else matching_contrast(noise_ratio, gray, channels)
    plan, batch = plan_for(model, pixels.shape, 0 if official else tile, overlap, max_memory)
    ticker = Ticker(progress, plan.count * len(planes))
    ticker.report()
    model.eval()
    with torch.inference_mode():
        outputs = [run_tiled(model, plane, plan, batch, ticker, contrast, ensemble, precision, official)
                   for plane in planes]
    result = _merge(outputs, gray)
    return result if pixels.ndim == 2 or not gray else result[..., None]


def to_uint8(values: np.ndarray) -> np.ndarray:
    """float in [0, 1] -> uint8, rounded (one temporary, to keep large photos light)."""
    scaled = values * np.float32(255.0)
    np.rint(scaled, out=scaled)
    np.clip(scaled, 0, 255, out=scaled)
    return scaled.astype(np.uint8)


def denoise_array(model, pixels: np.ndarray, tile: int | None = DEFAULT_TILE, overlap: int | None = None,
                  progress: Progress | None = None, max_memory: float = DEFAULT_MAX_MEMORY, noise_ratio: float = 1.0,
                  ensemble: bool = False, precision: str = "fp32", official: bool = False) -> np.ndarray:
    """Denoise uint8 gray (H x W) or color (H x W x 3) pixels with a SwinIR-style network.

    The photo runs whole, or in tiles overlapping by ``overlap`` pixels, as large as ``max_memory``
    (bytes) allows (``tile=None``); ``tile=0`` runs it whole regardless, ``tile=N`` in N x N tiles.
    A gray network on a color photo runs once per channel, a color network on a gray photo sees the
    gray plane replicated, with its noise matched (module docstring). ``noise_ratio`` is the
    network's training sigma over the photo's sigma; ``ensemble`` averages eight flipped and turned
    runs; ``precision`` is ``fp32`` or ``bf16``; ``official`` runs it as the authors' test script does
    (module docstring). Alpha channels are not handled here: the caller keeps and re-attaches them.
    """
    if pixels.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {pixels.dtype} (float32 samples go to denoise_float)")
    return to_uint8(denoise_float(model, pixels, tile, overlap, progress, max_memory, noise_ratio, ensemble, precision,
                                  official))
