"""Denoise one photo file end to end: checks, weights, tiled inference, atomic output, metrics.

The CLI command and the agent both call :func:`denoise_file`.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from tools.deep_image import DEEP_NOTE, depth_notes  # noqa: F401 (DEEP_NOTE: the note, named here too)
from tools.errors import SettingError, UserError
from tools.fileio import check_output_path
from tools.image_save import check_fits, holds_alpha, save_format
from tools.imageio import LoadedImage, load_image, save_image
from tools.swinir import weights as registry
from tools.swinir.device import check_precision, memory_budget, out_of_memory_said, resolve_device
from tools.swinir.inference import (PRECISIONS, Progress, denoise_array,
                                    denoise_float, matching_contrast, model_channels, plan_for, to_uint8)

_KEEP_DEPTH: ContextVar[bool] = ContextVar("keep_depth", default=False)
UNMATCHED_NOTE = ("noise not matched: the network ran as its authors' test script runs it (whole image, "
                  "mirror-padded, contrast 1)")
MIN_SIDE = 16  # smaller photos have too little context for the network's windows (and its reflect padding)


@dataclass
class DenoiseResult:
    """What a denoise run did; :meth:`to_json` is the ``--json`` object."""

    input: str
    output: str
    model: str
    noise_level: int | None
    seconds: float
    megapixels: float
    tiles: int
    weights_kind: str = "embedded"
    contrast: float = 1.0  # noise-matching input contrast (1: the photo ran as it is)
    ensemble: bool = False  # eight flipped and turned runs averaged
    precision: str = "fp32"  # or "bf16" / "fp16" (autocast), only when asked for
    device: str = "cpu"  # where the network ran: cpu, cuda or mps
    psnr: float | None = None
    ssim: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def seconds_per_megapixel(self) -> float:
        return self.seconds / self.megapixels if self.megapixels else 0.0

    def to_json(self) -> dict:
        """The ``--json`` object (an infinite PSNR, output identical to the reference, becomes null)."""
        data = asdict(self)
        data.pop("notes")
        if data["psnr"] is not None and not np.isfinite(data["psnr"]):
            data["psnr"] = None
        return data


@lru_cache(maxsize=2)
def _cached_model(path: str, mtime_ns: int, size: int, device: str):
    model = registry.load_checked(Path(path))
    return model if device == "cpu" else model.to(device)


def load_model(path: Path, device: str = "cpu"):
    """Load a checkpoint onto ``device`` (and keep the last two loaded), keyed by path, modification time and
    device."""
    stat = Path(path).stat()
    return _cached_model(str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size, device)


def _check_tiling(tile: int | None, overlap: int | None, max_memory: float | None,
                  precision: str) -> tuple[int | None, int | None]:
    """The run's settings checked: ``tile`` None (sized by memory), 0 (whole image) or a side; ``overlap`` None
    (the network's, ``tools.swinir.inference.model_overlap``) or pixels; memory in bytes (None: the device's,
    ``tools.swinir.device.memory_budget``)."""
    if tile is not None and (tile < 0 or (0 < tile < 16)):
        raise SettingError("tile", tile, "0 (whole image) or at least 16 pixels")
    if overlap is not None and (overlap < 0 or (tile and overlap >= tile)):
        raise SettingError("overlap", overlap, "between 0 and the tile size minus one")
    if max_memory is not None and not max_memory > 0:
        raise SettingError("max_memory", max_memory, "a positive amount of memory")
    if precision not in PRECISIONS:
        raise SettingError("precision", precision, f"one of {', '.join(PRECISIONS)}")
    return tile, overlap


def _check_official(tile: int | None, ensemble: bool, precision: str) -> None:
    """The settings an unmatched run (the authors' test script) cannot take: tiles, self-ensemble, bfloat16."""
    if tile:
        raise SettingError("tile", tile, "0 or unset for an unmatched run, which runs the whole image at once as "
                           "the authors' test script does")
    if ensemble:
        raise SettingError("ensemble", None, "off for an unmatched run (one pass, as the authors' test script runs it)")
    if precision != "fp32":
        raise SettingError("precision", precision, "fp32 for an unmatched run (as the authors' test script runs it)")


def check_denoisable(width: int, height: int, photo: str | Path) -> None:
    """A one-line error for a photo too small for the network, whatever the decision (callers check it before
    they write anything)."""
    if min(width, height) < MIN_SIDE:
        raise UserError(f"image too small to denoise: {width}x{height} pixels (each side needs at least {MIN_SIDE}): "
                        f"{photo}")


def _channel_note(channels: int, gray: bool, match: bool = True) -> list[str]:
    if channels == 1 and not gray:
        return ["gray checkpoint on a color photo: each color channel denoised separately"]
    if channels == 3 and gray:
        matched = ", its noise matched to the independent color noise the checkpoint knows" if match else ""
        return [f"color checkpoint on a gray photo: run on the gray plane replicated to three channels{matched}"]
    return []


def noise_ratio(model_level: int | None, photo_sigma: float | None) -> float:
    """The checkpoint's training sigma over the photo's sigma (1 when either is unknown)."""
    if not model_level or photo_sigma is None or photo_sigma <= 0:
        return 1.0
    return model_level / photo_sigma


def matching_note(photo_sigma: float, level: int, ratio: float, contrast: float) -> str:
    """What noise matching did: the photo's contrast lowered to match the weights' sigma, or never raised."""
    if ratio > 1.0:
        return (f"noise weaker than the checkpoint's: photo sigma {photo_sigma:.1f}, the checkpoint's {level}; "
                f"contrast not raised above 1 (input contrast x{contrast:.2f})")
    return f"noise matched: photo sigma {photo_sigma:.1f} to the checkpoint's {level} (input contrast x{contrast:.2f})"


def _load_reference(reference: Path, image: LoadedImage) -> np.ndarray:
    clean = load_image(reference).pixels
    if clean.shape != image.pixels.shape:
        raise UserError(f"reference {reference} is {'x'.join(map(str, clean.shape))} but the input is "
                        f"{'x'.join(map(str, image.pixels.shape))}; they must match")
    return clean


def quality(clean: np.ndarray, restored: np.ndarray) -> tuple[float, float]:
    """PSNR (dB) and SSIM of uint8 ``restored`` against ``clean`` (scikit-image)."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    with np.errstate(divide="ignore"):  # identical images: PSNR is infinite
        psnr = peak_signal_noise_ratio(clean, restored, data_range=255)
    window = min(7, (min(clean.shape[:2]) - 1) // 2 * 2 + 1)  # SSIM needs an odd window within the image
    ssim = structural_similarity(clean, restored, data_range=255, win_size=window,
                                 channel_axis=2 if clean.ndim == 3 else None)
    return float(psnr), float(ssim)


@contextmanager
def keep_source_depth() -> Iterator[None]:
    """Within this block :func:`denoise_file` keeps 16-bit photos at 16 bits where the output format holds them
    (gray PNG or TIFF, color TIFF), instead of reducing them to 8 bits."""
    token = _KEEP_DEPTH.set(True)
    try:
        yield
    finally:
        _KEEP_DEPTH.reset(token)


def _deep_pixels(source: Path, target: Path, image: LoadedImage) -> np.ndarray | None:
    """The photo's 16-bit samples as float when they are kept at full depth (see :func:`keep_source_depth`)."""
    from tools.deep_image import can_write_deep, load_deep

    if not _KEEP_DEPTH.get() or not can_write_deep(target, image.is_gray):
        return None
    values = load_deep(source)
    return values if values is not None and values.shape == image.pixels.shape else None


def _denoise_and_save(model, image: LoadedImage, deep: np.ndarray | None, target: Path, **run) -> np.ndarray:
    """Denoise (at 8 bits, or in float from 16-bit samples), write the output with the photo's alpha and
    metadata; returns the 8-bit result for the figures."""
    if deep is None:
        restored = denoise_array(model, image.pixels, **run)
        save_image(restored, target, alpha=image.alpha, metadata=image.metadata, source=image.path)
        return restored
    from tools.deep_image import save_deep

    values = denoise_float(model, deep, **run)
    save_deep(values, target, metadata=image.metadata, source=image.path)
    return to_uint8(values)


def denoise_file(input: str | Path, output: str | Path, noise_level: int | None = None, weights: str | None = None,
                 tile: int | None = None, overlap: int | None = None, reference: str | Path | None = None,
                 progress: Progress | None = None, noise_sigma: float | None = None,
                 ensemble: bool = False, overwrite: bool = True, max_memory: float | None = None,
                 precision: str = "fp32", match: bool = True, device: str = "auto") -> DenoiseResult:
    """Denoise ``input`` into ``output`` (format from its extension); PSNR/SSIM against ``reference``.

    ``noise_level`` picks the weights (the nearest installed level when it has none, unless
    ``weights`` names them); the photo's noise is matched to theirs, taken as ``noise_sigma``
    (e.g. the analyzer's estimate) or else as ``noise_level``. ``ensemble`` averages eight flipped
    and turned runs (eight times the time). An existing ``output`` is replaced only when ``overwrite``.
    The network runs on ``device`` (``auto``: CUDA, else MPS, else the CPU; ``tools.swinir.device``). Tiles are
    as large as ``max_memory`` bytes allow (default: 2 GB on the CPU, most of a GPU's free memory) unless
    ``tile`` sets them (0: whole image); ``precision`` ``"bf16"`` or ``"fp16"`` (GPUs only) runs in autocast
    (reported in the result). ``match`` False runs the network as its authors' test script does: unmatched
    (contrast 1), the whole image, flip-padded (``tools.swinir.official``); it takes no tiles, self-ensemble or
    reduced precision.

    Every check (paths, image, reference, weights, checkpoint) happens before any output is
    written; the output appears in one rename, and the input is never modified.
    """
    source, target = Path(input), Path(output)
    fmt = save_format(target)
    check_output_path(target, source, *([Path(reference)] if reference else []), force=overwrite)
    tile, overlap = _check_tiling(tile, overlap, max_memory, precision)
    if not match:
        _check_official(tile, ensemble, precision)
    device = resolve_device(device)
    check_precision(device, precision)
    image = load_image(source)
    check_denoisable(image.width, image.height, source)
    check_fits(target, image.width, image.height, source)
    clean = _load_reference(Path(reference), image) if reference else None
    chosen, fallback = registry.resolve_nearest(noise_level, gray=image.is_gray, weights=weights)
    model = load_model(chosen.path, device)
    channels = model_channels(model)
    notes = [*image.notes, *_channel_note(channels, image.is_gray, match), *([fallback] if fallback else []),
             *([] if match else [UNMATCHED_NOTE])]
    photo_sigma = noise_sigma if noise_sigma is not None else noise_level
    ratio = noise_ratio(chosen.noise_level, photo_sigma) if match else 1.0
    contrast = matching_contrast(ratio, image.is_gray, channels) if match else 1.0
    if ratio != 1.0:
        notes.append(matching_note(photo_sigma, chosen.noise_level, ratio, contrast))
    if image.alpha is not None and not holds_alpha(fmt):
        notes.append(f"{fmt} has no alpha channel: the output is written without it")
    deep = _deep_pixels(source, target, image) if image.alpha is None else None
    if image.bits == 16 and _KEEP_DEPTH.get():  # depth asked for: kept, or why not
        notes = [note for note in notes if "16-bit" not in note] + depth_notes(image, target, deep is not None)

    budget = memory_budget(device, max_memory)  # with the model on the device: what is free for the run
    started = time.perf_counter()
    with out_of_memory_said(device, budget):
        restored = _denoise_and_save(model, image, deep, target, tile=tile, overlap=overlap, progress=progress,
                                     max_memory=budget, noise_ratio=ratio, ensemble=ensemble, precision=precision,
                                     official=not match)
    seconds = time.perf_counter() - started

    plan, _ = plan_for(model, image.pixels.shape, tile if match else 0, overlap, budget)
    psnr, ssim = quality(clean, restored) if clean is not None else (None, None)
    return DenoiseResult(input=str(source), output=str(target), model=chosen.id, noise_level=chosen.noise_level,
                         seconds=round(seconds, 3), megapixels=round(image.height * image.width / 1e6, 4),
                         tiles=plan.count, weights_kind=chosen.kind, contrast=round(contrast, 4), ensemble=ensemble,
                         precision=precision, device=device, psnr=psnr, ssim=ssim, notes=notes)
