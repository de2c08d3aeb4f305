"""The one guard for every file read from a path a user gave: photos, cards, job files, weights.

A path must name a regular file (symbolic links followed) within its kind's size cap. It is checked with
``stat`` first, so a device or a pipe is never even opened, then opened with ``O_NONBLOCK`` (a named pipe swapped
in meanwhile cannot block the open) and checked again with ``fstat`` on the open descriptor, so what is read is
the file that was checked. A folder, a named pipe, a device, a socket, a link loop, a missing or unreadable file
and an oversized one are each one :class:`UserError` line naming the path and what it is.
"""
from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tools.errors import UserError


@dataclass(frozen=True)
class FileKind:
    """What a file is read as: the ``noun`` its errors use (and the words for a missing one), its size cap."""

    noun: str
    max_bytes: int
    missing: str = ""  # the words for a file that is not there, when not "no such <noun>"

    @property
    def not_found(self) -> str:
        return self.missing or f"no such {self.noun}"


# The caps. A photo's 1 GB holds the largest uncompressed file within the pixel budget (89.5 megapixels of
# 16-bit RGBA is 716 MB); weights' 2 GB is forty times SwinIR-M's 45 MB.
PHOTO_BYTES = 1_000_000_000
CARD_BYTES = 1_000_000
JOB_FILE_BYTES = 1_000_000
WEIGHTS_BYTES = 2_000_000_000
PHOTO = FileKind("photo", PHOTO_BYTES, missing="no such file")
CARD = FileKind("card", CARD_BYTES, missing="card not found")
JOB_FILE = FileKind("job file", JOB_FILE_BYTES)
WEIGHTS = FileKind("weights file", WEIGHTS_BYTES)
KINDS = (PHOTO, CARD, JOB_FILE, WEIGHTS)


def size_words(size: int) -> str:
    """A byte count as a cap reads: ``1 MB``, ``2 GB``, ``500 kB`` (powers of 1000)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} bytes"


def what_it_is(mode: int) -> str | None:
    """What a file that is no regular file is (``a folder``, ``a FIFO (named pipe)``, ...); None for a regular one."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket or other special file"


def _refuse(path: Path, info: os.stat_result, kind: FileKind) -> os.stat_result:
    what = what_it_is(info.st_mode)
    if what:
        raise UserError(f"{kind.noun} is {what}, not a regular file: {path}")
    if info.st_size > kind.max_bytes:
        raise UserError(f"{kind.noun} is larger than {size_words(kind.max_bytes)}: {path}")
    return info


def _os_error(path: Path, exc: OSError | ValueError, kind: FileKind) -> UserError:
    code = getattr(exc, "errno", None)
    if isinstance(exc, ValueError):  # a NUL byte in the name
        return UserError(f"cannot read {kind.noun}: {path} (the name holds a NUL character)")
    if code == errno.ENOENT:
        return UserError(f"{kind.not_found}: {path}")
    if code == errno.ELOOP:
        return UserError(f"{kind.noun} is a symbolic link loop: {path}")
    if code in (errno.EACCES, errno.EPERM):
        return UserError(f"cannot read {kind.noun} (permission denied): {path}")
    if code == errno.ENXIO:  # opening a socket
        return UserError(f"{kind.noun} is a socket or other special file, not a regular file: {path}")
    if code == errno.ENOTDIR:
        return UserError(f"{kind.not_found}: {path} (a part of the path is a file, not a folder)")
    return UserError(f"cannot read {kind.noun}: {path} ({exc.strerror or exc})")


def check_file(path: str | Path, kind: FileKind) -> os.stat_result:
    """The status of a readable regular file within ``kind``'s cap (links followed), nothing opened; one-line
    errors else."""
    path = Path(path)
    try:
        info = os.stat(path)
    except (OSError, ValueError) as exc:
        raise _os_error(path, exc, kind) from None
    return _refuse(path, info, kind)


def open_checked(path: str | Path, kind: FileKind) -> BinaryIO:
    """``path`` opened for binary reading once it is known to be a regular file within ``kind``'s cap, checked
    before the open and again on the open descriptor; opening never blocks."""
    path = Path(path)
    check_file(path, kind)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as exc:
        raise _os_error(path, exc, kind) from None
    try:
        _refuse(path, os.fstat(fd), kind)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | Path, kind: FileKind) -> bytes:
    """The whole file, through :func:`open_checked`; a file that grew past the cap while read is refused too."""
    path = Path(path)
    with open_checked(path, kind) as handle:
        try:
            data = handle.read(kind.max_bytes + 1)
        except OSError as exc:
            raise _os_error(path, exc, kind) from None
    if len(data) > kind.max_bytes:
        raise UserError(f"{kind.noun} is larger than {size_words(kind.max_bytes)}: {path}")
    return data


def read_text(path: str | Path, kind: FileKind) -> str:
    """The file as UTF-8 text, through :func:`read_bytes`."""
    try:
        return read_bytes(path, kind).decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{kind.noun} is not UTF-8 text: {path}") from None


def sha256(path: str | Path, kind: FileKind) -> str:
    """The sha256 of a file's bytes, read in 1 MB blocks through :func:`open_checked`."""
    path = Path(path)
    digest = hashlib.sha256()
    with open_checked(path, kind) as handle:
        try:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        except OSError as exc:
            raise _os_error(path, exc, kind) from None
    return digest.hexdigest()


def copy_file(path: str | Path, kind: FileKind, destination: str | Path) -> None:
    """Copy a file byte for byte to ``destination`` through :func:`open_checked` (the file checked, never a pipe
    or a device swapped in since)."""
    with open_checked(path, kind) as handle, open(destination, "wb") as out:
        shutil.copyfileobj(handle, out, 1 << 20)
