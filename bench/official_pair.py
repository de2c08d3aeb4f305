"""The default denoiser against the authors' code, end to end, in alternating pairs (issue 28's measure).

Each photo is a scikit-image photo resized to 1280 x 960 with Gaussian noise of sigma 15, clipped and rounded as
in a real 8-bit photo (seed 0). A pair runs, each in its own fresh process:

* ``official``: ``bench/official_runner.py``, the authors' ``network_swinir.py`` from a checkout of
  github.com/JingyunLiang/SwinIR run the way their ``main_test_swinir.py`` runs it (whole image), on today's
  ``swinir-s-noise15`` weights;
* ``default``: ``restore-agent denoise photo.png -o out.png`` with every default (no ``--weights``, no
  ``--noise``): analysis, weights choice, noise matching, tiling, the output check, writing.

The order inside a pair alternates (official first, then default first), so neither side always meets a
warmer or a busier machine. The ratio of a pair is the official wall time over the default's; the bench
reports the median ratio, the PSNR of each side against the clean photo, and the FLOPs per pixel of the
weights' network. Writes ``bench/results/official_pair.json`` (with ``--out``: that file) with the machine
block.

    git clone https://github.com/JingyunLiang/SwinIR /tmp/SwinIR   # once, where the network is reachable
    python bench/official_pair.py --official /tmp/SwinIR [--pairs 2] [--photos astronaut chelsea coffee]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from contrast_band import SIZE, noisy_photo, psnr_of
from cpu_floor import flops_per_pixel
from machine import recorded
from PIL import Image
from rich.console import Console
from rich.table import Table
from swinir_memory import cli, run_child

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "official_pair.json"
WEIGHTS = ROOT / "tools" / "swinir" / "weights" / "swinir-s-noise15.pth"
SIGMA = 15.0
TARGET_RATIO, PSNR_TOLERANCE_DB = 6.0, 0.05
console = Console(width=150)


def noisy_file(name: str, folder: Path) -> tuple[np.ndarray, Path]:
    """The clean photo at SIZE and the path of its clipped, rounded sigma-15 copy (``contrast_band``'s photos)."""
    clean, noisy = noisy_photo(name, SIGMA)
    path = folder / f"{name}.png"
    Image.fromarray(noisy).save(path)
    return clean, path


def run_side(side: str, photo: Path, out: Path, official: Path) -> dict:
    """One side, end to end in a fresh process: wall seconds and peak RSS."""
    if side == "official":
        command = [sys.executable, str(ROOT / "bench" / "official_runner.py"), str(official), str(WEIGHTS),
                   str(photo), str(out)]
    else:
        command = [*cli(), "denoise", str(photo), "-o", str(out), "--force", "--json"]
    result, peak, wall = run_child(command)
    ran = {"weights": result["model"]} if side == "default" else {}  # the weights the default chose
    return {"wall_s": round(wall, 3), "peak_rss_gb": round(peak, 3), **ran}


def measure(name: str, pairs: int, official: Path, folder: Path) -> dict:
    """``pairs`` alternating pairs on one photo."""
    clean, photo = noisy_file(name, folder)
    runs = []
    for i in range(pairs):
        order = ("official", "default") if i % 2 == 0 else ("default", "official")
        pair = {}
        for side in order:
            out = folder / f"{name}-{side}.png"
            pair[side] = {**run_side(side, photo, out, official), "psnr": round(psnr_of(clean, out), 4)}
        pair["ratio"] = round(pair["official"]["wall_s"] / pair["default"]["wall_s"], 3)
        console.print(f"{name} pair {i + 1} ({' then '.join(order)}): official {pair['official']['wall_s']:.1f} s, "
                      f"default {pair['default']['wall_s']:.1f} s, {pair['ratio']:.2f}x")
        runs.append(pair)
    last = runs[-1]
    return {"photo": name, "width": SIZE[0], "height": SIZE[1], "sigma": SIGMA, "pairs": runs,
            "median_ratio": statistics.median(p["ratio"] for p in runs),
            "official_psnr": last["official"]["psnr"], "default_psnr": last["default"]["psnr"],
            "psnr_gain_db": round(last["default"]["psnr"] - last["official"]["psnr"], 4)}


def show(rows: list[dict]) -> None:
    table = Table(title=f"default vs official, {SIZE[0]}x{SIZE[1]}, sigma {SIGMA:g} clipped")
    for column in ("photo", "official s", "default s", "ratio (median)", "official dB", "default dB", "gain dB"):
        table.add_column(column, justify="left" if column == "photo" else "right")
    for r in rows:
        walls = {side: statistics.median(p[side]["wall_s"] for p in r["pairs"]) for side in ("official", "default")}
        table.add_row(r["photo"], f"{walls['official']:.1f}", f"{walls['default']:.1f}", f"{r['median_ratio']:.2f}x",
                      f"{r['official_psnr']:.3f}", f"{r['default_psnr']:.3f}", f"{r['psnr_gain_db']:+.3f}")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--official", type=Path, required=True, help="a checkout of JingyunLiang/SwinIR")
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--photos", nargs="+", default=["astronaut", "chelsea", "coffee"])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not (args.official / "models" / "network_swinir.py").is_file():
        raise SystemExit(f"error: {args.official} has no models/network_swinir.py: pass a SwinIR checkout")
    from tools.swinir.loading import infer_config, read_state_dict

    config = infer_config(read_state_dict(WEIGHTS))
    with recorded() as machine, tempfile.TemporaryDirectory(prefix="official-pair-") as tmp:
        rows = [measure(name, args.pairs, args.official, Path(tmp)) for name in args.photos]
    show(rows)
    data = {"protocol": __doc__.split("\n\n")[1:4], "machine": machine, "weights": WEIGHTS.name,
            "mflop_per_pixel": round(flops_per_pixel(dict(config)) / 1e6, 3), "rows": rows,
            "median_ratio": statistics.median(r["median_ratio"] for r in rows),
            "worst_psnr_gain_db": min(r["psnr_gain_db"] for r in rows),
            "targets": {"ratio": TARGET_RATIO, "psnr_tolerance_db": PSNR_TOLERANCE_DB}}
    args.out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    console.print(f"median ratio {data['median_ratio']:.2f}x (target {TARGET_RATIO:g}x); worst PSNR gain "
                  f"{data['worst_psnr_gain_db']:+.3f} dB; wrote {args.out}")


if __name__ == "__main__":
    main()
