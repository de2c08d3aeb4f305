"""Atomic output: write to a temporary file beside the target, then rename over it."""
from __future__ import annotations

import glob
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from tools.errors import OutputExists, UserError


def check_output_path(output: Path, *inputs: Path, force: bool = True) -> Path:
    """Validate an output path before any work: its folder exists and is writable, it is no input."""
    output = Path(output)
    folder = output.resolve().parent
    if not folder.is_dir():
        raise UserError(f"output folder does not exist: {folder}")
    if not os.access(folder, os.W_OK):
        raise UserError(f"output folder is not writable: {folder}")
    for src in inputs:
        if output.resolve() == Path(src).resolve():
            raise UserError(f"output path is the input file: {output} (inputs are never overwritten)")
    if output.exists() and not force:
        raise OutputExists(output)
    return output


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then move the temporary file onto ``path`` in one rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.resolve().parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # the permissions a plain open() would give, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))

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


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def remove_stale_temporaries(path: Path) -> int:
    """Delete the temporary files a killed :func:`write_atomic` left beside ``path``; returns how many."""
    path = Path(path)
    pattern = f".{glob.escape(path.name)}.*{glob.escape(path.suffix)}"
    stale = list(path.parent.glob(pattern)) if path.parent.is_dir() else []
    for leftover in stale:
        leftover.unlink(missing_ok=True)
    return len(stale)
