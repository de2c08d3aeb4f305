"""16-bit photos at full depth: samples as float32 in [0, 1] in, 16-bit PNG or TIFF out.

:func:`tools.imageio.load_image` gives every photo as 8-bit pixels; a 16-bit gray PNG or TIFF (Pillow) or a
16-bit color TIFF (tifffile) can also be read here at full depth, EXIF orientation applied as there,
processed in float and written back at 16 bits. Pillow holds 16-bit color in no mode, so color goes
through tifffile and only into TIFF (with its ICC profile; tifffile writes no EXIF).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from tools.image_save import publish, read_back, save_format, save_pil
from tools.imageio import LoadedImage, PhotoMetadata, open_image, open_photo

DEEP_GRAY_MODES = ("I;16", "I;16B", "I;16L", "I")
DEEP_NOTE = "16-bit image processed in float and written at 16 bits"
TOP = 65535.0
ICC_TIFF_TAG = 34675  # InterColorProfile
# EXIF orientation -> the Pillow transpose that puts the pixels upright (as ImageOps.exif_transpose does)
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}


def _samples(path: Path) -> tuple[np.ndarray, int] | None:
    """The file's 16-bit samples (H x W or H x W x 3 uint16) and EXIF orientation, or None when not 16-bit."""
    with open_photo(path) as handle, open_image(handle, path) as img:
        orientation = int(img.getexif().get(0x0112, 1) or 1)
        if img.mode in DEEP_GRAY_MODES:
            samples = np.asarray(img)
            if img.mode == "I" and samples.max(initial=0) <= 255:
                return None
            return np.clip(samples, 0, TOP).astype(np.uint16), orientation
        bits = getattr(img, "tag_v2", {}).get(258) if img.format == "TIFF" else None
    if img.mode == "RGB" and bits and tuple(bits)[:3] == (16, 16, 16) and len(tuple(bits)) == 3:
        import tifffile

        with open_photo(path) as handle:
            samples = tifffile.imread(handle, name=path.name)  # the guard's handle is named by its descriptor
        return (samples, orientation) if samples.dtype == np.uint16 and samples.ndim == 3 else None
    return None


def _upright(samples: np.ndarray, orientation: int) -> np.ndarray:
    method = UPRIGHT.get(orientation)
    if method is None:
        return samples
    planes = samples[..., None] if samples.ndim == 2 else samples
    turned = [np.asarray(Image.fromarray(planes[..., c].astype(np.float32), "F").transpose(method))
              for c in range(planes.shape[2])]
    return np.stack(turned, axis=2) if samples.ndim == 3 else turned[0]


def load_deep(path: str | Path) -> np.ndarray | None:
    """A 16-bit photo's samples upright as float32 in [0, 1] (H x W gray, H x W x 3 color); None for any other
    file (read those with ``load_image``)."""
    found = _samples(Path(path))
    if found is None:
        return None
    samples, orientation = found
    return (_upright(samples, orientation).astype(np.float32) / np.float32(TOP)).astype(np.float32)


def can_write_deep(path: str | Path, gray: bool) -> bool:
    """Whether :func:`save_deep` writes this output at 16 bits: gray PNG or TIFF, color TIFF."""
    fmt = save_format(path)
    return fmt == "TIFF" or (fmt == "PNG" and gray)


def depth_notes(image: LoadedImage, target: str | Path, kept: bool) -> list[str]:
    """What a reader must know about a 16-bit photo's output: kept at 16 bits (and what the format drops), or
    written at 8 bits and why."""
    if image.bits != 16:
        return []
    if kept:
        dropped = not image.is_gray and image.metadata.exif
        return [DEEP_NOTE, *(["EXIF not kept: the 16-bit color TIFF is written without it"] if dropped else [])]
    fmt = save_format(target)
    if image.alpha is not None:
        why = "16 bits are kept only for photos without an alpha channel"
    elif fmt not in ("PNG", "TIFF"):
        why = f"{fmt} holds 8 bits (write .png or .tif to keep 16 bits)"
    elif not image.is_gray:
        why = "16-bit color is kept only in TIFF (write .tif)"
    else:
        why = "its 16-bit samples could not be read at full depth"
    return [f"16-bit image written at 8 bits: {why}"]


def to_uint16(values: np.ndarray) -> np.ndarray:
    """float in [0, 1] -> uint16, rounded."""
    return np.clip(np.rint(values * TOP), 0, TOP).astype(np.uint16)


def _read_back_deep(tmp: Path, samples: np.ndarray) -> str | None:
    """Why a 16-bit color TIFF is not ``samples`` (None when it is): Pillow must open it as the photo's size,
    and its 16-bit samples must be those written."""
    import tifffile

    meant = Image.new("RGB", (samples.shape[1], samples.shape[0]))
    why = read_back(tmp, "TIFF", meant, pixels=False)
    if why:
        return why
    try:
        with open(tmp, "rb") as handle:
            written = tifffile.imread(handle)
    except Exception as exc:  # noqa: BLE001 (whatever the decoder raises, the file is unreadable)
        return f"cannot be read back at 16 bits ({exc})"
    if written.shape != samples.shape or written.dtype != samples.dtype or not np.array_equal(written, samples):
        return "reads back with other 16-bit samples than those written"
    return None


def save_deep(values: np.ndarray, path: str | Path, metadata: PhotoMetadata | None = None,
              source: str | Path | None = None) -> Path:
    """Write float [0, 1] samples at 16 bits (see :func:`can_write_deep`), with ``metadata``: written, read back,
    then published (:func:`tools.image_save.publish`); a failure names ``source``."""
    path = Path(path)
    samples = to_uint16(values)
    if values.ndim == 2:
        return save_pil(Image.fromarray(samples), path, metadata=metadata, source=source)  # mode I;16
    import tifffile

    icc = metadata.icc_for(gray=False) if metadata else None
    extratags = [(ICC_TIFF_TAG, "B", len(icc), icc, True)] if icc else []
    return publish(path, lambda tmp: tifffile.imwrite(tmp, samples, photometric="rgb", extratags=extratags),
                   lambda tmp: _read_back_deep(tmp, samples), source, "TIFF file")
