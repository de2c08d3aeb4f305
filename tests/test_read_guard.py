"""Every file read from a user's path goes through one guard (tools.read_guard): a named pipe, a device, a link
loop, a folder, a missing file and a file over its kind's cap are one line naming the path and what it is, with
exit code 2, for every reader: photos, cards, job files, `weights install` and `--weights PATH`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.batch_helpers import noisy_crop
from tests.cli_run import run_cli
from tools import read_guard
from tools.errors import UserError

ROOT = Path(__file__).resolve().parents[1]

# reader: (the noun its errors use, its cap, the command line with FILE where the path goes)
READERS = {
    "photo": ("photo", read_guard.PHOTO, ["analyze", "FILE"]),
    "card": ("card", read_guard.CARD, ["records", "--card", "FILE"]),
    "job file": ("job file", read_guard.JOB_FILE, ["report", "--script", "FILE", "-o", "OUT"]),
    "weights install": ("weights file", read_guard.WEIGHTS, ["weights", "install", "FILE"]),
    "--weights path": ("weights file", read_guard.WEIGHTS, ["denoise", "PHOTO", "--weights", "FILE", "-o", "OUT"]),
}
KINDS = {
    "device": "is a device, not a regular file",
    "link loop": "is a symbolic link loop",
    "folder": "is a folder, not a regular file",
    "oversized": "is larger than",
}


@pytest.fixture(autouse=True)
def own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed weights go to a folder of this test's own (nothing may be installed there anyway)."""
    monkeypatch.setenv("RESTORE_AGENT_HOME", str(tmp_path / "home"))


def command(reader: str, path: Path, tmp_path: Path) -> list[str]:
    photo = tmp_path / "photo.png"
    if not photo.exists():
        Image.fromarray(noisy_crop(60, 150)).save(photo)
    values = {"FILE": str(path), "OUT": str(tmp_path / "out.png"), "PHOTO": str(photo)}
    if reader == "job file":
        values["OUT"] = str(tmp_path / "reports")
    return [values.get(arg, arg) for arg in READERS[reader][2]]


def special(kind: str, tmp_path: Path, cap: int) -> Path:
    """A path of the given kind (a device, a link loop, a folder, a sparse file one byte over ``cap``)."""
    if kind == "device":
        return Path("/dev/zero")
    path = tmp_path / "input.pth"
    if kind == "link loop":
        os.symlink(path, path)
    elif kind == "folder":
        path.mkdir()
    else:
        with open(path, "wb") as handle:
            handle.truncate(cap + 1)  # sparse: no disk used, and never read
    return path


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reader", READERS)
def test_each_reader_refuses_each_kind_in_one_line(tmp_path: Path, reader: str, kind: str) -> None:
    noun, file_kind, _ = READERS[reader]
    path = special(kind, tmp_path, file_kind.max_bytes)
    run = run_cli(*command(reader, path, tmp_path))
    assert run.code == 2 and run.err.startswith("error: ") and run.err.count("\n") == 1, run.err
    expected = f"{noun} {KINDS[kind]}" + (f" {read_guard.size_words(file_kind.max_bytes)}" if kind == "oversized"
                                          else "")
    assert expected in run.err and str(path) in run.err, run.err
    assert not (tmp_path / "out.png").exists() and not (tmp_path / "reports").exists()
    assert not (tmp_path / "home" / "weights").exists() or not any((tmp_path / "home" / "weights").iterdir())


@pytest.mark.parametrize("reader", READERS)
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path, reader: str) -> None:
    noun = READERS[reader][0]
    fifo = tmp_path / "input.pth"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "agent", *command(reader, fifo, tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=20, env={**os.environ})  # a hang fails here
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert f"error: {noun} is a FIFO (named pipe), not a regular file: {fifo}" in done.stderr


@pytest.mark.parametrize("reader", ["photo", "card", "job file", "weights install"])
def test_a_missing_file_is_named(tmp_path: Path, reader: str) -> None:
    run = run_cli(*command(reader, tmp_path / "gone.pth", tmp_path))
    assert run.code == 2 and run.err.count("\n") == 1 and str(tmp_path / "gone.pth") in run.err, run.err
    assert "no such" in run.err or "not found" in run.err, run.err


def test_the_open_descriptor_is_checked_so_a_swapped_in_pipe_cannot_block(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A pipe put where a checked file was: the non-blocking open returns, and fstat on it refuses it."""
    fifo = tmp_path / "card.yaml"
    os.mkfifo(fifo)
    monkeypatch.setattr(read_guard, "check_file", lambda path, kind: None)  # as if checked before the swap
    with pytest.raises(UserError, match="card is a FIFO"):
        read_guard.read_text(fifo, read_guard.CARD)


def test_the_cap_is_the_most_bytes_read(tmp_path: Path) -> None:
    small = read_guard.FileKind("note", 10)
    path = tmp_path / "note.txt"
    path.write_bytes(b"x" * 10)
    assert read_guard.read_text(path, small) == "x" * 10
    path.write_bytes(b"x" * 11)
    with pytest.raises(UserError, match=r"note is larger than 10 bytes: "):
        read_guard.read_bytes(path, small)


def test_caps_in_words() -> None:
    assert [read_guard.size_words(kind.max_bytes) for kind in read_guard.KINDS] == ["1 GB", "1 MB", "1 MB", "2 GB"]


def test_a_copy_is_of_the_checked_file(tmp_path: Path) -> None:
    source, copy = tmp_path / "card.yaml", tmp_path / "copy.yaml"
    source.write_bytes(b"records: []\n")
    read_guard.copy_file(source, read_guard.CARD, copy)
    assert copy.read_bytes() == source.read_bytes()
    with pytest.raises(UserError, match="card is a device, not a regular file: /dev/zero"):
        read_guard.copy_file("/dev/zero", read_guard.CARD, copy)
    assert copy.read_bytes() == source.read_bytes()  # refused before the destination is opened
