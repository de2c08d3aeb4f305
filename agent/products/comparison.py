"""A side-by-side comparison image: each panel labelled with its figures, plus the same zoomed crop of each."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tools.image_save import save_pil
from tools.imageio import load_image

PANEL = 360          # panel width in pixels
MARGIN = 12
LABEL_HEIGHT = 44
BACKGROUND = (250, 250, 250)
INK = (20, 20, 20)
MARK = (230, 40, 40)


def detail_box(pixels: np.ndarray, fraction: float = 0.2) -> tuple[int, int, int]:
    """(top, left, size) of the square with the most edge detail, about ``fraction`` of the short side."""
    gray = pixels.astype(np.float64) if pixels.ndim == 2 else pixels.astype(np.float64).mean(axis=2)
    h, w = gray.shape
    size = max(8, min(h, w, int(min(h, w) * fraction)))
    energy = np.zeros_like(gray)
    energy[:, 1:] += np.abs(np.diff(gray, axis=1))
    energy[1:, :] += np.abs(np.diff(gray, axis=0))
    total = np.pad(energy.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    step = max(1, size // 4)
    best, box = -1.0, (0, 0, size)
    for top in range(0, h - size + 1, step):
        for left in range(0, w - size + 1, step):
            value = (total[top + size, left + size] - total[top, left + size]
                     - total[top + size, left] + total[top, left])
            if value > best:
                best, box = value, (top, left, size)
    return box


def _panel(pixels: np.ndarray, box: tuple[int, int, int], lines: list[str], font) -> Image.Image:
    image = Image.fromarray(pixels).convert("RGB")
    scale = PANEL / image.width
    shown = image.resize((PANEL, max(1, round(image.height * scale))), Image.Resampling.LANCZOS)
    top, left, size = box
    crop = image.crop((left, top, left + size, top + size)).resize((PANEL, PANEL), Image.Resampling.NEAREST)
    panel = Image.new("RGB", (PANEL, LABEL_HEIGHT + shown.height + MARGIN + PANEL), BACKGROUND)
    draw = ImageDraw.Draw(panel)
    for number, line in enumerate(lines[:2]):
        draw.text((0, 4 + 18 * number), line, fill=INK, font=font)
    panel.paste(shown, (0, LABEL_HEIGHT))
    mark = [round(left * scale), LABEL_HEIGHT + round(top * scale),
            round((left + size) * scale), LABEL_HEIGHT + round((top + size) * scale)]
    draw.rectangle(mark, outline=MARK, width=2)
    panel.paste(crop, (0, LABEL_HEIGHT + shown.height + MARGIN))
    draw.rectangle([0, LABEL_HEIGHT + shown.height + MARGIN, PANEL - 1, panel.height - 1], outline=MARK, width=2)
    return panel


def write_comparison(panels: Sequence[tuple[str | Path, list[str]]], path: Path, detail: int = -1) -> Path:
    """Write the panels (image file, two label lines) side by side, full view on top and the same zoomed
    crop below, as one PNG; the crop is where panel ``detail``'s image has the most edge detail."""
    font = ImageFont.load_default(size=14)
    images = [load_image(file).pixels for file, _ in panels]
    box = detail_box(images[detail])
    drawn = [_panel(pixels, box, lines, font) for pixels, (_, lines) in zip(images, panels)]
    height = max(panel.height for panel in drawn) + 2 * MARGIN
    sheet = Image.new("RGB", (len(drawn) * (PANEL + MARGIN) + MARGIN, height), BACKGROUND)
    for index, panel in enumerate(drawn):
        sheet.paste(panel, (MARGIN + index * (PANEL + MARGIN), MARGIN))
    return save_pil(sheet, Path(path))
