"""Output files: checked before any work, written atomically, never replaced unless asked.

:func:`check_output_path` refuses, before anything runs, an output whose folder is missing, unwritable or
not a real folder (``/proc``), that is a folder, a symbolic link or a device, that is one of the inputs, or
that exists (unless ``force``). :func:`write_atomic` writes a temporary file beside the target and renames it
over the target; a failed write (full disk, ``EFBIG``) removes it and raises a one-line :class:`UserError`,
and temporaries that a killed writer left are removed by the next write of the same target. Images go through
:func:`tools.image_save.publish`, which reads the temporary file back before this rename.
"""
from __future__ import annotations

import errno
import glob
import hashlib
import itertools
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from tools.errors import OutputExists, UserError


def reason(exc: BaseException) -> str:
    """An OS error's reason in words (a symbolic-link loop named as such)."""
    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
        return "symbolic link loop"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def output_folder(output: Path) -> Path:
    """The folder ``output`` goes into, resolved (symbolic links followed); one-line errors when it is
    missing, a link loop or no folder."""
    parent = Path(output).parent
    try:
        folder = parent.resolve(strict=True)
    except FileNotFoundError:
        raise UserError(f"output folder does not exist: {parent}") from None
    except (OSError, RuntimeError) as exc:
        raise UserError(f"cannot use output folder {parent}: {reason(exc)}") from None
    if not folder.is_dir():
        raise UserError(f"output folder is not a folder: {parent}")
    return folder


def _existing_kind(path: Path) -> str | None:
    """What is at ``path`` without following a link: None, "file", "folder", "link" or "other"."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UserError(f"cannot use output {path}: {reason(exc)}") from None
    if stat.S_ISLNK(mode):
        return "link"
    return "file" if stat.S_ISREG(mode) else "folder" if stat.S_ISDIR(mode) else "other"


def _same_file(target: Path, source: Path) -> bool:
    try:
        return target == Path(source).resolve() or (target.exists() and os.path.samefile(target, source))
    except (OSError, RuntimeError):
        return False


def check_output_path(output: Path, *inputs: Path, force: bool = True) -> Path:
    """Validate an output path before any work (see the module docstring); returns ``output``."""
    output = Path(output)
    if not output.name or output.name in (".", ".."):
        raise UserError(f"output is not a file name: {output}")
    folder = output_folder(output)
    kind = _existing_kind(output)
    if kind == "link":
        raise UserError(f"output is a symbolic link: {output} (name a plain file)")
    if kind == "folder":
        raise UserError(f"output is a folder, not a file: {output}")
    if kind == "other":
        raise UserError(f"output exists and is not a regular file: {output}")
    target = folder / output.name
    for src in inputs:
        if _same_file(target, src):
            raise UserError(f"output path is the input file: {output} (inputs are never overwritten)")
    if kind == "file" and not force:
        raise OutputExists(output)
    _probe(folder, output)
    return output


def _probe(folder: Path, output: Path) -> None:
    """Create and delete a temporary file in ``folder``: the folder takes files (not so in /proc, on a
    read-only disk or without permission, whatever ``os.access`` says for root)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(output), suffix=output.suffix, dir=folder)
    except OSError as exc:
        raise UserError(f"output folder is not writable: {output.parent} ({reason(exc)})") from None
    os.close(fd)
    os.unlink(tmp)


def unused_name(path: Path) -> Path:
    """``path`` when nothing is there, else the first free ``<stem>-2<suffix>``, ``-3``, ... beside it."""
    path = Path(path)
    names = itertools.chain([path], (path.with_name(f"{path.stem}-{n}{path.suffix}") for n in itertools.count(2)))
    return next(name for name in names if not os.path.lexists(name))


def _temp_prefix(path: Path) -> str:
    """Temporary files of ``path`` are ``.<name>.<pid>.<random><suffix>``: hidden, and the writer's process id
    tells a stale one (its writer is gone) from one being written now."""
    return f".{path.name}.{os.getpid()}."


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then move the temporary file onto ``path`` in one rename.

    The temporary file lies beside ``path`` (in its folder, whatever ``path`` links to). An OS error (full
    disk, file too large, no permission) removes it and raises a one-line :class:`UserError`."""
    path = Path(path)
    remove_stale_temporaries(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {reason(exc)}") from exc
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # the permissions a plain open() would give, not mkstemp's 0600
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {reason(exc)}") from exc
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
        raise UserError(f"cannot create output folder {folder}: {reason(exc)}") from None
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


def _writer_alive(leftover: Path, prefix: str) -> bool:
    """Whether the process that named this temporary file still runs (unnamed or gone: stale)."""
    pid = leftover.name[len(prefix):].split(".", 1)[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def remove_stale_temporaries(path: Path) -> int:
    """Delete the temporary files a killed :func:`write_atomic` left beside ``path``; returns how many.

    Temporaries of a writer that still runs are kept."""
    path = Path(path)
    prefix = f".{path.name}."
    try:
        found = list(path.parent.glob(f"{glob.escape(prefix)}*{glob.escape(path.suffix)}"))
    except OSError:
        return 0
    stale = [leftover for leftover in found if not _writer_alive(leftover, prefix) and leftover.is_file()]
    for leftover in stale:
        leftover.unlink(missing_ok=True)
    return len(stale)
