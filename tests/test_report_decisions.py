"""What a report shows is what happened: a photo the analysis leaves alone (clean, grain) gets its analysis and
the reason and no restored image; a noisy one is restored; a forced run is labelled before its figures, and a
failed check is at the top of the photo's section and in every caption. HTML and Markdown, real photos, the real
CLI and shipped weights."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import Browser, chromium_path
from tests.cli_run import run_cli
from tests.report_photos import CLEAN_REASON, GRAIN_REASON, QUESTION, clean_photo, grain_photo, noisy_photo

ASKED = re.compile(r"\bas asked\b|\bwas asked for\b|because you asked")  # words only a forced run may say
IMAGE_MD = re.compile(r"!\[([^\]]*)\]\(([^)]+)\)")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("decisions")


@pytest.fixture(scope="module")
def photos(folder: Path) -> dict[str, Path]:
    return {"clean": clean_photo(folder / "coffee.png"), "grain": grain_photo(folder / "grain.png"),
            "noisy": noisy_photo(folder / "astronaut-25.png")}


def make_report(folder: Path, photo: Path, name: str, *extra: str, question: str = QUESTION) -> tuple[str, str]:
    """Write a report through the CLI; its text, and what the command printed to stderr."""
    output = folder / name
    run = run_cli("report", "-q", question, "--image", photo, "-o", output, *extra)
    assert run.code == 0, run.err
    assert f"{photo.name}: " in run.out
    return output.read_text(), run.err


@pytest.fixture(scope="module")
def reports(folder: Path, photos: dict[str, Path]) -> dict[str, tuple[str, str]]:
    made = {f"{kind}.{ext}": make_report(folder, photos[kind], f"{kind}.{ext}")
            for kind in ("clean", "grain", "noisy") for ext in ("html", "md")}
    made["forced.html"] = make_report(folder, photos["clean"], "forced.html", "--force-run")
    return made


def html_captions(html: str) -> list[str]:
    """Every label a reader takes for what an image is: alt texts, figure captions, table headers, banner labels."""
    return (re.findall(r'<img[^>]* alt="([^"]*)"', html) + re.findall(r"<figcaption[^>]*>([^<]*)<", html)
            + re.findall(r"<th[^>]*>([^<]*)</th>", html) + re.findall(r'class="banner[^"]*"><strong>([^<]*)<', html))


def photo_section(html: str) -> str:
    return html[html.index('<article class="photo'):html.index("</article>")]


@pytest.mark.parametrize("kind, reason", [("clean", CLEAN_REASON), ("grain", GRAIN_REASON)])
def test_a_photo_left_alone_shows_the_reason_and_no_restored_image(reports, kind: str, reason: str):
    html, err = reports[f"{kind}.html"]
    section = photo_section(html)
    banner = re.search(r'<p class="banner banner-skipped"><strong>Not denoised:</strong> the analysis found ([^<]+)</p>',
                       section)
    assert banner and reason in banner.group(1), section[:600]
    assert re.findall(r'<img[^>]* alt="([^"]*)"', html) == ["input as it is"]  # no output, no comparison
    assert not any("restored" in caption for caption in html_captions(html)), html_captions(html)
    assert "Output: not denoised" in html and "check failed" not in html.lower()
    assert not ASKED.search(html) and "Forced run" not in html and "warning" not in err
    text, _ = reports[f"{kind}.md"]
    assert re.search(rf"> \*\*Not denoised:\*\* the analysis found [^\n]*{re.escape(reason)}", text)
    images = IMAGE_MD.findall(text)
    assert [alt for alt, _ in images] == ["input as it is"] and images[0][1].endswith("photo-1-input.png")
    assert "| measure | input |" in text and "restored" not in " ".join(alt for alt, _ in images)
    assert not ASKED.search(text)


def test_grain_is_called_grain(reports):
    html, _ = reports["grain.html"]
    assert "spatially correlated noise (grain)" in html


def test_a_noisy_photo_is_restored_and_says_why(reports):
    html, err = reports["noisy.html"]
    section = photo_section(html)
    assert '<p class="banner banner-restored"><strong>Restored:</strong> the check passed:' in section
    alts = re.findall(r'<img[^>]* alt="([^"]*)"', section)
    assert alts[0::2] == ["input as it is", "side by side with a zoomed crop (red box)"] and len(alts) == 3
    weights = re.fullmatch(r"restored \((swinir-half-noise\d+)\)", alts[1]).group(1)  # the shipped weights that ran
    assert f"Denoised with SwinIR {weights} (noise level " in section
    assert "Output: check failed" not in html and "Forced run" not in html and not ASKED.search(html)
    assert "warning" not in err
    text, _ = reports["noisy.md"]
    assert "> **Restored:** the check passed:" in text
    assert [alt for alt, _ in IMAGE_MD.findall(text)][1] == f"restored ({weights})"
    assert "| measure | input | restored |" in text and not ASKED.search(text)


def test_a_forced_run_is_labelled_before_its_figures_and_its_failed_check_everywhere(reports):
    html, err = reports["forced.html"]
    section = photo_section(html)
    forced = section.index("banner-forced")
    failed = section.index("banner-failed")
    assert forced < failed < section.index("<img") < section.index('<table class="figures">')
    assert "running anyway because you asked" in section[forced:failed]
    alts = re.findall(r'<img[^>]* alt="([^"]*)"', section)
    assert alts[1].startswith("denoised (check failed: ")
    assert not any("restored" in caption for caption in html_captions(html)), html_captions(html)
    assert '<th class="num failed">denoised</th>' in section
    assert re.search(r'<g class="stage stage-failed">.*?Output: check failed', html)
    notice = err.index("running anyway because you asked")
    assert err.startswith("warning: coffee.png: no visible") and notice < err.index("check failed")


def test_a_question_that_insists_runs_the_denoiser_and_captions_follow_the_status(tmp_path: Path, folder: Path,
                                                                                 photos: dict[str, Path]):
    from agent.core.backends import LLMSettings
    from agent.products.report.build import ReportJob
    from agent.products.report.run import create_report

    output = tmp_path / "insists.md"
    report = create_report(ReportJob(f"{QUESTION} Denoise it anyway.", [photos["clean"]]), LLMSettings(), output)
    run = report.runs[0]
    assert run.forced and run.ran and run.status == "check-failed"  # the check sees detail removed, not noise
    text = output.read_text()
    assert text.index("> **Forced run:**") < text.index("> **CHECK FAILED:**") < text.index("![")
    alt, path = IMAGE_MD.findall(text)[1]
    assert alt.startswith("denoised (check failed: ") and path.endswith("photo-1-denoised.png")
    assert (tmp_path / path).is_file() and "| measure | input | denoised |" in text
    assert sorted(p.name for p in (tmp_path / "insists_files").iterdir()) == [
        "photo-1-comparison.png", "photo-1-denoised.png", "photo-1-input.png"]


@pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed: the page cannot be looked at")
def test_chromium_shows_the_failed_check_above_the_images_in_red(reports, folder: Path):
    with Browser() as browser:
        browser.open(folder / "forced.html", 1280, 900)
        seen = browser.evaluate(
            "(() => { const photo = document.querySelector('#photo-1');"
            " const top = e => photo.querySelector(e).getBoundingClientRect().top;"
            " const banner = photo.querySelector('.banner-failed');"
            " return {banner: top('.banner-failed'), image: top('img'), table: top('table.figures'),"
            " background: getComputedStyle(banner).backgroundColor, visible: banner.offsetHeight > 20,"
            " caption: getComputedStyle(photo.querySelectorAll('figcaption')[1]).color}; })()")
    assert seen["visible"] and seen["banner"] < seen["image"] < seen["table"]
    assert seen["background"] == "rgb(253, 232, 234)" and seen["caption"] == "rgb(176, 0, 32)"
