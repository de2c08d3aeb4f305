"""One report end to end: check the output, run the photos and the agent in a scratch folder, write the file."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from agent.products.report.build import Announce, Progress, Report, ReportJob, build_report
from agent.products.report.write import assets_dir, check_report_output, report_format, write_report
from tools.errors import UserError
from tools.fileio import check_output_path

if TYPE_CHECKING:
    from agent.core.backends import LLMSettings


def create_report(job: ReportJob, settings: "LLMSettings", output: Path, force: bool = False,
                  progress: Progress | None = None, announce: Announce | None = None) -> Report:
    """Write the report for ``job`` to ``output`` (HTML or Markdown by extension); the output is checked first.
    ``announce(photo, decision)`` hears each photo's decision before it is denoised."""
    check_not_inputs(job, output)
    check_report_output(output, force)
    with tempfile.TemporaryDirectory(prefix="restore-agent-report-") as scratch:
        report = build_report(job, settings, Path(scratch), progress, announce)
        write_report(report, output)
    return report


def check_not_inputs(job: ReportJob, output: Path) -> None:
    """Refuse, before any work and even with ``--force``, a report that would replace one of the job's own files
    (a photo, the card), or a Markdown report whose images folder holds one."""
    inputs = [Path(path).expanduser() for path in (*job.images, *([job.card] if job.card else []))]
    check_output_path(output, *inputs, force=True)
    if report_format(output) != "markdown":
        return
    folder = assets_dir(output).resolve()
    for source in inputs:
        if source.resolve().is_relative_to(folder):
            raise UserError(f"{source} lies in {assets_dir(output)}, the folder the Markdown report writes its images "
                            "to: write the report elsewhere")
