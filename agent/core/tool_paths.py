"""Where the agent's tools may read and write.

A tool call's paths come from a model, so none is trusted. A tool reads only a photo of this conversation: one
the user attached or named (in this message or an earlier one), a photo the caller passed results for, or an
output this turn wrote; paths are compared after following links and ``..``. A tool writes only inside the
output folder (``--output-dir``, else the photo's own folder): no ``..``, its folder resolved (so a link out
of the folder is refused), never a link, a folder, a device or an input, and never an existing file unless
the user allowed it (``--force``); a name the tool picks itself is made fresh instead (``photo.denoised-2.png``).
"""
from __future__ import annotations

from pathlib import Path

from agent.core.photo_mentions import image_paths_in
from agent.core.turn import Evidence, Turn
from tools.errors import UserError

MAX_PATH_CHARS = 4096


def given_path(value: object, what: str) -> str:
    """A path argument as the model sent it: a non-empty string without NUL bytes, of sensible length."""
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"{what} must be a non-empty file path")
    if "\0" in value or len(value) > MAX_PATH_CHARS:
        raise UserError(f"{what} is not a usable file path")
    return value


def _real(path: str | Path) -> Path | None:
    """``path`` with ``~``, ``..`` and links resolved; None for one that cannot be (a link loop, bad bytes)."""
    try:
        return Path(path).expanduser().resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def conversation_photos(turn: Turn) -> list[str]:
    """The photos the user attached or named in this conversation, and those the caller passed results for."""
    named = [*turn.photos, *(found for asked, _ in turn.history for found in image_paths_in(asked))]
    named += [key[0] for key in (*turn.analyses, *turn.restorations)]
    return list(dict.fromkeys(named))


class ToolPaths:
    """The checks on the paths of one turn's tool calls."""

    def __init__(self, turn: Turn, evidence: Evidence) -> None:
        self.turn, self.evidence = turn, evidence

    def _readable(self) -> dict[Path, str]:
        """Real path -> the name it was given, for every photo a tool may read now."""
        written = [result.run.output for result in self.evidence.restorations if result.run is not None]
        found: dict[Path, str] = {}
        for name in [*conversation_photos(self.turn), *written]:
            real = _real(name)
            if real is not None:
                found.setdefault(real, name)
        return found

    def photo(self, path: object) -> Path:
        """The photo ``path`` names, as the user named it; a one-line error for any other file."""
        text = given_path(path, "path")
        readable = self._readable()
        real = _real(text)
        if real is None or real not in readable:
            known = ", ".join(readable.values()) or "none"
            raise UserError(f"{text} is not a photo of this conversation: tools read only photos the user attached "
                            f"or named (here: {known})")
        return Path(readable[real]).expanduser()

    def inputs(self) -> list[Path]:
        """Files no output may replace: every photo a tool may read."""
        return list(self._readable())

    def output_root(self, source: Path) -> Path:
        """The folder outputs for ``source`` go into, resolved."""
        from tools.fileio import output_folder

        return output_folder((self.turn.output_dir or source.parent) / source.name)

    def output(self, source: Path, output: object = None) -> Path:
        """Where to write the restored ``source``: ``output`` checked to lie inside the output folder, or the
        default name (made fresh unless the user allowed replacing files)."""
        from tools.fileio import check_output_path, output_folder, unused_name
        from tools.imageio import save_format
        from tools.restore import default_output

        root = self.output_root(source)
        if output is None:  # a name picked here is made fresh unless replacing is allowed, and never an input
            target = default_output(source, self.turn.output_dir)
            if not self.turn.overwrite or _real(target) in self._readable():
                target = unused_name(target)
        else:
            text = given_path(output, "output")
            target = self._inside(root, Path(text).expanduser(), text)
            if not output_folder(target).is_relative_to(root):
                raise UserError(f"output {text} is outside the output folder {root}: write inside it")
        save_format(target)
        check_output_path(target, *self.inputs(), force=self.turn.overwrite)
        return target

    @staticmethod
    def _inside(root: Path, given: Path, text: str) -> Path:
        """A relative output from the working folder when that lies inside ``root``, else from ``root``."""
        if ".." in given.parts:
            raise UserError(f"output may not contain '..': {text}")
        if given.is_absolute():
            return given
        from_here = _real(Path.cwd() / given.parent)
        return Path.cwd() / given if from_here is not None and from_here.is_relative_to(root) else root / given
