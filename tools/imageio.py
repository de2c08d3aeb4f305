"""Reading user photos safely and writing results atomically.

Every reader of user images goes through :func:`load_image`, so each command gives the same
one-line errors for missing, non-image, truncated and oversized files, and the same handling of
EXIF orientation, palettes, alpha, CMYK, 16-bit and animated files.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from tools.errors import UserError
from tools.fileio import write_atomic

SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF",
                ".bmp": "BMP", ".webp": "WEBP"}


@dataclass
class LoadedImage:
    """A decoded photo: ``pixels`` is uint8 H x W (gray) or H x W x 3 (color)."""

    path: Path
    pixels: np.ndarray
    alpha: np.ndarray | None = None
    source_mode: str = ""
    format: str | None = None
    notes: list[str] = field(default_factory=list)

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


def load_image(path: str | Path) -> LoadedImage:
    """Decode an image file into 8-bit gray or RGB pixels plus an optional alpha channel.

    Raises :class:`UserError` with one line for anything that is not a usable image.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"no such file: {path}")
    if path.is_dir():
        raise UserError(f"is a folder, not an image: {path}")
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                fmt = img.format
                if getattr(img, "is_animated", False) and getattr(img, "n_frames", 1) > 1:
                    notes.append(f"animated {fmt} with {img.n_frames} frames: using the first frame")
                    img.seek(0)
                img.load()
                source_mode = img.mode
                img = ImageOps.exif_transpose(img)
    except FileNotFoundError:
        raise UserError(f"no such file: {path}") from None
    except PermissionError:
        raise UserError(f"cannot read (permission denied): {path}") from None
    except UnidentifiedImageError:
        raise UserError(f"not an image (unrecognised format): {path}") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UserError(f"image too large (over Pillow's decompression-bomb limit of "
                        f"{Image.MAX_IMAGE_PIXELS} pixels): {path}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise UserError(f"cannot decode image (truncated or corrupt: {exc}): {path}") from None

    alpha = None
    img = _to_uint8(img, notes)
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        notes.append("palette image converted to RGB")
    if img.mode in ("LA", "RGBA", "PA"):
        alpha = np.asarray(img.getchannel("A"), dtype=np.uint8).copy()
        img = img.convert("L" if img.mode == "LA" else "RGB")
        notes.append("alpha channel kept aside and re-attached to outputs")
    if img.mode == "CMYK":
        notes.append("CMYK image converted to RGB")
    if img.mode == "1":
        img = img.convert("L")
    if img.mode not in ("L", "RGB"):
        img = img.convert("RGB")
    pixels = np.asarray(img, dtype=np.uint8).copy()
    return LoadedImage(path=path, pixels=pixels, alpha=alpha, source_mode=source_mode, format=fmt, notes=notes)


def to_pil(pixels: np.ndarray, alpha: np.ndarray | None = None) -> Image.Image:
    """uint8 gray or RGB pixels (plus optional alpha) as a Pillow image."""
    img = Image.fromarray(pixels, "L" if pixels.ndim == 2 else "RGB")
    if alpha is not None:
        img.putalpha(Image.fromarray(alpha, "L"))
    return img


def save_image(pixels: np.ndarray, path: str | Path, alpha: np.ndarray | None = None, quality: int = 95) -> Path:
    """Write pixels atomically; the format follows the file extension."""
    path = Path(path)
    fmt = SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UserError(f"unsupported output extension {path.suffix!r}: use one of {', '.join(sorted(SAVE_FORMATS))}")
    img = to_pil(pixels, alpha if fmt != "JPEG" else None)
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    return write_atomic(path, lambda tmp: img.save(tmp, format=fmt, **options))
