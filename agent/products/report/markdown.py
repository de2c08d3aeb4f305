"""The Markdown report: a Mermaid workflow diagram, the answer, and each photo with its images beside the file."""
from __future__ import annotations

from pathlib import Path

from agent.products.report import content
from agent.products.report.build import Report
from agent.products.report.diagram import mermaid
from agent.products.workflow import figure_rows


def asset_name(number: int, key: str) -> str:
    """File name of a photo's image in the report's image folder."""
    return f"photo-{number}-{key}.png"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    def cells(row: tuple[str, ...]) -> str:
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |"

    return [cells(header), "| " + " | ".join("---" for _ in header) + " |", *(cells(row) for row in rows)]


def _photo(run, number: int, assets: str) -> list[str]:
    captions = content.image_captions(run)
    images = " ".join(f"![{captions[key]}]({assets}/{asset_name(number, key)})" for key in ("input", "restored"))
    lines = [f"### {content.photo_title(run, number)}", "", content.photo_caption(run), "", images, "",
             f"![{captions['comparison']}]({assets}/{asset_name(number, 'comparison')})", "",
             *_table(("measure", "input", "restored"), figure_rows(run)), "",
             "#### Analysis of the input", "", *_table(("measurement", "severity", "evidence"), content.analysis_rows(run))]
    if run.recommendations:
        lines += ["", "#### Recommended records", "", *(f"- {line}" for line in content.recommendation_lines(run))]
    lines += ["", *(f"> {note}" for note in run.notes), "", f"_Steps: {content.step_times(run)}._", ""]
    return lines


def render_markdown(report: Report, assets: str) -> tuple[str, dict[str, Path]]:
    """The report text, and the images it refers to: ``{file name in assets: source file}``."""
    titles, sections = content.section_titles(), report.answer["sections"]
    lines = [f"# Report: {report.question}", "", f"_{content.meta_line(report)}_", ""]
    if failure := content.failure_line(report):
        lines += [f"> {failure}", ""]
    lines += [f"## {titles['task']}", ""]
    if report.answer["refused"]:
        lines += [f"> **{content.REFUSAL_NOTICE}**", ""]
    lines += [sections["task"], "", f"## {titles['workflow']}", "", "```mermaid", mermaid(report.stages), "```", "",
              sections["workflow"], ""]
    files: dict[str, Path] = {}
    for number, run in enumerate(report.runs, start=1):
        lines += _photo(run, number, assets)
        files.update({asset_name(number, key): Path(run.files[key]) for key in content.PHOTO_FILES})
    lines += [f"## {titles['references']}", "",
              sections["references"] if report.answer["references"] else
              "No references: the loaded records do not cover this question.", ""]
    return "\n".join(lines), files
