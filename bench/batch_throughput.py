"""Throughput of `restore-agent batch` on 24 photos of mixed sizes: --jobs 1, --jobs 2 and Ray with 2 actors.

The photos are crops of 24 photos from ../shared/data/test (McMaster, Set12, classic5, RealSRSet, taken in
turn; gray stays gray), cut to four sizes from 128 x 128 to 256 x 256 so a run fits in minutes with the
shipped default sigma-15 weights; the clean sets get Gaussian noise (sigma 15), RealSRSet's real degraded
photos are taken as they are. The runs use ``--noise 15 --force-run`` (``--noise auto`` lets each photo's
analysis decide), so every photo goes through the denoiser and the engines do the same work. They go jobs-1, then jobs-2, Ray,
Ray, jobs-2, so a load that drifts on a shared machine weighs on both engines alike; Ray starts once, timed
apart. Each run writes into its own output folder, and all must give byte-identical photos.

Reported: megapixels per second over each run (worker start included); the CPU seconds each run used in all
its processes (this one, the workers, Ray's own), a figure other work on a shared machine hardly moves where
wall-clock times swing with it; each worker's peak RSS; the manifest's cost per photo (appending one flushed
and synced line, and hashing the input to plan a resume) against the time of a photo; and the load average
before, after each run and at the end.

    python bench/batch_throughput.py [--weights ID_OR_PATH] [--noise auto|15|25|50]

Writes bench/results/batch_throughput.json.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data" / "test"
RESULTS = ROOT / "bench" / "results" / "batch_throughput.json"
SETS = ("McMaster", "Set12", "classic5", "RealSRSet")
CLEAN_SETS = ("McMaster", "Set12", "classic5")
SIZES = ((128, 128), (192, 160), (256, 192), (256, 256))  # width, height
PHOTOS = 24
SIGMA = 15


def test_photos() -> list[tuple[str, Path]]:
    """``PHOTOS`` photos, one of each set in turn: (set, file)."""
    files = {name: sorted(path for path in (SHARED / name).iterdir() if path.is_file()) for name in SETS}
    taken = [(name, files[name][row]) for row in range(max(map(len, files.values())))
             for name in SETS if row < len(files[name])]
    return taken[:PHOTOS]


def make_photos(folder: Path) -> list[Path]:
    """The test photos centre-cropped to the four sizes in turn, the clean ones with Gaussian noise, as PNG."""
    import numpy as np
    from PIL import Image

    made = []
    for number, (set_name, source) in enumerate(test_photos()):
        width, height = SIZES[number % len(SIZES)]
        with Image.open(source) as image:
            image = image.convert("L" if image.mode in ("L", "I;16") else "RGB")
            left, top = max(0, (image.width - width) // 2), max(0, (image.height - height) // 2)
            crop = np.asarray(image.crop((left, top, left + min(width, image.width),
                                          top + min(height, image.height))), dtype=np.float64)
        if set_name in CLEAN_SETS:
            crop = crop + np.random.default_rng(number).normal(0, SIGMA, crop.shape)
        target = folder / set_name / f"{number:02d}-{source.stem}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.clip(np.rint(crop), 0, 255).astype(np.uint8)).save(target)
        made.append(target)
    return made


TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds (user + system) of every live process below ``root`` (Ray's raylet, GCS, agents, workers)."""
    parents, cpu = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid], cpu[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK
    below = {pid for pid in parents if pid != root}
    inside = {root}
    while grown := {pid for pid in below - inside if parents[pid] in inside}:
        inside |= grown
    return {pid: cpu[pid] for pid in inside - {root}}


def cpu_seconds(summary, before: dict[int, float], after: dict[int, float], driver: float) -> float:
    """All the CPU a run used: this process's, each worker's (as it reported at its last photo), and what the
    other processes below this one (Ray's own) used meanwhile."""
    workers = {pid: seconds for pid, seconds in summary.worker_cpu.items() if pid != os.getpid()}
    others = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items() if pid not in workers)
    return driver + sum(workers.values()) + others


ORDER = ("jobs-1", "jobs-2", "ray-2-actors", "ray-2-actors", "jobs-2")  # A B B A: load drift cancels


def engine(name: str, settings):
    from tools.batch.local import run_local
    from tools.batch.ray_engine import run_ray

    if name == "ray-2-actors":
        return lambda tasks: run_ray(tasks, settings, actors=2, cpus_per_actor=1)
    return lambda tasks: run_local(tasks, settings, jobs=1 if name == "jobs-1" else 2)


def run_engine(name: str, source: Path, out: Path, settings) -> dict:
    """One batch of the photos into ``out`` on the named engine; exits on any failed photo."""
    from tools.batch.plan import plan_batch
    from tools.batch.run import run_batch

    before, driver = tree_cpu(os.getpid()), time.process_time()
    started = time.perf_counter()
    plan = plan_batch(source, out, settings, recursive=True)
    plan_seconds = time.perf_counter() - started
    summary = run_batch(plan, engine(name, settings))
    used = cpu_seconds(summary, before, tree_cpu(os.getpid()), time.process_time() - driver)
    if summary.failures:
        path, error = summary.failures[0]
        sys.exit(f"{name}: {summary.failed} photo(s) failed, the first {path}: {error}")
    return {"engine": name, "photos": sum(summary.counts.values()) - summary.counts["resumed"],
            "statuses": {status: count for status, count in summary.counts.items() if count},
            "megapixels": round(summary.megapixels, 4), "seconds": summary.seconds,
            "mp_per_s": round(summary.megapixels_per_second, 5), "plan_seconds": round(plan_seconds, 3),
            "worker_peak_rss_mb": sorted(summary.workers.values()), "cpu_seconds": round(used, 2),
            "cpu_seconds_per_mp": round(used / summary.megapixels, 1),
            "load_average_after": round(os.getloadavg()[0], 2)}


def run_all(source: Path, scratch: Path, settings) -> tuple[list[dict], dict[str, str], float]:
    """Every run of ``ORDER`` (Ray started once, before its first run, and timed apart); the runs, the digest
    of each run's photos, and Ray's start time."""
    import ray

    from tools.batch.ray_engine import LOCAL_RAY

    runs, digests, ray_init = [], {}, 0.0
    for number, name in enumerate(ORDER):
        if name.startswith("ray") and not ray.is_initialized():
            started = time.perf_counter()
            ray.init(num_cpus=2, **LOCAL_RAY)
            ray_init = time.perf_counter() - started
        out = scratch / f"{number}-{name}"
        runs.append(run_engine(name, source, out, settings))
        digests[f"{number}-{name}"] = outputs_digest(out)
    ray.shutdown()
    return runs, digests, ray_init


def manifest_cost(out: Path, photos: list[Path]) -> dict:
    """Milliseconds per photo to append a flushed, synced manifest line, and to hash an input for resume."""
    from tools.batch.manifest import ManifestWriter, read_entries
    from tools.fileio import sha256_file

    entries = read_entries(out / "manifest.jsonl")
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        with ManifestWriter(Path(scratch) / "manifest.jsonl") as writer:
            for entry in entries:
                writer.append(entry)
        append_ms = (time.perf_counter() - started) * 1000 / len(entries)
    started = time.perf_counter()
    for photo in photos:
        sha256_file(photo)
    hash_ms = (time.perf_counter() - started) * 1000 / len(photos)
    return {"append_ms_per_photo": round(append_ms, 3), "hash_ms_per_photo": round(hash_ms, 3),
            "line_bytes": round(sum(len(json.dumps(entry)) for entry in entries) / len(entries))}


def outputs_digest(out: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(out.rglob("*.png")):
        digest.update(path.relative_to(out).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="weights id or checkpoint (default: the pipeline's choice)")
    parser.add_argument("--noise", default=str(SIGMA), help="auto (each photo's analysis decides), or 15, 25 or 50 "
                        "(every photo denoised at that level, forced where its analysis would leave it alone)")
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"../shared/data/test is absent ({SHARED}): no photos to run")
    from tools.batch.settings import BatchSettings, parse_noise
    from tools.swinir.runtime import configure_process

    configure_process()
    level = parse_noise(args.noise)
    settings = BatchSettings(noise=level, weights=args.weights, force_run=level is not None)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as scratch:
        source = Path(scratch) / "in"
        photos = make_photos(source)
        runs, digests, ray_init = run_all(source, Path(scratch), settings)
        cost = manifest_cost(Path(scratch) / "0-jobs-1", photos)
    load_after = os.getloadavg()

    def seconds(name: str) -> float:
        return sum(run["seconds"] for run in runs if run["engine"] == name)

    def cpu(name: str) -> float:
        return sum(run["cpu_seconds"] for run in runs if run["engine"] == name)

    per_photo_ms = runs[0]["seconds"] * 1000 / runs[0]["photos"]
    ray_cpu_overhead = cpu("ray-2-actors") / cpu("jobs-2") - 1
    ray_overhead = seconds("ray-2-actors") / seconds("jobs-2") - 1
    with_init = (seconds("ray-2-actors") + 2 * ray_init) / seconds("jobs-2") - 1
    result = {"photos": len(photos), "megapixels": runs[0]["megapixels"], "sizes": [list(size) for size in SIZES],
              "noise": args.noise, "weights": args.weights or "the pipeline's choice", "cpus": os.cpu_count(),
              "order": list(ORDER), "load_average_before": [round(x, 2) for x in load_before],
              "load_average_after": [round(x, 2) for x in load_after], "runs": runs,
              "ray_init_seconds": round(ray_init, 2), "identical_outputs": len(set(digests.values())) == 1,
              "ray_overhead_vs_jobs_2": round(ray_overhead, 4),
              "ray_cpu_overhead_vs_jobs_2": round(ray_cpu_overhead, 4),
              "ray_overhead_vs_jobs_2_with_ray_init": round(with_init, 4),
              "manifest": {**cost, "share_of_photo_time": round((cost["append_ms_per_photo"] +
                                                                  cost["hash_ms_per_photo"]) / per_photo_ms, 5)}}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")

    table = Table(title=f"batch throughput: {len(photos)} photos, {runs[0]['megapixels']:.2f} MP")
    for column in ("engine", "seconds", "MP/s", "CPU s", "worker peak RSS (MB)", "plan s", "load after"):
        table.add_column(column, justify="left" if column == "engine" else "right")
    for run in runs:
        table.add_row(run["engine"], f"{run['seconds']:.1f}", f"{run['mp_per_s']:.4f}",
                      f"{run['cpu_seconds']:.1f}",
                      ", ".join(f"{mb:.0f}" for mb in run["worker_peak_rss_mb"]), f"{run['plan_seconds']:.2f}",
                      f"{run['load_average_after']:.2f}")
    console = Console()
    console.print(table)
    console.print(f"Ray vs --jobs 2: wall {ray_overhead:+.1%}, CPU {ray_cpu_overhead:+.1%} (with ray.init, "
                  f"{ray_init:.1f} s, charged to each Ray run: "
                  f"{with_init:+.1%}); identical outputs: {result['identical_outputs']}; manifest "
                  f"{cost['append_ms_per_photo']:.2f} ms + hash {cost['hash_ms_per_photo']:.2f} ms per photo "
                  f"({result['manifest']['share_of_photo_time']:.3%} of a photo); load average "
                  f"{load_before[0]:.2f} -> {load_after[0]:.2f}; {RESULTS}")


if __name__ == "__main__":
    main()
