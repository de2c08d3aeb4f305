"""One report end to end: check the output, run the photos and the agent in a scratch folder, write the file."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from agent.products.report.build import Announce, Progress, Report, ReportJob, build_report
from agent.products.report.write import check_report_output, write_report

if TYPE_CHECKING:
    from agent.core.backends import LLMSettings


def create_report(job: ReportJob, settings: "LLMSettings", output: Path, force: bool = False,
                  progress: Progress | None = None, announce: Announce | None = None) -> Report:
    """Write the report for ``job`` to ``output`` (HTML or Markdown by extension); the output is checked first.
    ``announce(photo, decision)`` hears each photo's decision before it is denoised."""
    check_report_output(output, force)
    with tempfile.TemporaryDirectory(prefix="restore-agent-report-") as scratch:
        report = build_report(job, settings, Path(scratch), progress, announce)
        write_report(report, output)
    return report
