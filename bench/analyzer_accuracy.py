"""Analyzer accuracy on McMaster + Set12 with synthetic degradations saved as real 8-bit files.

Cases per clean image: noise sigma {0, 5, 10, 15, 25, 50}; Gaussian blur sigma {0, 0.5, 1, 2, 3} alone and with
sigma-5 and sigma-10 noise; JPEG quality {10, 30, 50, 75, 95} as .jpg and re-saved as .png; pairs of noise and
JPEG. Prints per-level errors, rank correlations, a confusion matrix of the main degradation type, the time per
500x500 image, and the findings for every real photo in RealSRSet; writes bench/results/analyzer_accuracy.json.
The noise combiner was calibrated on CBSD432 only (bench/calibrate_noise.py), never on these test sets.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image
from rich.console import Console
from rich.table import Table
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.analyzer import analyze  # noqa: E402
from tools.analyzer.noise import FEATURES  # noqa: E402
from tools.analyzer.synthetic import add_noise, gaussian_blur  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "test"
RESULTS = ROOT / "bench" / "results" / "analyzer_accuracy.json"
ROWS_CACHE = Path(tempfile.gettempdir()) / "restore-agent-analyzer-accuracy-rows.json"
NOISE_LEVELS = (0, 5, 10, 15, 25, 50)
BLUR_LEVELS = (0, 0.5, 1, 2, 3)
BLUR_NOISE = (0, 5, 10)
JPEG_QUALITIES = (10, 30, 50, 75, 95)
PAIRS = ((10, 50), (15, 75), (25, 30))  # (noise sigma, JPEG quality), saved as .jpg
MAIN_TYPES = ("none", "noise", "blur", "jpeg")
TARGETS = {"noise_mae": {5: 0.5, 10: 0.5, 15: 0.5, 25: 0.5, 50: 1.5}, "jpeg_exact": 1.0, "blur_rank": 0.95,
           "main_type_accuracy": 0.95, "ms_per_500x500": 150.0}

console = Console()


def test_images() -> list[Path]:
    return sorted((SHARED / "McMaster").glob("*.png")) + sorted((SHARED / "Set12").glob("*.png"))


def noisy(clean: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return add_noise(clean, sigma, rng)[0]


def save(pixels: np.ndarray, path: Path, quality: int | None = None) -> Path:
    img = Image.fromarray(pixels.astype(np.uint8))
    img.save(path, quality=quality) if quality else img.save(path)
    return path


def main_type(analysis) -> str:
    found = analysis.main_degradation(among=("gaussian-noise", "noise", "blur", "jpeg"))
    return "noise" if found in ("gaussian-noise", "noise") else found


def image_cases(job: tuple[int, Path, Path]) -> dict[str, list]:
    """Every synthetic case of one clean image, saved as a real file in ``folder`` and analyzed."""
    index, source, folder = job
    rng = np.random.default_rng(2024 + index)
    rows: dict[str, list] = defaultdict(list)
    clean = np.asarray(Image.open(source), dtype=np.float64)
    stem = f"{index:02d}"
    name = f"{source.parent.name}/{source.name}"
    for sigma in NOISE_LEVELS:
        pixels = noisy(clean, sigma, rng)
        a = analyze(save(pixels, folder / f"{stem}_n{sigma}.png"))
        effective = float(np.std(pixels.astype(np.float64) - clean))
        rows["noise"].append({"image": name, "sigma": sigma, "effective": effective,
                              "estimate": a.noise.sigma, "estimators": a.noise.estimators,
                              "gaussian_like": a.noise.gaussian_like, "main": main_type(a)})
    for noise in BLUR_NOISE:
        for width in BLUR_LEVELS:
            pixels = noisy(gaussian_blur(clean, width), noise, rng)
            a = analyze(save(pixels, folder / f"{stem}_b{width}_n{noise}.png"))
            rows["blur"].append({"image": name, "blur": width, "noise": noise, "width": a.blur.width,
                                 "sharpness": a.blur.sharpness, "main": main_type(a),
                                 "findings": [f.degradation for f in a.findings]})
    for quality in JPEG_QUALITIES:
        jpg = save(clean, folder / f"{stem}_q{quality}.jpg", quality)
        a = analyze(jpg)
        rows["jpeg"].append({"image": name, "quality": quality, "format": "jpg", "estimate": a.jpeg.quality,
                             "exact": a.jpeg.exact, "blockiness": a.jpeg.blockiness, "main": main_type(a)})
        png = save(np.asarray(Image.open(jpg)), folder / f"{stem}_q{quality}.png")
        a = analyze(png)
        rows["jpeg"].append({"image": name, "quality": quality, "format": "png",
                             "estimate": a.jpeg.estimated_quality, "blockiness": a.jpeg.blockiness,
                             "severity": a.jpeg.severity, "main": main_type(a)})
    for sigma, quality in PAIRS:
        a = analyze(save(noisy(clean, sigma, rng), folder / f"{stem}_n{sigma}_q{quality}.jpg", quality))
        found = {f.degradation for f in a.findings}
        rows["pairs"].append({"image": name, "pair": f"noise {sigma} + jpeg q{quality}",
                              "found_both": bool(found & {"gaussian-noise", "noise"}) and "jpeg" in found,
                              "findings": sorted(found)})
    return rows


def run_cases(folder: Path, workers: int) -> dict[str, list]:
    jobs = [(index, source, folder) for index, source in enumerate(test_images())]
    rows: dict[str, list] = defaultdict(list)
    with Pool(workers) as pool:
        for done, result in enumerate(pool.imap(image_cases, jobs), 1):
            for key, values in result.items():
                rows[key].extend(values)
            console.print(f"[dim]{done}/{len(jobs)} images[/]")
    return rows


def timing(repeats: int = 3) -> dict:
    """Wall and CPU time of one whole ``analyze`` on each 500x500 McMaster photo (median of ``repeats``)."""
    from tools.imageio import load_image

    wall, cpu = [], []
    for path in sorted((SHARED / "McMaster").glob("*.png")):
        loaded = load_image(path)
        analyze(loaded)  # warm caches
        w, c = [], []
        for _ in range(repeats):
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            analyze(loaded)
            w.append(time.perf_counter() - start_wall)
            c.append(time.process_time() - start_cpu)
        wall.append(np.median(w))
        cpu.append(np.median(c))
    return {"wall_ms_median": float(np.median(wall) * 1000), "cpu_ms_median": float(np.median(cpu) * 1000),
            "wall_ms_max": float(np.max(wall) * 1000), "load_average_1min": os.getloadavg()[0], "cpus": os.cpu_count()}


def noise_summary(rows: list[dict]) -> dict:
    summary = {}
    for sigma in NOISE_LEVELS:
        sel = [r for r in rows if r["sigma"] == sigma]
        err = np.array([r["estimate"] - r["effective"] for r in sel])
        singles = {name: float(np.mean([abs(r["estimators"][name] - r["effective"]) for r in sel])) for name in FEATURES}
        summary[sigma] = {"mae": float(np.abs(err).mean()), "bias": float(err.mean()), "max": float(np.abs(err).max()),
                          "effective": float(np.mean([r["effective"] for r in sel])), "single_estimator_mae": singles,
                          "gaussian_like": float(np.mean([r["gaussian_like"] for r in sel]))}
    return summary


def blur_summary(rows: list[dict]) -> dict:
    summary = {}
    for noise in BLUR_NOISE:
        sel = [r for r in rows if r["noise"] == noise and r["width"] is not None]
        level = [r["blur"] for r in sel]
        pooled = stats.spearmanr(level, [r["width"] for r in sel]).statistic
        sharp = stats.spearmanr(level, [-r["sharpness"] for r in sel]).statistic
        per_image = [stats.spearmanr(BLUR_LEVELS, [r["width"] for r in sel if r["image"] == name]).statistic
                     for name in sorted({r["image"] for r in sel})]
        widths = {b: float(np.median([r["width"] for r in sel if r["blur"] == b])) for b in BLUR_LEVELS}
        summary[noise] = {"rank_pooled": float(pooled), "rank_per_image": float(np.nanmean(per_image)),
                          "sharpness_rank_pooled": float(sharp), "median_width": widths}
    return summary


def jpeg_summary(rows: list[dict]) -> dict:
    jpg = [r for r in rows if r["format"] == "jpg"]
    png = [r for r in rows if r["format"] == "png"]
    return {"jpg_exact_rate": float(np.mean([r["estimate"] == r["quality"] and r["exact"] for r in jpg])),
            "png_detected": {q: float(np.mean([r["severity"] != "none" for r in png if r["quality"] == q]))
                             for q in JPEG_QUALITIES},
            "png_quality_exact": {q: float(np.mean([r["estimate"] == q for r in png if r["quality"] == q]))
                                  for q in JPEG_QUALITIES},
            "png_blockiness": {q: float(np.median([r["blockiness"] for r in png if r["quality"] == q]))
                               for q in JPEG_QUALITIES}}


def main_type_cases(rows: dict) -> list[tuple[str, str, str]]:
    """(truth, found, case) for every single-degradation case."""
    cases = [("noise" if r["sigma"] else "none", r["main"], f"noise {r['sigma']}") for r in rows["noise"]]
    # The clean image is counted once (as noise 0), not again as blur 0.
    cases += [("blur", r["main"], f"blur {r['blur']}") for r in rows["blur"] if r["noise"] == 0 and r["blur"]]
    cases += [("jpeg", r["main"], f"jpeg q{r['quality']} .{r['format']}") for r in rows["jpeg"]]
    return cases


def confusion(cases: list[tuple[str, str, str]]) -> tuple[dict, float, dict]:
    matrix = {t: {p: 0 for p in MAIN_TYPES} for t in MAIN_TYPES}
    by_case: dict[str, list[bool]] = defaultdict(list)
    for truth, predicted, case in cases:
        matrix[truth][predicted] += 1
        by_case[case].append(truth == predicted)
    accuracy = float(np.mean([t == p for t, p, _ in cases]))
    return matrix, accuracy, {case: float(np.mean(v)) for case, v in by_case.items()}


def accuracy_without(by_case_rows: list[tuple[str, str, str]], skipped: str) -> float:
    return float(np.mean([t == p for t, p, case in by_case_rows if case != skipped]))


def realsr_findings() -> list[dict]:
    from tools.cards import load_records

    records = load_records()
    out = []
    for path in sorted((SHARED / "RealSRSet").iterdir()):
        a = analyze(path, records)
        out.append({"image": path.name, "size": f"{a.width}x{a.height}",
                    "noise": None if a.noise.sigma is None else
                    (f"{a.noise.sigma:.1f}" + ("" if a.noise.gaussian_like else f" ({a.noise.low:.1f}-{a.noise.high:.1f}, not white)")),
                    "blur_px": a.blur.width,
                    "jpeg": f"q{a.jpeg.quality}" if a.jpeg.quality else f"block {a.jpeg.blockiness}",
                    "piqe": a.quality.piqe,
                    "findings": [f"{f.degradation}:{f.severity}" for f in a.findings],
                    "recommendations": [r.record + (f"@{r.noise_level}" if r.noise_level else "")
                                        for r in a.recommendations]})
    return out


def render(report: dict) -> None:
    t = Table(title="Noise sigma vs effective sigma (after clipping)")
    for col in ("sigma", "effective", "MAE", "bias", "max", "target", *FEATURES):
        t.add_column(col, justify="right")
    for sigma, s in report["noise"].items():
        target = TARGETS["noise_mae"].get(sigma)
        t.add_row(str(sigma), f"{s['effective']:.2f}", f"{s['mae']:.3f}", f"{s['bias']:+.3f}", f"{s['max']:.2f}",
                  "-" if target is None else f"<= {target}", *(f"{s['single_estimator_mae'][n]:.2f}" for n in FEATURES))
    console.print(t)
    t = Table(title="Blur: Spearman rank correlation of estimated width with blur sigma")
    for col in ("noise", "pooled", "per image", "sharpness (pooled)", *(f"median @ {b}" for b in BLUR_LEVELS)):
        t.add_column(col, justify="right")
    for noise, s in report["blur"].items():
        t.add_row(str(noise), f"{s['rank_pooled']:.3f}", f"{s['rank_per_image']:.3f}", f"{s['sharpness_rank_pooled']:.3f}",
                  *(f"{s['median_width'][b]:.2f}" for b in BLUR_LEVELS))
    console.print(t)
    j = report["jpeg"]
    t = Table(title=f"JPEG: quality exact on {j['jpg_exact_rate']:.0%} of .jpg files; re-saved .png detection")
    for col in ("quality", "png detected", "png quality exact (DCT lattice)", "png blockiness"):
        t.add_column(col, justify="right")
    for q in JPEG_QUALITIES:
        t.add_row(str(q), f"{j['png_detected'][q]:.0%}", f"{j['png_quality_exact'][q]:.0%}",
                  f"{j['png_blockiness'][q]:.2f}")
    console.print(t)
    t = Table(title=f"Main degradation type: accuracy {report['main_type_accuracy']:.1%} (rows truth, columns found)")
    t.add_column("truth")
    for p in MAIN_TYPES:
        t.add_column(p, justify="right")
    for truth, row in report["confusion"].items():
        t.add_row(truth, *(str(row[p]) for p in MAIN_TYPES))
    console.print(t)
    wrong = {k: v for k, v in report["main_type_by_case"].items() if v < 1}
    console.print(f"accuracy without blur 0.5 (below the photos' own softness): "
                  f"{report['main_type_accuracy_without_blur_0.5']:.1%}")
    console.print("cases below 100%: " + (", ".join(f"{k} {v:.0%}" for k, v in wrong.items()) or "none"))
    console.print(f"pairs with both found: {report['pairs_found_both']:.0%}")
    sp = report["speed"]
    console.print(f"time per 500x500 image (McMaster, whole analyze): median {sp['wall_ms_median']:.0f} ms wall, "
                  f"{sp['cpu_ms_median']:.0f} ms CPU (load average {sp['load_average_1min']:.1f} on {sp['cpus']} CPUs)")
    t = Table(title="RealSRSet findings (no ground truth)")
    for col in ("image", "size", "noise sigma", "blur px", "jpeg", "PIQE", "findings", "recommendations"):
        t.add_column(col, overflow="fold")
    for r in report["realsr"]:
        t.add_row(r["image"], r["size"], str(r["noise"]), str(r["blur_px"]), r["jpeg"], str(r["piqe"]),
                  ", ".join(r["findings"]) or "-", ", ".join(r["recommendations"]) or "-")
    console.print(t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2, help="processes for the synthetic cases (default 2)")
    parser.add_argument("--reuse", action="store_true", help="summarise the cached rows of the last run again")
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"skipped: {SHARED} is absent (the benchmark needs McMaster, Set12 and RealSRSet)")
    start = time.time()
    if args.reuse and ROWS_CACHE.exists():
        rows = json.loads(ROWS_CACHE.read_text())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            rows = run_cases(Path(tmp), args.workers)
        ROWS_CACHE.write_text(json.dumps(rows))
    cases = main_type_cases(rows)
    matrix, accuracy, by_case = confusion(cases)
    speed = timing()
    report = {"noise": noise_summary(rows["noise"]), "blur": blur_summary(rows["blur"]), "jpeg": jpeg_summary(rows["jpeg"]),
              "confusion": matrix, "main_type_accuracy": accuracy, "main_type_by_case": by_case,
              "main_type_accuracy_without_blur_0.5": accuracy_without(cases, "blur 0.5"),
              "pairs_found_both": float(np.mean([r["found_both"] for r in rows["pairs"]])),
              "speed": speed, "targets": TARGETS, "realsr": realsr_findings(),
              "images": [p.parent.name + "/" + p.name for p in test_images()], "wall_seconds": time.time() - start}
    report["targets_met"] = {
        "noise": all(report["noise"][s]["mae"] <= t for s, t in TARGETS["noise_mae"].items()),
        "jpeg_exact": report["jpeg"]["jpg_exact_rate"] >= TARGETS["jpeg_exact"],
        "blur_rank_with_sigma5_noise": report["blur"][5]["rank_pooled"] >= TARGETS["blur_rank"],
        "main_type": accuracy >= TARGETS["main_type_accuracy"],
        "speed_cpu": speed["cpu_ms_median"] <= TARGETS["ms_per_500x500"],
        "speed_wall": speed["wall_ms_median"] <= TARGETS["ms_per_500x500"]}
    render(report)
    console.print(f"targets met: {report['targets_met']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, default=str) + "\n")
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
