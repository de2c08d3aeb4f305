"""Peak memory of `restore-agent denoise` on a 4000 x 3000 color photo with the default tiles (sized by memory).

Target: peak RSS under 3 GB with SwinIR-M (embed 180, 6 x 6 layers, 6 heads, window 8, MLP
ratio 2; random weights). Two runs, each in its own child process:

1. the whole 4000 x 3000 photo through the CLI with a tiny random SwinIR: every stage of the
   command, including the image-sized buffers after the tiles (blend, uint8 conversion, PNG);
2. SwinIR-M on the same photo through ``tools.swinir.service.denoise_file`` (what the CLI calls),
   stopped after the first N batches of tiles (``--batches``, default 3).

Why stopping early measures the full-photo peak: the tiled inference allocates the image-sized
buffers (padded input, blend accumulators) before the first batch, and every batch then runs
the same number of equal-size tiles (as large as the default 2 GB budget allows), so the working
set is the same for every batch and the peak is reached within the first batches. The
child stops through the ``progress`` callback ``denoise_file`` already takes: after N batches it
raises a private exception, catches it, and prints its own peak RSS (``VmHWM``, bench/peak_rss.py)
and the time of each batch, from which the full-photo time is extrapolated. What the early stop
skips is the work after the last batch (blend division, uint8 conversion, PNG encoding): a few
image-sized arrays without the network's working set, which run 1 measures on the whole photo.
Running SwinIR-M over all 12 MP takes hours on a 2-core CPU; ``--full-m`` does it anyway
through the CLI.

``--calibrate`` recomputes what the tile sizes rest on: the peak working set of one forward pass per
pixel for several configurations (each in a fresh process, on a 320 x 320 input, constant costs
included), against ``tools.swinir.tiling.working_bytes_per_pixel``; the estimate must not be below
the measurement.

    python bench/swinir_memory.py [--batches 3] [--full-m]
    python bench/swinir_memory.py --calibrate

Writes bench/results/swinir_memory.json.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "swinir_memory.json"
TARGET_GB = 3.0
CONFIGS = {
    "tiny": dict(in_chans=3, embed_dim=12, depths=(2,), num_heads=(2,), window_size=8, mlp_ratio=2.0),
    "m": dict(in_chans=3, embed_dim=180, depths=(6,) * 6, num_heads=(6,) * 6, window_size=8, mlp_ratio=2.0),
}


def write_photo(path: Path, width: int, height: int) -> Path:
    """A real photo resized to width x height with Gaussian noise (sigma 15), as PNG."""
    from PIL import Image
    from skimage import data

    photo = Image.fromarray(data.astronaut()).resize((width, height), Image.BICUBIC)
    pixels = np.asarray(photo, dtype=np.int16)
    noise = np.random.default_rng(0).normal(0, 15, pixels.shape).astype(np.int16)
    Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8)).save(path)
    return path


def write_checkpoint(path: Path, config: str) -> Path:
    import torch

    from tools.swinir.model import SwinIR

    torch.manual_seed(0)
    torch.save({"params": SwinIR(**CONFIGS[config]).state_dict()}, path)
    return path


def cli() -> list[str]:
    script = Path(sys.executable).with_name("restore-agent")
    return [str(script)] if script.exists() else [sys.executable, "-m", "agent"]


def run_child(command: list[str], accept: tuple[int, ...] = (0,)) -> tuple[dict, float, float]:
    """Run ``command``; its JSON stdout, its peak RSS in GB (from wait4) and its wall seconds.

    An exit status outside ``accept`` stops the bench with the child's error."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        stdout.seek(0), stderr.seek(0)
        if os.waitstatus_to_exitcode(status) not in accept:
            raise SystemExit(f"{command[-1]} failed: {stderr.read().decode().strip()[-800:]}")
        return json.loads(stdout.read()), usage.ru_maxrss * 1024 / 1e9, wall


def measure_cli(photo: Path, checkpoint: Path, out: Path) -> dict:
    """One whole `restore-agent denoise` run in a child process."""
    result, peak, wall = run_child([*cli(), "denoise", str(photo), "-o", str(out), "--weights", str(checkpoint),
                                    "--json"])
    return dict(peak_gb=peak, wall_s=wall, tiles=result["tiles"], seconds=result["seconds"],
                megapixels=result["megapixels"], measured_over="whole photo")


class _StopAfterBatches(Exception):
    """Raised from the progress callback to end a benchmark run after the wanted batches."""


def first_batches(photo: Path, checkpoint: Path, out: Path, batches: int) -> dict:
    """In this process: ``denoise_file`` on ``photo``, stopped after ``batches`` batches of tiles.

    Returns this process's peak RSS (``VmHWM``) after each batch (the last is the peak at the
    stop), its RSS just before the first batch, the seconds of each batch, and the tile and batch
    counts of the whole photo.
    """
    from peak_rss import peak_rss_bytes, rss_bytes

    from tools.swinir.service import denoise_file

    marks: list[tuple[float, int]] = []  # (time, tiles done) at the start and after each batch
    state: dict = {}
    peaks: list[int] = []  # peak RSS so far, after each batch: flat once the working set is reached

    def progress(done: int, total: int) -> None:
        if marks and done == marks[-1][1]:
            return  # a call between the network's layers, not after a batch
        marks.append((time.perf_counter(), done))
        if len(marks) == 1:
            state.update(total=total, rss_before=rss_bytes())
            return
        peaks.append(peak_rss_bytes())
        if len(marks) > batches:
            raise _StopAfterBatches

    existed = out.exists()
    try:
        denoise_file(photo, out, weights=str(checkpoint), progress=progress)
    except _StopAfterBatches:
        pass
    else:
        raise RuntimeError(f"the photo has {len(marks) - 1} batches, not more than {batches}: nothing was cut short")
    if out.exists() and not existed:
        raise RuntimeError("the stopped run wrote an output file")
    sizes = [b - a for (_, a), (_, b) in zip(marks, marks[1:])]
    return dict(peak_bytes=peaks[-1], peak_after_batch_bytes=peaks, rss_before_batches_bytes=state["rss_before"],
                total_tiles=state["total"], tiles_per_batch=sizes[0],
                batch_seconds=[b - a for (a, _), (b, _) in zip(marks, marks[1:])],
                megapixels=round(float(np.prod(_image_size(photo))) / 1e6, 4))


def _image_size(photo: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(photo) as image:
        return image.size


def measure_first_batches(photo: Path, checkpoint: Path, out: Path, batches: int) -> dict:
    """:func:`first_batches` in a child process (this script with ``--child``)."""
    result, wait4_peak, wall = run_child([sys.executable, str(Path(__file__).resolve()), "--batches", str(batches),
                                          "--child", str(photo), str(checkpoint), str(out)])
    times = result["batch_seconds"]
    steady = times[1:] or times  # the first batch includes one-off warm-up
    batches_total = -(-result["total_tiles"] // result["tiles_per_batch"])
    per_batch = sum(steady) / len(steady)
    return dict(peak_gb=result["peak_bytes"] / 1e9, wall_s=wall, tiles=result["total_tiles"],
                seconds=sum(times), megapixels=result["megapixels"],
                measured_over=f"first {batches} of {batches_total} batches",
                batches_run=batches, batches_total=batches_total, tiles_per_batch=result["tiles_per_batch"],
                batch_seconds=[round(t, 2) for t in times], seconds_per_batch=per_batch,
                extrapolated_full_seconds=per_batch * batches_total,
                peak_after_batch_gb=[round(b / 1e9, 4) for b in result["peak_after_batch_bytes"]],
                rss_before_batches_gb=result["rss_before_batches_bytes"] / 1e9, wait4_peak_gb=wait4_peak)


CALIBRATION = {"embed 24": dict(in_chans=3, embed_dim=24, depths=(2, 2), num_heads=(3, 3)),
               "embedded (48)": dict(in_chans=3, embed_dim=48, depths=(2,) * 4, num_heads=(6,) * 4),
               "embed 96": dict(in_chans=3, embed_dim=96, depths=(2,) * 4, num_heads=(6,) * 4),
               "SwinIR-M (180)": CONFIGS["m"]}


CALIBRATION_SIDE = 320


def working_set(config: dict, size: int) -> dict:
    """In a fresh process: peak RSS growth of one whole-image forward pass on a size x size input."""
    import torch
    from peak_rss import peak_rss_bytes, reset_peak, rss_bytes

    from tools.swinir.model import SwinIR

    torch.manual_seed(0)
    model = SwinIR(**config).eval()
    x = torch.rand(1, config["in_chans"], size, size)
    with torch.inference_mode():
        model(torch.rand(1, config["in_chans"], 16, 16))  # first-call allocations
        reset_peak()
        before = rss_bytes()
        model(x)
        return dict(size=size, growth_bytes=peak_rss_bytes() - before)


def calibrate(console: Console) -> None:
    """Bytes per pixel of each configuration's forward pass, measured against the tiling's estimate."""
    from tools.swinir.tiling import working_bytes_per_pixel

    table = Table(title="SwinIR working set per pixel (one forward pass, process settings as the CLI's)")
    for column in ("configuration", "measured B/px", "estimate B/px", "estimate / measured", "floats per channel"):
        table.add_column(column, justify="right")
    rows = []
    for name, config in CALIBRATION.items():
        run = run_child([sys.executable, str(Path(__file__).resolve()), "--working-set", json.dumps(config),
                         str(CALIBRATION_SIDE)])[0]
        measured = run["growth_bytes"] / CALIBRATION_SIDE**2
        estimate = working_bytes_per_pixel(config)
        rows.append(dict(configuration=name, config=config, measured_bytes_per_pixel=measured,
                         estimate_bytes_per_pixel=estimate))
        table.add_row(name, f"{measured:.0f}", f"{estimate:.0f}", f"{estimate / measured:.2f}",
                      f"{measured / 4 / config['embed_dim']:.1f}")
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps({**old, "calibration": rows}, indent=2) + "\n")
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")


def main() -> None:
    from tools.swinir.runtime import configure_process

    configure_process()  # as the CLI does; the --child run times SwinIR in this process
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=3, help="SwinIR-M: stop after this many tile batches")
    parser.add_argument("--full-m", action="store_true", help="run SwinIR-M on the whole photo (hours on 2 cores)")
    parser.add_argument("--calibrate", action="store_true", help="measure the working set per pixel by configuration")
    parser.add_argument("--child", nargs=3, metavar=("PHOTO", "CHECKPOINT", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--working-set", nargs=2, metavar=("CONFIG", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.working_set:
        print(json.dumps(working_set(json.loads(args.working_set[0]), int(args.working_set[1]))))
        return
    if args.calibrate:
        calibrate(Console(width=120))
        return
    if args.batches < 1:
        parser.error("--batches must be at least 1")
    if args.child:
        photo, checkpoint, out = map(Path, args.child)
        print(json.dumps(first_batches(photo, checkpoint, out, args.batches)))
        return

    console = Console(width=max(120, Console().width))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big = write_photo(folder / "big.png", 4000, 3000)
        tiny = write_checkpoint(folder / "tiny_noise15.pth", "tiny")
        m = write_checkpoint(folder / "m_noise15.pth", "m")
        runs = [("tiny SwinIR", lambda: measure_cli(big, tiny, folder / "out.png"))]
        if args.full_m:
            runs.append(("SwinIR-M", lambda: measure_cli(big, m, folder / "out.png")))
        else:
            runs.append(("SwinIR-M", lambda: measure_first_batches(big, m, folder / "out_m.png", args.batches)))
        for name, run in runs:
            row = dict(model=name, photo=big.stem, **run())
            rows.append(row)
            console.print(f"{name} on {row['megapixels']} MP, {row['measured_over']}: peak {row['peak_gb']:.2f} GB "
                          f"in {row['wall_s']:.0f} s")
    m_row = rows[-1]

    table = Table(title="restore-agent denoise, 4000 x 3000 color photo: peak RSS with the default tiles "
                        "(sized by the 2 GB budget, overlap 32)")
    for column in ("model", "measured over", "tiles", "peak RSS GB", "denoise s", "s / batch", "whole photo s"):
        table.add_column(column, justify="right")
    for r in rows:
        partial = "batches_total" in r
        ok = r["peak_gb"] < TARGET_GB
        table.add_row(r["model"], r["measured_over"], str(r["tiles"]),
                      f"[{'green' if ok else 'red'}]{r['peak_gb']:.2f}[/]",
                      f"{r['seconds']:.0f}", f"{r['seconds_per_batch']:.0f}" if partial else "",
                      f"{r['extrapolated_full_seconds']:.0f} (extrapolated)" if partial else f"{r['seconds']:.0f}")
    console.print(table)
    label = f"measured over the {m_row['measured_over']}"
    console.print(f"SwinIR-M on 4000 x 3000, {label}: peak RSS {m_row['peak_gb']:.2f} GB (target < {TARGET_GB} GB)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps(dict(calibration=old.get("calibration"), rows=rows, swinir_m_full_photo_peak_gb=m_row["peak_gb"], method=label,
                                       target_gb=TARGET_GB, cpus=os.cpu_count(), load_average=os.getloadavg()),
                                  indent=2) + "\n")
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
