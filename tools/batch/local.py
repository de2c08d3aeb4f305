"""The local engine: the per-photo function in this process (one job) or in ``jobs`` worker processes."""
from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from tools.batch.photo import PhotoOutcome, process_photo
from tools.batch.plan import PhotoTask
from tools.batch.settings import BatchSettings
from tools.batch.worker import start_pool_worker
from tools.swinir.runtime import usable_cpus

QUEUE_DEPTH = 2  # photos handed to each worker ahead: enough to keep it busy, few enough to stop quickly


def threads_per_job(jobs: int) -> int:
    """Torch threads for each of ``jobs`` workers sharing this machine's CPUs."""
    return max(1, usable_cpus() // max(1, jobs))


def run_local(tasks: Sequence[PhotoTask], settings: BatchSettings, jobs: int = 1,
              threads: int | None = None, gpu_share: float = 1.0) -> Iterator[PhotoOutcome]:
    """Process ``tasks``, yielding each outcome as it finishes. One job runs in this process; more run in
    worker processes (spawned, each with ``threads`` torch threads and ``gpu_share`` of the GPU's memory), at
    most ``QUEUE_DEPTH`` photos ahead per worker. Stopping the iteration (Ctrl-C) cancels the photos not started
    and waits for those running, whose outputs are written whole (the manifest, not written here, does not list
    them)."""
    if jobs <= 1:
        for task in tasks:
            yield process_photo(task, settings)
        return
    threads = threads or threads_per_job(jobs)
    pending = iter(tasks)
    running: set[Future] = set()
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"), initializer=start_pool_worker,
                               initargs=(threads, gpu_share))
    try:
        while True:
            while len(running) < jobs * QUEUE_DEPTH and (task := next(pending, None)) is not None:
                running.add(pool.submit(process_photo, task, settings))
            if not running:
                break
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
