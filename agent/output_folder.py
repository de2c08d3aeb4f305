"""Output folders for commands that write several files: created when missing, checked before any work."""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from tools.errors import UserError
from tools.fileio import check_output_path


def prepare_output_folder(folder: Path, names: Iterable[str], inputs: Iterable[Path] = (), force: bool = False) -> Path:
    """Create ``folder`` if needed and check that each of ``names`` may be written there.

    One-line errors for a folder that cannot be created or written, a name that would overwrite an
    input, and an existing file unless ``force``.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"output folder is a file: {folder}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create output folder {folder}: {exc.strerror or exc}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"output folder is not writable: {folder}")
    sources = [Path(src) for src in inputs]
    for name in names:
        check_output_path(folder / name, *sources, force=force)
    return folder
