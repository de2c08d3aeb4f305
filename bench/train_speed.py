"""Training throughput of ``python -m tools.swinir.train`` and the validation curve in bfloat16 against float32.

Throughput: steps and pixels per second of ``Trainer.train_step`` on the shipped model's configuration
(embedding 48, 4 x 2 layers, 6 heads; patches 64, batch 8 unless changed), for each variant asked for
(fp32, bf16 autocast, torch.compile, frozen position bias), timed in interleaved blocks after warm-up
steps; the median block counts.

Curve (``--curve N``): two runs of a tiny configuration from the same seed, one in float32 and one in
bfloat16 autocast, validated every ``--val-every`` steps on the same held-out crops (validation in
float32, so the curves compare the weights each run reached). Issue 19 asks for the first 1,000 steps
within 0.1 dB; on a CPU without native bfloat16 each bf16 step is several times slower, so run fewer.

    python bench/train_speed.py [--variants fp32 bf16 compile frozen] [--steps 30] [--blocks 3]
    python bench/train_speed.py --curve 300 --val-every 50

Writes bench/results/train_speed.json (the part measured).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "train_speed.json"
DATA = ROOT.parent / "shared" / "data" / "train" / "CBSD432"
VARIANTS = {"fp32": {}, "bf16": dict(precision="bf16"), "compile": dict(compile=True),
            "frozen": dict(freeze_position_bias=True)}
TINY = dict(in_chans=3, embed_dim=24, depths=(2, 2), num_heads=(6, 6), window_size=8, mlp_ratio=2.0, img_size=48,
            resi_connection="1conv")
console = Console(width=130)


def trainer(folder: Path, patch: int, batch: int, model: dict | None = None, **settings):
    from tools.swinir.train import TrainConfig, Trainer

    cfg = TrainConfig(data=str(DATA), patch=patch, batch=batch, steps=10**6, val_images=4, val_crop=96)
    for name, value in settings.items():
        setattr(cfg, name, value)
    if model:
        cfg.model = dict(model)
    return Trainer(folder, cfg)


def throughput(variants: list[str], steps: int, blocks: int, patch: int, batch: int, folder: Path) -> list[dict]:
    runs = {name: trainer(folder / name, patch, batch, **VARIANTS[name]) for name in variants}
    for run in runs.values():  # warm-up: first-call allocations, kernel selection, compiling
        for _ in range(3):
            run.train_step()
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(blocks):
        for name, run in runs.items():
            start = time.perf_counter()
            for _ in range(steps):
                run.train_step()
            seconds[name].append((time.perf_counter() - start) / steps)
            console.print(f"{name}: {seconds[name][-1]:.2f} s/step")
    rows = []
    for name, times in seconds.items():
        per_step = statistics.median(times)
        rows.append(dict(variant=name, patch=patch, batch=batch, steps_per_s=1 / per_step,
                         pixels_per_s=batch * patch**2 / per_step, seconds_per_step=times, steps_per_block=steps))
    return rows


def curve(steps: int, every: int, folder: Path) -> list[dict]:
    runs = {p: trainer(folder / p, 48, 4, TINY, precision=p, val_every=every, warmup=50, steps=steps)
            for p in ("fp32", "bf16")}
    rows = []
    for name, run in runs.items():
        run.fit(max_steps=steps)
        log = [json.loads(line) for line in (folder / name / "log.jsonl").read_text().splitlines()]
        rows += [dict(precision=name, step=r["step"], val_psnr=r["val_psnr"]) for r in log if "val_psnr" in r]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=["fp32"], choices=list(VARIANTS))
    parser.add_argument("--steps", type=int, default=10, help="steps per timed block")
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--patch", type=int, default=64)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--curve", type=int, default=0, help="steps of the fp32 / bf16 validation-curve runs")
    parser.add_argument("--val-every", type=int, default=50)
    args = parser.parse_args()
    from tools.swinir.runtime import configure_process

    configure_process()
    import torch

    if not DATA.is_dir():
        raise SystemExit(f"no training data at {DATA}")
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data.update(threads=torch.get_num_threads(), torch=torch.__version__, load_average=os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        if args.curve:
            data["curve"] = rows = curve(args.curve, args.val_every, Path(tmp))
            table = Table(title=f"validation PSNR, tiny SwinIR ({TINY['embed_dim']} channels), fp32 vs bf16 autocast")
            for column in ("step", "fp32 dB", "bf16 dB", "bf16 - fp32"):
                table.add_column(column, justify="right")
            by_step = {}
            for r in rows:
                by_step.setdefault(r["step"], {})[r["precision"]] = r["val_psnr"]
            for step, v in sorted(by_step.items()):
                table.add_row(str(step), f"{v['fp32']:.3f}", f"{v['bf16']:.3f}", f"{v['bf16'] - v['fp32']:+.3f}")
        else:
            data["throughput"] = rows = throughput(args.variants, args.steps, args.blocks, args.patch, args.batch,
                                                   Path(tmp))
            table = Table(title=f"training throughput, shipped configuration ({torch.get_num_threads()} threads, "
                                f"load {os.getloadavg()[0]:.1f})")
            for column in ("variant", "patch x batch", "steps/s", "pixels/s"):
                table.add_column(column, justify="right")
            for r in rows:
                table.add_row(r["variant"], f"{r['patch']} x {r['batch']}", f"{r['steps_per_s']:.3f}",
                              f"{r['pixels_per_s']:.0f}")
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=2) + "\n")
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
