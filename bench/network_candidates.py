"""Candidate embedded networks: FLOPs per pixel, parameters and forward speed, beside their training curves.

Each candidate is a ``tools.swinir.model.SwinIR`` configuration: today's ``swinir-s`` (embedding 48, 4 x 2 layers,
6 heads, full resolution) and bodies at half (``unshuffle`` 2) or quarter (4) resolution with other widths,
depths and heads. For each: parameters, FLOPs per pixel (``torch.utils.flop_counter``), and the best of
``--repeats`` forward passes of random weights on a 512 x 512 photo in this process (s/MP; the weights' values do
not change the time). Where a training run of the candidate exists (``training/runs/*`` or
``tools/swinir/runs/*``), its validation PSNR at the steps asked for (``--steps``) is listed beside it: the
held-out CBSD432 crops at sigma 15 every run validates on. Writes ``bench/results/network_candidates.json``
with the machine block.

    python bench/network_candidates.py [--repeats 2] [--steps 1000 2000 4000]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cpu_floor import flops_per_pixel
from inference_paths import best_of
from machine import recorded
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "network_candidates.json"
BASE = dict(in_chans=3, window_size=8, mlp_ratio=2.0, resi_connection="1conv", img_size=64)
CANDIDATES = {
    "swinir-s": dict(embed_dim=48, depths=(2,) * 4, num_heads=(6,) * 4),
    "half-64x8": dict(embed_dim=64, depths=(2,) * 4, num_heads=(4,) * 4, unshuffle=2),
    "half-64x12": dict(embed_dim=64, depths=(2,) * 6, num_heads=(4,) * 6, unshuffle=2),
    "half-96x8": dict(embed_dim=96, depths=(2,) * 4, num_heads=(6,) * 4, unshuffle=2),
    "quarter-96x8": dict(embed_dim=96, depths=(2,) * 4, num_heads=(6,) * 4, unshuffle=4),
}
RUNS = {"swinir-s": [ROOT / "tools" / "swinir" / "runs" / "s15"],
        "half-64x8": [ROOT / "training" / "runs" / "half_s15", ROOT / "training" / "runs" / "half_s15_l2"]}
SIDE = 512
console = Console(width=150)


def seconds_per_mp(config: dict, repeats: int) -> float:
    """Best forward time of random weights on a SIDE x SIDE photo, per megapixel."""
    import torch

    from tools.swinir.model import SwinIR

    model = SwinIR(**config).eval()
    x = torch.rand(1, 3, SIDE, SIDE)
    with torch.inference_mode():
        return best_of(lambda: model(x), repeats) / (SIDE * SIDE / 1e6)


def curve(run: Path, steps: list[int]) -> dict:
    """A run's validation PSNR at each of ``steps`` (missing where it has not got there)."""
    log = run / "log.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()] if log.is_file() else []
    found = {r["step"]: r["val_psnr"] for r in records if "val_psnr" in r}
    return {"run": str(run.relative_to(ROOT)), "val_psnr": {str(s): found.get(s) for s in steps},
            "last_step": max(found, default=None)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--steps", type=int, nargs="+", default=[1000, 2000, 4000])
    args = parser.parse_args()
    from tools.swinir.model import SwinIR
    from tools.swinir.runtime import configure_process

    configure_process()
    rows = []
    with recorded() as machine:
        for name, shape in CANDIDATES.items():
            config = {**BASE, **shape}
            rows.append(dict(candidate=name, config=config, parameters=SwinIR(**config).num_params,
                             mflop_per_pixel=round(flops_per_pixel(config) / 1e6, 3),
                             s_per_mp=round(seconds_per_mp(config, args.repeats), 2),
                             runs=[curve(run, args.steps) for run in RUNS.get(name, [])]))
            console.print(f"{name}: {rows[-1]['mflop_per_pixel']:.3f} MFLOP/px, {rows[-1]['s_per_mp']:.2f} s/MP")
    base = rows[0]["s_per_mp"]
    table = Table(title=f"candidate networks ({SIDE} x {SIDE}, random weights)")
    for column in ("candidate", "params M", "MFLOP/px", "s/MP", "speed vs swinir-s", *(f"val @{s}" for s in args.steps)):
        table.add_column(column)
    for r in rows:
        r["speedup"] = round(base / r["s_per_mp"], 2)
        for run in r["runs"] or [{"val_psnr": {}}]:
            table.add_row(r["candidate"], f"{r['parameters'] / 1e6:.2f}", f"{r['mflop_per_pixel']:.3f}",
                          f"{r['s_per_mp']:.2f}", f"{r['speedup']:.2f}x",
                          *(f"{v:.2f}" if (v := run["val_psnr"].get(str(s))) else "" for s in args.steps))
    console.print(table)
    RESULTS.write_text(json.dumps({"protocol": __doc__.split("\n\n")[1], "machine": machine, "rows": rows},
                                  indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
