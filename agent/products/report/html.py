"""The HTML report: one self-contained file (images as data URIs, inline CSS and SVG, no script)."""
from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from PIL import Image

from agent.products.report import content
from agent.products.report.build import Report
from agent.products.report.diagram import svg
from agent.products.workflow import figure_rows
from tools.errors import UserError

TEMPLATES = Path(__file__).with_name("templates")
_LINK = re.compile(r"""\b(?:src|href|srcset|action|poster|data)\s*=\s*["']?([^"'\s>]+)""", re.I)
_INLINE_URL = re.compile(r"""url\(\s*["']?([^"')]+)""", re.I)


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def render_template(name: str, **values: object) -> str:
    return environment().get_template(name).render(**values)


def markdown_to_html(text: str) -> str:
    """CommonMark (plus tables) to HTML; raw HTML in the text is escaped, not passed through."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def embedded_image(path: str | Path, caption: str) -> dict:
    """A PNG file as a data URI with its size and caption."""
    data = Path(path).read_bytes()
    with Image.open(path) as image:
        width, height = image.size
    return {"uri": "data:image/png;base64," + base64.b64encode(data).decode("ascii"),
            "width": width, "height": height, "caption": caption}


def external_links(html: str) -> list[str]:
    """Every URL the page would load or link to that is not in the file itself (data URIs and #anchors)."""
    found = _LINK.findall(html) + _INLINE_URL.findall(html)
    return [url for url in found if not url.startswith(("data:", "#"))]


def check_links(html: str, allowed: Iterable[str]) -> None:
    """Refuse to write a report that links anywhere but the allowed (record) links."""
    allowed = set(allowed)
    stray = sorted({url for url in external_links(html) if url.replace("&amp;", "&") not in allowed})
    if stray:
        raise UserError(f"report not written: it would reference what no loaded record links: {', '.join(stray[:3])}")


def _photo(run, number: int) -> dict:
    captions = content.image_captions(run)
    return {
        "title": content.photo_title(run, number),
        "caption": content.photo_caption(run),
        "pair": [embedded_image(run.files[key], captions[key]) for key in ("input", "restored")],
        "comparison": embedded_image(run.files["comparison"], captions["comparison"]),
        "figures": figure_rows(run),
        "analysis": content.analysis_rows(run),
        "recommendations": content.recommendation_lines(run),
        "notes": run.notes,
        "times": content.step_times(run),
    }


def render_html(report: Report) -> str:
    """The report as one HTML document; a ``UserError`` if it would link outside the records."""
    answer: Mapping = report.answer
    html = render_template(
        "report.html.j2",
        title=f"Report: {report.question}",
        question=report.question,
        meta=content.meta_line(report),
        failure=content.failure_line(report),
        titles=content.section_titles(),
        refused=answer["refused"],
        refusal_notice=content.REFUSAL_NOTICE,
        sections={key: markdown_to_html(text) for key, text in answer["sections"].items()},
        diagram_wide=svg(report.stages, css_class="diagram diagram-wide"),
        diagram_narrow=svg(report.stages, vertical=True, css_class="diagram diagram-narrow"),
        photos=[_photo(run, number) for number, run in enumerate(report.runs, start=1)],
        references=answer["references"],
    )
    check_links(html, report.record_links)
    return html
