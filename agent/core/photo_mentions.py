"""Photo paths in free text: typed in a chat turn, attached with ``--image``, or referred to by order."""
from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from pathlib import Path

from tools.errors import UserError
from tools.imageio import SAVE_FORMATS, photo_stat

IMAGE_SUFFIXES = frozenset(SAVE_FORMATS) | {".gif"}
_STRIP = "`'\"()[]<>{},;:!?"
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
             "fifth": 4, "5th": 4, "last": -1, "latest": -1}
_ORDINAL = re.compile(r"\b(" + "|".join(_ORDINALS) + r")\s+(?:one|photo|image|picture|file)\b", re.I)
_LAST = re.compile(r"\b(it|this one|that one|(?:this|that|the) (?:photo|image|picture))\b", re.I)
_ALL = re.compile(r"\bboth\b|\ball\s+(?:of\s+)?(?:the\s+|these\s+|those\s+|my\s+)?(?:photos|images|pictures)\b", re.I)


def image_paths_in(text: str) -> list[str]:
    """Existing image files named in ``text`` (quoted or bare, ``~`` expanded), in order, without repeats."""
    try:
        words = shlex.split(re.sub(r"(?<=\w)'(?=\w)", "", text), posix=True)  # "what's" is no quote
    except ValueError:  # an unbalanced quote: fall back to plain words
        words = text.split()
    found: list[str] = []
    for word in words:
        candidate = word.strip(_STRIP).rstrip(".")
        if Path(candidate).suffix.lower() not in IMAGE_SUFFIXES:
            continue
        path = Path(candidate).expanduser()
        if path.is_file() and str(path) not in found:
            found.append(str(path))
    return found


def referred_images(text: str, known: Sequence[str]) -> list[str]:
    """Photos of the session that ``text`` points at: by order ("the second photo"), all ("both images"),
    or the latest one ("clean it", "this photo")."""
    if not known:
        return []
    picked = [known[_ORDINALS[m.group(1).lower()]] for m in _ORDINAL.finditer(text)
              if -len(known) <= _ORDINALS[m.group(1).lower()] < len(known)]
    if not picked and _ALL.search(text) and len(known) > 1:
        picked = list(known)
    if not picked and _LAST.search(text):
        picked = [known[-1]]
    return list(dict.fromkeys(picked))


def attachment_note(paths: Sequence[str]) -> str:
    """The line that tells any backend which photos come with a question."""
    return "Attached photos: " + ", ".join(f"`{path}`" for path in paths) if paths else ""


def turn_photos(question: str, attached: Sequence[str | Path], known: Sequence[str]) -> list[str]:
    """The photos of a turn: attached ones, paths typed in the question, else earlier ones it points at."""
    for path in attached:
        if not os.path.lexists(Path(path).expanduser()):
            raise UserError(f"no such image file: {path}")
        photo_stat(Path(path).expanduser())  # a folder, pipe, device or link loop: one line, never a hang
    named = list(dict.fromkeys([str(path) for path in attached] + image_paths_in(question)))
    return named or referred_images(question, known)
