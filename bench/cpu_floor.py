"""The fastest the SwinIR networks could run on this CPU: its best matrix-multiply rates and the peak its flags allow.

Measures the best float32 and bfloat16 matrix multiply (torch, square products of 256 to 4096 a side, several
runs each, the best kept) with all threads and with one, beside the theoretical peak for the instruction-set
flags found: FLOP per cycle per core x clock x cores. Counts each network's floating-point operations per pixel
(torch's FlopCounterMode: every convolution, linear layer and attention product, multiply and add counted
apart) for the embedded model and SwinIR-M, and gives the floor s/MP = FLOP per pixel x 1e6 / best rate
(the faster of all threads and one), in float32 and bfloat16: a lower bound, as if every operation ran as
fast as the best matrix multiply. A speed is "below the floor" only against a floor measured with ``idle: true``.

A floor measured beside other work is no floor: the load average is recorded before and after
(``bench/machine.py``); when the 1-minute load is above 0.5 before the run, the result says ``idle: false``
and a warning is printed. ``--wait-idle SECONDS`` first waits up to that long for the load to fall. A full
run (the default sizes) writes ``bench/results/cpu_floor.json`` whole; other sizes write only with ``--out``.

    python bench/cpu_floor.py --wait-idle 900
    python bench/cpu_floor.py --sizes 256 512 --repeats 2 --out /tmp/floor.json   # a quick check
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from machine import cpu_flags, cpuinfo, load, recorded, summary
from rich.console import Console
from rich.table import Table
from swinir_speed import SWINIR_M, TARGET_CLI_S_PER_MP, TARGET_S_PER_MP

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "cpu_floor.json"
EMBEDDED = ROOT / "tools" / "swinir" / "weights" / "swinir-s-noise15.pth"  # "embedded" in the results: swinir-s
SIZES = [256, 512, 1024, 2048, 4096]
IDLE_LOAD = 0.5  # 1-minute load average above which the machine is not called idle
SIZE_BUDGET_S = 10.0  # a size stops after two runs once its runs have taken this long
MAX_FREQ = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
PRECISIONS = ("fp32", "bf16")
console = Console(width=150)


def flop_per_cycle(flags: dict[str, bool]) -> dict:
    """FLOP per cycle per core that the flags allow in float32 and bfloat16, with the reasoning of each."""
    if flags["fma"] and flags["avx512f"]:
        fp32, basis = 64, "AVX-512F with FMA: 2 FMA units x 16 lanes x 2 (some parts have one 512-bit unit: 32)"
    elif flags["fma"] and flags["avx2"]:
        fp32, basis = 32, "AVX2 with FMA: 2 FMA units x 8 lanes x 2"
    else:
        fp32, basis = None, "no AVX2 with FMA: no peak stated"
    if flags["amx_bf16"]:
        bf16, bf16_basis = 1024, "AMX-BF16: about 1024 bfloat16 FLOP per cycle per core"
    elif flags["avx512_bf16"] and fp32:
        bf16, bf16_basis = 2 * fp32, "AVX-512 BF16: twice the float32 rate (pairs of bfloat16 products per lane)"
    else:
        bf16, bf16_basis = fp32, "no native bfloat16: it computes in float32, so no hardware peak above float32"
    return dict(fp32=fp32, bf16=bf16, fp32_basis=basis, bf16_basis=bf16_basis)


def clock_ghz() -> tuple[float | None, str]:
    """The clock the peak assumes, and where it was read."""
    try:
        return int(MAX_FREQ.read_text(encoding="utf-8")) / 1e6, "cpuinfo_max_freq (sysfs: the maximum clock)"
    except (OSError, ValueError):
        mhz = cpuinfo().get("cpu MHz")
        if mhz:
            return float(mhz) / 1e3, "cpu MHz (/proc/cpuinfo: the clock when read; boost may run higher)"
        return None, "no clock found"


def peak() -> dict:
    """Theoretical peak GFLOP/s per core and for all cores, float32 and bfloat16."""
    per_cycle, (ghz, source), info = flop_per_cycle(cpu_flags()), clock_ghz(), cpuinfo()
    per_core = {p: round(per_cycle[p] * ghz, 1) if per_cycle[p] and ghz else None for p in PRECISIONS}
    cores = os.cpu_count() or 1
    note = (f"os.cpu_count() vCPUs; they may be hyperthreads of fewer physical cores sharing FMA units "
            f"(/proc/cpuinfo: cpu cores {info.get('cpu cores', '?')}, siblings {info.get('siblings', '?')})")
    return dict(flop_per_cycle_per_core=per_cycle, clock_ghz=ghz, clock_source=source, cores=cores, cores_note=note,
                gflops_per_core=per_core, gflops={p: v and round(v * cores, 1) for p, v in per_core.items()})


def matmul_gflops(n: int, precision: str, repeats: int) -> float:
    """The best GFLOP/s of an n x n product over up to ``repeats`` runs after a warm-up."""
    import torch

    dtype = torch.float32 if precision == "fp32" else torch.bfloat16
    a, b = torch.rand(n, n, dtype=dtype), torch.rand(n, n, dtype=dtype)
    torch.mm(a, b)
    times: list[float] = []
    while len(times) < repeats and (len(times) < 2 or sum(times) < SIZE_BUDGET_S):
        start = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - start)
    return 2 * n**3 / min(times) / 1e9


def matmul_rows(sizes: list[int], repeats: int, threads: int, peaks: dict) -> list[dict]:
    """One row per precision: the best rate over the sizes with ``threads`` threads, against the peak."""
    import torch

    torch.set_num_threads(threads)
    rows = []
    for precision in PRECISIONS:
        by_size = {str(n): round(matmul_gflops(n, precision, repeats), 1) for n in sizes}
        best = max(by_size, key=by_size.__getitem__)
        top = peaks["gflops_per_core"][precision]
        top = top and top * min(threads, peaks["cores"])
        rows.append(dict(threads=threads, precision=precision, best_gflops=by_size[best], best_size=int(best),
                         gflops_by_size=by_size, peak_gflops=top and round(top, 1),
                         of_peak=top and round(by_size[best] / top, 3)))
        console.print(f"{threads} thread(s) {precision}: best {by_size[best]:.1f} GFLOP/s at {best}", style="dim")
    return rows


def flops_per_pixel(config: dict, side: int = 128) -> float:
    """Floating-point operations of one forward pass per input pixel (multiply and add counted apart)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from tools.swinir.model import SwinIR

    model = SwinIR(**{**config, "img_size": side}).eval()
    with FlopCounterMode(display=False) as counter:  # gradients on: the plain operations, which it counts
        model(torch.rand(1, config["in_chans"], side, side))
    return counter.get_total_flops() / side**2


def floor_rows(best: dict[str, float]) -> list[dict]:
    """Each network's FLOP per pixel and its floor s/MP at the best rate of each precision."""
    from tools.swinir.loading import infer_config, read_state_dict

    rows = []
    for name, config, target in (("embedded", infer_config(read_state_dict(EMBEDDED)), TARGET_S_PER_MP),
                                 ("SwinIR-M", SWINIR_M, TARGET_CLI_S_PER_MP)):
        per_pixel = flops_per_pixel(config)
        rows.append(dict(model=name, mflop_per_pixel=round(per_pixel / 1e6, 3), target_s_per_mp=target,
                         rate_gflops=best, floor_s_per_mp={p: round(per_pixel * 1e6 / (best[p] * 1e9), 2) for p in PRECISIONS}))
    return rows


def wait_for_idle(seconds: float) -> None:
    """Wait up to ``seconds`` for the 1-minute load average to fall to the idle threshold."""
    deadline = time.monotonic() + seconds
    while load()[0] > IDLE_LOAD and time.monotonic() < deadline:
        console.print(f"waiting for idle: load {load()[0]:.2f} > {IDLE_LOAD}", style="dim")
        time.sleep(min(15.0, max(0.0, deadline - time.monotonic())))


def print_tables(data: dict) -> None:
    """The rates against the peak, the floors, how the peak was reckoned, and a warning where not idle."""
    rates = Table(title=f"Best matrix multiply, {summary(data['machine'])}")
    for col in ("threads", "precision", "best GFLOP/s", "at n", "peak GFLOP/s", "of peak"):
        rates.add_column(col, justify="right")
    for r in data["matmul"]:
        rates.add_row(str(r["threads"]), r["precision"], f"{r['best_gflops']:.1f}", str(r["best_size"]),
                      "" if r["peak_gflops"] is None else f"{r['peak_gflops']:.1f}",
                      "" if r["of_peak"] is None else f"{r['of_peak']:.0%}")
    floors = Table(title="Floor: each network's FLOP per pixel at the best rate above (a lower bound on s/MP)")
    for col in ("model", "MFLOP / pixel", "floor s/MP fp32", "floor s/MP bf16", "target s/MP"):
        floors.add_column(col, justify="right")
    for r in data["floors"]:
        floors.add_row(r["model"], f"{r['mflop_per_pixel']:.2f}", f"{r['floor_s_per_mp']['fp32']:.2f}",
                       f"{r['floor_s_per_mp']['bf16']:.2f}", f"{r['target_s_per_mp']:g}")
    console.print(rates, floors)
    p = data["peak"]
    console.print(f"peak: {p['flop_per_cycle_per_core']['fp32_basis']}; {p['flop_per_cycle_per_core']['bf16_basis']}; "
                  f"clock {p['clock_ghz']} GHz from {p['clock_source']}; {p['cores_note']}")
    if not data["idle"]:
        console.print(f"[red]warning: not idle (1-minute load {data['machine']['load_average_before'][0]:.2f} > "
                      f"{IDLE_LOAD}): these rates are below what this CPU does, so the floors are too high[/]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES, help="sides of the square products")
    parser.add_argument("--repeats", type=int, default=5, help="runs per size, the best kept (a size stops after two once they took 10 s)")
    parser.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                        help=f"first wait up to this long for the 1-minute load to fall to {IDLE_LOAD}")
    parser.add_argument("--out", type=Path, help="write here (default: the results file, default sizes only)")
    args = parser.parse_args()
    from tools.swinir.runtime import configure_process, usable_cpus

    configure_process()  # threads as the CLI sets them
    import torch

    wait_for_idle(args.wait_idle)
    threads, peaks = usable_cpus(), peak()
    with recorded(threads) as block:
        rows = [row for n in dict.fromkeys([threads, 1]) for row in matmul_rows(args.sizes, args.repeats, n, peaks)]
        torch.set_num_threads(threads)
        best = {p: max(r["best_gflops"] for r in rows if r["precision"] == p) for p in PRECISIONS}
        floors = floor_rows(best)
    data = dict(protocol=__doc__.split("\n\n")[1], machine=block, idle=block["load_average_before"][0] <= IDLE_LOAD,
                idle_threshold=IDLE_LOAD, torch_cpu_capability=torch.backends.cpu.get_cpu_capability(), peak=peaks,
                matmul=rows, floors=floors)
    print_tables(data)
    target = args.out or (RESULTS if args.sizes == SIZES else None)
    if target is None:
        console.print("not written: other sizes than the default; --out PATH writes them")
        return
    from tools.fileio import write_text_atomic

    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target, json.dumps(data, indent=2) + "\n")
    console.print(f"wrote {target}")


if __name__ == "__main__":
    main()
