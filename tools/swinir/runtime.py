"""Process-wide settings for running networks on the CPU: threads, and how large tensors get their memory.

They change the whole process, so entry points (the CLI, benchmarks, training) set them once with
:func:`configure_process`; library functions never do. Most are environment variables that torch
reads when it starts, so they are set before torch is imported.
"""
from __future__ import annotations

import os
import sys
from functools import cache

# glibc mallopt parameters, and their defaults
M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
DEFAULT_MMAP_MAX, DEFAULT_TRIM_THRESHOLD = 65536, 128 * 1024


def use_heap_allocator(enabled: bool = True) -> bool:
    """Serve large tensors from glibc's heap and keep freed memory for reuse (or restore the defaults).

    By default glibc maps every allocation over 32 MB afresh and unmaps it when freed, so each
    layer's output is page-faulted in again. Keeping those blocks on the heap removes that cost, but
    the heap fragments: SwinIR-M's peak on a 384 x 256 photo varied from 1.7 to 7.6 GB between runs
    (0.6 GB without). :func:`configure_process` uses huge pages instead (:func:`allocation_environment`);
    this remains for processes where torch is already running. Returns False where glibc is absent.
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None)  # the process's own symbols, libc's among them
        mmap_max, trim = (0, 1 << 30) if enabled else (DEFAULT_MMAP_MAX, DEFAULT_TRIM_THRESHOLD)
        return bool(libc.mallopt(M_MMAP_MAX, mmap_max)) and bool(libc.mallopt(M_TRIM_THRESHOLD, trim))
    except (OSError, AttributeError):
        return False


def usable_cpus() -> int:
    """How many CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def set_threads() -> int:
    """Give torch one thread per usable CPU (imports torch); returns the thread count."""
    import torch

    torch.set_num_threads(usable_cpus())
    return torch.get_num_threads()


def thread_environment(cpus: int) -> dict[str, str]:
    """OpenMP settings for ``cpus`` threads, read by torch's OpenMP runtime when torch is imported.

    Idle threads sleep instead of spinning (``OMP_WAIT_POLICY=PASSIVE``): every kernel here is long
    (milliseconds), so waking a thread costs little, while a spinning thread takes a core from its
    sibling and from other programs whenever the machine is shared (2 cores shared with other work:
    47 to 57 s/MP against 56 to 75 for the embedded model on a 384 x 384 photo, bench/swinir_speed.py).
    The same settings serve 16 cores: one thread per usable CPU, none spinning.
    """
    return {"OMP_NUM_THREADS": str(cpus), "OMP_WAIT_POLICY": "PASSIVE"}


def allocation_environment() -> dict[str, str]:
    """Large tensors on huge pages: torch aligns allocations of 2 MB and more to 2 MB and asks the kernel for
    transparent huge pages, so a fresh 100 MB tensor takes 50 page faults instead of 25,000. As fast as
    keeping freed memory on the heap (:func:`use_heap_allocator`), without its fragmentation (embedded model,
    704 x 704: 24 to 37 s/MP both ways, peak growth 0.79 GB against 2.0 GB; without either, 44 s/MP)."""
    return {"THP_MEM_ALLOC_ENABLE": "1"}


@cache
def configure_process() -> None:
    """Once per process, at an entry point: one thread per usable CPU, sleeping when idle, and huge pages.

    Before torch is imported this only sets environment variables (where not already set), which torch
    reads when it starts, so commands that never run a network do not pay for importing torch. Where
    torch is already running only the thread count can still change.
    """
    if "torch" in sys.modules:
        set_threads()
        return
    for name, value in {**thread_environment(usable_cpus()), **allocation_environment()}.items():
        os.environ.setdefault(name, value)
