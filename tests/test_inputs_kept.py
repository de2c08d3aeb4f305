"""Inputs are never replaced, on any command, not even with --force: chat's transcript is never the card or a photo
of the session (and must be Markdown), the session's outputs never land on its card, photos or transcript, and a
report never writes over its photos, its card or its job file."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.agent_fixtures import noisy_crop, sha
from tests.cli_run import run_cli

ROOT = Path(__file__).resolve().parents[1]
CARD = ('"Which model removes noise?"\n\n### Related Papers:\nModel: SwinIR: Image Restoration\n'
        "Paper: https://arxiv.org/abs/2108.10257\nSummary: SwinIR removes noise.\n")


def chat(cwd: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agent", "chat", "--json", *args], input="\n".join(lines) + "\n",
                          cwd=cwd, capture_output=True, text=True, timeout=240)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return noisy_crop(tmp_path / "photo.png", 0, 0, sigma=25, seed=2)


@pytest.mark.parametrize("name", ["photo.png", "notes.html", "session"], ids=["photo", "html", "no-extension"])
def test_a_transcript_must_be_markdown_and_is_refused_before_the_session(tmp_path: Path, photo: Path,
                                                                         name: str) -> None:
    target = tmp_path / name
    before = target.read_bytes() if target.exists() else None
    done = chat(tmp_path, [f"/analyze {photo}"], "--transcript", str(target), "--force")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "must end in .md, .markdown, .txt" in done.stderr
    assert (target.read_bytes() if target.exists() else None) == before


def test_a_transcript_is_never_the_card(tmp_path: Path) -> None:
    card = tmp_path / "card.md"
    card.write_text(CARD, encoding="utf-8")
    done = chat(tmp_path, ["/records"], "--card", str(card), "--transcript", str(card), "--force")
    assert done.returncode == 2 and done.stderr.startswith("error: output path is the input file")
    assert card.read_text(encoding="utf-8") == CARD


def test_the_session_writes_nothing_over_its_card_photos_or_transcript(tmp_path: Path, photo: Path) -> None:
    card = tmp_path / "card.txt"
    card.write_text(CARD, encoding="utf-8")
    other = noisy_crop(tmp_path / "other.png", 100, 100, sigma=25, seed=3)
    transcript = tmp_path / "chat.md"
    kept = {path: sha(path) for path in (card, photo, other)}
    lines = [f"/analyze {other}", f"/denoise {photo} -o {other} --force", f"/denoise {photo} -o {card} --force",
             f"/denoise {photo} -o {transcript} --force", f"/analyze {transcript}", f"/card {transcript}",
             "Which model removes noise?", f"/report {other} --force", f"/report {card} --force"]
    done = chat(tmp_path, lines, "--card", str(card), "--transcript", str(transcript), "--force")
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(replies) == len(lines)  # one object per line, the refused ones included
    refused = [reply["input"] for reply in replies if "error" in reply]
    assert refused == [line for line in lines if line not in (lines[0], lines[6])]
    assert all("input file" in r["error"] or "transcript" in r["error"] for r in replies if "error" in r)
    assert {path: sha(path) for path in kept} == kept
    assert transcript.read_text(encoding="utf-8").startswith("# restore-agent chat")


def test_a_report_never_replaces_its_card_or_photo(tmp_path: Path, photo: Path) -> None:
    card = tmp_path / "card.md"
    card.write_text(CARD, encoding="utf-8")
    run = run_cli("report", "--card", card, "-o", card, "--force")
    assert run.code == 2 and "input file" in run.err and card.read_text(encoding="utf-8") == CARD
    assets = tmp_path / "report_files"
    assets.mkdir()
    inside = noisy_crop(assets / "photo.png", 0, 0, sigma=25, seed=2)
    before = sha(inside)
    run = run_cli("report", "--image", inside, "-o", tmp_path / "report.md", "--force")
    assert run.code == 2 and "the folder the Markdown report writes its images to" in run.err
    assert sha(inside) == before and not (tmp_path / "report.md").exists()


@pytest.mark.parametrize("name", ["index.html", "first.html"])
def test_report_script_never_writes_over_its_job_file(tmp_path: Path, name: str) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    jobs = out / name
    text = "jobs:\n- name: first\n  question: Which model removes noise?\n"
    jobs.write_text(text, encoding="utf-8")
    run = run_cli("report", "--script", jobs, "-o", out, "--force")
    assert run.code == 2 and "input file" in run.err
    assert jobs.read_text(encoding="utf-8") == text and sorted(p.name for p in out.iterdir()) == [name]


def test_a_name_picked_for_an_output_is_never_an_input_even_with_force(tmp_path: Path, photo: Path) -> None:
    taken = noisy_crop(tmp_path / "photo.denoised.png", 100, 100, sigma=25, seed=3)
    kept = sha(photo), sha(taken)
    run = run_cli("ask", "please denoise these photos", "--image", photo, "--image", taken, "--force", "--json")
    assert run.code == 0, run.err
    assert (sha(photo), sha(taken)) == kept
    outputs = {Path(p["output"]).name for p in json.loads(run.out)["photos"]}
    assert outputs == {"photo.denoised-2.png", "photo.denoised.denoised.png"}


def test_batch_into_a_folder_that_holds_its_input_never_writes_over_a_photo(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    top = noisy_crop((inputs / "in").mkdir(parents=True) or inputs / "a.png", 0, 0, sigma=25, seed=2)
    nested = noisy_crop(inputs / "in" / "a.png", 100, 100, sigma=25, seed=3)
    kept = sha(top), sha(nested)
    run = run_cli("batch", inputs, "-o", tmp_path, "--recursive", "--force", "--force-run")
    assert run.code == 2 and "would be the input photo" in run.err
    assert (sha(top), sha(nested)) == kept and sorted(p.name for p in tmp_path.iterdir()) == ["in"]
