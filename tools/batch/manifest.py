"""``manifest.jsonl``: one JSON line per photo, appended, flushed and synced to disk as each photo finishes."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO

from tools.json_numbers import meaningful

MANIFEST = "manifest.jsonl"
DONE = ("restored", "check-failed", "unchanged", "skipped", "analyzed")  # statuses a resumed run need not redo
CHECK_FAILED = "check-failed"  # denoised, but the check of the output found a problem
NOT_READ = "not-read"  # an entry of the input folder left out unread (a link leaving it, a pipe, a loop, ...)


def read_entries(path: Path) -> list[dict]:
    """Every readable line of a manifest, in order; a line torn by a killed run is left out."""
    if not Path(path).is_file():
        return []
    entries = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("input"), dict):
            entries.append(entry)
    return entries


def latest_by_input(entries: list[dict]) -> dict[str, dict]:
    """The last entry for each input path."""
    return {entry["input"].get("path"): entry for entry in entries}


class ManifestWriter:
    """Appends entries to a manifest, each on disk before :meth:`append` returns."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = None

    def __enter__(self) -> "ManifestWriter":
        torn = self.path.is_file() and self.path.stat().st_size and not self.path.read_bytes().endswith(b"\n")
        self._file = open(self.path, "a", encoding="utf-8")
        if torn:  # a killed run's half line: end it so the next entry starts on a line of its own
            self._file.write("\n")
        return self

    def append(self, entry: dict) -> None:
        """One entry, its numbers rounded to what they mean (``tools.json_numbers``)."""
        assert self._file is not None, "use ManifestWriter as a context manager"
        self._file.write(json.dumps(meaningful(entry), sort_keys=True) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
