"""SwinIR speed by path and photo size: seconds per megapixel, peak RSS, and the output's difference to whole-image fp32.

The embedded model (tools/swinir/weights) on a noisy photo of 0.25, 1 and 12 MP, each run in its own
child process (so its peak RSS is its own), along these paths of ``tools.swinir.inference``:

* ``tiled``: the default, tiles sized by the 2 GB memory budget (a photo that fits runs whole);
* ``tiles256``: 256 px tiles with 32 px overlap, the default before tiles were sized by memory;
* ``whole``: the whole photo at once in float32 (the reference of the differences);
* ``bf16``: the whole photo in bfloat16 autocast (only where asked for: slow without native bfloat16).

A 12 MP photo does not fit a whole-image run (about 45 GB), so there the reference is the whole-image
run of crops around three tile-seam crossings, each with 160 px of context on every side; at 1 MP the
bench also checks that proxy against the true whole-image output.

``--cli`` measures the other target: random SwinIR-M weights (embedding 180, 6 x 6 layers) saved in the
official checkpoint format, end to end through ``restore-agent denoise`` in a fresh process (start-up,
loading, analysis and check included), and the output against the whole-image fp32 run in process.

Targets (issue 19): embedded model at 12 MP <= 6.5 s/MP on an idle 2-core machine, peak RSS < 3 GB, max
|diff| <= 1e-3; SwinIR-M <= 100 s/MP end to end at 0.1 MP and more. Writes bench/results/swinir_speed.json
(``--cli``: the ``cli`` part of it).

    python bench/swinir_speed.py [--sizes 0.25 1 12] [--paths tiled tiles256 whole] [--repeats 1]
    python bench/swinir_speed.py --sizes 0.25 --paths whole bf16
    python bench/swinir_speed.py --cli [--cli-sizes 384x256 640x480]
    python bench/swinir_speed.py --profile
    python bench/swinir_speed.py --floor      # the fastest these networks could run on this machine

``--floor`` counts each network's floating-point operations per pixel (torch's FlopCounterMode: every
convolution, linear layer and attention product) and measures the machine's best float32 matrix multiply
(square products of 512 to 2048, all threads); their quotient is a lower bound on s/MP for float32 here,
as if every operation ran at the speed of a large matrix multiply.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from swinir_memory import run_child

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "swinir_speed.json"
EMBEDDED = ROOT / "tools" / "swinir" / "weights" / "swinir-s-noise15.pth"
SIZES = {0.25: (500, 500), 1.0: (1000, 1000), 12.0: (3000, 4000)}
PATHS = {"tiled": dict(tile=None), "tiles256": dict(tile=256), "whole": dict(tile=0),
         "bf16": dict(tile=0, precision="bf16")}
WHOLE_LIMIT_MP = 2.0  # whole-image runs above this would need more memory than the machine has
CONTEXT = 160  # px of context around each reference crop at sizes too large to run whole
SWINIR_M = dict(in_chans=3, embed_dim=180, depths=(6,) * 6, num_heads=(6,) * 6, window_size=8, mlp_ratio=2.0)
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


def measure(sizes: list[float], paths: list[str], repeats: int, folder: Path) -> list[dict]:
    rows = []
    for mp in sizes:
        h, w = SIZES[mp]
        runs: dict[str, list] = {}
        for _ in range(repeats):  # paths interleaved, so a change in load hits all of them
            for name in paths:
                if name in ("whole", "bf16") and mp > WHOLE_LIMIT_MP:
                    continue
                spec = dict(h=h, w=w, checkpoint=str(EMBEDDED), out=str(folder / f"{name}_{mp}.npy"), **PATHS[name])
                runs.setdefault(name, []).append(in_child(spec))
                console.print(f"{mp} MP {name}: {runs[name][-1][0]['seconds'] / (h * w / 1e6):.2f} s/MP")
        whole = folder / f"whole_{mp}.npy"
        reference = np.load(whole) if whole.exists() and "whole" in runs else None
        crops, regions = seam_crops(h, w, *_starts(h, w)) if mp >= 1 else ([], [])
        crop_ref = None
        if crops:
            in_child(dict(h=h, w=w, checkpoint=str(EMBEDDED), out=str(folder / f"crops_{mp}.npy"), crops=crops))
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


def _starts(h: int, w: int) -> tuple[list[int], list[int]]:
    """Tile starts of the default (memory-sized) plan of the embedded model on an h x w photo."""
    from tools.swinir.inference import plan_for
    from tools.swinir.loading import infer_config, read_state_dict
    from tools.swinir.model import SwinIR

    model = SwinIR(**infer_config(read_state_dict(EMBEDDED)), init_weights=False)
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
                                            str(checkpoint), "--json", "--force"])
            walls.append(wall), peaks.append(peak), seconds.append(result["seconds"])
            console.print(f"SwinIR-M {size} via the CLI: {wall:.1f} s end to end ({result['seconds']:.1f} s denoising)")
        with torch.inference_mode():
            reference = denoise_array(model, np.asarray(Image.open(photo).convert("RGB")), tile=0)
        diff = int(np.abs(np.asarray(Image.open(out), dtype=np.int16) - reference).max())
        mp = w * h / 1e6
        rows.append(dict(size=size, megapixels=mp, end_to_end_s_per_mp=statistics.median(walls) / mp,
                         denoise_s_per_mp=statistics.median(seconds) / mp, peak_rss_gb=max(peaks),
                         max_abs_diff_uint8=diff, tiles=result["tiles"], runs=repeats))
    return rows


def profile(console: Console) -> None:
    """Where the time goes in one whole-image pass of the embedded model at 0.25 MP (top operators)."""
    import torch
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    from tools.swinir import load_swinir
    from tools.swinir.inference import denoise_float

    model, pixels = load_swinir(EMBEDDED), noisy_photo(*SIZES[0.25])
    denoise_float(model, pixels[:64, :64])
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        denoise_float(model, pixels, tile=0)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15), flush=True)


def flops_per_pixel(config: dict, side: int = 128) -> float:
    """Floating-point operations of one forward pass per input pixel (multiply and add counted apart)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from tools.swinir.model import SwinIR

    model = SwinIR(**{**config, "img_size": side}).eval()
    with FlopCounterMode(display=False) as counter:  # gradients on: the plain operations, which it counts
        model(torch.rand(1, config["in_chans"], side, side))
    return counter.get_total_flops() / side**2


def matmul_gflops(repeats: int = 5) -> float:
    """The best float32 matrix-multiply rate here, GFLOP/s, over a few square sizes, all threads."""
    import torch

    best = 0.0
    for n in (512, 1024, 2048):
        a, b = torch.rand(n, n), torch.rand(n, n)
        a @ b
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            a @ b
            times.append(time.perf_counter() - start)
        best = max(best, 2 * n**3 / min(times) / 1e9)
    return best


def floor() -> list[dict]:
    """Lower bounds on s/MP in float32 here: each network's operations at the machine's matrix-multiply rate."""
    from tools.swinir.loading import infer_config, read_state_dict

    rate = matmul_gflops()
    rows = []
    for name, config in (("embedded", infer_config(read_state_dict(EMBEDDED))), ("SwinIR-M", SWINIR_M)):
        per_pixel = flops_per_pixel(config)
        rows.append(dict(model=name, mflop_per_pixel=round(per_pixel / 1e6, 3), matmul_gflops=round(rate, 1),
                         floor_s_per_mp=round(per_pixel * 1e6 / (rate * 1e9), 2)))
    t = Table(title=f"Float32 floor on this machine ({machine()['cpu']}, load {os.getloadavg()[0]:.1f})")
    for col in ("model", "MFLOP / pixel", "best matmul GFLOP/s", "floor s/MP", "target s/MP"):
        t.add_column(col, justify="right")
    for r in rows:
        target = TARGET_S_PER_MP if r["model"] == "embedded" else TARGET_CLI_S_PER_MP
        t.add_row(r["model"], f"{r['mflop_per_pixel']:.2f}", f"{r['matmul_gflops']:.1f}", f"{r['floor_s_per_mp']:.1f}",
                  f"{target:g}")
    console.print(t)
    return rows


def machine() -> dict:
    flags = next((line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")), "")
    name = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")), platform.processor())
    return dict(cpu=name, cpus=os.cpu_count(), avx512=" avx512f" in flags,
                native_bf16=any(f in flags.split() for f in ("avx512_bf16", "amx_bf16")), load_average=os.getloadavg())


def table(rows: list[dict], cli: list[dict]) -> None:
    t = Table(title=f"SwinIR embedded model: seconds per megapixel by path ({machine()['cpu']}, "
                    f"load {os.getloadavg()[0]:.1f})")
    for col in ("photo", "path", "s/MP", "peak RSS GB", "max |diff| to whole fp32", "tiles", "tile", "batch"):
        t.add_column(col, justify="right")
    for r in rows:
        ok = r["megapixels"] < 12 or (r["s_per_mp"] <= TARGET_S_PER_MP and r["peak_rss_gb"] < TARGET_RSS_GB)
        diff = "" if r["max_abs_diff"] is None else f"{r['max_abs_diff']:.1e}"
        t.add_row(f"{r['megapixels']:g} MP", r["path"], f"[{'green' if ok else 'red'}]{r['s_per_mp']:.2f}[/]",
                  f"{r['peak_rss_gb']:.2f}", diff, str(r["tiles"]), "x".join(map(str, r["tile"])), str(r["batch"]))
    if rows:
        console.print(t)
    if cli:
        c = Table(title="SwinIR-M-size weights end to end through restore-agent denoise")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.25, 1.0, 12.0], choices=sorted(SIZES))
    parser.add_argument("--paths", nargs="+", default=["tiled", "tiles256", "whole"], choices=list(PATHS))
    parser.add_argument("--repeats", type=int, default=1, help="runs per path and size (median kept)")
    parser.add_argument("--cli", action="store_true", help="SwinIR-M end to end through restore-agent denoise")
    parser.add_argument("--cli-sizes", nargs="+", default=["384x256", "640x480"])
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--floor", action="store_true", help="float32 lower bound on s/MP for each network here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    from tools.swinir.runtime import configure_process

    configure_process()
    if args.profile:
        profile(console)
        return
    import torch

    before = os.getloadavg()
    floors = floor() if args.floor else None
    with tempfile.TemporaryDirectory() as tmp:
        if floors is not None:
            rows, cli = [], []
        elif args.cli:
            rows, cli = [], cli_rows(args.cli_sizes, Path(tmp), args.repeats)
        else:
            rows, cli = measure(args.sizes, args.paths, args.repeats, Path(tmp)), []
    table(rows, cli)
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data = dict(old if isinstance(old.get("paths"), list) else {}, machine={**machine(), "load_average_before": before},
                threads=torch.get_num_threads(), torch=torch.__version__,
                targets=dict(s_per_mp_12mp=TARGET_S_PER_MP, peak_rss_gb=TARGET_RSS_GB, max_abs_diff=TARGET_DIFF,
                             cli_s_per_mp=TARGET_CLI_S_PER_MP))
    if rows:  # rows measured now replace the same (size, path) rows; others are kept
        new = {(r["megapixels"], r["path"]) for r in rows}
        kept = [r for r in data.get("paths", []) if (r["megapixels"], r["path"]) not in new]
        data["paths"] = sorted(kept + rows, key=lambda r: (r["megapixels"], list(PATHS).index(r["path"])))
    if cli:
        data["cli"] = cli
    if floors is not None:
        data["floor"] = dict(rows=floors, load_average_before=before)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=2) + "\n")
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
