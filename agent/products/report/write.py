"""Putting a report on disk: the format from the file extension, checks before any work, atomic writes."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from agent.products.report.build import Report
from tools.errors import OutputExists, UserError
from tools.fileio import check_output_path, write_text_atomic
from tools.image_save import copy_image

FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


def report_format(output: Path) -> str:
    """``html`` or ``markdown`` from the extension of ``output``."""
    try:
        return FORMATS[Path(output).suffix.lower()]
    except KeyError:
        raise UserError(f"report output must end in .html or .md, got {Path(output).name!r}") from None


def assets_dir(output: Path) -> Path:
    """The folder beside a Markdown report that holds its images: ``report.md`` -> ``report_files``."""
    return Path(output).with_name(Path(output).stem + "_files")


def check_report_output(output: Path, force: bool = False) -> str:
    """Check (before any work) that ``output`` can be written; returns its format."""
    kind = report_format(output)
    check_output_path(output, force=force)
    if kind == "markdown" and assets_dir(output).exists() and not force:
        raise OutputExists(assets_dir(output))
    return kind


def for_reader(report: Report, output: Path) -> Report:
    """``report`` with the paths of its scratch folder, gone once the report is written, replaced in the answer by
    what the reader has: a denoised photo's file beside a Markdown report (relative to it), or its photo section
    in an HTML one; any other scratch file by its name."""
    from agent.products.report.markdown import asset_name

    if not report.scratch:
        return report
    html = report_format(output) == "html"
    shown = {}
    for number, run in enumerate(report.runs, start=1):
        if not run.ran:
            continue
        shown[f"`{run.files['restored']}`"] = (f"the {run.output_word} image (Photo {number} below)" if html else
                                               f"`{assets_dir(output).name}/{asset_name(number, 'restored', run)}`")
    scratch = re.compile(re.escape(report.scratch.rstrip("/")) + r"/[^\s`)\]]*")

    def readable(text: str) -> str:
        for path, words in shown.items():
            text = text.replace(path, words)
        return scratch.sub(lambda found: Path(found.group()).name, text)

    answer = {**report.answer, "answer": readable(report.answer.get("answer", "")),
              "sections": {key: readable(text) for key, text in report.answer["sections"].items()}}
    return replace(report, answer=answer)


def write_report(report: Report, output: Path) -> Path:
    """Render ``report`` in the format of ``output`` and write it (and a Markdown report's images)."""
    output = Path(output)
    report = for_reader(report, output)
    if report_format(output) == "html":
        from agent.products.report.html import render_html

        return write_text_atomic(output, render_html(report))
    from agent.products.report.markdown import render_markdown

    folder = assets_dir(output)
    text, files = render_markdown(report, folder.name)
    if files:
        folder.mkdir(exist_ok=True)
        for name, source in files.items():
            copy_image(source, folder / name)
    return write_text_atomic(output, text)
