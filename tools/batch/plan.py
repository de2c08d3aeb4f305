"""Which photos a batch run restores, where their outputs go, which the manifest says are already done, and which
entries of the input folder are left out unread (:mod:`tools.batch.walk`)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tools.batch.manifest import DONE, MANIFEST, latest_by_input, read_entries
from tools.batch.models import checkpoint_sha256
from tools.batch.settings import BatchSettings
from tools.errors import OutputExists, UserError
from tools.batch.walk import Found, Skipped, inside, walk
from tools.fileio import prepare_output_folder
from tools.imageio import SAVE_FORMATS
from tools.read_guard import PHOTO, check_file, sha256

PHOTO_SUFFIXES = frozenset({*SAVE_FORMATS, ".gif", ".ppm", ".pgm", ".pnm", ".jp2", ".jfif"})
FALLBACK_SUFFIX = ".png"  # for photos whose own format cannot be written


@dataclass(frozen=True)
class PhotoTask:
    """One photo to process: where it is (absolute and relative to the input folder), its size and hash, and
    where its restored output and its unchanged copy go (``None`` when nothing is written)."""

    source: Path
    relative: str
    size: int
    sha256: str
    output: Path | None
    copy: Path | None
    out_dir: Path


@dataclass
class BatchPlan:
    """The photos to process now, and the manifest entries of those already done (resumed)."""

    in_dir: Path
    out_dir: Path
    settings: BatchSettings
    todo: list[PhotoTask] = field(default_factory=list)
    done: list[dict] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # entries left out, never read (listed in the manifest)

    @property
    def manifest(self) -> Path:
        return self.out_dir / MANIFEST

    @property
    def total(self) -> int:
        return len(self.todo) + len(self.done)


def check_folders(in_dir: Path, out_dir: Path) -> tuple[Path, Path]:
    """Both folders resolved; one-line errors for a missing input folder and an output folder inside it."""
    in_dir, out_dir = Path(in_dir).expanduser().resolve(), Path(out_dir).expanduser().resolve()
    if not in_dir.is_dir():
        raise UserError(f"input folder does not exist or is not a folder: {in_dir}")
    if inside(out_dir, in_dir):
        raise UserError(f"output folder {out_dir} is inside the input folder {in_dir} (nothing is ever written "
                        "there): choose another")
    return in_dir, out_dir


def discover(in_dir: Path, recursive: bool = False, pattern: str | None = None) -> tuple[list[Found], list[Skipped]]:
    """Photo files in ``in_dir`` (and its subfolders when ``recursive``), and the entries left out with their
    reason (:func:`tools.batch.walk.walk`: links leaving the folder, loops, pipes, devices), both sorted; hidden
    files and folders are left out silently. ``pattern`` (a glob matched against the end of the relative path,
    e.g. ``*.jpg`` or ``scans/*.tif``) replaces the default of every file with a photo extension."""
    def wanted(relative: Path) -> bool:
        return relative.match(pattern) if pattern else relative.suffix.lower() in PHOTO_SUFFIXES

    return walk(in_dir, recursive, wanted)


def output_relative(relative: Path, inputs: frozenset[Path] = frozenset()) -> Path:
    """The output's path in the output folder: the input's, in PNG when its own format cannot be written
    (``scan.gif`` -> ``scan.png``, or ``scan.gif.png`` when ``scan.png`` is among the ``inputs`` too)."""
    if relative.suffix.lower() in SAVE_FORMATS:
        return relative
    png = relative.with_suffix(FALLBACK_SUFFIX)
    return png if png not in inputs else relative.with_name(relative.name + FALLBACK_SUFFIX)


def make_task(found: Found, out_dir: Path, settings: BatchSettings, inputs: frozenset[Path] = frozenset()) -> PhotoTask:
    """The task for one photo, its bytes hashed through the read guard; ``inputs`` (every photo's relative path)
    keeps output names apart."""
    relative = found.relative
    writes = not settings.analyze_only
    copies = writes and not settings.skip_clean
    return PhotoTask(source=found.source, relative=relative.as_posix(), size=check_file(found.source, PHOTO).st_size,
                     sha256=sha256(found.source, PHOTO),
                     output=out_dir / output_relative(relative, inputs) if writes else None,
                     copy=out_dir / relative if copies else None, out_dir=out_dir)


def _tasks(found: list[Found], plan: BatchPlan) -> list[PhotoTask]:
    """A task for each photo; a photo the read guard refuses now (over the cap, unreadable, swapped for a pipe)
    joins the skipped entries instead."""
    inputs = frozenset(item.relative for item in found)
    tasks = []
    for item in found:
        try:
            tasks.append(make_task(item, plan.out_dir, plan.settings, inputs))
        except UserError as exc:
            plan.skipped.append(Skipped(item.relative.as_posix(), str(exc)))
    plan.skipped.sort(key=lambda item: item.relative)
    return tasks


def is_current(entry: dict | None, task: PhotoTask, settings: BatchSettings) -> bool:
    """Whether the manifest's entry already covers ``task``: same input bytes, settings and model checkpoint,
    and its output still there."""
    if not entry or entry.get("status") not in DONE or entry.get("settings") != settings.to_json():
        return False
    if entry["input"].get("sha256") != task.sha256:
        return False
    model = entry.get("model")
    if model and checkpoint_sha256(model["id"], settings.weights) != model.get("sha256"):
        return False
    return entry.get("output") is None or (task.out_dir / entry["output"]).is_file()


def known_entries(manifest: Path) -> dict[str, dict] | None:
    """The manifest's latest entry for each input (None without a manifest), leaving out entries without a
    path; a manifest whose lines nest too deeply to parse is no manifest of this tool: a one-line error naming
    it, not a ``RecursionError``."""
    if not manifest.is_file():
        return None
    try:
        return latest_by_input([e for e in read_entries(manifest) if isinstance(e["input"].get("path"), str)])
    except RecursionError:
        raise UserError(f"{manifest} holds a line nested too deeply to read: it is no batch manifest (move it "
                        "away, or choose another output folder)") from None


def _foreign_outputs(tasks: Iterable[PhotoTask]) -> list[Path]:
    return [path for task in tasks for path in {task.output, task.copy} if path is not None and path.exists()]


def _refuse_outputs_on_inputs(tasks: list[PhotoTask]) -> None:
    """An output folder that holds the input folder could map one photo's output onto another photo (``-o ..``
    with a subfolder named like the input folder): refused before any work, even with ``force``."""
    sources = {task.source.resolve() for task in tasks}
    for task in tasks:
        for path in (task.output, task.copy):
            if path is not None and path.resolve() in sources:
                raise UserError(f"the output for {task.relative} would be the input photo {path} (inputs are never "
                                "overwritten): choose an output folder outside the input folder")


def plan_batch(in_dir: Path, out_dir: Path, settings: BatchSettings, recursive: bool = False,
               pattern: str | None = None, resume: bool = True, force: bool = False) -> BatchPlan:
    """Find the photos, prepare the output folder and leave out the photos the manifest already covers
    (``resume``). An output folder without a manifest may not hold files a photo would replace, unless
    ``force``; ``force`` also redoes every photo."""
    in_dir, out_dir = check_folders(in_dir, out_dir)
    if not settings.analyze_only:  # weights that cannot be had: one error now, not one per photo
        from tools.swinir.weights import resolve_nearest

        resolve_nearest(settings.noise, weights=settings.weights)
    found, skipped = discover(in_dir, recursive, pattern)
    if not found:
        what = f"matching {pattern!r}" if pattern else "with a photo extension"
        left = f"; left out: {skipped[0].relative} ({skipped[0].reason})" + (
            f" and {len(skipped) - 1} more" if len(skipped) > 1 else "") if skipped else ""
        raise UserError(f"no photos {what} in {in_dir}" + ("" if recursive else " (subfolders not searched)") + left)
    prepare_output_folder(out_dir, [MANIFEST], force=True)  # the manifest is appended to, never replaced
    plan = BatchPlan(in_dir, out_dir, settings, skipped=skipped)
    tasks = _tasks(found, plan)
    _refuse_outputs_on_inputs(tasks)
    known = known_entries(plan.manifest)
    if known is None and not force and (clash := _foreign_outputs(tasks)):
        raise OutputExists(clash[0])  # not this tool's output folder: replace its files only when asked
    for task in tasks:
        entry = (known or {}).get(task.relative)
        if resume and not force and is_current(entry, task, settings):
            plan.done.append(entry)
        else:
            plan.todo.append(task)
    return plan
