"""A whole batch: plan, run on an engine, append each outcome to the manifest, sum up."""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tools.batch.manifest import CHECK_FAILED, NOT_READ, ManifestWriter, latest_by_input, read_entries
from tools.batch.photo import PhotoOutcome
from tools.batch.plan import BatchPlan, PhotoTask
from tools.batch.settings import BatchSettings
from tools.batch.walk import Skipped
from tools.errors import SettingError, UserError
from tools.swinir.device import check_device, resolve_device

Engine = Callable[[list[PhotoTask]], Iterator[PhotoOutcome]]
OnPhoto = Callable[[PhotoOutcome], None]


@dataclass
class BatchSummary:
    """What a run did: counts by status (``resumed``: done by an earlier run), the failures, the photos whose
    output failed its check (this run's and the resumed ones), megapixels, time."""

    counts: Counter = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    check_failures: list[tuple[str, str]] = field(default_factory=list)  # (photo, the check's first problem)
    not_read: list[tuple[str, str]] = field(default_factory=list)  # (entry, why it was left out unread)
    forced: int = 0  # photos denoised only because --force-run asked
    megapixels: float = 0.0
    seconds: float = 0.0
    workers: dict[int, float] = field(default_factory=dict)  # worker pid -> its peak RSS in MB
    worker_cpu: dict[int, float] = field(default_factory=dict)  # worker pid -> its CPU seconds at its last photo

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def ok(self) -> bool:
        """No photo failed, and every output passed its check (the exit code is 1 otherwise)."""
        return not self.failures and not self.check_failures

    @property
    def megapixels_per_second(self) -> float:
        return self.megapixels / self.seconds if self.seconds else 0.0

    def add(self, outcome: PhotoOutcome) -> None:
        entry = outcome.entry
        self.counts[entry["status"]] += 1
        if not outcome.ok:
            self.failures.append((entry["input"]["path"], entry["error"]))
        self.note(entry)
        self.megapixels += outcome.megapixels
        self.workers[outcome.worker] = max(outcome.peak_rss_mb, self.workers.get(outcome.worker, 0.0))
        self.worker_cpu[outcome.worker] = max(outcome.cpu_seconds, self.worker_cpu.get(outcome.worker, 0.0))

    def note(self, entry: dict) -> None:
        """Count a forced run, and keep a photo whose output failed its check with the check's first problem."""
        self.forced += entry.get("result") is not None and bool((entry.get("decision") or {}).get("forced"))
        if entry.get("status") == CHECK_FAILED:
            problems = ((entry.get("result") or {}).get("check") or {}).get("problems") or ["the check failed"]
            self.check_failures.append((entry["input"]["path"], problems[0]))


def not_read_entry(item: Skipped, settings: BatchSettings) -> dict:
    """The manifest entry of an input-folder entry left out unread: its name and why, no size or hash."""
    return {"input": {"path": item.relative, "size": None, "sha256": None}, "output": None, "status": NOT_READ,
            "settings": settings.to_json(), "error": item.reason}


def run_batch(plan: BatchPlan, engine: Engine, on_photo: OnPhoto | None = None) -> BatchSummary:
    """Run the plan's photos on ``engine``, each outcome in the manifest (flushed) before the next is taken; the
    entries left out unread go in first.

    An interruption (Ctrl-C) stops the engine; the manifest then holds every photo finished before it."""
    summary = BatchSummary()
    summary.counts["resumed"] = len(plan.done)
    for entry in plan.done:
        summary.note(entry)
    if plan.skipped:
        summary.counts[NOT_READ] = len(plan.skipped)
        summary.not_read = [(item.relative, item.reason) for item in plan.skipped]
    started = time.perf_counter()
    outcomes = engine(plan.todo)
    try:
        with ManifestWriter(plan.manifest) as manifest:
            for item in plan.skipped:
                manifest.append(not_read_entry(item, plan.settings))
            for outcome in outcomes:
                manifest.append(outcome.entry)
                summary.add(outcome)
                if on_photo is not None:
                    on_photo(outcome)
    finally:
        close = getattr(outcomes, "close", None)
        if close is not None:
            close()
        summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def batch_entries(plan: BatchPlan) -> list[dict]:
    """The manifest's latest entry for each photo of the plan, in input order."""
    latest = latest_by_input(read_entries(plan.manifest))
    paths = sorted({entry["input"]["path"] for entry in plan.done} | {task.relative for task in plan.todo}
                   | {item.relative for item in plan.skipped})
    return [latest[path] for path in paths if path in latest]


ENGINES = ("local", "ray")


def engine_for(kind: str, settings: BatchSettings, jobs: int = 1, address: str | None = None,
               cpus_per_actor: int = 1) -> Engine:
    """The engine that runs photos: ``local`` (``jobs`` processes, sharing the GPU where they run on CUDA) or
    ``ray`` (``jobs`` actors, placed on the cluster's GPUs there). A GPU named and absent is refused now."""
    if kind not in ENGINES:
        raise SettingError("engine", kind, " or ".join(ENGINES))
    if jobs < 1:
        raise SettingError("jobs", jobs, "at least 1")
    if cpus_per_actor < 1:
        raise SettingError("actor_cpus", cpus_per_actor, "at least 1")
    if address and kind != "ray":
        raise UserError("a cluster address needs the ray engine")
    if kind == "ray":
        from tools.batch.ray_engine import import_ray, run_ray

        import_ray()  # a one-line error now, before any work, when Ray is missing
        return lambda tasks: run_ray(tasks, settings, jobs, cpus_per_actor, address)
    from tools.batch.local import run_local

    share = local_gpu_share(settings, jobs)
    return lambda tasks: run_local(tasks, settings, jobs, gpu_share=share)


def local_gpu_share(settings: BatchSettings, jobs: int) -> float:
    """Each local worker's share of the GPU's memory: ``1 / jobs`` where they run on CUDA (one device for all),
    else 1. A GPU named and absent is refused here; torch is imported only to resolve ``auto`` for several jobs."""
    if settings.analyze_only:
        return 1.0
    check_device(settings.device)
    if jobs > 1 and settings.device != "cpu" and resolve_device(settings.device) == "cuda":
        return 1.0 / jobs
    return 1.0
