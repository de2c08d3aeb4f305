"""The work behind the MCP tools, as plain blocking calls over one card's records.

Records and searches come from :mod:`agent.core.toolbox`, answers from :func:`agent.core.loop.ask` with the
offline backend, photos from :mod:`tools.restore`. Every path is checked against the call's
:class:`~agent.mcp.roots.Roots` before anything reads or writes it.
"""
from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agent.core.toolbox import Toolbox
from agent.core.turn import Evidence, Turn
from agent.mcp.roots import Roots
from tools.cards import Card, load_card
from tools.errors import UserError
from tools.records import Record
from tools.restore import (NotDenoised, Progress, RestoreRequest, RestoreResult, analysis_summary, analyze_photo,
                           default_output, restore)

PREVIEW_SIDE = 256  # the longer side of a denoised photo's preview, in pixels
ANSWER_FOLDER_PREFIX = "restore-agent-answer-"


@dataclass(frozen=True)
class Denoised:
    """A denoise call's JSON and a PNG preview of its output (None when nothing was written)."""

    payload: dict
    preview: bytes | None


class Service:
    """The tools' work for one card (the default card when ``card`` is None)."""

    def __init__(self, card: Path | None = None) -> None:
        self.card_path = card
        self.card: Card = load_card(card)

    @property
    def records(self) -> tuple[Record, ...]:
        return tuple(self.card.records)

    def card_payload(self) -> dict:
        """The card as ``records --json`` prints it."""
        return {"card": self.card.source, "question": self.card.question,
                "records": [record.to_dict() for record in self.card.records]}

    def record_payload(self, record_id: str) -> dict:
        """One record, all its fields."""
        by_id = {record.id: record for record in self.card.records}
        if record_id not in by_id:
            raise UserError(f"unknown record id {record_id!r}; loaded ids: {', '.join(by_id)}")
        return by_id[record_id].to_dict()

    def _toolbox(self) -> Toolbox:
        return Toolbox(Turn("", self.records), Evidence())

    def search(self, query: str) -> dict:
        return self._toolbox().search_records(query)

    def workflow(self, record_ids: Sequence[str]) -> dict:
        return self._toolbox().describe_workflow(record_ids)

    def analyze(self, path: str, roots: Roots) -> dict:
        """The analyzer's measurements, findings and recommendations for a photo inside the roots."""
        source = roots.input_file(path)
        analysis = analyze_photo(source, self.records)
        full = analysis.to_dict()
        return {**analysis_summary(analysis, source), "measurements": {key: full[key] for key in analysis.MEASUREMENTS},
                "notes": full["notes"]}

    def denoise(self, path: str, roots: Roots, output: str | None = None, noise_level: int | None = None,
                reference: str | None = None, overwrite: bool = False, force: bool = False,
                progress: Progress | None = None) -> Denoised:
        """A photo through the restoration pipeline, written inside the roots, with a preview of the result.
        The analysis decides whether the denoiser runs (a level only says how); ``force`` overrides it. No file
        and no preview where it does not run; the payload's ``summary`` says why."""
        source = roots.input_file(path)
        clean = roots.input_file(reference) if reference else None
        inputs = [source, *([clean] if clean else [])]
        target = roots.output_file(output if output else default_output(source), inputs, overwrite)
        request = RestoreRequest(target, noise_level=noise_level, reference=clean, force=force)
        result = restore(source, request, self.records, progress=progress)
        written = Path(result.run.output) if result.run else None
        payload = {**result.to_json(), "caption": result.caption, "warnings": result.warnings,
                   "summary": denoise_summary(result)}
        return Denoised(payload, preview_png(written) if written else None)

    def answer(self, question: str | None, images: Sequence[str], roots: Roots) -> dict:
        """The grounded ``ask --json`` object from the offline backend; photos it restores go to a new
        folder under the first root, so nothing there is overwritten."""
        from agent.core.backends import LLMSettings
        from agent.core.loop import ask
        from agent.core.photo_mentions import image_paths_in

        photos = [str(roots.input_file(image)) for image in images]
        named = [roots.input_file(Path(found).absolute()) for found in image_paths_in(question or "")]
        folder = answer_folder(roots) if photos or named else None
        try:
            return ask(question, self.card_path, photos, LLMSettings(), folder).response
        finally:
            if folder is not None and not any(folder.iterdir()):
                shutil.rmtree(folder, ignore_errors=True)


def denoise_summary(result: RestoreResult) -> str:
    """A denoise call in one line: a forced run's notice first, then what the output is and where; or why the
    photo was left alone, and how to run it anyway."""
    if result.run is None:
        return f"{NotDenoised(result.input, result.decision)}; pass force: true to run the denoiser anyway"
    notice = f"{result.decision.notice}. " if result.decision.forced else ""
    return f"{notice}{result.caption}: {result.run.output}"


def answer_folder(roots: Roots) -> Path:
    """A new, empty folder under the first root for the photos an answer restores."""
    try:
        return Path(tempfile.mkdtemp(prefix=ANSWER_FOLDER_PREFIX, dir=roots.folders[0]))
    except OSError as exc:
        raise UserError(f"cannot create a folder for restored photos in {roots.folders[0]}: {exc.strerror}") from None


def preview_png(path: Path, side: int = PREVIEW_SIDE) -> bytes:
    """A PNG thumbnail of an image file, at most ``side`` pixels on its longer side."""
    from tools.imageio import load_image, to_pil

    image = load_image(path)
    thumbnail = to_pil(image.pixels, image.alpha)
    thumbnail.thumbnail((side, side))
    buffer = io.BytesIO()
    thumbnail.save(buffer, format="PNG")
    return buffer.getvalue()
