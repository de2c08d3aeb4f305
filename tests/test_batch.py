"""`restore-agent batch`: a nested folder with broken files end to end, the manifest, resume, refusals, the
index report in headless chromium, and an interrupted run that resumes."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.products.report.html import external_links
from tests.batch_helpers import file_hashes, make_archive, manifest, noisy_crop
from tests.browser import Browser, chromium_path
from tests.cli_run import run_cli
from tests.ctrl_c import ctrl_c_handled
from tools.swinir import weights as registry

ROOT = Path(__file__).resolve().parents[1]
GOOD = ["a.png", "sub/b.jpg", "sub/deeper/c.png"]
BROKEN = ["sub/bad.png", "sub/deeper/truncated.jpg"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's folder, with ``in/``: a nested archive of photos and broken files."""
    made = tmp_path_factory.mktemp("batch")
    make_archive(made / "in")
    return made


@pytest.fixture(scope="module")
def archive(folder: Path) -> Path:
    return folder / "in"


@pytest.fixture(scope="module")
def first_run(folder: Path, archive: Path):
    before = file_hashes(archive)
    run = run_cli("batch", archive, "-o", folder / "out", "--recursive", "--report")
    return run, before


def test_nested_folder_with_broken_files_runs_end_to_end(first_run, folder: Path, archive: Path):
    run, before = first_run
    out = folder / "out"
    assert run.code == 1, run.err  # some photos failed
    for relative in BROKEN:
        assert f"failed {relative}:" in run.out
    assert "5 photo(s): 3 restored, 2 failed;" in run.out
    for relative in GOOD:
        with Image.open(out / relative) as restored, Image.open(archive / relative) as original:
            assert (restored.format, restored.size, restored.mode) == (original.format, original.size, original.mode)
    assert not (out / "notes.txt").exists() and not any(path.name.startswith(".") for path in out.rglob("*"))
    assert file_hashes(archive) == before  # the input folder is never written


def test_manifest_has_one_line_per_photo_with_what_was_done(first_run, folder: Path, archive: Path):
    entries = {entry["input"]["path"]: entry for entry in manifest(folder / "out")}
    assert sorted(entries) == sorted(GOOD + BROKEN)
    for relative in GOOD:
        entry = entries[relative]
        data = (archive / relative).read_bytes()
        assert entry["input"] == {"path": relative, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        assert entry["status"] == "restored" and entry["output"] == relative and entry["error"] is None
        checkpoint = registry.find(entry["model"]["id"]).path
        assert entry["model"]["sha256"] == hashlib.sha256(checkpoint.read_bytes()).hexdigest()
        assert entry["settings"] == {"noise": "auto", "weights": None, "skip_clean": False, "analyze_only": False,
                                     "force_run": False}
        assert entry["decision"]["denoise"] is True and entry["decision"]["forced"] is False
        assert entry["decision"]["reason"] and entry["warnings"] == []
        assert entry["analysis"]["width"] == 64 and entry["analysis"]["noise_sigma"] > 5
        assert entry["result"]["status"] == "restored" and entry["result"]["check"]["ok"] is True
        assert entry["result"]["after"]["noise_sigma"] is not None
        assert {"analyze", "denoise", "check", "total"} <= set(entry["timings"])
        for figure in (entry["analysis"]["noise_sigma"], entry["result"]["check"]["removed_std"],
                       entry["timings"]["total"]):  # rounded to what they mean
            assert figure == round(figure, 2)
    for relative in BROKEN:
        assert entries[relative]["status"] == "failed" and entries[relative]["output"] is None
    assert "not an image" in entries["sub/bad.png"]["error"]
    assert "truncated" in entries["sub/deeper/truncated.jpg"]["error"]


def test_second_run_resumes_and_retries_only_the_failures(first_run, folder: Path, archive: Path):
    out = folder / "out"
    stamps = {relative: (out / relative).stat().st_mtime_ns for relative in GOOD}
    lines = len(manifest(out))
    run = run_cli("batch", archive, "-o", out, "--recursive", "--json")
    assert run.code == 1
    new = manifest(out)[lines:]
    assert sorted(entry["input"]["path"] for entry in new) == sorted(BROKEN)
    assert {relative: (out / relative).stat().st_mtime_ns for relative in GOOD} == stamps
    assert '"resumed": 3' in run.out


def test_changed_settings_or_input_redo_the_photo(tmp_path: Path):
    source = tmp_path / "in"
    source.mkdir()
    Image.fromarray(noisy_crop(60, 150)).save(source / "one.png")
    Image.fromarray(noisy_crop(90, 200, seed=3)).save(source / "two.png")
    out = tmp_path / "out"
    assert run_cli("batch", source, "-o", out).code == 0
    Image.fromarray(noisy_crop(70, 160, seed=9)).save(source / "two.png")  # new content, same name
    assert run_cli("batch", source, "-o", out).code == 0
    assert [entry["input"]["path"] for entry in manifest(out)] == ["one.png", "two.png", "two.png"]
    assert run_cli("batch", source, "-o", out, "--noise", "25").code == 0
    assert [entry["settings"]["noise"] for entry in manifest(out)[3:]] == [25, 25]


def test_pattern_and_top_level_only(archive: Path, tmp_path: Path):
    run = run_cli("batch", archive, "-o", tmp_path / "jpegs", "--recursive", "--pattern", "*.jpg")
    assert sorted(entry["input"]["path"] for entry in manifest(tmp_path / "jpegs")) == [
        "sub/b.jpg", "sub/deeper/truncated.jpg"]
    assert run.code == 1
    run = run_cli("batch", archive, "-o", tmp_path / "top")
    assert run.code == 0 and [entry["input"]["path"] for entry in manifest(tmp_path / "top")] == ["a.png"]


def test_analyze_only_writes_no_photo(archive: Path, tmp_path: Path):
    run = run_cli("batch", archive, "-o", tmp_path / "out", "-r", "--analyze-only", "--noise", "25")
    entries = manifest(tmp_path / "out")
    assert run.code == 1 and sorted(path.name for path in (tmp_path / "out").iterdir()) == ["manifest.jsonl"]
    analyzed = [entry for entry in entries if entry["status"] == "analyzed"]
    assert len(analyzed) == 3 and all(entry["decision"]["noise_level"] == 25 for entry in analyzed)


@pytest.mark.parametrize("args, message", [
    (["IN/sub/out"], "is inside the input folder"),
    (["OUT", "--noise", "7"], "--noise must be auto or one of 15, 25, 50, got 7"),
    (["OUT", "--engine", "spark"], "--engine must be local or ray, got spark"),
    (["OUT", "--jobs", "0"], "'--jobs' / '-j': Input should be greater than or equal to 1 (allowed: 1 to 256"),
    (["OUT", "--weights", "nope.pth"], "--weights must be a known weights id"),
    (["OUT", "--pattern", "*.gif"], "no photos matching '*.gif'"),
    (["OUT", "--address", "10.0.0.1:6379"], "a cluster address needs the ray engine"),
    (["OUT", "--force-run", "--skip-clean"], "--force-run denoises every photo, so --skip-clean would skip none"),
    (["OUT", "--engine", "ray", "--actor-cpus", "0"], "'--actor-cpus': Input should be greater than or equal to 1"),
])
def test_bad_input_is_one_line_and_exit_2(archive: Path, tmp_path: Path, args, message):
    args = [arg.replace("IN", str(archive)).replace("OUT", str(tmp_path / "out")) for arg in args]
    run = run_cli("batch", archive, "-o", *args, "-r")
    assert run.code == 2 and message in run.err and "Traceback" not in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_ray_engine_without_ray_installed_says_how_to_get_it(archive: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed: importing it fails
    run = run_cli("batch", archive, "-o", tmp_path / "out", "--engine", "ray")
    assert run.code == 2 and "pip install 'restore-agent[cluster]'" in run.err
    assert not (tmp_path / "out").exists()  # refused before any work


def test_missing_input_folder_and_foreign_output_folder(archive: Path, tmp_path: Path):
    run = run_cli("batch", tmp_path / "nowhere", "-o", tmp_path / "out")
    assert run.code == 2 and "input folder does not exist" in run.err
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "a.png").write_bytes(b"someone else's file")
    run = run_cli("batch", archive, "-o", tmp_path / "theirs")
    assert run.code == 2 and "output exists" in run.err and "--force" in run.err
    assert (tmp_path / "theirs" / "a.png").read_bytes() == b"someone else's file"
    assert run_cli("batch", archive, "-o", tmp_path / "theirs", "--force").code == 0
    with Image.open(tmp_path / "theirs" / "a.png") as replaced:
        assert replaced.size == (64, 48)


@pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed (apt-get install chromium): the "
                    "index report cannot be opened in a real browser")
def test_index_report_in_chromium(first_run, folder: Path):
    index = folder / "out" / "index.html"
    html = index.read_text()
    assert external_links(html) == []  # nothing to load or follow outside the file
    with Browser() as browser:
        browser.open(index, 1280, 900)
        rows = browser.evaluate("document.querySelectorAll('tbody tr').length")
        images = browser.evaluate("[...document.images].map(i => [i.complete, i.naturalWidth > 0, i.alt])")
        totals = browser.evaluate("document.querySelector('tfoot').innerText")
        badges = browser.evaluate("[...document.querySelectorAll('.badge')].map(b => b.innerText)")
        errors = browser.evaluate("[...document.querySelectorAll('.line.bad')].map(p => p.innerText)")
        browser.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        checks = browser.evaluate("[...document.querySelectorAll('dt')].filter(dt => dt.innerText == 'check')"
                                  ".map(dt => dt.nextElementSibling.innerText)")
        requested = browser.requested_urls()
    assert rows == 5
    assert len(images) == 6 and all(complete and decoded for complete, decoded, _ in images)  # 3 before + 3 after
    assert "3 restored" in totals and "2 failed" in totals
    assert sorted(badges) == ["failed", "failed", "restored", "restored", "restored"]
    assert len(errors) == 2 and any("not an image" in text for text in errors)
    assert len(checks) == 3 and all("looks like noise" in text for text in checks)  # each run's check, on demand
    assert all(url.startswith(("file:", "data:")) for url in requested)


def _start(source: Path, out: Path, *options: str, **popen) -> subprocess.Popen:
    """``restore-agent batch SOURCE -o OUT OPTIONS`` in a child that Ctrl-C stops, wherever pytest runs."""
    with ctrl_c_handled():
        return subprocess.Popen([sys.executable, "-m", "agent", "batch", str(source), "-o", str(out), *options],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def _wait_for_lines(out: Path, count: int, process: subprocess.Popen, limit_s: float = 120.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and process.poll() is None:
        path = out / "manifest.jsonl"
        if path.is_file() and path.read_text().count("\n") >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"the batch ended or stalled before {count} photos: {process.communicate()}")


@pytest.fixture
def many_photos(tmp_path: Path) -> Path:
    source = tmp_path / "in"
    source.mkdir()
    for number in range(16):
        Image.fromarray(noisy_crop(40 + 9 * number, 120 + 6 * number, 64, 96, seed=number)).save(
            source / f"p{number:02d}.png")
    return source


def _every_output_complete(out: Path) -> None:
    """Every output is whole; a hidden temporary a killed writer left is no output (the next run clears it)."""
    for path in (path for path in out.glob("*.png") if not path.name.startswith(".")):
        with Image.open(path) as image:
            image.load()  # a partial file would fail to decode


def test_killed_run_resumes_without_redoing_finished_photos(many_photos: Path, tmp_path: Path):
    out = tmp_path / "out"
    process = _start(many_photos, out)
    _wait_for_lines(out, 2, process)
    process.kill()
    process.wait()
    finished = [entry["input"]["path"] for entry in manifest(out)]
    assert 2 <= len(finished) < 16
    _every_output_complete(out)
    run = run_cli("batch", many_photos, "-o", out, "--json")
    assert run.code == 0, run.err
    redone = [entry["input"]["path"] for entry in manifest(out)[len(finished):]]
    assert not set(redone) & set(finished) and sorted(finished + redone) == [f"p{n:02d}.png" for n in range(16)]
    assert not [path.name for path in out.iterdir() if path.name.startswith(".")]  # stale temporaries cleared


def test_ctrl_c_stops_cleanly_with_the_manifest_flushed(many_photos: Path, tmp_path: Path):
    out = tmp_path / "out"
    process = _start(many_photos, out)
    _wait_for_lines(out, 1, process)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in err
    entries = manifest(out)  # every line whole
    assert 1 <= len(entries) < 16
    _every_output_complete(out)
    assert sorted(path.name for path in out.glob("*.png")) >= sorted(entry["output"] for entry in entries)
    assert not [path.name for path in out.iterdir() if path.name.startswith(".")]


def test_ctrl_c_on_the_terminal_stops_worker_processes_too(many_photos: Path, tmp_path: Path):
    """Ctrl-C reaches the whole process group, workers included: the run still ends cleanly."""
    out = tmp_path / "out"
    process = _start(many_photos, out, "--jobs", "2", start_new_session=True)
    _wait_for_lines(out, 1, process)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130 and "Traceback" not in err, err
    entries = manifest(out)
    assert 1 <= len(entries) < 16 and all(entry["status"] == "restored" for entry in entries)
    _every_output_complete(out)
    assert not [path.name for path in out.iterdir() if path.name.startswith(".")]
    run = run_cli("batch", many_photos, "-o", out, "--json")
    assert run.code == 0 and f'"resumed": {len(entries)}' in run.out


def test_a_format_that_cannot_be_written_becomes_png_without_clashing(tmp_path: Path):
    source = tmp_path / "in"
    source.mkdir()
    Image.fromarray(noisy_crop(60, 150)).save(source / "scan.gif")
    Image.fromarray(noisy_crop(90, 180)).save(source / "scan.png")
    Image.fromarray(noisy_crop(70, 120)).save(source / "other.gif")
    run = run_cli("batch", source, "-o", tmp_path / "out")
    assert run.code == 0, run.out + run.err
    outputs = {entry["input"]["path"]: entry["output"] for entry in manifest(tmp_path / "out")}
    assert outputs == {"other.gif": "other.png", "scan.gif": "scan.gif.png", "scan.png": "scan.png"}
    for name in outputs.values():
        with Image.open(tmp_path / "out" / name) as image:
            assert image.format == "PNG"
