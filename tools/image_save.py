"""Writing images: write, verify, then publish.

Every image the program writes goes through :func:`publish`: the encoder writes a hidden temporary file
beside the target (:func:`tools.fileio.write_atomic`), the file is read back with Pillow, and only a file that
reads back as the image meant (its size and mode, and for lossless formats its pixels) is renamed into place.
Otherwise the temporary file is removed and a one-line error names the photo the output came from. The pixels
are first put in a mode the format holds (:func:`writable`) and the metadata filtered to what the format and
mode hold (:mod:`tools.photo_metadata`), so no (mode, format) pair fails after the work is done.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from tools.errors import UserError
from tools.fileio import reason, write_atomic
from tools.photo_metadata import PhotoMetadata, metadata_options
from tools.read_guard import PHOTO, copy_file

SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF",
                ".bmp": "BMP", ".webp": "WEBP"}
LOSSLESS = ("PNG", "TIFF", "BMP")  # read back pixel for pixel; JPEG and WebP (quality 95) only coarsely
NO_ALPHA = ("JPEG", "BMP")  # Pillow's BMP writes four channels that read back as RGB: no alpha kept
MAX_SIDE = {"JPEG": 65535, "WEBP": 16383}  # the longest side each format can encode
DEEP_MODES = ("I;16", "I;16B", "I;16L")
COARSE_BLOCK = 8  # lossy outputs: 8 x 8 block means compared ...
COARSE_TOLERANCE = 16.0  # ... within this mean difference (8-bit levels): a wrong or blank image fails


class OutputCheckFailed(UserError):
    """An output could not be written, or did not read back as the image meant; nothing was left."""


def save_format(path: str | Path) -> str:
    """Pillow's format name for an output path's extension; a one-line error for any other extension."""
    fmt = SAVE_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise UserError(f"unsupported output extension {Path(path).suffix!r}: "
                        f"use one of {', '.join(sorted(SAVE_FORMATS))}")
    return fmt


def holds_alpha(fmt: str) -> bool:
    """Whether outputs of format ``fmt`` keep an alpha channel."""
    return fmt not in NO_ALPHA


def check_fits(path: str | Path, width: int, height: int, source: str | Path | None = None) -> None:
    """Refuse, before any work, an output larger than its format can encode (JPEG 65535, WebP 16383 pixels
    a side)."""
    fmt = save_format(path)
    limit = MAX_SIDE.get(fmt)
    if limit and max(width, height) > limit:
        raise UserError(f"{fmt} holds at most {limit} pixels a side, and {source or 'the image'} is "
                        f"{width}x{height} (write .png or .tif): {path}")


def writable(img: Image.Image, fmt: str) -> Image.Image:
    """``img`` in a mode ``fmt`` holds: alpha dropped where the format has none, gray as RGB in WebP, 16-bit
    samples reduced to 8 bits outside PNG and TIFF."""
    if img.mode in DEEP_MODES and fmt not in ("PNG", "TIFF"):
        eight = np.rint(np.asarray(img, dtype=np.float64) / 257.0).astype(np.uint8)
        img = Image.fromarray(eight, "L")
    if fmt in NO_ALPHA and img.mode in ("LA", "RGBA"):
        img = img.convert("L" if img.mode == "LA" else "RGB")
    if fmt == "WEBP" and img.mode in ("L", "LA"):
        img = img.convert("RGBA" if img.mode == "LA" else "RGB")
    return img


def _coarse(pixels: np.ndarray) -> np.ndarray:
    """Block means of 8-bit pixels (the whole image's means when a side is shorter than a block)."""
    step = COARSE_BLOCK if min(pixels.shape[:2]) >= COARSE_BLOCK else None
    rows, cols = (1, 1) if step is None else (pixels.shape[0] // step, pixels.shape[1] // step)
    cut = pixels[:rows * (step or pixels.shape[0]), :cols * (step or pixels.shape[1])].astype(np.float64)
    return cut.reshape((rows, cut.shape[0] // rows, cols, cut.shape[1] // cols) + cut.shape[2:]).mean(axis=(1, 3))


def mismatch(read: Image.Image, meant: Image.Image, fmt: str, pixels: bool = True) -> str | None:
    """How an image read back differs from the one meant (None when it does not); ``pixels`` False compares
    the size and mode only."""
    if read.size != meant.size:
        return f"reads back as {read.width}x{read.height} pixels, not {meant.width}x{meant.height}"
    if read.mode != meant.mode:
        return f"reads back in mode {read.mode}, not {meant.mode}"
    if not pixels:
        return None
    got, want = np.asarray(read), np.asarray(meant)
    if fmt in LOSSLESS:
        return None if np.array_equal(got, want) else "reads back with other pixels than those written"
    difference = float(np.abs(_coarse(got) - _coarse(want)).mean())
    if difference > COARSE_TOLERANCE:
        return f"reads back {difference:.0f} levels away from the pixels written"
    return None


def _why(exc: BaseException, tmp: Path) -> str:
    """An encoder's or decoder's error in words, the temporary file's name left out."""
    words = reason(exc) if isinstance(exc, OSError) else str(exc) or type(exc).__name__
    return words.replace(str(tmp), "the file")


def _inspect(tmp: Path, fmt: str | None, judge: Callable[[Image.Image], str | None]) -> str | None:
    """Open and decode the file ``tmp`` (as ``fmt`` only, when given) and ``judge`` the image; why it is not
    right, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a too-large image reads back too: it is the program's own output
            with Image.open(tmp, formats=[fmt] if fmt else None) as img:
                img.load()
                return judge(img)
    except MemoryError:
        raise
    except UnidentifiedImageError:
        return f"cannot be read back (Pillow does not recognise it{f' as {fmt}' if fmt else ''})"
    except Exception as exc:  # noqa: BLE001 (whatever the decoder raises, the file is unreadable)
        return f"cannot be read back ({_why(exc, tmp)})"


def read_back(tmp: Path, fmt: str, meant: Image.Image, pixels: bool = True) -> str | None:
    """Why the file ``tmp`` is not ``meant`` written as ``fmt`` (None when it reads back as it should; see
    :func:`mismatch` for ``pixels``)."""
    return _inspect(tmp, fmt, lambda img: mismatch(img, meant, fmt, pixels))


def copy_image(source: str | Path, path: str | Path) -> Path:
    """Copy an image file byte for byte to ``path`` through :func:`publish`: the copy must open and decode
    before it is published."""
    return publish(path, lambda tmp: copy_file(source, PHOTO, tmp), lambda tmp: _inspect(tmp, None, lambda _: None),
                   source, "copy")


def failure(path: Path, source: str | Path | None, why: str) -> OutputCheckFailed:
    """The one-line error for an output that was not written, naming the photo it came from."""
    what = f"the output of {source} to {path}" if source else str(path)
    return OutputCheckFailed(f"cannot write {what}: {why}")


def publish(path: str | Path, write: Callable[[Path], None], check: Callable[[Path], str | None],
            source: str | Path | None = None, what: str = "file") -> Path:
    """``write(tmp)``, then ``check(tmp)`` (None: the file is right, else why not), then rename onto ``path``.

    Any failure (the encoder's error, a full disk, a file that reads back wrong) removes the temporary file and
    raises :class:`OutputCheckFailed` naming ``source``; nothing is left at ``path``."""
    path = Path(path)

    def write_and_check(tmp: Path) -> None:
        try:
            write(tmp)
        except (UserError, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 (an encoder's OSError, ValueError, struct.error...)
            raise failure(path, source, _why(exc, tmp)) from None
        why = check(tmp)
        if why:
            raise failure(path, source, f"the {what} written {why}; nothing was left")

    return write_atomic(path, write_and_check)


def save_pil(img: Image.Image, path: str | Path, quality: int = 95, metadata: PhotoMetadata | None = None,
             source: str | Path | None = None) -> Path:
    """Write a Pillow image to ``path`` (format from the extension) through :func:`publish`, with ``metadata``
    filtered to what the format and mode hold."""
    path = Path(path)
    fmt = save_format(path)
    img = writable(img, fmt)
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    options.update(metadata_options(fmt, metadata, img.mode))
    return publish(path, lambda tmp: img.save(tmp, format=fmt, **options),
                   lambda tmp: read_back(tmp, fmt, img), source, f"{fmt} file")
