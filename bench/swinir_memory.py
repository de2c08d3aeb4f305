"""Peak memory of `restore-agent denoise` on a 4000 x 3000 color photo at the default tile.

Target: peak RSS under 3 GB. Peak RSS of a tiled run is the image-sized buffers (input,
padded copy, blend accumulators, output) plus one batch of tiles through the network. Running
SwinIR-M over 12 MP takes hours on a 2-core CPU, so by default this measures the two parts:

1. the whole 4000 x 3000 photo through the CLI with a tiny random SwinIR (image-sized buffers);
2. a 512 x 512 photo (nine 256 x 256 tiles, two per batch) with random SwinIR-M weights
   (embed 180, 6 x 6 layers): the network's working set at the default tile;

and reports their sum minus the tiny model's own small-photo peak as the estimate for SwinIR-M
on the full photo. ``--full-m`` runs SwinIR-M on the whole photo instead (slow).
Every figure is the peak RSS of a separate CLI process. Writes bench/results/swinir_memory.json.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "swinir_memory.json"
TARGET_GB = 3.0
CONFIGS = {
    "tiny": dict(in_chans=3, embed_dim=12, depths=(2,), num_heads=(2,), window_size=8, mlp_ratio=2.0),
    "m": dict(in_chans=3, embed_dim=180, depths=(6,) * 6, num_heads=(6,) * 6, window_size=8, mlp_ratio=2.0),
}


def write_photo(path: Path, width: int, height: int) -> Path:
    """A real photo resized to width x height with Gaussian noise (sigma 15), as PNG."""
    from PIL import Image
    from skimage import data

    photo = Image.fromarray(data.astronaut()).resize((width, height), Image.BICUBIC)
    pixels = np.asarray(photo, dtype=np.int16)
    noise = np.random.default_rng(0).normal(0, 15, pixels.shape).astype(np.int16)
    Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8)).save(path)
    return path


def write_checkpoint(path: Path, config: str) -> Path:
    import torch

    from tools.swinir.model import SwinIR

    torch.manual_seed(0)
    torch.save({"params": SwinIR(**CONFIGS[config]).state_dict()}, path)
    return path


def cli() -> list[str]:
    script = Path(sys.executable).with_name("restore-agent")
    return [str(script)] if script.exists() else [sys.executable, "-m", "agent"]


def measure(photo: Path, checkpoint: Path, out: Path) -> dict:
    """Run one denoise in a child process: its own peak RSS (from wait4) and its JSON result."""
    command = [*cli(), "denoise", str(photo), "-o", str(out), "--weights", str(checkpoint), "--json"]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        stdout.seek(0), stderr.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"denoise failed: {stderr.read().decode().strip()[:400]}")
        result = json.loads(stdout.read())
    return dict(peak_gb=usage.ru_maxrss * 1024 / 1e9, wall_s=wall, tiles=result["tiles"],
                seconds=result["seconds"], megapixels=result["megapixels"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-m", action="store_true", help="run SwinIR-M on the whole photo (hours on 2 cores)")
    args = parser.parse_args()
    console = Console()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big = write_photo(folder / "big.png", 4000, 3000)
        small = write_photo(folder / "small.png", 512, 512)
        tiny = write_checkpoint(folder / "tiny_noise15.pth", "tiny")
        m = write_checkpoint(folder / "m_noise15.pth", "m")
        cases = [("SwinIR-M", m, big)] if args.full_m else [
            ("tiny SwinIR", tiny, small), ("SwinIR-M", m, small), ("tiny SwinIR", tiny, big)]
        for name, checkpoint, photo in cases:
            row = dict(model=name, photo=photo.stem, **measure(photo, checkpoint, folder / "out.png"))
            rows.append(row)
            console.print(f"{name} on {row['megapixels']} MP: peak {row['peak_gb']:.2f} GB in {row['wall_s']:.0f} s")
    if args.full_m:
        estimate = rows[0]["peak_gb"]
    else:
        estimate = rows[2]["peak_gb"] + rows[1]["peak_gb"] - rows[0]["peak_gb"]

    table = Table(title="restore-agent denoise: peak RSS at the default tile (256, overlap 32)")
    for column in ("model", "photo", "MP", "tiles", "peak RSS GB", "denoise s", "s/MP"):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(r["model"], r["photo"], f"{r['megapixels']:.2f}", str(r["tiles"]), f"{r['peak_gb']:.2f}",
                      f"{r['seconds']:.0f}", f"{r['seconds'] / r['megapixels']:.0f}")
    ok = estimate < TARGET_GB
    label = "measured" if args.full_m else "estimated (big tiny + small M - small tiny)"
    table.add_row("SwinIR-M", "big", "12.00", "", f"[{'green' if ok else 'red'}]{estimate:.2f}[/]", "", "", end_section=True)
    console.print(table)
    console.print(f"SwinIR-M on 4000 x 3000, {label}: {estimate:.2f} GB (target < {TARGET_GB} GB)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(dict(rows=rows, swinir_m_full_photo_peak_gb=estimate, method=label,
                                       target_gb=TARGET_GB, cpus=os.cpu_count(), load_average=os.getloadavg()),
                                  indent=2) + "\n")
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
