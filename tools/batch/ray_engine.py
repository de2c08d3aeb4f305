"""The Ray engine: the same per-photo function on a Ray cluster, one model per actor, a bounded work queue.

Every node must reach the input and output folders at the same paths (shared storage), and have this
package installed; the driver plans the batch and writes the manifest, the actors write the outputs.

GPUs: the device is chosen against the cluster, not the driver's machine (:func:`ray_device`); on CUDA each actor
asks Ray for a GPU, or an equal fraction of one when there are more actors than GPUs (:func:`actor_options`), and
sizes its tiles by that share of the GPU's memory. Ray shows an actor only the GPUs it was given.
"""
from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import replace

from tools.batch.local import QUEUE_DEPTH
from tools.batch.photo import PhotoOutcome, process_photo
from tools.batch.plan import PhotoTask
from tools.batch.settings import BatchSettings
from tools.batch.worker import start_worker
from tools.errors import UserError
from tools.swinir.device import DeviceUnavailable, known_device

# A Ray started here: no dashboard, and workers at the priority the local engine's have (Ray's default
# lowers them to niceness 15, so any other work on the machine would come first).
LOCAL_RAY = {"include_dashboard": False, "log_to_driver": False, "_system_config": {"worker_niceness": 0}}


class PhotoWorker:
    """A Ray actor: ``cpus`` torch threads, ``gpu_share`` of its GPU's memory, and its own loaded model (kept by
    ``tools.swinir.service``)."""

    def __init__(self, settings: BatchSettings, cpus: int, gpu_share: float = 1.0) -> None:
        start_worker(cpus, gpu_share)
        self.settings = settings

    def process(self, task: PhotoTask) -> PhotoOutcome:
        return process_photo(task, self.settings)


def import_ray():
    try:
        import ray
    except ImportError:
        raise UserError("the ray engine needs Ray: pip install 'restore-agent[cluster]'") from None
    return ray


def ray_device(request: str, cluster_gpus: float) -> str:
    """The device the actors run on: CUDA where the cluster has a whole GPU and the request allows it; ``cpu``,
    ``mps`` and ``auto`` without GPUs are resolved by each actor on its node. CUDA asked for on a cluster without
    GPUs is a one-line error."""
    known_device(request)
    if request in ("auto", "cuda") and cluster_gpus >= 1:
        return "cuda"
    if request == "cuda":
        raise DeviceUnavailable("cuda", f"the Ray cluster has no GPU ({cluster_gpus:g} GPUs in its resources)")
    return request


def actor_options(device: str, cpus: int, actors: int, cluster_gpus: float) -> dict[str, float]:
    """Ray resources of each of ``actors`` actors: ``cpus`` CPUs and, on CUDA, a whole GPU where there are enough,
    else ``1/k`` of one with ``k`` actors to a GPU, so that every actor can be placed at once (none waits forever
    on a GPU its siblings hold)."""
    gpus = 0.0
    if device == "cuda":
        per_gpu = math.ceil(max(1, actors) / max(1, int(cluster_gpus)))
        gpus = 1.0 if per_gpu == 1 else math.floor(1e4 / per_gpu) / 1e4  # Ray takes fractions to 4 decimals
    return {"num_cpus": cpus, "num_gpus": gpus}


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
    pending = iter(tasks)
    running: dict = {}
    workers: list = []

    def feed(worker) -> None:
        if (task := next(pending, None)) is not None:
            running[worker.process.remote(task)] = worker

    try:
        gpus = float(ray.cluster_resources().get("GPU", 0.0))
        device = ray_device(settings.device, gpus)
        options = actor_options(device, cpus_per_actor, actors, gpus)
        remote = ray.remote(**options)(PhotoWorker)
        share = options["num_gpus"] or 1.0  # of its GPU's memory (a CPU actor has none)
        workers = [remote.remote(replace(settings, device=device), cpus_per_actor, share)
                   for _ in range(max(1, actors))]
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
