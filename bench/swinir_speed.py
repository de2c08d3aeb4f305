"""SwinIR speed by path and photo size: seconds per megapixel, peak RSS, and the output's difference to whole-image fp32.

Each embedded color sigma-15 network (tools/swinir/weights: the default half-resolution ``swinir-half-noise15``
and the smaller full-resolution ``swinir-s-noise15``; ``--weights`` picks), with its FLOPs per pixel, on a noisy photo of 0.25,
1 and 12 MP, each run in its own child process (so its peak RSS is its own), along these paths of ``tools.swinir.inference``:

* ``tiled``: the default, tiles sized by the 2 GB memory budget (a photo that fits runs whole);
* ``tiles256``: 256 px tiles with 32 px overlap, the default before tiles were sized by memory;
* ``whole``: the whole photo at once in float32 (the reference of the differences);
* ``bf16``: the whole photo in bfloat16 autocast (only where asked for: slow without native bfloat16).

A 12 MP photo does not fit a whole-image run (about 45 GB), so there the reference is the whole-image
run of crops around three tile-seam crossings, each with 160 px of context on every side; at 1 MP the
bench also checks that proxy against the true whole-image output. What tiling costs at 12 MP
(``tiling_overhead`` in the JSON): the tiled s/MP there against the whole-image s/MP at 1 MP, and the share of
extra pixels the tiles compute.

``--cli`` measures the other target: random SwinIR-M weights (embedding 180, 6 x 6 layers) saved in the
official checkpoint format, end to end through ``restore-agent denoise`` in a fresh process (start-up,
loading, analysis and check included), and the output against the whole-image fp32 run in process.

Targets (issue 19): embedded model at 12 MP <= 6.5 s/MP on an idle 2-core machine, peak RSS < 3 GB, max
|diff| <= 1e-3; SwinIR-M <= 100 s/MP end to end at 0.1 MP and more.

A run writes its results file whole, with the machine block of that one run (``bench/machine.py``: CPU,
flags, threads, load before and after); rows of different runs are never merged. A default run writes
``bench/results/swinir_speed.json``, a default ``--cli`` run ``bench/results/swinir_cli_speed.json``; other
sizes, paths or CLI sizes print their table and write only with ``--out``. The fastest these networks could
run on the machine (its matrix-multiply rates and peak) is ``bench/cpu_floor.py``'s.

    python bench/swinir_speed.py [--repeats 1]                   # sizes 0.25 1 12, paths tiled tiles256 whole
    python bench/swinir_speed.py --sizes 0.25 --paths whole bf16 --out /tmp/bf16.json
    python bench/swinir_speed.py --cli [--cli-sizes 384x256 640x480]
    python bench/swinir_speed.py --profile
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from machine import recorded, summary
from rich.console import Console
from rich.table import Table
from swinir_memory import CONFIGS, run_child

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "swinir_speed.json"
CLI_RESULTS = ROOT / "bench" / "results" / "swinir_cli_speed.json"
SIZES = {0.25: (500, 500), 1.0: (1000, 1000), 12.0: (3000, 4000)}
DEFAULT_PATHS, DEFAULT_CLI_SIZES = ["tiled", "tiles256", "whole"], ["384x256", "640x480"]
PATHS = {"tiled": dict(tile=None), "tiles256": dict(tile=256), "whole": dict(tile=0),
         "bf16": dict(tile=0, precision="bf16")}
WHOLE_LIMIT_MP = 2.0  # whole-image runs above this would need more memory than the machine has
CONTEXT = 160  # px of context around each reference crop at sizes too large to run whole
SWINIR_M = CONFIGS["m"]  # embedding 180, 6 x 6 layers, 6 heads, window 8
TARGET_S_PER_MP, TARGET_RSS_GB, TARGET_DIFF, TARGET_CLI_S_PER_MP = 6.5, 3.0, 1e-3, 100.0
console = Console(width=150)


def noisy_photo(height: int, width: int) -> np.ndarray:
    """A real photo resized to height x width with Gaussian noise of sigma 15, uint8."""
    from PIL import Image
    from skimage import data

    photo = np.asarray(Image.fromarray(data.astronaut()).resize((width, height), Image.BICUBIC), dtype=np.float32)
    noise = np.random.default_rng(0).normal(0, 15, photo.shape).astype(np.float32)
    return np.clip(photo + noise, 0, 255).astype(np.uint8)


def child(spec: dict) -> dict:
    """In a child process: one path on one photo (or whole-image runs of ``crops``); output saved to ``out``."""
    from tools.swinir.runtime import configure_process

    configure_process()
    from tools.swinir import load_swinir
    from tools.swinir.inference import denoise_float, plan_for

    model = load_swinir(spec["checkpoint"])
    pixels = noisy_photo(spec["h"], spec["w"])
    run = {k: spec[k] for k in ("tile", "precision") if k in spec}
    started = time.perf_counter()
    if spec.get("crops"):
        out = np.empty(len(spec["crops"]), dtype=object)
        for i, (y0, x0, y1, x1) in enumerate(spec["crops"]):
            out[i] = denoise_float(model, pixels[y0:y1, x0:x1], tile=0)
    else:
        out = denoise_float(model, pixels, **run)
    seconds = time.perf_counter() - started
    np.save(spec["out"], out)
    plan, batch = plan_for(model, pixels.shape, run.get("tile"))
    return dict(seconds=seconds, tiles=plan.count, tile=[plan.tile_h, plan.tile_w], batch=batch)


def in_child(spec: dict) -> tuple[dict, float]:
    result, peak, _ = run_child([sys.executable, __file__, "--child", json.dumps(spec)])
    return result, peak


def seam_crops(height: int, width: int, tiles_y: list[int], tiles_x: list[int]) -> tuple[
        list[list[int]], list[list[int]]]:
    """Reference crops around three tile-seam crossings (with context) and the compared region of each."""
    crops, regions = [], []
    picks = [(tiles_y[min(i, len(tiles_y) - 1)], tiles_x[min(i, len(tiles_x) - 1)]) for i in (1, 2, 3)]
    for ty, tx in picks:  # 192 px regions centred inside the overlap where two tiles blend
        py, px = (min(max(t + 16 - 96, 0), length - 192) for t, length in ((ty, height), (tx, width)))
        y0, x0 = max(0, (py - CONTEXT) // 8 * 8), max(0, (px - CONTEXT) // 8 * 8)
        crops.append([y0, x0, min(height, py + 192 + CONTEXT), min(width, px + 192 + CONTEXT)])
        regions.append([py - y0, px - x0, py, px])  # in the crop, in the photo
    return crops, regions


def crop_diff(output: np.ndarray, reference: np.ndarray, regions: list[list[int]]) -> float:
    return max(float(np.abs(output[py:py + 192, px:px + 192] - reference[i][ry:ry + 192, rx:rx + 192]).max())
               for i, (ry, rx, py, px) in enumerate(regions))


def embedded_networks() -> list[str]:
    """The color sigma-15 networks shipped here: the one before (``swinir-s``) and the half-resolution one."""
    from tools.swinir import weights

    return [w for w in ("swinir-s-noise15", "swinir-half-noise15") if weights.find(w).available]


def mflop_per_pixel(checkpoint: Path) -> float:
    from cpu_floor import flops_per_pixel

    from tools.swinir.loading import infer_config, read_state_dict

    return round(flops_per_pixel(infer_config(read_state_dict(checkpoint))) / 1e6, 3)


def measure(networks: list[str], sizes: list[float], paths: list[str], repeats: int, folder: Path) -> list[dict]:
    """Every network on every size along every path (rows carry the network and its FLOPs per pixel)."""
    from tools.swinir import weights

    return [{"weights": name, "mflop_per_pixel": mflop_per_pixel(weights.find(name).path), **row}
            for name in networks for row in measure_network(weights.find(name).path, sizes, paths, repeats, folder)]


def measure_network(checkpoint: Path, sizes: list[float], paths: list[str], repeats: int, folder: Path) -> list[dict]:
    rows = []
    for mp in sizes:
        h, w = SIZES[mp]
        runs: dict[str, list] = {}
        for _ in range(repeats):  # paths interleaved, so a change in load hits all of them
            for name in paths:
                if name in ("whole", "bf16") and mp > WHOLE_LIMIT_MP:
                    continue
                spec = dict(h=h, w=w, checkpoint=str(checkpoint), out=str(folder / f"{name}_{mp}.npy"), **PATHS[name])
                runs.setdefault(name, []).append(in_child(spec))
                console.print(f"{checkpoint.stem} {mp} MP {name}: {runs[name][-1][0]['seconds'] / (h * w / 1e6):.2f} s/MP")
        whole = folder / f"whole_{mp}.npy"
        reference = np.load(whole) if whole.exists() and "whole" in runs else None
        crops, regions = seam_crops(h, w, *_starts(h, w, checkpoint)) if mp >= 1 else ([], [])
        crop_ref = None
        if crops:
            in_child(dict(h=h, w=w, checkpoint=str(checkpoint), out=str(folder / f"crops_{mp}.npy"), crops=crops))
            crop_ref = list(np.load(folder / f"crops_{mp}.npy", allow_pickle=True))
        for name, results in runs.items():
            out = np.load(folder / f"{name}_{mp}.npy")
            if reference is not None:
                diff, against = float(np.abs(out - reference).max()), "whole image"
            elif crop_ref is not None:
                diff, against = crop_diff(out, crop_ref, regions), "seam crops with 160 px context"
            else:
                diff, against = None, ""
            secs = [r["seconds"] for r, _ in results]
            rows.append(dict(megapixels=mp, size=f"{w}x{h}", path=name, s_per_mp=statistics.median(secs) / (h * w / 1e6),
                             runs=len(secs), peak_rss_gb=max(p for _, p in results), max_abs_diff=diff,
                             diff_against=against, tiles=results[0][0]["tiles"], tile=results[0][0]["tile"],
                             batch=results[0][0]["batch"]))
        if reference is not None and crop_ref is not None:
            console.print(f"{mp} MP: the seam-crop reference differs from the whole image by "
                          f"{crop_diff(reference, crop_ref, regions):.2e} (the 12 MP proxy's own error)")
    return rows


def tiling_overheads(rows: list[dict]) -> list[dict]:
    """Per network, what tiling costs at 12 MP: its default (tiled) s/MP against the whole-image run at 1 MP (the
    same windowed arithmetic per pixel, so the rest is the tiles' overlap and per-tile cost), and the share of
    extra pixels its tiles compute (overlap and padding), from the plan."""
    found = []
    for name in dict.fromkeys(r["weights"] for r in rows):
        pick = {(r["megapixels"], r["path"]): r for r in rows if r["weights"] == name}
        tiled, whole = pick.get((12.0, "tiled")), pick.get((1.0, "whole"))
        if tiled and whole:
            h, w = SIZES[12.0]
            found.append(dict(weights=name, tiled_12mp_s_per_mp=tiled["s_per_mp"], whole_1mp_s_per_mp=whole["s_per_mp"],
                              time_overhead=tiled["s_per_mp"] / whole["s_per_mp"] - 1, tiles=tiled["tiles"],
                              area_overhead=tiled["tiles"] * tiled["tile"][0] * tiled["tile"][1] / (h * w) - 1))
    return found


def _starts(h: int, w: int, checkpoint: Path) -> tuple[list[int], list[int]]:
    """Tile starts of the default (memory-sized) plan of an embedded model on an h x w photo."""
    from tools.swinir.inference import plan_for
    from tools.swinir.loading import infer_config, read_state_dict
    from tools.swinir.model import SwinIR

    model = SwinIR(**infer_config(read_state_dict(checkpoint)), init_weights=False)
    plan, _ = plan_for(model, (h, w, 3))
    return list(plan.ys), list(plan.xs)


def cli_rows(sizes: list[str], folder: Path, repeats: int) -> list[dict]:
    """SwinIR-M-size random weights end to end through ``restore-agent denoise``, against the in-process whole run."""
    import torch
    from PIL import Image

    from tools.swinir.inference import denoise_array
    from tools.swinir.model import SwinIR

    torch.manual_seed(0)
    model = SwinIR(**SWINIR_M, img_size=128).eval()
    checkpoint = folder / "swinir_m_random.pth"
    torch.save({"params": model.state_dict()}, checkpoint)
    script = Path(sys.executable).with_name("restore-agent")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "agent"]
    rows = []
    for size in sizes:
        w, h = map(int, size.split("x"))
        photo = folder / f"photo_{size}.png"
        Image.fromarray(noisy_photo(h, w)).save(photo)
        walls, peaks, seconds = [], [], []
        for i in range(repeats):
            out = folder / f"out_{size}_{i}.png"
            result, peak, wall = run_child([*command, "denoise", str(photo), "-o", str(out), "--weights",
                                            str(checkpoint), "--json", "--force", "--force-run"],
                                           accept=(0, 1))  # 1: random weights fail the output check
            walls.append(wall), peaks.append(peak), seconds.append(result["seconds"])
            console.print(f"SwinIR-M {size} via the CLI: {wall:.1f} s end to end ({result['seconds']:.1f} s denoising)")
        with torch.inference_mode():
            reference = denoise_array(model, np.array(Image.open(photo).convert("RGB")), tile=0)
        diff = int(np.abs(np.asarray(Image.open(out), dtype=np.int16) - reference).max())
        mp = w * h / 1e6
        rows.append(dict(size=size, megapixels=mp, end_to_end_s_per_mp=statistics.median(walls) / mp,
                         denoise_s_per_mp=statistics.median(seconds) / mp, peak_rss_gb=max(peaks),
                         max_abs_diff_uint8=diff, tiles=result["tiles"], runs=repeats))
    return rows


def profile(console: Console) -> None:
    """Where the time goes in one whole-image pass of the embedded model at 0.25 MP (top operators)."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    from tools.swinir import load_swinir
    from tools.swinir.inference import denoise_float
    from tools.swinir.weights import embedded_default

    model, pixels = load_swinir(embedded_default().path), noisy_photo(*SIZES[0.25])
    denoise_float(model, pixels[:64, :64])
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        denoise_float(model, pixels, tile=0)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15), flush=True)


def table(rows: list[dict], cli: list[dict], block: dict) -> None:
    """The run's rows (paths, or SwinIR-M through the CLI) under a title naming the machine, and the targets."""
    t = Table(title=f"SwinIR embedded model: seconds per megapixel by path, {summary(block)}")
    for col in ("network", "MFLOP/px", "photo", "path", "s/MP", "peak RSS GB", "max |diff| to whole fp32", "tiles", "tile", "batch"):
        t.add_column(col, justify="right")
    for r in rows:
        ok = r["megapixels"] < 12 or (r["s_per_mp"] <= TARGET_S_PER_MP and r["peak_rss_gb"] < TARGET_RSS_GB)
        diff = "" if r["max_abs_diff"] is None else f"{r['max_abs_diff']:.1e}"
        t.add_row(r["weights"], f"{r['mflop_per_pixel']:.3f}", f"{r['megapixels']:g} MP", r["path"], f"[{'green' if ok else 'red'}]{r['s_per_mp']:.2f}[/]",
                  f"{r['peak_rss_gb']:.2f}", diff, str(r["tiles"]), "x".join(map(str, r["tile"])), str(r["batch"]))
    if rows:
        console.print(t)
    for r in tiling_overheads(rows):
        console.print(f"{r['weights']}: 12 MP tiled {r['tiled_12mp_s_per_mp']:.2f} s/MP against 1 MP whole "
                      f"{r['whole_1mp_s_per_mp']:.2f}: tiling overhead {r['time_overhead']:+.1%} "
                      f"({r['tiles']} tiles, {r['area_overhead']:.1%} extra pixels)")
    if cli:
        c = Table(title=f"SwinIR-M-size weights end to end through restore-agent denoise, {summary(block)}")
        for col in ("photo", "s/MP end to end", "s/MP denoising", "peak RSS GB", "max |diff| (uint8)", "tiles"):
            c.add_column(col, justify="right")
        for r in cli:
            ok = r["end_to_end_s_per_mp"] <= TARGET_CLI_S_PER_MP
            c.add_row(r["size"], f"[{'green' if ok else 'red'}]{r['end_to_end_s_per_mp']:.0f}[/]",
                      f"{r['denoise_s_per_mp']:.0f}", f"{r['peak_rss_gb']:.2f}", str(r["max_abs_diff_uint8"]),
                      str(r["tiles"]))
        console.print(c)
    console.print(f"targets: 12 MP <= {TARGET_S_PER_MP} s/MP on an idle 2-core machine, peak RSS < {TARGET_RSS_GB} GB, "
                  f"|diff| <= {TARGET_DIFF:g}; SwinIR-M end to end <= {TARGET_CLI_S_PER_MP:g} s/MP")


def results_file(args: argparse.Namespace) -> Path | None:
    """Where this run writes: ``--out``, else the default file of a default run, else nowhere."""
    if args.out:
        return args.out
    if args.cli:
        return CLI_RESULTS if args.cli_sizes == DEFAULT_CLI_SIZES else None
    default = (sorted(args.sizes) == sorted(SIZES) and sorted(args.paths) == sorted(DEFAULT_PATHS)
               and args.weights == embedded_networks())
    return RESULTS if default else None


def write(target: Path, block: dict, measured: dict[str, list[dict]]) -> None:
    """This run's rows (``paths`` or ``cli``) and machine block, written whole (nothing of an earlier run is kept)."""
    from tools.fileio import write_text_atomic

    data = dict(machine=block, targets=dict(s_per_mp_12mp=TARGET_S_PER_MP, peak_rss_gb=TARGET_RSS_GB,
                                            max_abs_diff=TARGET_DIFF, cli_s_per_mp=TARGET_CLI_S_PER_MP), **measured)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target, json.dumps(data, indent=2) + "\n")
    console.print(f"wrote {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=sorted(SIZES), choices=sorted(SIZES))
    parser.add_argument("--paths", nargs="+", default=DEFAULT_PATHS, choices=list(PATHS))
    parser.add_argument("--repeats", type=int, default=1, help="runs per path and size (median kept)")
    parser.add_argument("--cli", action="store_true", help="SwinIR-M end to end through restore-agent denoise")
    parser.add_argument("--cli-sizes", nargs="+", default=DEFAULT_CLI_SIZES)
    parser.add_argument("--weights", nargs="+", help="embedded networks to measure (default: every color sigma-15 one)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--out", type=Path, help="write here (default: the results file, default runs only)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    args.weights = args.weights or embedded_networks()
    from tools.swinir.runtime import configure_process, usable_cpus

    configure_process()
    if args.profile:
        with recorded(usable_cpus()) as block:
            profile(console)
        console.print(f"profiled on {summary(block)}")
        return
    with tempfile.TemporaryDirectory() as tmp, recorded(usable_cpus()) as block:
        if args.cli:
            rows, cli = [], cli_rows(args.cli_sizes, Path(tmp), args.repeats)
        else:
            rows, cli = measure(args.weights, args.sizes, args.paths, args.repeats, Path(tmp)), []
    table(rows, cli, block)
    target = results_file(args)
    if target is None:
        console.print("not written: a partial run (other sizes, paths or CLI sizes); --out PATH writes it")
        return
    write(target, block, {"cli": cli} if args.cli else {"paths": rows, "tiling_overhead": tiling_overheads(rows)})


if __name__ == "__main__":
    main()
