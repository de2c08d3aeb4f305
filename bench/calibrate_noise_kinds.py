"""Calibrate the noise-kind thresholds (``tools/analyzer/noise_kinds.json``) on CBSD432 only.

For a sample of CBSD432 photos, clean and with each synthetic noise kind of ``tools.analyzer.synthetic``, it
measures the full-scale and coarse-scale (4 x 4) noise levels, the channel correlation and the brightness slope
of the noise-level function, and sets each threshold between the two groups it must separate. The length table
maps the neighbour correlation of pure blurred white noise to its blur radius.

    .venv/bin/python bench/calibrate_noise_kinds.py [--images 96]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from rich.console import Console
from rich.table import Table
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.analyzer.noise import coarse_level, combine, noise_features  # noqa: E402
from tools.analyzer.noise_kind import (MODEL_FILE, brightness_slope, flat_block_correlation, half_scale,  # noqa: E402
                                       noise_level_function)
from tools.analyzer.synthetic import realistic_noise  # noqa: E402

LENGTHS = (0.0, 0.3, 0.5, 0.75, 1.0, 1.25, 1.5)
TRAIN = ROOT.parent / "shared" / "data" / "train" / "CBSD432"
CASES = {"clean": (0,), "white": (5, 15, 30), "correlated": (25, 35, 45), "luminance": (8, 15),
         "signal-dependent": (8, 14), "jpeg": (10, 20)}


def measure(pixels: np.ndarray) -> dict[str, float]:
    features = noise_features(pixels)
    halved = half_scale(pixels)
    half, coarse = coarse_level(halved), coarse_level(half_scale(halved))
    return {"full": combine(features)[0], "half": half, "coarse": coarse, "chan": features["channel_correlation"],
            "slope": brightness_slope(noise_level_function(pixels)) or 1.0}


def between(low_group: list[float], high_group: list[float], low_q: float = 0.97, high_q: float = 0.05) -> float:
    """A threshold between a high quantile of one group and a low quantile of the other (geometric mean)."""
    return float(np.sqrt(np.quantile(low_group, low_q) * np.quantile(high_group, high_q)))


def length_table() -> list[list[float]]:
    """(flat-block neighbour correlation, blur radius in px) of pure white noise blurred by each radius."""
    rng = np.random.default_rng(7)
    rows = []
    for radius in LENGTHS:
        field = ndimage.gaussian_filter(rng.normal(0, 30, (384, 384, 3)), (radius, radius, 0))
        pixels = np.clip(np.rint(128 + field * 12 / field.std()), 0, 255).astype(np.uint8)
        rows.append([round(flat_block_correlation(pixels), 4), radius])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=96)
    args = parser.parse_args()
    if not TRAIN.is_dir():
        sys.exit(f"CBSD432 is absent ({TRAIN})")
    files = sorted(TRAIN.iterdir())[:: max(1, len(list(TRAIN.iterdir())) // args.images)][: args.images]
    rng = np.random.default_rng(0)
    rows: dict[str, list[dict]] = {kind: [] for kind in CASES}
    truth: dict[str, list[float]] = {kind: [] for kind in CASES}
    for path in files:
        clean = np.asarray(Image.open(path).convert("RGB"))
        for kind, strengths in CASES.items():
            for strength in strengths:
                noisy = clean if kind == "clean" else realistic_noise(clean, kind, strength, rng)
                rows[kind].append(measure(noisy))
                truth[kind].append(float(np.std(noisy.astype(float) - clean)))
    get = {kind: {key: [r[key] for r in values] for key in ("full", "half", "coarse", "chan", "slope")}
           for kind, values in rows.items()}
    ratio = {kind: [4 * c / max(f, 0.5) for c, f in zip(get[kind]["coarse"], get[kind]["full"])] for kind in CASES}
    half_ratio = {kind: [2 * h / max(f, 0.5) for h, f in zip(get[kind]["half"], get[kind]["full"])]
                  for kind in CASES}
    hidden_jpeg = [r for r, f in zip(half_ratio["jpeg"], get["jpeg"]["full"]) if f < 3.0]  # noise the full scale misses
    white_like = half_ratio["white"] + half_ratio["luminance"] + half_ratio["signal-dependent"]
    grain = [t / c for t, c in zip(truth["correlated"], get["correlated"]["coarse"])]
    model = {
        "white_threshold": 3.0,  # the white-noise estimators' "mild" level (tools.analyzer.noise)
        # CBSD432's all-texture photos (grass, bark) read as grain at a coarse scale: the top tenth is left out
        "coarse_threshold": round(float(np.quantile(get["clean"]["coarse"], 0.9)) * 1.1, 3),
        "correlated_ratio": round(between(ratio["white"] + ratio["luminance"], ratio["correlated"]), 3),
        "half_threshold": round(float(np.quantile(get["clean"]["half"], 0.9)) * 1.1, 3),
        "half_ratio": round(between(white_like, hidden_jpeg or half_ratio["jpeg"]), 3),
        "luminance_correlation": 0.5,
        "signal_slope": round(between(get["white"]["slope"], get["signal-dependent"]["slope"], 0.95, 0.1), 3),
        "grain_scale": round(float(np.median(grain)), 3),
        "grain_spread": [round(float(np.quantile(grain, q) / np.median(grain)), 3) for q in (0.1, 0.9)],
        "full_floor": 0.5,
        "length_table": length_table(),
        "calibrated_on": f"CBSD432, {len(files)} photos",
    }
    table = Table(title="noise-kind features on CBSD432 (median [5%, 95%])")
    for column in ("case", "full", "half", "coarse", "4 coarse / full", "channel corr", "brightness slope"):
        table.add_column(column)
    for kind in CASES:
        def cell(values: list[float]) -> str:
            return f"{np.median(values):.2f} [{np.quantile(values, 0.05):.2f}, {np.quantile(values, 0.95):.2f}]"
        table.add_row(kind, cell(get[kind]["full"]), cell(get[kind]["half"]), cell(get[kind]["coarse"]), cell(ratio[kind]),
                      cell(get[kind]["chan"]), cell(get[kind]["slope"]))
    Console().print(table)
    Console().print_json(data={key: value for key, value in model.items() if key != "length_table"})
    MODEL_FILE.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_FILE}")


if __name__ == "__main__":
    main()
