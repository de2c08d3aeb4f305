"""Training data for ``tools.swinir.train``: clean photos in memory (color or gray), random patches with flips
and turns."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from tools.errors import UserError
from tools.imageio import READ_FORMATS, open_photo

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def list_images(folder: Path) -> list[Path]:
    paths = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise UserError(f"no training images in {folder}")
    return paths


def load_image(path: Path, channels: int = 3) -> np.ndarray:
    """A photo as height x width x channels uint8: RGB, or luminance (ITU-R 601, as Pillow's "L") for 1."""
    with open_photo(path) as handle, Image.open(handle, formats=READ_FORMATS) as img:
        pixels = np.asarray(img.convert("L" if channels == 1 else "RGB"), dtype=np.uint8)
    return pixels[..., None] if channels == 1 else pixels


class PatchSampler:
    """Random patches with flips/rotations from in-memory images, driven by one numpy RNG."""

    def __init__(self, images: list[np.ndarray], patch: int, rng: np.random.Generator) -> None:
        self.images, self.patch, self.rng = images, patch, rng

    def batch(self, n: int) -> np.ndarray:
        out = np.empty((n, self.patch, self.patch, self.images[0].shape[2]), dtype=np.uint8)
        for i in range(n):
            img = self.images[self.rng.integers(len(self.images))]
            y = self.rng.integers(img.shape[0] - self.patch + 1)
            x = self.rng.integers(img.shape[1] - self.patch + 1)
            crop = img[y:y + self.patch, x:x + self.patch]
            crop = np.rot90(crop, k=int(self.rng.integers(4)))
            out[i] = crop[:, ::-1] if self.rng.integers(2) else crop
        return out


def to_tensor(batch: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2).float().div(255.0).to(device)
