"""Hostile outputs for ``bench/hostile_sweep.py``: every kind of photo the project reads, written to every output
format, by ``denoise`` and by ``batch``; then every image left in the cases' folders must open.

Kinds: CMYK JPEG and TIFF (a TIFF's layout tags once made its outputs unreadable), RGB TIFF with one and two extra
channels, 16-bit gray and color PNG and TIFF, RGBA, LA, palette with and without transparency, gray, 1-bit. Each
goes through ``denoise --force-run`` to PNG, JPEG, TIFF, BMP and WebP (a run may end in a check failure, a clean
error that still writes its output), and one batch takes a folder of them all, keeping each format. A WebP too
wide for the format must be refused before any work.

:func:`output_problems` then opens every image file under the cases' folders with Pillow: a file that does not
open and decode is an unreadable output, a hidden ``.NAME.PID.*`` file is a partial one left behind, and a
``denoise`` case whose output is missing wrote nothing although it ran.
"""
from __future__ import annotations

import struct
import zlib
from itertools import product
from pathlib import Path

import numpy as np
from PIL import Image

from bench.hostile_cases import Case

KINDS = ("cmyk.jpg", "cmyk.tif", "rgb+1.tif", "rgb+2.tif", "gray16.png", "gray16.tif", "rgb16.png", "rgb16.tif",
         "rgba.png", "la.png", "p.png", "p-trns.png", "l.png", "1bit.png")
SUFFIXES = (".png", ".jpg", ".tif", ".bmp", ".webp")
IMAGE_SUFFIXES = frozenset({*SUFFIXES, ".jpeg", ".tiff"})
PREFIX = "written-"  # the denoise cases' outputs: written-<kind>.<suffix>


def _noisy(height: int = 64, width: int = 80, seed: int = 0) -> np.ndarray:
    """A crop of scikit-image's astronaut photo with Gaussian noise (sigma 20): the analysis finds noise to remove,
    and the denoised photo passes its check."""
    from skimage import data

    clean = data.astronaut()[60:60 + height, 150:150 + width].astype(np.float64)
    return np.clip(clean + np.random.default_rng(seed).normal(0, 20, clean.shape), 0, 255).astype(np.uint8)


def _deep(seed: int = 0) -> np.ndarray:
    """16-bit gray: the photo's gray at full depth with noise (sigma 20 on the 8-bit scale)."""
    from skimage import data

    clean = data.astronaut()[60:124, 150:230].mean(axis=2) * 257.0
    noisy = clean + np.random.default_rng(seed).normal(0, 20 * 257, clean.shape)
    return np.clip(noisy, 0, 65535).astype(np.uint16)


def _png16_rgb(path: Path, samples: np.ndarray) -> None:
    """A 16-bit color PNG by hand (Pillow writes none)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + row.astype(">u2").tobytes() for row in samples)
    header = struct.pack(">IIBBBBB", samples.shape[1], samples.shape[0], 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
                     + chunk(b"IEND", b""))


def make_kinds(folder: Path) -> dict[str, Path]:
    """One 64 x 80 noisy photo of each kind in :data:`KINDS`, with camera EXIF where the format holds it."""
    import tifffile

    folder.mkdir(parents=True, exist_ok=True)
    rgb = _noisy()
    color, gray = Image.fromarray(rgb), Image.fromarray(rgb).convert("L")
    exif = Image.Exif()
    exif[0x010F] = "SweepCam"  # Make
    ramp = Image.fromarray(np.tile(np.linspace(0, 255, 80).astype(np.uint8), (64, 1)))
    extra = np.asarray(gray)[..., None]
    deep_color = np.stack([_deep(0), _deep(1), _deep(2)], axis=2)
    writers = {
        "cmyk.jpg": lambda p: color.convert("CMYK").save(p, quality=92, exif=exif),
        "cmyk.tif": lambda p: color.convert("CMYK").save(p, exif=exif),
        "rgb+1.tif": lambda p: tifffile.imwrite(p, np.concatenate([rgb, extra], 2), photometric="rgb",
                                                extrasamples=[0]),
        "rgb+2.tif": lambda p: tifffile.imwrite(p, np.concatenate([rgb, extra, 255 - extra], 2), photometric="rgb",
                                                extrasamples=[0, 0]),
        "gray16.png": lambda p: Image.fromarray(_deep()).save(p),
        "gray16.tif": lambda p: Image.fromarray(_deep()).save(p, exif=exif),
        "rgb16.png": lambda p: _png16_rgb(p, deep_color),
        "rgb16.tif": lambda p: tifffile.imwrite(p, deep_color, photometric="rgb"),
        "rgba.png": lambda p: Image.merge("RGBA", [*color.split(), ramp]).save(p),
        "la.png": lambda p: Image.merge("LA", [gray, ramp]).save(p),
        "p.png": lambda p: color.quantize(64).save(p),
        "p-trns.png": lambda p: color.quantize(64).save(p, transparency=0),
        "l.png": lambda p: gray.save(p, exif=exif),
        "1bit.png": lambda p: gray.convert("1").save(p),
    }
    made = {}
    for kind, write in writers.items():
        write(folder / kind)
        made[kind] = folder / kind
    return made


def output_cases(work: Path) -> list[Case]:
    """Every kind to every output format through ``denoise``; a batch of them all; a WebP too wide."""
    kinds = make_kinds(work / "outputs" / "kinds")
    cases = [Case("outputs-kinds", f"denoise {kind} -o {suffix}",
                  ["denoise", str(path), "--force-run", "-o", f"{{out}}/{PREFIX}{kind}{suffix}"], "any", timeout=90)
             for (kind, path), suffix in product(kinds.items(), SUFFIXES)]
    cases.append(Case("outputs-kinds", "batch of every kind", ["batch", str(work / "outputs" / "kinds"), "-o",
                                                                "{out}/b", "--force-run"], "any", timeout=300))
    wide = work / "outputs" / "wide.png"
    Image.fromarray(np.tile(_noisy(16, 80), (1, 205, 1))).save(wide)  # 16400 x 16
    cases.append(Case("outputs-kinds", "denoise too wide for WebP", ["denoise", str(wide), "--force-run", "-o",
                                                                      "{out}/wide.webp"], "error", timeout=90))
    return cases


def _opens(path: Path) -> bool:
    try:
        with Image.open(path) as img:
            img.load()
        return True
    except Exception:  # noqa: BLE001 (whatever Pillow raises, the file is unreadable)
        return False


def output_problems(work: Path) -> dict[str, list[str]]:
    """What the cases left under ``work/out``: image files that do not open (``unreadable``), hidden temporaries
    (``partial``), and ``denoise`` outputs of this module's cases that are missing (``missing``)."""
    out = work / "out"
    files = [path for path in out.rglob("*") if path.is_file()] if out.is_dir() else []
    unreadable = [path for path in files if path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")
                  and not _opens(path)]
    partial = [path for path in files if path.name.startswith(".") and path.name.count(".") >= 3]
    written = {path.name for path in files if path.name.startswith(PREFIX)}
    expected = {f"{PREFIX}{kind}{suffix}" for kind, suffix in product(KINDS, SUFFIXES)}
    ran = (work / "outputs" / "kinds").is_dir()
    return {"unreadable": sorted(str(path.relative_to(work)) for path in unreadable),
            "partial": sorted(str(path.relative_to(work)) for path in partial),
            "missing": sorted(expected - written) if ran and written else []}
