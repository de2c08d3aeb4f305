"""The two index pages in headless chromium, the batch index (`batch --report`) and the script-report index
(`report --script`): at 1280 and 800 px neither scrolls sideways nor lets anything out of its table, names wrap
only after their separators (inside a word only where one segment alone is wider than its column), each status
badge shows whole on one line in its colour, and thumbnails keep rows short."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.products.report.script import JobOutcome, write_index
from tests.batch_helpers import CLEAN, LIGHT, make_outcomes
from tests.browser import Browser, chromium_path
from tests.cli_run import run_cli

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed (apt-get install "
                                "chromium): the index pages cannot be laid out in a real browser")

SEPARATORS = "/_-."
WIDTHS = (1280, 800)
JOBS = {"noisy-photo_from.the-1987_summer-holiday_roll-03.frame-12": True,
        "synthetic-noise.sigma-25_astronaut_crop": True,
        "averyveryverylongjobnamewithoutanyseparatorsfromabatchexport0001": True,
        "lost-photo": False}

FITS = """(() => {
  const table = document.querySelector('table.index');
  const box = table.parentElement.getBoundingClientRect();
  const out = [];
  for (const el of table.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && (r.left < box.left - 1 || r.right > box.right + 1)) out.push(`${el.tagName}.${el.className}`);
  }
  for (const cell of table.querySelectorAll('td, th')) {
    if (cell.scrollWidth > cell.clientWidth + 1) out.push(`cell: ${cell.textContent.slice(0, 40)}`);
  }
  const page = document.documentElement;
  return {scroll: page.scrollWidth, client: page.clientWidth, outside: out};
})()"""

NAMES = """[...document.querySelectorAll('.name')].map(el => {
  const tops = [], widths = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getBoundingClientRect();
      tops.push(rect.top);
      widths.push(rect.width);
    }
  }
  const cell = el.closest('td'), style = getComputedStyle(cell);
  const room = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {text: el.textContent, tops, widths, room};
})"""

BADGES = """[...document.querySelectorAll('.badge')].map(el => {
  const style = getComputedStyle(el), cell = el.closest('td').getBoundingClientRect(), r = el.getBoundingClientRect();
  return {text: el.innerText, whole: el.scrollWidth <= el.clientWidth && r.right <= cell.right + 1,
          lines: Math.round(el.clientHeight / parseFloat(style.lineHeight)), color: style.color};
})"""


@pytest.fixture(scope="module")
def batch_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A batch over real photos, one per outcome, under long names; its index."""
    root = tmp_path_factory.mktemp("layout")
    expected = make_outcomes(root / "in")
    run = run_cli("batch", root / "in", "-o", root / "out", "--recursive", "--report")
    assert run.code == 1, run.out + run.err
    return root / "out" / "index.html", expected


@pytest.fixture(scope="module")
def script_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The script-report index of four jobs under long names, one failed with a long path in its error."""
    folder = tmp_path_factory.mktemp("script")
    outcomes = [JobOutcome(name, "How do I remove the noise from this photo?", ok, folder / f"{name}.html" if ok
                           else None, None if ok else f"no such image file: {folder}/photos/missing/lost-photo.png",
                           1.5) for name, ok in JOBS.items()]
    return write_index(outcomes, folder / "index.html")


def layout(page: Path, width: int, opened: bool = False) -> dict:
    """What the page looks like at ``width`` px: whether it fits, its names, its badges, its thumbnails."""
    with Browser() as browser:
        browser.open(page, width, 900)
        if opened:
            browser.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        return {"fits": browser.evaluate(FITS), "names": browser.evaluate(NAMES), "badges": browser.evaluate(BADGES),
                "thumbs": browser.evaluate("[...document.images].map(i => i.getBoundingClientRect().height)")}


def mid_word_breaks(name: dict) -> list[str]:
    """Line breaks that are not after a separator, inside a segment that would fit its column alone."""
    text, tops, widths = name["text"], name["tops"], name["widths"]
    bad = []
    for index in (i for i in range(1, len(text)) if tops[i] > tops[i - 1] + 1):
        if text[index - 1] in SEPARATORS:
            continue
        start = max(text.rfind(mark, 0, index) for mark in SEPARATORS) + 1
        ends = [found for mark in SEPARATORS if (found := text.find(mark, index)) >= 0]
        end = min(ends, default=len(text) - 1) + 1
        if sum(widths[start:end]) <= name["room"]:
            bad.append(f"{text[:index]}|{text[index:]}")
    return bad


def assert_fits(seen: dict) -> None:
    fits = seen["fits"]
    assert fits["scroll"] <= fits["client"], fits
    assert fits["outside"] == [], fits["outside"]
    assert not [broken for name in seen["names"] for broken in mid_word_breaks(name)]


@pytest.mark.parametrize("width", WIDTHS)
def test_batch_index_fits_without_sideways_scrolling(batch_index, width: int):
    page, expected = batch_index
    seen = layout(page, width)
    assert_fits(seen)
    assert sorted(name["text"] for name in seen["names"]) == sorted(expected)
    long = next(name for name in seen["names"] if name["text"] == CLEAN)
    assert len(set(long["tops"])) > 1  # its one segment is wider than the column: it wraps where it must
    assert 0 < max(seen["thumbs"]) <= 96
    assert_fits(layout(page, width, opened=True))  # the details, open, fit too


@pytest.mark.parametrize("width", WIDTHS)
def test_script_index_fits_without_sideways_scrolling(script_index: Path, width: int):
    seen = layout(script_index, width)
    assert_fits(seen)
    job_names = [name["text"] for name in seen["names"] if not name["text"].endswith(".html")]
    assert job_names == list(JOBS)
    assert [badge["text"] for badge in seen["badges"]] == ["ok" if ok else "failed" for ok in JOBS.values()]
    assert all(badge["whole"] and badge["lines"] == 1 for badge in seen["badges"])


def _rgb(color: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", color)[:3])


@pytest.mark.parametrize("width", WIDTHS)
def test_batch_status_badges_show_whole_in_their_colours(batch_index, width: int):
    page, expected = batch_index
    badges = {badge["text"]: badge for badge in layout(page, width)["badges"]}
    assert sorted(badges) == sorted(expected.values())
    assert all(badge["whole"] and badge["lines"] == 1 for badge in badges.values()), badges
    red, green, blue = _rgb(badges["restored"]["color"])
    assert green > red and green > blue  # restored: green
    for alarming in ("check-failed", "failed"):
        red, green, blue = _rgb(badges[alarming]["color"])
        assert red > green > blue or red > 1.5 * green  # amber or red
    red, green, blue = _rgb(badges["unchanged"]["color"])
    assert max(red, green, blue) - min(red, green, blue) < 20  # gray


def test_names_take_break_opportunities_only_after_separators(batch_index, script_index: Path):
    page, expected = batch_index
    for html in (page.read_text(), script_index.read_text()):
        before = re.findall(r"(.)<wbr>", html)
        assert before and set(before) <= set(SEPARATORS)
    html = page.read_text()
    assert f'title="{LIGHT}"' in html and "check failed: removed texture as well as noise" in html
