"""Hostile reads for ``bench/hostile_sweep.py``: every kind of non-file through every reader, and batch folders
whose links lead outside.

Readers: a photo (``analyze``, ``denoise``, ``report --image``), a card (``records --card``, ``ask --card``), a job
file (``report --script``), ``weights install`` and ``--weights PATH`` (``denoise``, ``batch``). Kinds: a named
pipe (a reader that opened it would block: the case hangs), ``/dev/zero`` and a link to it (one that read it
would run out of memory), a link loop, a broken link, a folder, a socket and a sparse file over the reader's cap.
Each must be a clean one-line error.

The batch cases run ``batch --analyze-only`` on a folder holding a photo, a link inside the folder, links to a
secret photo outside it (by name and through a linked folder), a named pipe, a link loop and a link to
``/dev/zero``; they must succeed, and :func:`outside_reads` finds any trace of the secret (its path or its hash)
in their manifests: a read outside the input folder.
"""
from __future__ import annotations

import hashlib
import os
import socket
from itertools import product
from pathlib import Path

import numpy as np
from PIL import Image

from bench.hostile_cases import Case

SECRET = "secret.png"  # the photo outside every batch input folder
CAPS = {"photo": 10**9, "card": 10**6, "job": 10**6, "weights": 2 * 10**9}  # tools.read_guard's caps


def _photo(path: Path, seed: int = 0) -> Path:
    pixels = np.clip(128 + np.random.default_rng(seed).normal(0, 25, (40, 48, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def _socket(path: Path) -> Path:
    """A Unix socket file (left bound to nothing once closed: still a socket on disk)."""
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()
    return path


def make_non_files(folder: Path) -> dict[str, Path]:
    """One path of each kind that is no readable regular file (the sparse ones: one per cap)."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {"fifo": folder / "fifo.pth", "loop": folder / "loop.pth", "broken-link": folder / "broken.pth",
            "folder": folder / "folder.pth", "dev-zero": Path("/dev/zero"), "link-to-dev-zero": folder / "zero.pth"}
    os.mkfifo(made["fifo"])
    os.symlink("loop.pth", made["loop"])
    os.symlink("gone.pth", made["broken-link"])
    made["folder"].mkdir()
    os.symlink("/dev/zero", made["link-to-dev-zero"])
    made["socket"] = _socket(folder / "socket.pth")
    for reader, cap in CAPS.items():
        sparse = folder / f"over-{reader}-cap.pth"
        with open(sparse, "wb") as handle:
            handle.truncate(cap + 1)  # no disk used
        made[f"over the {reader} cap"] = sparse
    return made


def _over_other_caps(name: str, reader: str) -> bool:
    """A sparse file made for another reader's cap (only the one over this reader's cap is its case)."""
    return name.startswith("over the ") and name != f"over the {reader} cap"


def reader_cases(kinds: dict[str, Path], photo: Path) -> list[Case]:
    """Every kind through every reader: a clean one-line error, never a hang."""
    readers = {
        ("photo", "analyze"): lambda p: ["analyze", str(p)],
        ("photo", "denoise"): lambda p: ["denoise", str(p), "-o", "{out}/d.png"],
        ("photo", "report --image"): lambda p: ["report", "-q", "noise", "--image", str(p), "-o", "{out}/r.html"],
        ("card", "records --card"): lambda p: ["records", "--card", str(p)],
        ("card", "ask --card"): lambda p: ["ask", "How do I remove noise?", "--card", str(p)],
        ("job", "report --script"): lambda p: ["report", "--script", str(p), "-o", "{out}/reports"],
        ("weights", "weights install"): lambda p: ["weights", "install", str(p)],
        ("weights", "denoise --weights"): lambda p: ["denoise", str(photo), "--force-run", "--weights", str(p), "-o",
                                                     "{out}/d.png"],
        ("weights", "batch --weights"): lambda p: ["batch", str(photo.parent), "-o", "{out}/b", "--force-run",
                                                   "--weights", str(p)],
    }
    return [Case("reads", f"{command} {name}", build(path), "error", timeout=30)
            for ((reader, command), build), (name, path) in product(readers.items(), kinds.items())
            if not _over_other_caps(name, reader)]


def make_batch_folders(folder: Path) -> dict[str, Path]:
    """Input folders whose links lead outside them, and the secret photo they lead to."""
    private = folder / "private"
    private.mkdir(parents=True, exist_ok=True)
    _photo(private / SECRET, seed=7)
    made = {}
    for name in ("flat", "nested"):
        inputs = folder / name
        (inputs / "sub").mkdir(parents=True, exist_ok=True)
        _photo(inputs / "a.png")
        os.symlink("a.png", inputs / "alias.png")
        os.symlink(private / SECRET, inputs / SECRET)
        os.symlink("../../private/" + SECRET, inputs / "sub" / "relative-secret.png")
        os.symlink(private, inputs / "linked-folder")
        os.mkfifo(inputs / "pipe.png")
        os.symlink("loop.png", inputs / "loop.png")
        os.symlink("/dev/zero", inputs / "zero.png")
        made[name] = inputs
    made["private"] = private
    return made


def batch_cases(folders: dict[str, Path]) -> list[Case]:
    """Batch over folders with outside links: it succeeds, reading only inside the folder."""
    return [Case("reads", f"batch {name} folder with outside links", ["batch", str(folders[name]), "-o", "{out}/b",
                                                                      "--analyze-only", *flags], "ok", timeout=60)
            for name, flags in (("flat", []), ("nested", ["--recursive"]), ("nested", ["--pattern", "*.png", "-r"]))]


def read_cases(work: Path) -> list[Case]:
    """Make the files in ``work/reads`` and every case that uses them."""
    folder = work / "reads"
    (folder / "photo").mkdir(parents=True, exist_ok=True)
    photo = _photo(folder / "photo" / "ok.png")
    return [*reader_cases(make_non_files(folder / "kinds"), photo),
            *batch_cases(make_batch_folders(folder / "batch"))]


def outside_reads(work: Path) -> list[str]:
    """Batch manifests under ``work/out`` that name or hash the secret photo outside their input folder."""
    secret = work / "reads" / "batch" / "private" / SECRET
    if not secret.is_file():
        return []
    marks = (hashlib.sha256(secret.read_bytes()).hexdigest(), str(secret.parent))
    return sorted(str(path.relative_to(work)) for path in (work / "out").rglob("manifest.jsonl")
                  if any(mark in path.read_text(encoding="utf-8", errors="replace") for mark in marks))
