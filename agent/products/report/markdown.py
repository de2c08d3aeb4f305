"""The Markdown report: a Mermaid workflow diagram, the answer, and each photo with its images beside the file.

Its text comes from :func:`agent.products.report.sanitize.safe_report`; plain fields (the question, file names,
captions, table cells, notes) are written with every Markdown-special character escaped, so none can form a
link, image or HTML. The finished text is checked once more (:func:`tools.safe_markdown.markdown_problems`) and
a report that would link anything but the records, or hold raw HTML, is not written.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from agent.products.demo_result import DemoResult
from agent.products.report import content
from agent.products.report.build import Report
from agent.products.report.diagram import mermaid
from agent.products.report.sanitize import safe_report
from agent.products.workflow import figure_columns, figure_rows
from tools.errors import UserError
from tools.safe_markdown import markdown_problems
from tools.safe_text import markdown_literal as literal


def asset_name(number: int, key: str, run: DemoResult | None = None) -> str:
    """File name of a photo's image in the report's image folder; the output is named by its status (restored
    only where the check passed) when ``run`` is given."""
    return f"photo-{number}-{run.output_word if run is not None and key == 'restored' else key}.png"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    def cells(row: tuple[str, ...]) -> str:
        return "| " + " | ".join(literal(str(cell)) for cell in row) + " |"

    return [cells(header), "| " + " | ".join("---" for _ in header) + " |", *(cells(row) for row in rows)]


def _photo(run, number: int, assets: str) -> list[str]:
    captions = {key: literal(caption) for key, caption in content.image_captions(run).items()}
    images = " ".join(f"![{captions[key]}]({assets}/{asset_name(number, key, run)})" for key in ("input", "restored")
                      if key in captions)
    lines = [f"### {literal(content.photo_title(run, number))}", ""]
    for banner in content.banners(run):
        lines += [f"> **{literal(banner.label.upper() if banner.kind == 'failed' else banner.label)}:** "
                  f"{literal(banner.text)}", ""]
    lines += [literal(content.photo_caption(run)), "", images, ""]
    if "comparison" in captions:
        lines += [f"![{captions['comparison']}]({assets}/{asset_name(number, 'comparison')})", ""]
    lines += [*_table(figure_columns(run), figure_rows(run)), "",
              "#### Analysis of the input", "", *_table(("measurement", "severity", "evidence"), content.analysis_rows(run))]
    if run.recommendations:
        lines += ["", "#### Recommended records", "", *(f"- {literal(line)}" for line in content.recommendation_lines(run))]
    lines += ["", *(f"_Note: {literal(note)}_" for note in run.notes), "", f"_Steps: {literal(content.step_times(run))}._", ""]
    return lines


def render_markdown(report: Report, assets: str) -> tuple[str, dict[str, Path]]:
    """The report text, and the images it refers to: ``{file name in assets: source file}``.

    Raises ``UserError`` if the text would still link outside the records or hold raw HTML.
    """
    report = safe_report(report)
    assets = quote(assets)
    titles, sections = content.section_titles(), report.answer["sections"]
    lines = [f"# Report: {literal(report.question)}", "", f"_{literal(content.meta_line(report))}_", ""]
    if failure := content.failure_line(report):
        lines += [f"> {literal(failure)}", ""]
    lines += [f"## {titles['task']}", ""]
    if report.answer["refused"]:
        lines += [f"> **{content.REFUSAL_NOTICE}**", ""]
    lines += [sections["task"], "", f"## {titles['workflow']}", "", "```mermaid", mermaid(report.stages), "```", "",
              sections["workflow"], ""]
    files: dict[str, Path] = {}
    for number, run in enumerate(report.runs, start=1):
        lines += _photo(run, number, assets)
        files.update({asset_name(number, key, run): Path(run.files[key]) for key in content.PHOTO_FILES
                      if key in run.files})
    lines += [f"## {titles['references']}", "",
              sections["references"] if report.answer["references"] else
              "No references: the loaded records do not cover this question.", ""]
    text = "\n".join(lines)
    images = [f"{assets}/{name}" for name in files]
    problems = markdown_problems(text, report.record_links, images)
    if problems:
        raise UserError(f"report not written: it would hold what no loaded record links: {', '.join(problems[:3])}")
    return text, files
