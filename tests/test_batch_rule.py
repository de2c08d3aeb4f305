"""`restore-agent batch` follows the one rule on real photos with the shipped weights: each photo's analysis decides,
`--force-run` alone overrides it (each forced run labelled), a level or weights only say how to run; a failed check
is `check-failed`, never `restored`, and exits 1; `--skip-clean` skips what the analysis leaves alone."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.batch_helpers import CORRUPT, LIGHT, NOISY, coffee_crop, make_outcomes, manifest, noisy_crop
from tests.cli_run import run_cli

NOTICE = "running anyway because you asked"


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A folder with one photo for each outcome: restored, check-failed, unchanged, failed."""
    root = tmp_path_factory.mktemp("outcomes")
    return root, make_outcomes(root / "in")


def _entries(out: Path) -> dict[str, dict]:
    return {entry["input"]["path"]: entry for entry in manifest(out)}


def _two_photos(folder: Path) -> Path:
    """``clean.png`` (fine texture, no noise) and ``noisy.png`` (sigma 20)."""
    folder.mkdir()
    Image.fromarray(coffee_crop()).save(folder / "clean.png")
    Image.fromarray(noisy_crop(60, 150, 96, 128, sigma=20)).save(folder / "noisy.png")
    return folder


def test_a_failed_check_is_check_failed_and_the_batch_exits_1(outcomes):
    root, expected = outcomes
    run = run_cli("batch", root / "in", "-o", root / "out", "--recursive")
    entries = _entries(root / "out")
    assert run.code == 1, run.err
    assert {path: entry["status"] for path, entry in entries.items()} == expected
    light = entries[LIGHT]
    assert light["result"]["check"]["ok"] is False and light["decision"]["forced"] is False
    problem = light["result"]["check"]["problems"][0]
    assert problem.startswith("removed texture as well as noise")  # sigma-15 weights on sigma 3: texture goes too
    assert light["warnings"] == light["result"]["check"]["problems"]
    assert entries[NOISY]["result"]["check"]["ok"] is True and entries[NOISY]["warnings"] == []
    assert f"check failed {LIGHT}: {problem}" in " ".join(run.out.split())
    assert "4 photo(s): 1 restored, 1 check-failed, 1 unchanged, 1 failed;" in run.out

    again = run_cli("batch", root / "in", "-o", root / "out", "--recursive", "--json")
    summary = json.loads(again.out)
    assert again.code == 1  # the resumed check failure still counts
    assert summary["counts"]["resumed"] == 3 and summary["counts"]["failed"] == 1
    assert summary["check_failures"] == [[LIGHT, problem]]
    assert [entry["input"]["path"] for entry in manifest(root / "out")[4:]] == [CORRUPT]


def test_force_run_denoises_every_photo_and_labels_each_forced_run(tmp_path: Path):
    source = _two_photos(tmp_path / "in")
    run = run_cli("batch", source, "-o", tmp_path / "out", "--force-run", "--report", "--json")
    entries = _entries(tmp_path / "out")
    clean, noisy = entries["clean.png"], entries["noisy.png"]
    assert clean["decision"]["forced"] is True and clean["decision"]["notice"].endswith(NOTICE)
    assert clean["decision"]["notice"].startswith("no visible noise (sigma")
    assert clean["warnings"][0] == clean["decision"]["notice"]
    # denoising a clean, textured photo takes texture away, and the check says so
    assert clean["status"] == "check-failed"
    assert any(p.startswith("removed texture as well as noise") for p in clean["result"]["check"]["problems"])
    assert noisy["decision"]["forced"] is False and noisy["decision"]["notice"] is None
    assert noisy["status"] == "restored"
    summary = json.loads(run.out)
    assert run.code == 1 and summary["forced"] == 1
    assert clean["settings"]["force_run"] is True
    index = (tmp_path / "out" / "index.html").read_text()
    assert f"forced: {clean['decision']['notice']}" in index and index.count(NOTICE) == 1


@pytest.mark.parametrize("how", [["--noise", "15"], ["--weights", "swinir-s-noise50"], []])
def test_a_level_or_weights_alone_do_not_run_the_denoiser(tmp_path: Path, how: list[str]):
    source = _two_photos(tmp_path / "in")
    run = run_cli("batch", source, "-o", tmp_path / "out", *how)
    entries = _entries(tmp_path / "out")
    assert run.code == 0, run.out + run.err
    assert entries["clean.png"]["status"] == "unchanged" and entries["clean.png"]["result"] is None
    assert entries["clean.png"]["decision"]["reason"].startswith("no visible noise")
    assert (tmp_path / "out" / "clean.png").read_bytes() == (source / "clean.png").read_bytes()
    assert entries["noisy.png"]["status"] == "restored"


@pytest.mark.parametrize("noise", ["auto", "50"])
def test_skip_clean_skips_what_the_analysis_leaves_alone(tmp_path: Path, noise: str):
    source = _two_photos(tmp_path / "in")
    run = run_cli("batch", source, "-o", tmp_path / "out", "--skip-clean", "--noise", noise, "--report", "--json")
    entries = _entries(tmp_path / "out")
    assert run.code == 0, run.out + run.err
    assert json.loads(run.out)["counts"]["skipped"] == 1
    assert entries["clean.png"]["status"] == "skipped" and entries["clean.png"]["output"] is None
    assert entries["clean.png"]["decision"]["reason"].startswith("no visible noise")
    assert not (tmp_path / "out" / "clean.png").exists()  # nothing written for it
    assert entries["noisy.png"]["status"] == "restored" and (tmp_path / "out" / "noisy.png").is_file()
    assert 'class="badge badge-skipped">skipped<' in (tmp_path / "out" / "index.html").read_text()
    again = run_cli("batch", source, "-o", tmp_path / "out", "--skip-clean", "--noise", noise, "--json")
    assert json.loads(again.out)["counts"] == {"resumed": 2}  # a skipped photo is done

