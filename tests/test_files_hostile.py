"""Outputs under hostile conditions: the overwrite rule for each command, a writer killed mid-write, a full
file-size limit (EFBIG), /proc, an existing folder, a symbolic-link loop, no permission. Each is one line on
stderr, a non-zero exit, and no partial or temporary file left."""
from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.agent_fixtures import noisy_crop
from tests.cli_run import run_cli
from tools.fileio import remove_stale_temporaries, write_atomic

ROOT = Path(__file__).resolve().parents[1]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def noisy(path: Path, seed: int = 0) -> Path:
    return noisy_crop(path, 100, 180, sigma=15, seed=seed)


def one_line_error(run, *expected: str) -> None:
    assert run.code != 0 and run.out == ""
    assert run.err.startswith("error: ") and run.err.count("\n") == 1, run.err
    for part in expected:
        assert part in run.err, run.err
    assert "Traceback" not in run.err


def listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def cli_subprocess(*args: str, preexec=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "agent", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, preexec_fn=preexec)


# --- the overwrite rule ---------------------------------------------------------------------------------------

def test_denoise_refuses_an_existing_output_unless_force(tmp_path: Path) -> None:
    photo, target = noisy(tmp_path / "p.png"), tmp_path / "existing.png"
    target.write_bytes(b"keep me")
    refused = run_cli("denoise", photo, "-o", target)
    one_line_error(refused, "output exists", "--force")
    assert target.read_bytes() == b"keep me" and listing(tmp_path) == ["existing.png", "p.png"]
    replaced = run_cli("denoise", photo, "-o", target, "--force", "--json")
    assert replaced.code == 0, replaced.err
    with Image.open(target) as written:
        assert written.size == (96, 96)


def test_ask_picks_a_fresh_name_and_replaces_only_with_force(tmp_path: Path) -> None:
    photo = noisy(tmp_path / "p.png")
    taken = tmp_path / "p.denoised.png"
    taken.write_bytes(b"an earlier result")
    first = run_cli("ask", "please clean up the noise in this photo", "--image", photo, "--json")
    assert first.code == 0, first.err
    runs = json.loads(first.out)["tool_calls"]
    assert [c["name"] for c in runs][-1] == "denoise_image" and runs[-1]["ok"], runs
    assert taken.read_bytes() == b"an earlier result"
    assert (tmp_path / "p.denoised-2.png").is_file()
    forced = run_cli("ask", "please clean up the noise in this photo", "--image", photo, "--json", "--force")
    assert forced.code == 0, forced.err
    assert taken.read_bytes() != b"an earlier result" and not (tmp_path / "p.denoised-3.png").exists()
    with Image.open(taken) as written:
        assert written.size == (96, 96)


def test_report_and_demo_still_refuse_without_force(tmp_path: Path) -> None:
    (tmp_path / "r.html").write_text("mine")
    one_line_error(run_cli("report", "-q", "noise", "-o", tmp_path / "r.html"), "output exists", "--force")
    assert (tmp_path / "r.html").read_text() == "mine"


# --- outputs that cannot be written ---------------------------------------------------------------------------

def _no_denoise(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to read the photo for denoising fail the test: refusals must come first."""
    import tools.swinir.service as service

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the denoise ran before the output was checked")

    monkeypatch.setattr(service, "load_image", forbidden)


@pytest.mark.parametrize("case,expected", [
    ("existing-folder", "is a folder"),
    ("proc", "not writable"),
    ("proc-self", "/proc/self"),
    ("link-loop", "symbolic link"),
    ("loop-folder", "symbolic link loop"),
    ("missing-folder", "does not exist"),
    ("device", "not a regular file"),
])
def test_unwritable_outputs_are_refused_before_the_denoise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           case: str, expected: str) -> None:
    photo = noisy(tmp_path / "p.png")
    (tmp_path / "folder.png").mkdir()
    os.symlink(tmp_path / "loop.png", tmp_path / "loop.png")
    os.symlink(tmp_path / "loopdir", tmp_path / "loopdir")
    os.mkfifo(tmp_path / "pipe.png")
    output = {"existing-folder": tmp_path / "folder.png", "proc": Path("/proc/restore-agent-test.png"),
              "proc-self": Path("/proc/self/restore-agent-test.png"), "link-loop": tmp_path / "loop.png",
              "loop-folder": tmp_path / "loopdir" / "x.png", "missing-folder": tmp_path / "no" / "x.png",
              "device": tmp_path / "pipe.png"}[case]
    before = listing(tmp_path)
    _no_denoise(monkeypatch)
    for force in ((), ("--force",)):
        one_line_error(run_cli("denoise", photo, "-o", output, *force), expected)
    assert listing(tmp_path) == before and not Path("/proc/restore-agent-test.png").exists()


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_file_size_limit_gives_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    photo = noisy(tmp_path / "p.png")
    out = tmp_path / "out"
    out.mkdir()
    done = cli_subprocess("denoise", str(photo), "-o", str(out / "r.png"), preexec=_limit_file_size(4_000))
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.startswith("error: cannot write") and "File too large" in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert listing(out) == []  # no output, no temporary file


def test_permission_denied_gives_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder the user may not write: a read-only folder, or (root may write any folder) /sys, which refuses
    new files even to root."""
    photo = noisy(tmp_path / "p.png")
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    folder = Path("/sys") if os.geteuid() == 0 else locked
    _no_denoise(monkeypatch)
    refused = run_cli("denoise", photo, "-o", folder / "restore-agent-test.png", "--force")
    one_line_error(refused, "output folder is not writable", "Permission denied")
    assert listing(locked) == [] and not (folder / "restore-agent-test.png").exists()


# --- a writer killed mid-write ----------------------------------------------------------------------------------

WRITER = """
import sys
import numpy as np
from tools.imageio import save_image
pixels = np.random.default_rng(0).integers(0, 256, (3000, 3000, 3), dtype=np.uint8)
save_image(pixels, sys.argv[1])
"""


def _temporaries(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.*"))


def test_killed_writer_leaves_the_old_file_and_the_next_run_cleans_up(tmp_path: Path) -> None:
    photo = noisy(tmp_path / "p.png")
    target = tmp_path / "r.png"
    noisy(target, seed=9)
    old = sha(target)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while not any(t.stat().st_size > 0 for t in _temporaries(target) if t.exists()):
            assert writer.poll() is None, "the writer finished before it could be killed"
            assert time.monotonic() < deadline, "no temporary file appeared"
            time.sleep(0.005)
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.wait()
    leftovers = _temporaries(target)
    assert leftovers, "the killed writer left no temporary file"
    assert sha(target) == old  # the target is still the old, complete file
    again = run_cli("denoise", photo, "-o", target, "--force", "--json")
    assert again.code == 0, again.err
    assert _temporaries(target) == []  # the stale temporary is gone
    with Image.open(target) as written:
        written.load()
        assert written.size == (96, 96)  # the new, complete file


def test_temporaries_of_a_running_writer_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "r.png"
    live = tmp_path / f".r.png.{os.getpid()}.abc123.png"
    unnamed = tmp_path / ".r.png.k3j4h5g6.png"
    dead = tmp_path / f".r.png.{_dead_pid()}.zzz.png"
    for path in (live, unnamed, dead):
        path.write_bytes(b"partial")
    assert remove_stale_temporaries(target) == 2
    assert listing(tmp_path) == [live.name]
    write_atomic(target, lambda tmp: tmp.write_bytes(b"done"))
    assert target.read_bytes() == b"done" and listing(tmp_path) == [live.name, "r.png"]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_failed_write_removes_its_temporary_and_says_one_line(tmp_path: Path) -> None:
    from tools.errors import UserError

    def fail(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(UserError, match=r"^cannot write .*r\.png: No space left on device$"):
        write_atomic(tmp_path / "r.png", fail)
    assert listing(tmp_path) == []
