"""The per-photo function every engine runs: one photo through ``tools.restore``, as one manifest entry."""
from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tools.batch.models import model_record
from tools.batch.plan import PhotoTask
from tools.batch.settings import BatchSettings
from tools.errors import UserError
from tools.fileio import remove_stale_temporaries
from tools.image_save import copy_image


@dataclass
class PhotoOutcome:
    """A photo's manifest entry plus what the run measured about the worker that did it."""

    entry: dict
    megapixels: float
    worker: int
    peak_rss_mb: float
    cpu_seconds: float = 0.0  # the worker process's CPU time so far (all its threads)

    @property
    def ok(self) -> bool:
        return self.entry["status"] != "failed"


@lru_cache(maxsize=1)
def _records():
    from tools.cards import load_records

    return tuple(load_records())


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def new_entry(task: PhotoTask, settings: BatchSettings) -> dict:
    """A manifest entry with nothing done yet."""
    return {"input": {"path": task.relative, "size": task.size, "sha256": task.sha256}, "output": None,
            "status": None, "analysis": None, "decision": None, "model": None, "settings": settings.to_json(),
            "result": None, "warnings": [], "notes": [], "timings": {}, "error": None}


def _relative(path: Path | None, task: PhotoTask) -> str | None:
    return None if path is None else Path(path).relative_to(task.out_dir).as_posix()


def _summary(analysis, task: PhotoTask, entry: dict) -> dict:
    from tools.restore import analysis_summary

    summary = analysis_summary(analysis, task.relative)
    entry["timings"]["analyze"] = summary.pop("seconds")
    entry["notes"] = list(analysis.notes)
    return summary


def _prepare(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)


def _leave_alone(task: PhotoTask, settings: BatchSettings, entry: dict) -> None:
    """A photo the analysis leaves alone: skipped (``skip_clean``: nothing written), else copied byte for byte,
    so the output folder mirrors the input's."""
    if settings.skip_clean:
        entry["status"] = "skipped"
        return
    _prepare(task.copy)
    copy_image(task.source, task.copy)
    entry.update(status="unchanged", output=_relative(task.copy, task))


def _restore(task: PhotoTask, settings: BatchSettings, entry: dict) -> None:
    """The one rule: the analysis decides per photo, ``force_run`` alone overrides it; the noise level and the
    weights only say how to run. A run's status is the pipeline's: ``restored`` only when its check passed."""
    from tools.restore import RestoreRequest, analyze_photo, decide, restore

    analysis = analyze_photo(task.source, _records())
    entry["analysis"] = _summary(analysis, task, entry)
    decision = decide(analysis, settings.noise, settings.weights, force=settings.force_run)
    entry["decision"] = decision.to_dict()
    if settings.analyze_only:
        entry["status"] = "analyzed"
        return
    if not decision.denoise:
        return _leave_alone(task, settings, entry)
    _prepare(task.output)
    request = RestoreRequest(task.output, noise_level=settings.noise, weights=settings.weights,
                             force=settings.force_run, device=settings.device)
    result = restore(task.source, request, _records(), analysis=analysis)
    entry["timings"].update(result.seconds)
    data = result.to_json()
    data.update(input=task.relative, output=_relative(task.output, task))
    entry.update(status=result.status, output=data["output"], result=data, warnings=result.warnings,
                 notes=list(result.run.notes), model=model_record(result.run.model, settings.weights))


def process_photo(task: PhotoTask, settings: BatchSettings) -> PhotoOutcome:
    """Analyze, decide and restore one photo (or only analyze it), never raising for a bad photo: a failure is
    an entry with status ``failed`` and the one-line error. Outputs are written atomically."""
    started = time.perf_counter()
    entry = new_entry(task, settings)
    try:
        _restore(task, settings, entry)
    except UserError as exc:
        entry.update(status="failed", error=str(exc))
    except Exception as exc:  # one broken photo must not stop the batch; the entry says what went wrong
        entry.update(status="failed", error=" ".join(f"{type(exc).__name__}: {exc}".split()))
    entry["timings"]["total"] = round(time.perf_counter() - started, 3)
    analysis = entry["analysis"] or {}
    megapixels = analysis.get("width", 0) * analysis.get("height", 0) / 1e6
    return PhotoOutcome(entry, round(megapixels, 4), os.getpid(), peak_rss_mb(), round(time.process_time(), 3))
