"""Reading user photos safely and writing results atomically.

Every reader of user images goes through :func:`load_image`, so each command gives the same
one-line errors for missing, non-image, truncated and oversized files, and the same handling of
EXIF orientation, palettes, alpha, CMYK, 16-bit and animated files.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from tools.errors import UserError
from tools.image_save import MAX_SIDE, SAVE_FORMATS, check_fits, save_format, save_pil  # noqa: F401 (SAVE_FORMATS)
from tools.photo_metadata import PhotoMetadata, read_metadata
from tools.read_guard import PHOTO, check_file, open_checked

# The only decoders a photo may reach (JPEG also reads cameras' multi-picture MPO; PPM also reads PGM and
# PBM). Never PostScript (Ghostscript), PDF, or the many rarely used formats Pillow also knows.
READ_FORMATS = ("PNG", "JPEG", "TIFF", "BMP", "WEBP", "GIF", "PPM")


@dataclass
class LoadedImage:
    """A decoded photo: ``pixels`` is uint8 H x W (gray) or H x W x 3 (color)."""

    path: Path
    pixels: np.ndarray
    alpha: np.ndarray | None = None
    source_mode: str = ""
    format: str | None = None
    notes: list[str] = field(default_factory=list)
    metadata: PhotoMetadata = field(default_factory=PhotoMetadata)
    bits: int = 8  # bits per sample in the file (16: the pixels here are reduced; see tools.deep_image)

    @property
    def is_gray(self) -> bool:
        return self.pixels.ndim == 2

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])


def _to_uint8(img: Image.Image, notes: list[str]) -> Image.Image:
    """Reduce 16-bit and 32-bit integer/float modes to 8-bit, with a note."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 else 255.0
        notes.append("16-bit image reduced to 8-bit")
        return Image.fromarray(np.clip(np.rint(arr / top * 255.0), 0, 255).astype(np.uint8), "L")
    if img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        top = 1.0 if arr.max() <= 1.0 else 255.0
        notes.append("floating-point image reduced to 8-bit")
        return Image.fromarray(np.clip(np.rint(arr / top * 255.0), 0, 255).astype(np.uint8), "L")
    return img


def _deep_png_with_8_bit_mode(path: Path) -> bool:
    """Whether a PNG holds 16-bit color or gray-with-alpha samples (its header says so), which Pillow decodes
    at 8 bits."""
    with open_photo(path) as handle:
        header = handle.read(26)
    return len(header) == 26 and header[24] == 16 and header[25] in (2, 4, 6)  # bit depth; RGB, LA, RGBA


def _source_bits(img: Image.Image, path: Path) -> int:
    """Bits per sample in the file: 16 for 16-bit gray, 16-bit color TIFF and 16-bit color PNG, else 8."""
    if img.mode in ("I;16", "I;16B", "I;16L"):
        return 16
    if img.format == "TIFF" and 16 in tuple(getattr(img, "tag_v2", {}).get(258, ()) or ()):
        return 16
    return 16 if img.format == "PNG" and _deep_png_with_8_bit_mode(path) else 8


def photo_stat(path: str | Path) -> os.stat_result:
    """The status of a photo file, which must be a regular file within the photo cap (links followed); one-line
    errors else (:mod:`tools.read_guard`)."""
    return check_file(path, PHOTO)


def open_photo(path: str | Path) -> BinaryIO:
    """A photo opened for reading through the one guard (:func:`tools.read_guard.open_checked`): a named pipe,
    a device, a folder, a link loop or an oversized file is a one-line error, and opening never blocks."""
    return open_checked(path, PHOTO)


def pixel_budget() -> int:
    """The most pixels a photo may have: Pillow's decompression-bomb limit (89.5 megapixels by default),
    within which ``analyze`` stays under about 2 GB."""
    return int(Image.MAX_IMAGE_PIXELS or 0)


def check_pixels(size: tuple[int, int], path: Path) -> None:
    """Refuse a photo over :func:`pixel_budget` before its pixels are decoded."""
    budget = pixel_budget()
    width, height = size
    if budget and width * height > budget:
        raise UserError(f"image too large: {width}x{height} pixels ({width * height / 1e6:.1f} megapixels) is over "
                        f"the pixel budget of {budget / 1e6:.1f} megapixels (Pillow's decompression-bomb limit): "
                        f"{path}")


def open_image(handle: BinaryIO, path: Path) -> Image.Image:
    """Pillow's image for an open photo, from the allowed decoders only (:data:`READ_FORMATS`), within the
    pixel budget; pixels not yet decoded."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # check_pixels words the limit
        img = Image.open(handle, formats=READ_FORMATS)
    try:
        check_pixels(img.size, path)
    except UserError:
        img.close()
        raise
    return img


def check_output_fits(output: str | Path, photo: str | Path) -> None:
    """Refuse, before any work, an output whose format cannot hold the photo's size (JPEG 65535, WebP 16383
    pixels a side), from the photo's header alone; a photo that cannot be opened is left to :func:`load_image`
    to word."""
    if save_format(output) not in MAX_SIDE:
        return
    try:
        with open_photo(photo) as handle, open_image(handle, Path(photo)) as img:
            width, height = img.size
    except (UserError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return
    check_fits(output, width, height, photo)


def load_image(path: str | Path) -> LoadedImage:
    """Decode an image file into 8-bit gray or RGB pixels plus an optional alpha channel.

    Raises :class:`UserError` with one line for anything that is not a usable image: no regular file, a
    format not in :data:`READ_FORMATS`, over the pixel budget, truncated or corrupt.
    """
    path = Path(path)
    notes: list[str] = []
    try:
        with open_photo(path) as handle, open_image(handle, path) as img:
            fmt = img.format
            if getattr(img, "is_animated", False) and getattr(img, "n_frames", 1) > 1:
                notes.append(f"animated {fmt} with {img.n_frames} frames: using the first frame")
                img.seek(0)
            img.load()
            source_mode, bits = img.mode, _source_bits(img, path)
            metadata = read_metadata(img)
            img = ImageOps.exif_transpose(img)
    except UserError:
        raise
    except UnidentifiedImageError:
        raise UserError(f"not an image (unrecognised format): {path}") from None
    except Image.DecompressionBombError:
        raise UserError(f"image too large: over the pixel budget of {pixel_budget() / 1e6:.1f} megapixels "
                        f"(Pillow's decompression-bomb limit): {path}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise UserError(f"cannot decode image (truncated or corrupt: {exc}): {path}") from None

    alpha = None
    if bits == 16 and source_mode not in ("I;16", "I;16B", "I;16L"):
        notes.append(f"16-bit {'gray' if source_mode == 'LA' else 'color'} {fmt} read at 8 bits")
    img = _to_uint8(img, notes)
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        notes.append("palette image converted to RGB")
    if img.mode in ("LA", "RGBA", "PA"):
        alpha = np.asarray(img.getchannel("A"), dtype=np.uint8).copy()
        img = img.convert("L" if img.mode == "LA" else "RGB")
        notes.append("alpha channel kept aside and re-attached to outputs")
    if img.mode == "CMYK":
        notes.append("CMYK image converted to RGB" + (" (its CMYK color profile dropped)" if metadata.icc else ""))
    if img.mode == "1":
        img = img.convert("L")
    if img.mode not in ("L", "RGB"):
        img = img.convert("RGB")
    pixels = np.asarray(img, dtype=np.uint8).copy()
    return LoadedImage(path=path, pixels=pixels, alpha=alpha, source_mode=source_mode, format=fmt, notes=notes,
                       metadata=metadata, bits=bits)


DETAIL_PIXELS = 12_000_000  # full-resolution pixels the analyzer's noise, blur and JPEG measurements read
GRID = 16  # crops start on the JPEG block grid (16: also with chroma subsampling)


def detail_region(pixels: np.ndarray, budget: int = DETAIL_PIXELS) -> tuple[np.ndarray, str | None]:
    """The central part of a large photo at full resolution, within ``budget`` pixels, and a note saying so
    (the whole photo and None when it fits). Noise, blur and JPEG blocks must be measured at full resolution
    (downscaling averages noise away), and they are alike across a photo, so a large central crop, aligned to
    the JPEG grid, measures them with bounded memory."""
    height, width = pixels.shape[:2]
    if height * width <= budget:
        return pixels, None
    scale = (budget / (height * width)) ** 0.5
    crop_h, crop_w = (max(GRID, int(side * scale) // GRID * GRID) for side in (height, width))
    top, left = ((height - crop_h) // 2 // GRID * GRID), ((width - crop_w) // 2 // GRID * GRID)
    note = (f"noise, blur and JPEG measured on the central {crop_w}x{crop_h} pixels at full resolution "
            f"({height * width / 1e6:.0f} megapixels in all)")
    return pixels[top:top + crop_h, left:left + crop_w], note


def to_pil(pixels: np.ndarray, alpha: np.ndarray | None = None) -> Image.Image:
    """uint8 gray or RGB pixels (plus optional alpha) as a Pillow image."""
    img = Image.fromarray(pixels, "L" if pixels.ndim == 2 else "RGB")
    if alpha is not None:
        img.putalpha(Image.fromarray(alpha, "L"))
    return img


def save_image(pixels: np.ndarray, path: str | Path, alpha: np.ndarray | None = None, quality: int = 95,
               metadata: PhotoMetadata | None = None, source: str | Path | None = None) -> Path:
    """Write pixels (and alpha, where the format holds it) to ``path``, the format from its extension: written,
    read back and only then published (:func:`tools.image_save.save_pil`); ``metadata`` is filtered to what the
    format and mode hold, and a failure names ``source``, the photo the pixels came from."""
    return save_pil(to_pil(pixels, alpha), path, quality=quality, metadata=metadata, source=source)
