"""`restore-agent report`: HTML and Markdown reports, checked as files and in a real headless chromium."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.products.report.html import check_links, external_links
from tests.browser import Browser, chromium_path, run_chromium
from tests.cli_run import run_cli
from tests.swinir_helpers import save_checkpoint
from tests.test_restore_pipeline import counted  # noqa: F401 (fixture: analyzer and denoiser runs)
from tools.cards import load_records
from tools.errors import UserError

RECORD_LINKS = {link for record in load_records(None) for link in (record.paper, record.code) if link}
NOISY_QUESTION = "How do I remove the noise from this photo?"
needs_chromium = pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed (apt-get install "
                                    "chromium): the HTML report cannot be opened in a real browser")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report")


@pytest.fixture(scope="module")
def weights(folder: Path) -> Path:
    """A tiny random SwinIR checkpoint: the pipeline runs for real, fast (it does not really denoise)."""
    return save_checkpoint(folder / "tiny_noise15.pth", 3)


@pytest.fixture(scope="module")
def noisy_photo(folder: Path) -> Path:
    """A 96 x 128 crop of the sample photo with Gaussian noise, as a user's already noisy photo."""
    from skimage import data

    clean = data.astronaut()[110:206, 180:308].astype(float)
    noisy = np.clip(np.rint(clean + np.random.default_rng(5).normal(0, 20, clean.shape)), 0, 255).astype(np.uint8)
    path = folder / "noisy.png"
    Image.fromarray(noisy).save(path)
    return path


@pytest.fixture(scope="module")
def html_report(folder: Path, noisy_photo: Path, weights: Path) -> Path:
    output = folder / "report.html"
    run = run_cli("report", "-q", NOISY_QUESTION, "--image", noisy_photo, "--weights", weights, "-o", output)
    assert run.code == 0, run.err
    assert "wrote" in run.out and "1 photo(s)" in run.out
    return output


@pytest.fixture(scope="module")
def refused_report(folder: Path) -> Path:
    output = folder / "refused.html"
    run = run_cli("report", "-q", "What is the capital of France?", "-o", output)
    assert run.code == 0, run.err
    return output


def test_html_report_is_one_self_contained_file(html_report: Path):
    html = html_report.read_text()
    assert "<script" not in html.lower() and "@import" not in html and "@font-face" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == 3  # input, restored, comparison
    links = external_links(html)
    assert links, "the report should link the cited records"
    assert set(links) <= RECORD_LINKS, set(links) - RECORD_LINKS
    for section in ("task", "workflow", "references"):
        assert f'<section id="{section}">' in html
    assert "<svg" in html and "Analyzer" in html and "SwinIR" in html
    assert "tiny_noise15.pth" in html and "noise sigma" in html and "PIQE" in html


def test_html_report_answer_is_about_the_attached_photo(html_report: Path):
    html = html_report.read_text()
    assert "noisy.png" in html
    assert "Analysis of the input" in html and "Gaussian-like noise" in html
    assert "gaussian-noise" not in html  # findings in words, not the analyzer's labels


def test_refused_report_says_so_plainly_with_no_links(refused_report: Path):
    html = refused_report.read_text()
    assert "do not cover this question" in html
    assert external_links(html) == []
    assert "<img" not in html


@needs_chromium
def test_chromium_screenshot_is_not_blank(html_report: Path, folder: Path):
    shot = folder / "laptop.png"
    done = run_chromium("--window-size=1280,1800", f"--screenshot={shot}", html_report.as_uri())
    assert shot.is_file(), done.stderr[-500:]
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape == (1800, 1280)
    assert pixels.std() > 20, "the screenshot is blank"
    assert (pixels < 100).mean() > 0.005, "no text or images drawn"


@needs_chromium
def test_chromium_dom_has_the_three_sections(html_report: Path):
    done = run_chromium("--dump-dom", html_report.as_uri())
    dom = done.stdout
    for section in ("task", "workflow", "references"):
        assert re.search(rf'<section id="{section}">\s*<h2>', dom), section
    assert 'class="diagram diagram-wide"' in dom and 'id="photo-1"' in dom


@needs_chromium
def test_chromium_decodes_images_and_loads_nothing_from_outside(html_report: Path):
    with Browser() as browser:
        browser.open(html_report, 1280, 900)
        sizes = browser.evaluate("[...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
        anchors = browser.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)")
        requested = browser.requested_urls()
        overflow = browser.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert len(sizes) == 3 and all(done and width > 0 and height > 0 for done, width, height in sizes)
    assert requested and all(url.startswith(("file:", "data:")) for url in requested), requested
    web = {url for url in anchors if url.startswith(("http:", "https:"))}
    assert web and web <= RECORD_LINKS, web - RECORD_LINKS
    assert overflow <= 0


@needs_chromium
def test_chromium_phone_and_print_layouts(html_report: Path):
    with Browser() as browser:
        browser.open(html_report, 390, 844, mobile=True)
        phone = browser.evaluate(
            "({overflow: document.documentElement.scrollWidth - innerWidth,"
            " narrow: getComputedStyle(document.querySelector('svg.diagram-narrow')).display,"
            " wide: getComputedStyle(document.querySelector('svg.diagram-wide')).display,"
            " image: document.querySelector('.pair img').getBoundingClientRect().width})")
        browser.call("Emulation.setEmulatedMedia", media="print")
        printed = browser.evaluate("({nav: getComputedStyle(document.querySelector('nav')).display,"
                                   " wide: getComputedStyle(document.querySelector('svg.diagram-wide')).display})")
        pdf = browser.call("Page.printToPDF")["data"]
    assert phone["overflow"] <= 0, "the page scrolls sideways on a phone"
    assert (phone["narrow"], phone["wide"]) == ("block", "none")
    assert 0 < phone["image"] <= 390
    assert printed == {"nav": "none", "wide": "block"}
    assert len(pdf) > 1000


def test_markdown_report_has_mermaid_and_its_images(folder: Path, weights: Path):
    from skimage import data

    clean = folder / "clean.png"
    Image.fromarray(data.astronaut()[120:184, 200:264]).save(clean)
    output = folder / "report.md"
    run = run_cli("report", "-q", NOISY_QUESTION, "--image", clean, "--add-noise", "15", "--weights", weights,
                  "-o", output)
    assert run.code == 0, run.err
    text = output.read_text()
    assert re.search(r"```mermaid\nflowchart LR\n(.+\n)+    s0 --> s1", text)
    for heading in ("## Task", "## Workflow", "## Papers and tools", "### Photo 1: clean.png"):
        assert heading in text
    assert "PSNR vs clean (dB)" in text and "sigma 15" in text
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(images) == 3 and all((folder / image).is_file() for image in images)
    assert set(re.findall(r"https?://[^\s)>\]]+", text)) <= RECORD_LINKS


def test_report_refuses_bad_input(html_report: Path, folder: Path, noisy_photo: Path):
    cases = {
        ("report", "-q", "noise", "-o", html_report): "output exists",
        ("report", "-q", "noise", "-o", folder / "r.txt"): "must end in .html or .md",
        ("report", "-q", "noise", "--image", folder / "missing.png", "-o", folder / "m.html"): "no such image file",
        ("report", "-q", "noise", "-o", folder / "no" / "such" / "r.html"): "output folder does not exist",
        ("report", "--script", folder / "jobs.yaml", "-q", "noise", "-o", folder / "out"): "--script takes",
        ("report", "-q", "noise", "--llm", "nonsense", "-o", folder / "l.html"): "--llm must be one of",
    }
    for args, message in cases.items():
        run = run_cli(*args)
        assert run.code == 2 and message in run.err, (args, run.err)
        assert run.err.count("\n") == 1 and "Traceback" not in run.err
    assert not (folder / "m.html").exists() and not (folder / "r.txt").exists()


def test_report_force_replaces_an_existing_report(refused_report: Path):
    before = refused_report.read_text()
    run = run_cli("report", "-q", "Which model removes rain and haze?", "-o", refused_report, "--force")
    assert run.code == 0, run.err
    after = refused_report.read_text()
    assert after != before and "do not cover this question" not in after


def test_report_via_an_unreachable_llm_falls_back_offline_and_says_so(folder: Path):
    output = folder / "fallback.html"
    run = run_cli("report", "-q", "Which model removes rain and haze?", "--llm", "openai", "--model", "m",
                  "--base-url", "http://127.0.0.1:9/v1", "--timeout", "3", "-o", output)
    assert run.code == 0, run.err
    html = output.read_text()
    assert "offline-fallback backend" in html and "The LLM backend failed" in html
    assert set(external_links(html)) <= RECORD_LINKS


def test_link_check_allows_only_record_links_and_the_file_itself():
    paper = sorted(RECORD_LINKS)[0]
    check_links(f'<a href="{paper}">p</a><a href="#task">t</a><img src="data:image/png;base64,AA">', RECORD_LINKS)
    for stray in ('<a href="https://example.com/">x</a>', '<img src="http://example.com/a.png">',
                  '<div style="background: url(https://example.com/b.png)">', '<a href="//example.com/">x</a>'):
        with pytest.raises(UserError, match="no loaded record links"):
            check_links(stray, RECORD_LINKS)


def _stated_times(text: str) -> dict[str, set[str]]:
    """The denoise times a report states: in the answer and the photo caption ("in 1.23 s"), in the diagram's
    model stage and in the photo's step times."""
    return {"in": set(re.findall(r"\bin (\d+\.\d\d) s\b", text)),
            "diagram": set(re.findall(r"Models \((\d+\.\d\d) s\)", text)),
            "steps": set(re.findall(r"denoise (\d+\.\d\d) s", text))}


@pytest.mark.parametrize("kind", ["md", "html"])
def test_one_report_with_one_photo_denoises_once_and_states_that_run(
        kind: str, tmp_path: Path, noisy_photo: Path, weights: Path, counted) -> None:
    from agent.core.backends import LLMSettings
    from agent.products.report.build import ReportJob
    from agent.products.report.run import create_report

    output = tmp_path / f"report.{kind}"
    report = create_report(ReportJob(NOISY_QUESTION, [noisy_photo], weights=str(weights)), LLMSettings(), output)
    assert counted["denoise"] == 1, counted
    run = report.runs[0]
    text = output.read_text()
    seconds = f"{run.seconds['denoise']:.2f}"
    assert _stated_times(text) == {"in": {seconds}, "diagram": {seconds}, "steps": {seconds}}
    assert report.scratch and report.scratch not in text and "restore-agent-report-" not in text
    if kind == "md":  # the restored photo is named where the reader finds it, beside the report
        named = re.findall(r"→ `([^`]+)`", text)  # named by its status: restored only where the check passed
        assert named == [f"report_files/photo-1-{run.output_word}.png"] and (tmp_path / named[0]).is_file()
    else:
        assert f"→ the {run.output_word} image (Photo 1 below)" in text
    level = run.checkpoint["noise_level"]
    assert all(int(found) == level for found in re.findall(r"noise-level (\d+) checkpoint", text))
    if run.checkpoint["suggested_noise_level"] != level:
        assert f"nearest to the suggested noise-{run.checkpoint['suggested_noise_level']}" in text


def test_a_report_reuses_its_run_when_the_llm_asks_for_the_level_that_ran(
        tmp_path: Path, weights: Path, counted) -> None:
    import json

    from agent.core.backends import LLMSettings
    from agent.products.report.build import ReportJob
    from agent.products.report.run import create_report
    from tests.agent_fixtures import noisy_crop
    from tests.openai_server import call, scripted_server, text

    noisy_photo = noisy_crop(tmp_path / "very-noisy.png", 100, 180, sigma=30, seed=2)  # suggests noise-25 weights

    answer = ("## Task\n\nRemoving the noise [denoise-swinir-noise15].\n\n## Workflow\n\nSwinIR ran on the photo "
              "[denoise-swinir-noise15].\n\n## Papers and tools\n\n- SwinIR [denoise-swinir-noise15]\n")
    denoise = {"path": str(noisy_photo), "noise_level": 15}  # the level of the weights that ran
    with scripted_server(call("denoise_image", json.dumps(denoise)), text(answer)) as server:
        settings = LLMSettings(backend="openai", model="scripted", base_url=server.base_url, api_key="test")
        report = create_report(ReportJob(NOISY_QUESTION, [noisy_photo], weights=str(weights)), settings,
                               tmp_path / "report.md")
    calls = [c for c in report.answer["tool_calls"] if c["name"] == "denoise_image"]
    assert report.answer["backend"] == "openai" and len(calls) == 1 and calls[0]["ok"]
    assert report.runs[0].checkpoint["suggested_noise_level"] == 25
    assert counted["denoise"] == 1, counted
