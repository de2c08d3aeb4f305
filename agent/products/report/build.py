"""Gather a report: each photo run once through the demo pipeline, then the agent's grounded answer about those
results, and the workflow."""
from __future__ import annotations

import datetime
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agent.core.backends import LLMSettings
from agent.products.demo import run_demo
from agent.products.demo_result import DemoResult
from agent.products.workflow import Stage, answer_stages
from tools.cancel import current
from tools.errors import UserError
from tools.records import Record
from tools.restore import Decision

Progress = Callable[[int, int], None]
Announce = Callable[[Path, Decision], None]


@dataclass
class ReportJob:
    """What one report is about. ``noise``: add Gaussian noise at this sigma to each photo first and
    measure against the original (as ``demo`` does); without it the photos are taken as they are. The analysis
    decides whether each photo is denoised; ``force_run`` (or a question that insists, "denoise it anyway")
    runs the denoiser on every photo regardless, labelled as forced. ``device``: where the network runs
    (``tools.swinir.device``)."""

    question: str | None
    images: list[Path] = field(default_factory=list)
    card: Path | None = None
    noise: int | None = None
    weights: str | None = None
    force_run: bool = False
    device: str = "auto"


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
    scratch: str = ""  # the folder the photos were run in (gone once the report is written)

    @property
    def record_links(self) -> set[str]:
        """The only http(s) links a report may contain: the loaded records' paper and code links."""
        return {link for record in self.records for link in (record.paper, record.code) if link}


def check_images(images: Sequence[Path]) -> None:
    """A one-line error for the first photo that the read guard refuses (missing, a folder, a pipe, a device,
    a link loop, too large), before any work."""
    from tools.imageio import photo_stat

    for image in images:
        if not os.path.lexists(image):
            raise UserError(f"no such image file: {image}")
        photo_stat(image)


def build_report(job: ReportJob, settings: LLMSettings, work_dir: Path, progress: Progress | None = None,
                 announce: Announce | None = None) -> Report:
    """Run each photo through the demo pipeline (files under ``work_dir``), then ask the agent with those
    results passed on (nothing is analysed or denoised twice), and assemble the report. ``announce(photo,
    decision)`` hears each photo's decision before any denoising (a forced run's notice)."""
    from agent.core.answer import require_question
    from agent.core.loop import run_agent
    from agent.core.offline_model import insists
    from agent.core.turn import make_turn
    from tools.cards import load_card
    from tools.restore import photo_key
    from tools.swinir.device import check_device

    started = time.perf_counter()
    check_images(job.images)
    check_device(job.device)
    card = load_card(job.card)
    question = require_question(job.question, card.question)
    force_run = job.force_run or insists(question)
    runs = [run_demo(Path(work_dir) / f"photo-{number}", image=image, sigma=job.noise, weights=job.weights,
                     records=card.records, progress=progress, force_run=force_run, device=job.device,
                     announce=(lambda decision, image=image: announce(image, decision)) if announce else None)
            for number, image in enumerate(job.images, start=1)]
    attached = [] if job.noise is not None else job.images  # synthetic noise: the answer is about the question
    known = {photo_key(image): run.restoration for image, run in zip(attached, runs)}
    agent_dir = Path(work_dir) / "agent"
    agent_dir.mkdir(parents=True, exist_ok=True)
    turn = make_turn(question, card.records, attached=attached, output_dir=agent_dir, card_question=card.question,
                     restorations=known)
    if (step := current().step) is not None:
        step("answering the question")
    result = run_agent(turn, settings)
    answer = {**result.response, **({"failure": result.failure} if result.failure else {})}
    return Report(
        question=answer["question"], answer=answer, runs=runs, records=list(card.records),
        stages=answer_stages(answer, runs, card.records), card=str(job.card) if job.card else "default card",
        created=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip(),
        seconds=round(time.perf_counter() - started, 2), scratch=str(work_dir),
    )
