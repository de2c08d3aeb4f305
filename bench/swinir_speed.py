"""SwinIR: the fast path against the straightforward per-window formulation.

Same process, same random weights (SwinIR-M noise15 configuration by default: embed 180,
6 x 6 layers, 6 heads, window 8, MLP ratio 2), whole-image forward passes on color inputs.
The reference runs twice: with glibc's default allocator (as a plain PyTorch program, such as
the official implementation, runs) and with the heap allocator that the CLI sets at start
(``tools.swinir.runtime.use_heap_allocator``), so the table separates the gain of the
formulation from the gain of the allocator. Prints seconds per megapixel, the speed ratios, peak
RSS growth and the max abs difference; writes bench/results/swinir_speed.json.
Target: ratio >= 2 against the plain reference at max abs difference <= 1e-4.

    python bench/swinir_speed.py [--config m|small] [--sizes 256 500] [--repeats 1] [--profile]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from peak_rss import peak_rss_bytes, reset_peak, rss_bytes

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "swinir_speed.json"
CONFIGS = {
    "m": dict(in_chans=3, embed_dim=180, depths=(6,) * 6, num_heads=(6,) * 6, window_size=8, mlp_ratio=2.0),
    "small": dict(in_chans=3, embed_dim=60, depths=(2, 2), num_heads=(6, 6), window_size=8, mlp_ratio=2.0),
}
TARGET_RATIO, TARGET_DIFF = 2.0, 1e-4


def make_model(config: str):
    import torch

    from tools.swinir.model import SwinIR

    torch.manual_seed(0)
    return SwinIR(**CONFIGS[config]).eval()


def make_input(size: int):
    """A noisy size x size crop of a real photo, as a 1 x 3 x H x W float tensor."""
    import torch
    from PIL import Image
    from skimage import data

    photo = np.asarray(Image.fromarray(data.astronaut()).resize((size, size), Image.BICUBIC), dtype=np.float32)
    noisy = np.clip(photo + np.random.default_rng(size).normal(0, 15, photo.shape), 0, 255) / 255.0
    return torch.from_numpy(noisy.astype(np.float32)).permute(2, 0, 1)[None].contiguous()


def timed(model, x, mode: str):
    """One forward pass in ``mode``: (output, wall seconds, CPU seconds, peak RSS growth in bytes).

    CPU seconds (all threads of this process) are reported too because they vary less than wall
    time when other processes share the machine.
    """
    import torch

    model.set_attention(mode)
    reset_peak()
    before = rss_bytes()
    with torch.inference_mode():
        start, cpu_start = time.perf_counter(), time.process_time()
        out = model(x)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return out, seconds, cpu, peak_rss_bytes() - before


def profile(model, x, mode: str, console: Console) -> None:
    """Where the time goes in one forward pass (top operators by CPU time)."""
    import torch
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    model.set_attention(mode)
    with torch.inference_mode(), torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        model(x)
    console.print(f"[bold]{mode}[/] top operators:")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15), flush=True)


def main() -> None:
    from tools.swinir.runtime import configure_process, use_heap_allocator

    configure_process()  # before torch starts, as the CLI does
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="m")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 500])
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per mode and size (best is kept)")
    parser.add_argument("--profile", action="store_true", help="also profile both modes at the first size")
    args = parser.parse_args()

    threads = torch.get_num_threads()
    console = Console(width=140)
    model = make_model(args.config)
    runs = {"plain": ("reference", False), "reference": ("reference", True), "fast": ("fast", True)}
    for mode in ("reference", "fast"):  # warm-up: first-call allocations and kernel selection
        timed(model, make_input(32), mode)
    rows = []
    for size in args.sizes:
        x = make_input(size)
        best = {}
        for _ in range(args.repeats):
            for name, (mode, heap) in runs.items():
                use_heap_allocator(heap)
                run = timed(model, x, mode)
                if name not in best or run[1] < best[name][1]:
                    best[name] = run
        mp = size * size / 1e6
        plain, ref, fast = best["plain"], best["reference"], best["fast"]
        rows.append(dict(size=size, megapixels=mp, plain_reference_s_per_mp=plain[1] / mp,
                         ratio_vs_plain=plain[1] / fast[1],
                         reference_s_per_mp=ref[1] / mp, fast_s_per_mp=fast[1] / mp, ratio=ref[1] / fast[1],
                         reference_cpu_s_per_mp=ref[2] / mp, fast_cpu_s_per_mp=fast[2] / mp, cpu_ratio=ref[2] / fast[2],
                         reference_peak_mb=ref[3] / 2**20, fast_peak_mb=fast[3] / 2**20,
                         max_abs_diff=float((ref[0] - fast[0]).abs().max())))
        console.print(f"{size}x{size} done: {rows[-1]['ratio_vs_plain']:.2f}x vs plain reference, "
                      f"{rows[-1]['ratio']:.2f}x vs reference with the same allocator")
    if args.profile:
        x = make_input(args.sizes[0])
        for mode in ("fast", "reference"):
            profile(model, x, mode, console)

    table = Table(title=f"SwinIR {args.config.upper()}: fast path vs per-window reference "
                        f"({threads} threads, {model.num_params / 1e6:.1f} M params)")
    for column in ("input", "plain ref s/MP", "ref s/MP", "fast s/MP", "ratio vs plain", "ratio vs ref",
                   "ref CPU s/MP", "fast CPU s/MP", "CPU ratio", "ref peak MB", "fast peak MB", "max |diff|"):
        table.add_column(column, justify="right")
    for r in rows:
        ok = r["ratio_vs_plain"] >= TARGET_RATIO and r["max_abs_diff"] <= TARGET_DIFF
        table.add_row(f"{r['size']}x{r['size']}", f"{r['plain_reference_s_per_mp']:.0f}",
                      f"{r['reference_s_per_mp']:.0f}", f"{r['fast_s_per_mp']:.0f}",
                      f"[{'green' if ok else 'red'}]{r['ratio_vs_plain']:.2f}x[/]", f"{r['ratio']:.2f}x",
                      f"{r['reference_cpu_s_per_mp']:.0f}",
                      f"{r['fast_cpu_s_per_mp']:.0f}", f"{r['cpu_ratio']:.2f}x", f"{r['reference_peak_mb']:.0f}",
                      f"{r['fast_peak_mb']:.0f}", f"{r['max_abs_diff']:.2e}")
    console.print(table)
    console.print(f"plain ref = per-window reference with glibc's default allocator; ref = the same with the heap "
                  f"allocator of our inference path.\n"
                  f"target: ratio vs plain >= {TARGET_RATIO}x at max |diff| <= {TARGET_DIFF:g}; best of {args.repeats} "
                  f"run(s), interleaved; peak = RSS growth during the pass; load average {os.getloadavg()[0]:.1f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(dict(
        config=args.config, model=CONFIGS[args.config], threads=threads, cpus=os.cpu_count(),
        load_average=os.getloadavg(), torch=torch.__version__, machine=platform.machine(),
        target_ratio=TARGET_RATIO, target_max_abs_diff=TARGET_DIFF, rows=rows), indent=2) + "\n")
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
