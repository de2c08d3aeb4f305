"""Do the analyzer's photo claims hold? Noise kinds, clean photos, sigma accuracy and the denoise decision.

On McMaster (colour) and Set12 (grey), each photo clean and with each synthetic noise kind of
``tools.analyzer.synthetic.realistic_noise``: the detection rate per kind (any noise found), the kind read,
the false-positive rate on clean photos, the sigma error for white noise, and the decision accuracy (run the
denoiser on white, luminance and signal-dependent noise; not on clean photos or grain). Then the findings on
RealSRSet's real photos, to read by eye. Prints rich tables and writes bench/results/photo_claims.json.

    .venv/bin/python bench/photo_claims.py [--limit N]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
from collections import Counter
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.analyzer import analyze  # noqa: E402
from tools.analyzer.noise import measure_noise  # noqa: E402
from tools.analyzer.synthetic import realistic_noise  # noqa: E402
from tools.restore import decide  # noqa: E402

TEST = ROOT.parent / "shared" / "data" / "test"
RESULTS = ROOT / "bench" / "results" / "photo_claims.json"
CASES = [("clean", 0), ("white", 5), ("white", 15), ("white", 25), ("correlated", 30), ("correlated", 40),
         ("luminance", 8), ("luminance", 15), ("signal-dependent", 8), ("signal-dependent", 14),
         ("jpeg", 10), ("jpeg", 20)]
RUNS = {"clean": False, "white": True, "correlated": False, "luminance": True, "signal-dependent": True}


class _Analysis:
    """Just enough of an Analysis for ``decide``: the noise and its suggested level."""

    def __init__(self, noise) -> None:
        self.noise, self.suggested_noise_level = noise, noise.suggested_level


def photos(folder: str, limit: int | None) -> list[tuple[str, np.ndarray]]:
    mode = "L" if folder == "Set12" else "RGB"
    files = sorted((TEST / folder).iterdir())[:limit]
    return [(f"{folder}/{path.name}", np.asarray(Image.open(path).convert(mode))) for path in files]


def measure_cases(sets: list[tuple[str, np.ndarray]]) -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    for name, clean in sets:
        for kind, strength in CASES:
            if kind == "luminance" and clean.ndim == 2:
                continue  # a grey photo has one channel: luminance noise is white noise there
            noisy = clean if kind == "clean" else realistic_noise(clean, kind, strength, rng)
            noise = measure_noise(noisy)
            decision = decide(_Analysis(noise))
            rows.append({"photo": name, "case": kind, "strength": strength, "read": noise.kind,
                         "sigma": noise.sigma, "true_std": float(np.std(noisy.astype(float) - clean)),
                         "run": decision.denoise})
    return rows


def summarize(rows: list[dict]) -> dict:
    summary: dict = {}
    for kind in dict.fromkeys(row["case"] for row in rows):
        mine = [row for row in rows if row["case"] == kind]
        detected = [row["read"] != "none" for row in mine]
        entry = {"photos": len(mine), "detected": round(float(np.mean(detected)), 3),
                 "kinds_read": dict(Counter(row["read"] for row in mine))}
        if kind in RUNS:
            expected = "none" if kind == "clean" else kind
            entry["kind_read"] = round(float(np.mean([row["read"] == expected for row in mine])), 3)
        if kind == "clean":
            entry["false_positive"] = round(1 - float(np.mean([row["read"] == "none" for row in mine])), 3)
        if kind in RUNS:
            entry["decision_accuracy"] = round(float(np.mean([row["run"] == RUNS[kind] for row in mine])), 3)
        summary[kind] = entry
    for strength in (5, 15, 25):
        white = [row for row in rows if row["case"] == "white" and row["strength"] == strength]
        summary[f"white_sigma_{strength}_mae"] = round(float(np.mean([abs(r["sigma"] - r["true_std"]) for r in white])), 3)
    return summary


def timing(limit: int | None) -> dict:
    files = sorted((TEST / "McMaster").iterdir())[:limit or 6]
    noise_ms, analyze_ms = [], []
    for path in files:
        pixels = np.asarray(Image.open(path).convert("RGB"))
        started = time.perf_counter()
        measure_noise(pixels)
        noise_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        analyze(path)
        analyze_ms.append((time.perf_counter() - started) * 1000)
    return {"noise_ms_median": round(statistics.median(noise_ms), 1),
            "analyze_ms_median": round(statistics.median(analyze_ms), 1), "size": "500x500",
            "load_average_1min": round(os.getloadavg()[0], 2)}


def realsr() -> list[dict]:
    rows = []
    for path in sorted((TEST / "RealSRSet").iterdir()):
        analysis = analyze(path)
        noise, decision = analysis.noise, decide(analysis)
        rows.append({"photo": path.name, "kind": noise.kind, "sigma": noise.sigma, "low": noise.low,
                     "high": noise.high, "confidence": noise.confidence, "run": decision.denoise,
                     "evidence": noise.evidence})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="photos per set (default: all)")
    args = parser.parse_args()
    if not TEST.is_dir():
        sys.exit(f"the test photos are absent ({TEST})")
    rows = measure_cases(photos("McMaster", args.limit) + photos("Set12", args.limit))
    summary = summarize(rows)
    console = Console()
    table = Table(title="Noise kinds on McMaster + Set12 (synthetic), clean photos")
    for column in ("case", "photos", "detected", "kind read", "false positive", "decision accuracy"):
        table.add_column(column, justify="right" if column != "case" else "left")
    for kind, entry in summary.items():
        if isinstance(entry, dict):
            read = f"{entry['kind_read']:.0%}" if "kind_read" in entry else \
                ", ".join(f"{name} {count}" for name, count in entry["kinds_read"].items())
            table.add_row(kind, str(entry["photos"]), f"{entry['detected']:.0%}", read,
                          f"{entry['false_positive']:.0%}" if "false_positive" in entry else "",
                          f"{entry['decision_accuracy']:.0%}" if "decision_accuracy" in entry else "")
    console.print(table)
    console.print("white-noise sigma MAE: " + ", ".join(f"sigma {s}: {summary[f'white_sigma_{s}_mae']:.2f}"
                                                         for s in (5, 15, 25)))
    speed = timing(args.limit)
    console.print(f"500x500: noise {speed['noise_ms_median']:.0f} ms, whole analyze {speed['analyze_ms_median']:.0f} "
                  f"ms (median; load average {speed['load_average_1min']})")
    real = realsr()
    findings = Table(title="RealSRSet findings (read them by eye)")
    for column in ("photo", "kind", "sigma (range)", "confidence", "denoise?"):
        findings.add_column(column)
    for row in real:
        findings.add_row(row["photo"], row["kind"], f"{row['sigma']} ({row['low']}-{row['high']})",
                         f"{row['confidence']:.1f}", "run" if row["run"] else "no")
    console.print(findings)
    if args.limit is None:
        RESULTS.write_text(json.dumps({"benchmark": "photo_claims", "summary": summary, "speed": speed,
                                       "realsr": real, "cases": rows}, indent=1) + "\n", encoding="utf-8")
        console.print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
