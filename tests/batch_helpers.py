"""Photo folders for the batch tests: real image files, nested, some broken."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from PIL import Image


def noisy_crop(top: int, left: int, height: int = 48, width: int = 64, sigma: float = 20.0,
               seed: int = 0) -> np.ndarray:
    """A crop of scikit-image's astronaut photo with Gaussian noise (uint8 RGB)."""
    from skimage import data

    clean = data.astronaut()[top:top + height, left:left + width].astype(float)
    noise = np.random.default_rng(seed).normal(0, sigma, clean.shape) if sigma else 0.0
    return np.clip(np.rint(clean + noise), 0, 255).astype(np.uint8)


def make_archive(root: Path, good: int = 3) -> dict[str, str]:
    """A nested folder: color PNG, JPEG and gray PNG photos, a text file posing as a PNG, a truncated JPEG and a
    note that is no photo. Returns ``{relative path: kind}``."""
    layout = {"a.png": "png", "sub/b.jpg": "jpeg", "sub/deeper/c.png": "gray"}
    layout.update({f"more/p{number}.png": "png" for number in range(good - 3)})
    for number, (relative, kind) in enumerate(layout.items()):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # the JPEG's crop is the first PNG's: compressed noise on the next crop's edges fails the check
        top, left = (60, 150) if kind == "jpeg" else (60 + 7 * number, 150 + 5 * number)
        pixels = noisy_crop(top, left, seed=number)
        image = Image.fromarray(pixels).convert("L") if kind == "gray" else Image.fromarray(pixels)
        image.save(path, quality=92) if kind == "jpeg" else image.save(path)
    (root / "sub" / "bad.png").write_text("hello, not an image\n")
    jpeg = (root / "sub" / "b.jpg").read_bytes()
    (root / "sub" / "deeper" / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (root / "notes.txt").write_text("not a photo\n")
    return {**layout, "sub/bad.png": "broken", "sub/deeper/truncated.jpg": "broken"}


def file_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (to prove a folder was not touched)."""
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


def manifest(out_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (out_dir / "manifest.jsonl").read_text().splitlines()]


def without_timings(value):
    """A manifest entry with its timings (``timings`` and every ``seconds``) left out, for comparisons."""
    if isinstance(value, dict):
        return {key: without_timings(item) for key, item in value.items() if key not in ("timings", "seconds")}
    if isinstance(value, list):
        return [without_timings(item) for item in value]
    return value


def coffee_crop(sigma: float = 0.0, size: int = 128, seed: int = 0) -> np.ndarray:
    """A crop of scikit-image's coffee photo (fine texture: the cup, the saucer's rim, the table), with Gaussian
    noise at ``sigma`` (uint8 RGB)."""
    from skimage import data

    clean = data.coffee()[110:110 + size, 160:160 + size].astype(float)
    noise = np.random.default_rng(seed).normal(0, sigma, clean.shape) if sigma else 0.0
    return np.clip(np.rint(clean + noise), 0, 255).astype(np.uint8)


# A folder with a photo of each outcome under names an index must wrap: many separators, one long unbroken segment.
NOISY = "archive-2019/family_reunion-grandma.and.grandpa_living-room_IMG-0042.png"  # sigma 20: restored
LIGHT = "Aunt_Marthas-kitchen.window_light-texture_scan.png"  # sigma 3 on fine texture: the run takes texture, the check fails
CLEAN = "unbrokenlongsegmentwithoutanyseparatorsfromanoldflatbedscannerexport0000001.png"  # left alone
CORRUPT = "corrupt.jpg"  # text posing as a JPEG: fails


def make_outcomes(root: Path) -> dict[str, str]:
    """Photos for each batch outcome under long names; returns ``{relative path: expected status}``."""
    photos = {NOISY: noisy_crop(60, 150, 96, 128, sigma=20), LIGHT: coffee_crop(3), CLEAN: coffee_crop()}
    for relative, pixels in photos.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(root / relative)
    (root / CORRUPT).write_text("not a JPEG at all\n")
    return {NOISY: "restored", LIGHT: "check-failed", CLEAN: "unchanged", CORRUPT: "failed"}
