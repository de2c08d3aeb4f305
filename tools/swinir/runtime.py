"""Process-wide settings for running networks on the CPU: thread count and glibc's allocator.

They change the whole process, so entry points (the CLI, benchmarks, training) set them once with
:func:`configure_process`; library functions never do.
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
    layer's output is page-faulted in again, and the faults serialise on the kernel's memory lock,
    leaving cores idle. Keeping those blocks on the heap removes that cost without changing any
    result (SwinIR-M, 500 x 500, 2 cores: 31.9 s -> 13.3 s). Returns False where glibc is absent.
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
    (milliseconds), so waking a thread costs nothing measurable, while a spinning thread takes a core
    from its sibling and from other programs whenever the machine is shared. On 2 cores shared with
    other work: 1.1 to 1.4 times faster per image (bench/swinir_speed.py); on an idle machine the same.
    """
    return {"OMP_NUM_THREADS": str(cpus), "OMP_WAIT_POLICY": "PASSIVE"}


@cache
def configure_process() -> None:
    """Once per process, at an entry point: the heap allocator and one thread per usable CPU.

    Before torch is imported this only sets the OpenMP environment (:func:`thread_environment`, where not
    already set), which torch reads when it starts, so commands that never run a network do not pay for
    importing torch.
    """
    use_heap_allocator()
    if "torch" in sys.modules:
        set_threads()
    else:
        for name, value in thread_environment(usable_cpus()).items():
            os.environ.setdefault(name, value)
