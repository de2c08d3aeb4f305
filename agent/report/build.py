"""Gather a report: each photo run through the demo pipeline, then the agent's grounded answer and the workflow."""
from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agent.demo import DemoResult, run_demo
from agent.workflow import Stage, answer_stages
from tools.errors import UserError
from tools.records import Record

if TYPE_CHECKING:
    from agent.backends import LLMSettings

Progress = Callable[[int, int], None]


@dataclass
class ReportJob:
    """What one report is about. ``noise``: add Gaussian noise at this sigma to each photo first and
    measure against the original (as ``demo`` does); without it the photos are restored as they are."""

    question: str | None
    images: list[Path] = field(default_factory=list)
    card: Path | None = None
    noise: int | None = None
    weights: str | None = None


@dataclass
class Report:
    """Everything a report shows."""

    question: str
    answer: dict
    runs: list[DemoResult]
    records: list[Record]
    stages: list[Stage]
    card: str
    created: str
    seconds: float

    @property
    def record_links(self) -> set[str]:
        """The only http(s) links a report may contain: the loaded records' paper and code links."""
        return {link for record in self.records for link in (record.paper, record.code) if link}


def check_images(images: Sequence[Path]) -> None:
    """A one-line error for the first photo that is missing or not a file, before any work."""
    for image in images:
        if not Path(image).is_file():
            what = "is a folder, not an image" if Path(image).is_dir() else "no such image file"
            raise UserError(f"{what}: {image}")


def build_report(job: ReportJob, settings: "LLMSettings", work_dir: Path,
                 progress: Progress | None = None) -> Report:
    """Run each photo (files under ``work_dir``), then ask the agent, and assemble the report."""
    from agent.report.answering import ask_agent
    from tools.cards import load_records

    started = time.perf_counter()
    check_images(job.images)
    records = load_records(job.card)
    runs = [run_demo(Path(work_dir) / f"photo-{number}", image=image, sigma=job.noise, weights=job.weights,
                     records=records, progress=progress)
            for number, image in enumerate(job.images, start=1)]
    attached = [] if job.noise is not None else job.images  # synthetic noise: the answer is about the question
    answer, records = ask_agent(job.question, job.card, attached, settings, Path(work_dir) / "agent")
    return Report(
        question=answer["question"], answer=answer, runs=runs, records=list(records),
        stages=answer_stages(answer, runs, records), card=str(job.card) if job.card else "default card",
        created=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip(),
        seconds=round(time.perf_counter() - started, 2),
    )
