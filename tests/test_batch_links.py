"""`restore-agent batch` stays in its input folder: links that leave it, link loops, named pipes and devices are
listed as not read (manifest, summary, --json), never opened or hashed; a link to a photo inside the folder is
read under its own name."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.batch_helpers import manifest, noisy_crop
from tests.cli_run import run_cli

ROOT = Path(__file__).resolve().parents[1]
LEFT_OUT = {
    "secret.png": "leaves the input folder",
    "escape": "leaves the input folder",
    "loop.png": "symbolic link loop",
    "pipe.png": "FIFO (named pipe)",
    "broken.png": "target is missing",
    "here": "link to a folder",
}


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """``in/``: two photos, an inside link to one, and every kind of entry a batch must not read."""
    outside = tmp_path / "private"
    outside.mkdir()
    Image.fromarray(noisy_crop(60, 150, seed=5)).save(outside / "secret.png")  # a real photo: it would decode
    source = tmp_path / "in"
    (source / "sub").mkdir(parents=True)
    Image.fromarray(noisy_crop(60, 150)).save(source / "a.png")
    Image.fromarray(noisy_crop(80, 170, seed=1)).save(source / "sub" / "b.png")
    os.symlink("a.png", source / "alias.png")
    os.symlink(outside / "secret.png", source / "secret.png")
    os.symlink(outside, source / "escape")
    os.symlink("loop.png", source / "loop.png")
    os.mkfifo(source / "pipe.png")
    os.symlink("gone.png", source / "broken.png")
    os.symlink("sub", source / "here")
    return tmp_path


def run_batch(*args: object, timeout: float = 120) -> subprocess.CompletedProcess:
    """The CLI in a subprocess: a batch that opened the pipe would block, and fails here instead."""
    return subprocess.run([sys.executable, "-m", "agent", "batch", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_only_photos_inside_the_folder_are_read(folder: Path) -> None:
    out = folder / "out"
    run = run_batch(folder / "in", "-o", out, "-r", "--analyze-only", "--report")
    assert run.returncode == 0, run.stderr
    entries = {entry["input"]["path"]: entry for entry in manifest(out)}
    assert {path for path, entry in entries.items() if entry["status"] == "analyzed"} == {
        "a.png", "alias.png", "sub/b.png"}
    assert entries["alias.png"]["input"]["sha256"] == entries["a.png"]["input"]["sha256"]
    for name, reason in LEFT_OUT.items():
        entry = entries[name]
        assert entry["status"] == "not-read" and reason in entry["error"], entry
        assert entry["input"]["sha256"] is None and entry["input"]["size"] is None
        assert f"not read {name}: " in run.stdout and reason in run.stdout.split(f"not read {name}: ")[1]
    secret = hashlib.sha256((folder / "private" / "secret.png").read_bytes()).hexdigest()
    for written in (out / "manifest.jsonl", out / "index.html"):
        text = written.read_text()
        assert secret not in text and str(folder / "private") not in text, written
    assert "9 photo(s): 3 analyzed, 6 not-read;" in " ".join(run.stdout.split())


def test_json_lists_what_was_not_read_and_the_pattern_still_applies(folder: Path) -> None:
    run = run_batch(folder / "in", "-o", folder / "out", "--analyze-only", "--json", "--pattern", "*.png")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    not_read = dict(summary["not_read"])
    # top level only: the folder links are not searched, so only the names the pattern matches are listed
    assert set(not_read) == {"secret.png", "loop.png", "pipe.png", "broken.png"}
    assert summary["counts"]["not-read"] == 4 and summary["counts"]["analyzed"] == 2


def test_a_folder_with_nothing_readable_says_what_it_left_out(tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    os.mkfifo(source / "pipe.png")
    run = run_cli("batch", source, "-o", tmp_path / "out")
    assert run.code == 2 and run.err.count("\n") == 1, run.err
    assert "no photos with a photo extension" in run.err and "pipe.png (is a FIFO (named pipe)" in run.err
    assert not (tmp_path / "out").exists()


def test_a_photo_over_the_cap_is_not_hashed(tmp_path: Path) -> None:
    from tools.batch.plan import plan_batch
    from tools.batch.settings import BatchSettings

    source = tmp_path / "in"
    source.mkdir()
    Image.fromarray(noisy_crop(60, 150)).save(source / "a.png")
    with open(source / "huge.png", "wb") as handle:
        handle.truncate(3 * 10**9)  # sparse: no disk used
    plan = plan_batch(source, tmp_path / "out", BatchSettings(analyze_only=True))
    assert [task.relative for task in plan.todo] == ["a.png"]
    assert [(item.relative, item.reason.split(":")[0]) for item in plan.skipped] == [
        ("huge.png", "photo is larger than 1 GB")]
