"""The folders the MCP server may read and write, and the checks that keep every path inside them.

Paths are resolved (``..`` and symbolic links followed) before they are compared, so a link inside a root
that points outside it is refused like the outside path itself. The server's roots (``--root``) are the
limit; roots a client declares can narrow them, never widen them.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from tools.errors import OutputExists, UserError


@dataclass(frozen=True)
class Roots:
    """Resolved folders, and the folder relative paths start from (the first of the server's roots)."""

    folders: tuple[Path, ...]
    base: Path

    @classmethod
    def of(cls, folders: Iterable[str | Path]) -> Roots:
        """Roots from folder names; each must be an existing folder."""
        resolved = []
        for folder in folders:
            path = Path(folder).expanduser()
            if not path.is_dir():
                raise UserError(f"root is not a folder: {folder}")
            resolved.append(path.resolve(strict=True))
        if not resolved:
            raise UserError("at least one root folder is needed")
        return cls(tuple(dict.fromkeys(resolved)), resolved[0])

    def narrowed(self, client_folders: Sequence[Path]) -> Roots:
        """These roots as far as they overlap the client's (unchanged when the client names none)."""
        if not client_folders:
            return self
        client = [folder.resolve() for folder in client_folders]
        shared = [inner for ours in self.folders for theirs in client
                  for inner, outer in ((theirs, ours), (ours, theirs)) if inner.is_relative_to(outer)]
        if not shared:
            raise UserError(f"the client's roots ({_names(client)}) share no folder with the server's roots "
                            f"({_names(self.folders)})")
        return Roots(tuple(dict.fromkeys(shared)), self.base)

    def contains(self, path: Path) -> bool:
        return any(path.is_relative_to(folder) for folder in self.folders)

    def locate(self, path: str | Path) -> Path:
        """``path`` resolved (a relative one from :attr:`base`), refused when it lies outside every root."""
        try:
            given = Path(path).expanduser()
            resolved = (given if given.is_absolute() else self.base / given).resolve()
        except (OSError, RuntimeError, ValueError) as exc:  # a link loop, an unknown ~user, a NUL byte
            raise UserError(f"cannot resolve path {path}: {getattr(exc, 'strerror', None) or exc}") from None
        if not self.contains(resolved):
            raise UserError(f"path is outside the allowed roots ({_names(self.folders)}): {path}")
        return resolved

    def input_file(self, path: str | Path) -> Path:
        """An existing file inside the roots, resolved."""
        resolved = self.locate(path)
        exists, is_file, _ = _probe(resolved, path)
        if not exists:
            raise UserError(f"no such file: {path}")
        if not is_file:
            raise UserError(f"not a file: {path}")
        return resolved

    def output_file(self, path: str | Path, inputs: Sequence[Path] = (), overwrite: bool = False) -> Path:
        """A file to write inside the roots, resolved: never one of ``inputs``, never an existing file
        unless ``overwrite``."""
        resolved = self.locate(path)
        if any(resolved == source for source in inputs):
            raise UserError(f"output path is the input file: {path} (inputs are never overwritten)")
        exists, _, is_dir = _probe(resolved, path)
        if is_dir:
            raise UserError(f"output is a folder, not a file: {path}")
        if exists and not overwrite:
            raise OutputExists(path)
        return resolved


def folders_of_uris(uris: Iterable[str]) -> list[Path]:
    """Local folders of ``file://`` root URIs (other schemes name no folder here)."""
    found = []
    for uri in uris:
        parsed = urlparse(uri)
        if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
            found.append(Path(unquote(parsed.path)))
    return found


def _probe(resolved: Path, path: str | Path) -> tuple[bool, bool, bool]:
    """Whether ``resolved`` exists, is a file, is a folder; a name the system refuses (too long) is an error."""
    try:
        return resolved.exists(), resolved.is_file(), resolved.is_dir()
    except OSError as exc:
        raise UserError(f"cannot use path {path}: {exc.strerror or exc}") from None


def _names(folders: Iterable[Path]) -> str:
    return ", ".join(str(folder) for folder in folders)
