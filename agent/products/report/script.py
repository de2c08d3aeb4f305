"""Scripted reports: a YAML job file in, one report per job and an ``index.html`` out; failed jobs do not stop the run.

Job file (paths relative to the file)::

    defaults: {format: html, noise: null, card: null}   # optional, applied to every job
    jobs:
      - name: noisy-photo                 # optional (job-1, job-2, ...); letters, digits, . _ -
        question: "How do I remove the noise from this photo?"   # optional: the card's own question
        images: [photos/astronaut.png]    # optional, one path or a list
        noise: 25                         # optional: add noise at this sigma first, measure against the original
        card: my_card.yaml                # optional
        weights: swinir-s-noise15         # optional weights id or checkpoint path
        force_run: true                   # optional: denoise even photos the analysis would leave alone
        device: cuda                      # optional: auto (default: report --device), cpu, cuda or mps
        format: md                        # optional: html (default) or md
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tools.fileio import prepare_output_folder
from agent.products.report.build import ReportJob
from tools.errors import UserError
from tools.read_guard import JOB_FILE, read_text
from tools.swinir.device import DEVICES

if TYPE_CHECKING:
    from agent.core.backends import LLMSettings

INDEX = "index.html"
JOB_KEYS = {"name", "question", "images", "noise", "card", "weights", "format", "force_run", "device"}
EXTENSIONS = {"html": ".html", "md": ".md", "markdown": ".md"}
_KINDS = {int: "a whole number", str: "text", bool: "true or false"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


@dataclass
class ScriptJob:
    """One job of a job file: a report to write as ``file_name`` in the output folder."""

    name: str
    job: ReportJob
    file_name: str


@dataclass
class JobOutcome:
    name: str
    question: str
    ok: bool
    output: Path | None
    error: str | None
    seconds: float

    @property
    def link(self) -> str:
        return self.output.name if self.output else ""


def _paths(value: object, base: Path, where: str) -> list[Path]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) and item.strip() for item in items):
        raise UserError(f"{where}: 'images' must be a path or a list of paths")
    return [base / Path(item).expanduser() for item in items]


def _optional(entry: Mapping, key: str, kind: type, where: str):
    value = entry.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool) != (kind is bool)):
        raise UserError(f"{where}: '{key}' must be {_KINDS[kind]}, got {value!r}")
    return value


def parse_job(entry: object, number: int, defaults: Mapping, base: Path) -> ScriptJob:
    """One job entry (merged over the defaults) as a :class:`ScriptJob`; one-line errors name the job."""
    where = f"job {number}"
    if not isinstance(entry, Mapping):
        raise UserError(f"{where}: expected a mapping of {', '.join(sorted(JOB_KEYS))}, got {entry!r}")
    unknown = sorted(set(entry) - JOB_KEYS)
    if unknown:
        raise UserError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(JOB_KEYS))})")
    merged = {**defaults, **entry}
    name = str(merged.get("name") or f"job-{number}")
    if not _NAME.match(name) or name.lower() == Path(INDEX).stem:
        raise UserError(f"{where}: name {name!r} must be letters, digits, '.', '_' or '-' (and not 'index')")
    kind = str(merged.get("format") or "html").lower()
    if kind not in EXTENSIONS:
        raise UserError(f"{where}: format must be html or md, got {kind!r}")
    card = _optional(merged, "card", str, where)
    device = _optional(merged, "device", str, where) or "auto"
    if device not in DEVICES:
        raise UserError(f"{where}: device must be one of {', '.join(DEVICES)}, got {device!r}")
    job = ReportJob(
        question=_optional(merged, "question", str, where),
        images=_paths(merged["images"], base, where) if merged.get("images") is not None else [],
        card=base / card if card else None,
        noise=_optional(merged, "noise", int, where),
        weights=_optional(merged, "weights", str, where),
        force_run=bool(_optional(merged, "force_run", bool, where)),
        device=device,
    )
    return ScriptJob(name, job, name + EXTENSIONS[kind])


def load_jobs(path: Path, device: str = "auto") -> list[ScriptJob]:
    """Read and check a job file; relative paths in it are relative to the file. ``device`` is where jobs that
    name none run."""
    import yaml

    from tools.card_schema import load_limited_yaml

    path = Path(path)
    text = read_text(path, JOB_FILE)  # the one guard: a regular file within 1 MB, never a pipe or a device
    try:
        data = load_limited_yaml(text, f"job file {path}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise UserError(f"job file {path}{line}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if isinstance(data, list):
        data = {"jobs": data}
    if not isinstance(data, Mapping) or not isinstance(data.get("jobs"), list) or not data["jobs"]:
        raise UserError(f"job file {path}: expected a non-empty 'jobs' list")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, Mapping) or set(defaults) - JOB_KEYS - {"name"} or "name" in defaults:
        raise UserError(f"job file {path}: 'defaults' takes {', '.join(sorted(JOB_KEYS - {'name'}))}")
    base = path.resolve().parent
    defaults = {"device": device, **defaults}
    jobs = [parse_job(entry, number, defaults, base) for number, entry in enumerate(data["jobs"], start=1)]
    names = [job.name for job in jobs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UserError(f"job file {path}: job name {repeated[0]!r} is used more than once")
    return jobs


def run_jobs(jobs: Sequence[ScriptJob], settings: "LLMSettings", out_dir: Path, force: bool = False,
             on_job: Callable[[int, ScriptJob], None] | None = None, inputs: Sequence[Path] = ()) -> list[JobOutcome]:
    """Write every job's report into ``out_dir`` (checked first: no report and no index replaces one of ``inputs``,
    the job file, or a job's photo or card), carrying on past failed jobs."""
    from agent.products.report.run import create_report

    sources = [*inputs, *(path for job in jobs for path in (*job.job.images, *([job.job.card] if job.job.card else [])))]
    folder = prepare_output_folder(out_dir, [job.file_name for job in jobs] + [INDEX], sources, force=force)
    outcomes = []
    for number, script_job in enumerate(jobs):
        if on_job:
            on_job(number, script_job)
        started, output = time.perf_counter(), folder / script_job.file_name
        try:
            report = create_report(script_job.job, settings, output, force=force)
            outcome = JobOutcome(script_job.name, report.question, True, output, None, 0.0)
        except UserError as exc:
            outcome = JobOutcome(script_job.name, script_job.job.question or "", False, None, str(exc), 0.0)
        except Exception as exc:  # one broken job must not stop the others; it is reported in the summary
            message = " ".join(f"{type(exc).__name__}: {exc}".split())
            outcome = JobOutcome(script_job.name, script_job.job.question or "", False, None, message, 0.0)
        outcome.seconds = round(time.perf_counter() - started, 2)
        outcomes.append(outcome)
    write_index(outcomes, folder / INDEX)
    return outcomes


def summary_line(outcomes: Sequence[JobOutcome]) -> str:
    failed = sum(not outcome.ok for outcome in outcomes)
    return f"{len(outcomes) - failed} of {len(outcomes)} job(s) succeeded" + (f"; {failed} failed" if failed else "")


def write_index(outcomes: Sequence[JobOutcome], path: Path) -> Path:
    """An ``index.html`` linking each job's report, with the failures and their reasons."""
    from agent.products.report.html import render_template
    from tools.fileio import write_text_atomic

    html = render_template(INDEX + ".j2", title="Reports", summary=summary_line(outcomes), outcomes=outcomes)
    return write_text_atomic(path, html)
