"""The side-by-side comparison image of a demo run: each panel labelled with its figures, plus a zoomed crop."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tools.fileio import write_atomic
from tools.imageio import load_image

if TYPE_CHECKING:
    from agent.demo import DemoResult

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


def panel_labels(result: "DemoResult") -> list[tuple[str, list[str]]]:
    """(file key, label lines) for each panel, left to right."""
    noise = result.noise_estimate
    panels: list[tuple[str, list[str]]] = []
    if result.metrics:
        noisy, restored = result.metrics["noisy"], result.metrics["restored"]
        panels.append(("clean", ["clean reference", f"{result.width}x{result.height}"]))
        panels.append(("input", [f"noisy (sigma {result.sigma})",
                                 f"PSNR {noisy['psnr']:.2f} dB  SSIM {noisy['ssim']:.3f}"]))
        panels.append(("restored", [f"restored ({result.checkpoint['id']})",
                                    f"PSNR {restored['psnr']:.2f} dB  SSIM {restored['ssim']:.3f}"]))
    else:
        quality = result.quality
        panels.append(("input", ["input (as is)", f"noise {_num(noise['before'])}  PIQE {_num(quality['before'])}"]))
        panels.append(("restored", [f"restored ({result.checkpoint['id']})",
                                    f"noise {_num(noise['after'])}  PIQE {_num(quality['after'])}"]))
    return panels


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def write_comparison(result: "DemoResult", path: Path) -> Path:
    """Write the panels side by side (full view on top, the same zoomed crop below) as one PNG."""
    font = ImageFont.load_default(size=14)
    images = {key: load_image(result.files[key]).pixels for key, _ in panel_labels(result)}
    box = detail_box(images.get("clean", images["restored"]))
    panels = [_panel(images[key], box, lines, font) for key, lines in panel_labels(result)]
    height = max(panel.height for panel in panels) + 2 * MARGIN
    sheet = Image.new("RGB", (len(panels) * (PANEL + MARGIN) + MARGIN, height), BACKGROUND)
    for index, panel in enumerate(panels):
        sheet.paste(panel, (MARGIN + index * (PANEL + MARGIN), MARGIN))
    return write_atomic(Path(path), lambda tmp: sheet.save(tmp, format="PNG"))
