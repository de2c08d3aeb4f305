"""Which files of an input folder a batch reads, and which it leaves out and why; nothing outside the folder.

Entries are looked at without following links (``lstat``). A regular file whose name matches is a photo. A
symbolic link is followed only when its whole chain ends at a regular file inside the input folder: it is then
read under its own name (the target's path is what is opened). A link that leaves the folder, a link loop, a
broken link, a link to a folder, a named pipe, a device or a socket whose name matches is left out, listed with
its reason, and never opened, hashed or read. Hidden files and folders (``.name``) are left out silently, and
subfolders are searched only when ``recursive``.
"""
from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tools.read_guard import what_it_is

LEAVES = "is a symbolic link that leaves the input folder (not followed)"
LOOP = "is a symbolic link loop (not followed)"
BROKEN = "is a symbolic link to nothing (its target is missing)"
FOLDER_LINK = "is a symbolic link to a folder (links to folders are not followed)"


@dataclass(frozen=True)
class Found:
    """A photo to read: its path relative to the input folder (a link's own name) and the file to open."""

    relative: Path
    source: Path


@dataclass(frozen=True)
class Skipped:
    """An entry left out, by its path relative to the input folder, with the reason (never its target)."""

    relative: str
    reason: str


def inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _link_target(path: Path, in_dir: Path) -> tuple[Path | None, str | None]:
    """Where a link's whole chain ends, when inside ``in_dir``; else None and why it is not followed."""
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return None, BROKEN
    except RuntimeError:  # Python before 3.13 words a loop this way
        return None, LOOP
    except OSError as exc:
        return None, LOOP if exc.errno == errno.ELOOP else f"cannot be followed ({exc.strerror or exc})"
    return (target, None) if inside(target, in_dir) else (None, LEAVES)


def _classify(path: Path, mode: int, in_dir: Path, recursive: bool,
              wanted: Callable[[Path], bool]) -> tuple[Found | Skipped | None, bool]:
    """One entry as a photo, a skipped entry or nothing, and whether to search it as a subfolder. A link that
    leaves the folder is listed when its name is wanted, and always when ``recursive`` (it may name a folder
    the search would have entered; its target is never looked at)."""
    relative = path.relative_to(in_dir)
    name, source = relative.as_posix(), path
    if stat.S_ISDIR(mode):
        return None, recursive
    if stat.S_ISLNK(mode):
        target, why = _link_target(path, in_dir)
        if target is None:
            listed = wanted(relative) or (recursive and why == LEAVES)
            return (Skipped(name, why) if listed else None), False
        mode, source = os.stat(target).st_mode, target
        if stat.S_ISDIR(mode):
            return (Skipped(name, FOLDER_LINK) if recursive else None), False
    if not wanted(relative):
        return None, False
    what = what_it_is(mode)
    return (Skipped(name, f"is {what}, not a regular file") if what else Found(relative, source)), False


def walk(in_dir: Path, recursive: bool, wanted: Callable[[Path], bool]) -> tuple[list[Found], list[Skipped]]:
    """The photos of ``in_dir`` (resolved) whose relative path is ``wanted``, and the entries left out, both
    sorted by relative path."""
    found: list[Found] = []
    skipped: list[Skipped] = []
    folders = [in_dir]
    while folders:
        folder = folders.pop()
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            skipped.append(Skipped(folder.relative_to(in_dir).as_posix(), f"cannot be listed ({exc.strerror})"))
            continue
        for name in names:
            if name.startswith("."):
                continue
            path = folder / name
            try:
                mode = os.lstat(path).st_mode
                entry, descend = _classify(path, mode, in_dir, recursive, wanted)
            except OSError as exc:
                entry, descend = Skipped(path.relative_to(in_dir).as_posix(), f"cannot be read ({exc.strerror})"), False
            if descend:
                folders.append(path)
            elif isinstance(entry, Found):
                found.append(entry)
            elif entry is not None:
                skipped.append(entry)
    return (sorted(found, key=lambda item: item.relative.as_posix()),
            sorted(skipped, key=lambda item: item.relative))
