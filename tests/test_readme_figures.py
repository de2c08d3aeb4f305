"""Every figure in the README, docs/, the model card and training/README.md is traced to its results key.

A figure is cited by a marker naming the exact key (file, path, rounding as quoted) or sits in a block rendered
from a results file (``bench/figures.py``). These tests fail when a cited figure or a block differs from what its
key renders, when a figure carries no citation, and when a link leads nowhere.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import figures  # noqa: E402  (bench/figures.py)

PAGES = figures.PAGES


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_figure_is_what_its_key_renders(page: Path) -> None:
    changed = list(figures.differences(page.read_text(encoding="utf-8")))
    assert not changed, "run python bench/figures.py --write, or fix the key:\n" + "\n".join(changed)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_figure_is_cited(page: Path) -> None:
    missing = figures.uncited(page.read_text(encoding="utf-8"))
    assert not missing, "figures with no results key:\n" + "\n".join(missing)


def test_the_pages_cite_the_benchmarks() -> None:
    text = "".join(page.read_text(encoding="utf-8") for page in PAGES)
    assert len(figures.MARKER.findall(text)) > 50 and len(figures.BLOCK.findall(text)) >= 3


def _first_marker(text: str) -> re.Match:
    return next(m for m in figures.MARKER.finditer(text) if "." in m.group(1))


def test_a_figure_changed_by_hand_is_caught() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    marker = _first_marker(readme)
    quoted = marker.group(1)
    changed = quoted[:-1] + str((int(quoted[-1]) + 1) % 10)
    edited = readme[:marker.start(1)] + changed + readme[marker.end(1):]
    assert any(changed in line and quoted in line for line in figures.differences(edited))


def test_a_block_changed_by_hand_is_caught() -> None:
    card = (ROOT / "tools" / "swinir" / "weights" / "MODEL_CARD.md").read_text(encoding="utf-8")
    block = figures.BLOCK.search(card)
    digit = re.search(r"\d", block.group(3))
    at = block.start(3) + digit.start()
    edited = card[:at] + str((int(card[at]) + 1) % 10) + card[at + 1:]
    assert list(figures.differences(edited))


def test_an_uncited_figure_is_caught() -> None:
    assert figures.uncited("The shipped weights take 12.3 s per photo, 40x faster, 3 dB above.") == [
        "'12.3 s' in: The shipped weights take 12.3 s per photo, 40x faster, 3 dB above.",
        "'40x' in: The shipped weights take 12.3 s per photo, 40x faster, 3 dB above.",
        "'3 dB' in: The shipped weights take 12.3 s per photo, 40x faster, 3 dB above."]
    assert not figures.uncited("Run `--noise 25.5` on sigma 15 photos; torch 2.13.0, 48 x 48 patches.")


def test_references_select_exactly_one_value() -> None:
    assert figures.resolve("denoise_quality:rows[set=McMaster,sigma=15,method=noisy input].psnr") > 20
    with pytest.raises(figures.FigureError, match="selects"):
        figures.resolve("denoise_quality:rows[set=McMaster].psnr")
    with pytest.raises(figures.FigureError, match="no key"):
        figures.resolve("denoise_quality:nowhere")
    assert figures.formatted(0.0213, "+0.02") == "+0.02" and figures.formatted(12500, "12,000") == "12,500"
    assert figures.evaluate("{denoise_quality:rows[0].psnr} - {denoise_quality:rows[0].psnr}") == 0


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


def test_the_agents_measured_figures_are_the_benchmarks() -> None:
    """What the agent says it measured (read from the model card) is the results' keys, rounded as said."""
    from agent.core.measured import shipped_card

    card = shipped_card()
    if card is None:
        pytest.skip("no shipped weights in this checkout")
    speed = figures.resolve(f"swinir_speed:paths[weights={card.id},megapixels=1.0,path=tiled].s_per_mp")
    assert card.seconds_per_megapixel == f"{speed:.0f}"
    shipped = {(r["set"], str(r["sigma"])): r for r in json.loads(
        (ROOT / "bench" / "results" / "denoise_quality.json").read_text(encoding="utf-8"))["rows"] if r["role"] == "shipped"}
    assert len(card.rows) == len(shipped) >= 6
    for row in card.rows:
        measured = shipped[(row.test_set, row.sigma)]
        assert (row.psnr, row.weights) == (f"{measured['psnr']:.2f}", measured["method"].split()[0])
