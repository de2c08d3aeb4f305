"""What ``bench/hostile_sweep.py`` checks in each case besides how it ended: forged lines and raw control
characters in its output, its JSON lines, the inputs it must leave unchanged, and files a refused run left.

- A *forged line* is a line of stdout or stderr that reads (past indentation and box drawing) as the
  ``error: forged line`` that a hostile file name or question carries after a newline.
- A *raw control* is a character that can drive a terminal or reverse text: C0 controls but newline and tab,
  DEL, C1 controls (``U+009B`` CSI, ``U+0085``), bidirectional controls and line separators.
- A case with ``--json`` that exits 0 or 1 must print JSON objects, one a line (as many as ``json_lines`` says).
- A run refused as bad input (exit 2) must leave no new file in its folder: everything is checked before work.
- The *input snapshot* hashes every regular file of the scratch folder outside the cases' output folders before
  and after the sweep: any that changed or vanished is an input replaced.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
from pathlib import Path

from bench.hostile_cases_cli import FORGED_LINE

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
DECORATION = " \t│┃║|>-*#╭╰─┏┗━┌└├"
HASHED_BYTES = 64 << 20  # larger files (the sweep's sparse ones) are compared by size and time


def forged_lines(text: str) -> list[str]:
    """The lines of ``text`` that read as the forged error line."""
    return [line for line in text.splitlines() if line.lstrip(DECORATION).startswith(FORGED_LINE)]


def raw_controls(text: str) -> list[str]:
    """The raw control characters in ``text``, escaped, each once."""
    return sorted({ascii(found)[1:-1] for found in RAW_CONTROL.findall(text)})


def json_problem(stdout: str, expected: int | None) -> str | None:
    """Why ``stdout`` is not ``expected`` JSON objects one a line (any number when None); None when it is."""
    lines = stdout.splitlines()
    for number, line in enumerate(lines, start=1):
        try:
            if not isinstance(json.loads(line), dict):
                return f"line {number} is no JSON object"
        except ValueError:
            return f"line {number} is no JSON"
    if expected is not None and len(lines) != expected:
        return f"{len(lines)} JSON line(s) for {expected} input line(s)"
    return None if lines else "no JSON"


def digest(path: Path) -> str | None:
    """A regular file's sha256 (size and time for a large one); None for anything else (never opened)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    if info.st_size > HASHED_BYTES:
        return f"{info.st_size}:{info.st_mtime_ns}"
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def snapshot(work: Path) -> dict[str, str]:
    """Every regular file under ``work`` outside ``work/out``, by its relative path: its digest."""
    found = {}
    for folder, folders, files in os.walk(work):
        if Path(folder) == work:
            folders[:] = [name for name in folders if name != "out"]
        for name in files:
            path = Path(folder) / name
            if (value := digest(path)) is not None:
                found[str(path.relative_to(work))] = value
    return found


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files of ``before`` that changed or are gone in ``after``."""
    return sorted(name for name, value in before.items() if after.get(name) != value)


def prepare(files: dict[str, Path], out: Path) -> None:
    """Copy a case's own input files into its folder."""
    for name, source in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def files_in(folder: Path) -> set[str]:
    """Every entry under ``folder`` (links not followed), relative to it."""
    return {str(Path(root, name).relative_to(folder)) for root, folders, files in os.walk(folder)
            for name in (*folders, *files)}
