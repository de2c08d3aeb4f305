"""The Ray engine: the same per-photo function on a Ray cluster, one model per actor, a bounded work queue.

Every node must reach the input and output folders at the same paths (shared storage), and have this
package installed; the driver plans the batch and writes the manifest, the actors write the outputs.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from tools.batch.local import QUEUE_DEPTH
from tools.batch.photo import PhotoOutcome, process_photo
from tools.batch.plan import PhotoTask
from tools.batch.settings import BatchSettings
from tools.batch.worker import start_worker
from tools.errors import UserError

# A Ray started here: no dashboard, and workers at the priority the local engine's have (Ray's default
# lowers them to niceness 15, so any other work on the machine would come first).
LOCAL_RAY = {"include_dashboard": False, "log_to_driver": False, "_system_config": {"worker_niceness": 0}}


class PhotoWorker:
    """A Ray actor: ``cpus`` torch threads and its own loaded model (kept by ``tools.swinir.service``)."""

    def __init__(self, settings: BatchSettings, cpus: int) -> None:
        start_worker(cpus)
        self.settings = settings

    def process(self, task: PhotoTask) -> PhotoOutcome:
        return process_photo(task, self.settings)


def import_ray():
    try:
        import ray
    except ImportError:
        raise UserError("the ray engine needs Ray: pip install 'restore-agent[cluster]'") from None
    return ray


def run_ray(tasks: Sequence[PhotoTask], settings: BatchSettings, actors: int = 2, cpus_per_actor: int = 1,
            address: str | None = None) -> Iterator[PhotoOutcome]:
    """Process ``tasks`` on ``actors`` Ray actors of ``cpus_per_actor`` CPUs, yielding outcomes as they finish.

    Uses the Ray runtime already started in this process, else connects to ``address`` (or
    ``RAY_ADDRESS``), else starts a local one (``LOCAL_RAY``, shut down at the end). Each actor has at most
    ``QUEUE_DEPTH`` photos queued."""
    ray = import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        try:
            joins = address or os.environ.get("RAY_ADDRESS")  # an existing cluster keeps its own settings
            ray.init(address=address, **({} if joins else LOCAL_RAY))
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise UserError(f"cannot start or reach a Ray cluster{f' at {address}' if address else ''}: "
                            f"{' '.join(str(exc).split())}") from None
    remote = ray.remote(num_cpus=cpus_per_actor)(PhotoWorker)
    workers = [remote.remote(settings, cpus_per_actor) for _ in range(max(1, actors))]
    pending = iter(tasks)
    running: dict = {}

    def feed(worker) -> None:
        if (task := next(pending, None)) is not None:
            running[worker.process.remote(task)] = worker

    try:
        for worker in workers:
            for _ in range(QUEUE_DEPTH):
                feed(worker)
        while running:
            finished, _ = ray.wait(list(running), num_returns=1)
            worker = running.pop(finished[0])
            outcome = ray.get(finished[0])
            feed(worker)
            yield outcome
    finally:
        for worker in workers:
            ray.kill(worker)
        if started_here:
            ray.shutdown()
