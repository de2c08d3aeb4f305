"""A worker process's own settings, made first thing in it (its entry point): the thread counts of every library
that runs threads, and the heap allocator. Kept free of heavy imports, so the thread counts are in the
environment before numpy, OpenCV or torch start their thread pools."""
from __future__ import annotations

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def start_worker(threads: int, gpu_share: float = 1.0) -> None:
    """``threads`` threads for torch, OpenMP/BLAS and OpenCV in this process, the heap allocator, and this
    process's share of its GPU's memory (``tools.swinir.device.share_device``)."""
    from tools.swinir.runtime import use_heap_allocator

    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    use_heap_allocator()
    from tools.swinir.device import share_device

    share_device(gpu_share)
    import torch

    torch.set_num_threads(threads)
    try:
        import cv2  # the no-reference quality score's OpenCV otherwise runs a thread per core
    except ImportError:
        return
    cv2.setNumThreads(threads)


def start_pool_worker(threads: int, gpu_share: float = 1.0) -> None:
    """A local pool's worker: Ctrl-C is left to the main process, which stops the pool; then
    :func:`start_worker`."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    start_worker(threads, gpu_share)
