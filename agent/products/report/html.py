"""The HTML report: one self-contained file (images as data URIs, inline CSS and SVG, no script).

Its text comes from :func:`agent.products.report.sanitize.safe_report`; the template escapes every value and
the answer's Markdown is rendered with raw HTML escaped. The finished page is checked once more: a report that
would link or load anything but the records' links, or name another link in its text, is not written.
"""
from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from PIL import Image

from agent.products.report import content
from agent.products.report.build import Report
from agent.products.report.diagram import svg
from agent.products.report.sanitize import safe_report
from agent.products.workflow import figure_columns, figure_rows
from tools.errors import UserError
from tools.safe_markdown import link_problems

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


class _Text(HTMLParser):
    """The text a page shows (outside ``<style>``), attribute values left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.skip += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("style", "script") and self.skip > 0

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def check_text(html: str, allowed: Iterable[str]) -> None:
    """Refuse to write a report whose text names a link that is no allowed (record) link."""
    reader = _Text()
    reader.feed(html)
    reader.close()
    stray = link_problems(" ".join(reader.parts), allowed)
    if stray:
        raise UserError(f"report not written: its text would name what no loaded record links: {', '.join(stray[:3])}")


def _photo(run, number: int) -> dict:
    captions = content.image_captions(run)
    return {
        "title": content.photo_title(run, number),
        "status": run.status,
        "banners": content.banners(run),
        "caption": content.photo_caption(run),
        "pair": [embedded_image(run.files[key], captions[key]) for key in ("input", "restored") if key in captions],
        "comparison": embedded_image(run.files["comparison"], captions["comparison"]) if run.ran else None,
        "columns": figure_columns(run),
        "figures": figure_rows(run),
        "failed": run.failed,
        "analysis": content.analysis_rows(run),
        "recommendations": content.recommendation_lines(run),
        "notes": run.notes,
        "times": content.step_times(run),
    }


def render_html(report: Report) -> str:
    """The report as one HTML document; a ``UserError`` if it would link outside the records."""
    report = safe_report(report)
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
    check_text(html, report.record_links)
    return html
