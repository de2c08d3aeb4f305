"""The machine block every speed result carries: CPU model, the flags that decide its speed, threads and load.

A speed figure means nothing without the machine it ran on and what else ran there. ``recorded()`` wraps one
benchmark run: it notes the load average before and after, so one block describes exactly the rows that run
wrote (rows from different runs are never merged under one block).
"""
from __future__ import annotations

import datetime
import os
import platform
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEED_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "amx_int8")


def cpuinfo() -> dict[str, str]:
    """The first CPU's ``/proc/cpuinfo`` fields (empty where there is none)."""
    found: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition(":")
            found.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return found


def cpu_flags() -> dict[str, bool]:
    """Which of the speed-relevant instruction-set flags this CPU reports."""
    flags = set(cpuinfo().get("flags", "").split())
    return {flag: flag in flags for flag in SPEED_FLAGS}


def commit() -> str | None:
    """The checkout's commit, with ``+changes`` where tracked files differ from it."""
    def git(*args: str) -> str | None:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    head = git("rev-parse", "--short", "HEAD")
    return head and head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def describe(threads: int | None = None) -> dict:
    """CPU model and flags, CPU count, compute threads, MHz reported, torch and Python, commit and time."""
    info = cpuinfo()
    flags = cpu_flags()
    block = {"cpu_model": info.get("model name") or platform.processor() or "unknown",
             "cpu_flags": flags, "native_bf16": flags["avx512_bf16"] or flags["amx_bf16"],
             "cpus": os.cpu_count(), "threads": threads, "cpu_mhz": float(info["cpu MHz"]) if "cpu MHz" in info else None,
             "python": platform.python_version(), "commit": commit(),
             "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    try:
        import torch  # only where the benchmark already uses it

        block.update(torch=torch.__version__, threads=threads or torch.get_num_threads())
    except ImportError:
        pass
    return block


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages, two decimals."""
    return [round(value, 2) for value in os.getloadavg()]


@contextmanager
def recorded(threads: int | None = None) -> Iterator[dict]:
    """The machine block of one run: filled in before it, with the load average after it added on exit."""
    block = {**describe(threads), "load_average_before": load()}
    yield block
    block.update(load_average_after=load(),
                 finished=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))


def summary(block: dict) -> str:
    """One line for a table title: CPU, flags present, threads, load."""
    flags = ", ".join(flag for flag, present in block["cpu_flags"].items() if present) or "no SIMD flags found"
    return (f"{block['cpu_model']} ({flags}), {block.get('threads') or block['cpus']} threads, "
            f"load {block['load_average_before'][0]:.1f}")
