"""Reports with hostile text in every piece that comes from outside (question, photo file name, card fields,
the LLM's sections, an HTTP error body, notes): Markdown and HTML link nothing but the records, hold no raw
HTML and no control sequence, and a report that would is not written."""
from __future__ import annotations

import html
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from markdown_it import MarkdownIt
from PIL import Image

from agent.products.demo import run_demo
from agent.products.report import html as html_report
from agent.products.report import markdown as markdown_report
from agent.products.report.build import Report
from agent.products.workflow import answer_stages
from tests.cli_run import run_cli
from tests.swinir_helpers import save_checkpoint
from tools.cards import load_records
from tools.errors import UserError
from tools.safe_markdown import markdown_problems

RECORDS = load_records()
LINKS = {link for record in RECORDS for link in record.links}
HAIR_CODE = "https://github.com/toummHus/HAIR"
EVIL = ("[x](HTTPS://EVIL.EXAMPLE.COM/a) <img src=x onerror=alert(1)> <script>alert(2)</script> "
        "https&#58;//evil.example.com/b evil.example.com/c \x1b]8;;https://evil.example.com/d\x07osc\x1b]8;;\x07")
FILE_NAME = "p[x](https:evil.example.com)<svg onload=alert(1)>`x`*_.png"
ACTIVE = ("evil", "onerror", "onload", "alert(", "<script", "<svg onload", "javascript:")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile-report")


@pytest.fixture(scope="module")
def weights(folder: Path) -> Path:
    return save_checkpoint(folder / "tiny_noise15.pth", 3)


@pytest.fixture(scope="module")
def photo(folder: Path) -> Path:
    path = folder / FILE_NAME
    Image.fromarray(np.random.default_rng(3).integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(path, format="PNG")
    return path


@pytest.fixture(scope="module")
def report(folder: Path, photo: Path, weights: Path) -> Report:
    """A report whose every outside piece of text is hostile (the photo is really run through the pipeline)."""
    run = run_demo(folder / "demo", image=photo, sigma=None, weights=str(weights), records=RECORDS)
    run = replace(run, notes=[*run.notes, f"note {EVIL}"],
                  recommendations=[{"record": "hair", "why": f"why {EVIL}"}],
                  analysis={**run.analysis, "noise": {**run.analysis["noise"], "evidence": f"evidence {EVIL}"}})
    answer = {"question": f"Question {EVIL}", "sections": {"task": f"Task {EVIL}", "workflow": f"Workflow {EVIL}",
                                                           "references": f"- HAIR [hair]: {HAIR_CODE} {EVIL}"},
              "citations": ["hair"], "refused": False, "backend": "openai",
              "references": [{"id": "hair", "title": f"HAIR {EVIL}", "paper": RECORDS[1].paper, "code": HAIR_CODE}],
              "failure": f"scripted answered HTTP 500: <html><a href='https://evil.example.com/500'>x</a>{EVIL}</html>"}
    return Report(question=answer["question"], answer=answer, runs=[run], records=RECORDS,
                  stages=answer_stages(answer, [run], RECORDS), card=f"card {EVIL}", created="now", seconds=1.0)


def decoded_lower(text: str) -> str:
    return html.unescape(text).lower()


def markdown_findings(text: str, assets: str) -> list[str]:
    """Raw HTML, links other than the records' and images other than the report's own, in a Markdown report."""
    found = []
    for token in MarkdownIt("commonmark", {"html": True}).enable("table").parse(text):
        for child in [token, *(token.children or [])]:
            if child.type in ("html_inline", "html_block"):
                found.append(child.content)
            elif child.type == "link_open" and child.attrGet("href") not in LINKS:
                found.append(child.attrGet("href"))
            elif child.type == "image" and not str(child.attrGet("src")).startswith(assets + "/"):
                found.append(child.attrGet("src"))
    found += [word for word in ACTIVE if word in decoded_lower(text)]
    return found + re.findall(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)


def test_the_checks_see_the_hostile_text() -> None:
    assert markdown_findings(EVIL, "r_files") and markdown_findings(f"![p](https://evil.example.com/p.png)", "r_files")


def test_markdown_report_links_only_records_and_escapes_file_names(report: Report) -> None:
    text, files = markdown_report.render_markdown(report, "r_files")
    assert markdown_findings(text, "r_files") == []
    assert HAIR_CODE in text and len(files) == 3
    title = next(line for line in text.splitlines() if line.startswith("### Photo 1:"))
    assert title == r"### Photo 1: px\`x\`\*\_.png"  # the name's markup gone, its Markdown characters escaped
    assert "> The LLM backend failed (scripted answered HTTP 500: x" in text


def test_html_report_links_only_records(report: Report) -> None:
    page = html_report.render_html(report)
    lowered = decoded_lower(page)
    assert [word for word in ACTIVE if word in lowered] == [] and "\x1b" not in page
    assert set(html_report.external_links(page)) <= LINKS and HAIR_CODE in page


@pytest.mark.parametrize("render", ["markdown", "html"])
def test_a_report_that_would_still_link_outside_is_not_written(report: Report, render: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The last check stands even if the text were not made safe first."""
    module = markdown_report if render == "markdown" else html_report
    monkeypatch.setattr(module, "safe_report", lambda unsafe: unsafe)
    with pytest.raises(UserError, match="report not written"):
        module.render_markdown(report, "r_files") if render == "markdown" else module.render_html(report)


def test_markdown_problems_finds_what_breaks_the_rule() -> None:
    assert markdown_problems(f"[code]({HAIR_CODE}) and ![i](r_files/a.png)", LINKS, ["r_files/a.png"]) == []
    for bad in ("[x](https://evil.example.com)", "<b>x</b>", "![i](https://evil.example.com/i.png)",
                "[r]: https://evil.example.com\n", "evil.example.com/x", "\x1b[31mred"):
        assert markdown_problems(bad, LINKS, ["r_files/a.png"]), bad


def test_report_command_with_hostile_question_and_file_name(folder: Path, photo: Path, weights: Path) -> None:
    question = f"How do I denoise this? {EVIL}"
    for name in ("cli.md", "cli.html"):
        run = run_cli("report", "-q", question, "--image", photo, "--weights", weights, "-o", folder / name)
        assert run.code == 0, run.err
        written = (folder / name).read_text()
        if name.endswith(".md"):
            assert markdown_findings(written, "cli_files") == []
        else:
            assert [word for word in ACTIVE if word in decoded_lower(written)] == []
            assert set(html_report.external_links(written)) <= LINKS
