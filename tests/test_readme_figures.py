"""The README and docs/ quote only the benchmarks' figures, start with the two commands, and link what exists.

A figure quoted in prose goes stale silently when a benchmark is rerun; these tests read every PSNR (dB), SSIM
and noise-estimate figure in the README and docs/ and fail unless it is one of the figures in
``bench/results/*.json`` at the precision quoted.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NUMBER = r"\d+\.\d+"
DB = re.compile(rf"({NUMBER})(?= dB)|({NUMBER})(?= (?:to|->|→) {NUMBER} dB)")
NOISE = re.compile(rf"noise (?:sigma|estimate)\D{{0,12}}?({NUMBER})\D{{1,8}}?({NUMBER})")
TABLE_ROW = re.compile(r"^\| (?:McMaster|Set12),")


def _leaves(value: object) -> Iterator[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield float(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)


@pytest.fixture(scope="module")
def figures() -> list[float]:
    return [leaf for path in sorted((ROOT / "bench" / "results").glob("*.json"))
            for leaf in _leaves(json.loads(path.read_text(encoding="utf-8")))]


def _known(quoted: str, figures: list[float]) -> bool:
    digits = len(quoted.split(".")[1])
    return any(f"{figure:.{digits}f}" == quoted for figure in figures)


def _quoted(text: str) -> list[str]:
    """The PSNR, SSIM and noise-estimate figures a paragraph, a table row or a line of output quotes."""
    found = [a or b for a, b in DB.findall(text)]
    if "SSIM" in text:
        found += re.findall(r"(?<![\d.])0\.\d{3,4}(?!\d)", text)
    found += [number for pair in NOISE.findall(text) for number in pair]
    if TABLE_ROW.match(text):
        found += re.findall(rf"(?<![\w.]){NUMBER}", text)
    return found


def _pieces(page: Path) -> Iterator[str]:
    """Prose paragraphs joined into one line each (a figure may sit across a line break); other lines as they are."""
    for block in page.read_text(encoding="utf-8").split("\n\n"):
        lines = block.splitlines()
        if any(line.startswith(("|", "```", "│", "┃", "╭", "$")) or "  " in line.strip() for line in lines):
            yield from lines
        else:
            yield " ".join(block.split())


def test_every_quoted_figure_is_a_benchmark_figure(figures: list[float]) -> None:
    quoted = [(page.name, number, piece[:90]) for page in PAGES for piece in _pieces(page) for number in _quoted(piece)]
    assert len(quoted) > 30, "the pages quote the benchmarks' figures"
    stale = [found for found in quoted if not _known(found[1], figures)]
    assert not stale, f"figures not in bench/results/*.json: {stale}"


def test_the_readme_quotes_the_demo_benchmark() -> None:
    demo = json.loads((ROOT / "bench" / "results" / "demo.json").read_text(encoding="utf-8"))
    noisy, restored = demo["metrics"]["noisy"], demo["metrics"]["restored"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"PSNR {noisy['psnr']:.2f} -> {restored['psnr']:.2f} dB" in readme
    assert f"SSIM {noisy['ssim']:.3f} -> {restored['ssim']:.3f}" in readme
    reports = (ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    assert f"{noisy['psnr']:.2f} dB / SSIM {noisy['ssim']:.3f}" in " ".join(reports.split())
    assert f"from {demo['noise_estimate']['before']:.1f} to {demo['noise_estimate']['after']:.1f}" in reports


def test_a_stale_figure_would_be_caught(figures: list[float]) -> None:
    """The figures the issue found stale (32.09 dB, SSIM 0.818) are no benchmark's."""
    assert _quoted("from 25.13 dB to 32.09 dB, SSIM 0.818") == ["25.13", "32.09", "0.818"]
    assert not _known("32.09", figures) and not _known("0.818", figures)


def test_the_first_screen_holds_what_it_is_and_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    first_screen = lines[:30]
    commands = [lines[i + 1] for i, line in enumerate(first_screen[:-1])
                if line in ("# 1. set up and answer the card's question", "# 2. set up and run the tests")]
    assert len(commands) == 2
    for command in commands:  # the CPU build of torch, from its index, inside the command
        assert "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu &&" in command
    assert commands[0].endswith("restore-agent ask") and commands[1].endswith("pytest -q")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "# 2\\. set up and run the tests" in ci  # the line .ci/run reads the test command after


def test_relative_links_lead_to_files() -> None:
    missing = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if target.startswith(("http:", "https:", "#", "mailto:")):
                continue
            if not (page.parent / target.split("#")[0]).exists():
                missing.append((page.name, target))
    assert not missing
