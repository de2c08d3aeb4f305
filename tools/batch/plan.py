"""Which photos a batch run restores, where their outputs go, and which the manifest says are already done."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tools.batch.manifest import DONE, MANIFEST, latest_by_input, read_entries
from tools.batch.models import checkpoint_sha256
from tools.batch.settings import BatchSettings
from tools.errors import OutputExists, UserError
from tools.fileio import prepare_output_folder, sha256_file
from tools.imageio import SAVE_FORMATS

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

    @property
    def manifest(self) -> Path:
        return self.out_dir / MANIFEST

    @property
    def total(self) -> int:
        return len(self.todo) + len(self.done)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_folders(in_dir: Path, out_dir: Path) -> tuple[Path, Path]:
    """Both folders resolved; one-line errors for a missing input folder and an output folder inside it."""
    in_dir, out_dir = Path(in_dir).expanduser().resolve(), Path(out_dir).expanduser().resolve()
    if not in_dir.is_dir():
        raise UserError(f"input folder does not exist or is not a folder: {in_dir}")
    if _inside(out_dir, in_dir):
        raise UserError(f"output folder {out_dir} is inside the input folder {in_dir} (nothing is ever written "
                        "there): choose another")
    return in_dir, out_dir


def discover(in_dir: Path, recursive: bool = False, pattern: str | None = None) -> list[Path]:
    """Photo files in ``in_dir`` (and its subfolders when ``recursive``), sorted; hidden files and folders are
    left out. ``pattern`` (a glob matched against the end of the relative path, e.g. ``*.jpg`` or
    ``scans/*.tif``) replaces the default of every file with a photo extension."""
    found = []
    for path in (in_dir.rglob("*") if recursive else in_dir.glob("*")):
        relative = path.relative_to(in_dir)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if relative.match(pattern) if pattern else path.suffix.lower() in PHOTO_SUFFIXES:
            found.append(path)
    return sorted(found, key=lambda path: path.relative_to(in_dir).as_posix())


def output_relative(relative: Path, inputs: frozenset[Path] = frozenset()) -> Path:
    """The output's path in the output folder: the input's, in PNG when its own format cannot be written
    (``scan.gif`` -> ``scan.png``, or ``scan.gif.png`` when ``scan.png`` is among the ``inputs`` too)."""
    if relative.suffix.lower() in SAVE_FORMATS:
        return relative
    png = relative.with_suffix(FALLBACK_SUFFIX)
    return png if png not in inputs else relative.with_name(relative.name + FALLBACK_SUFFIX)


def make_task(source: Path, in_dir: Path, out_dir: Path, settings: BatchSettings,
              inputs: frozenset[Path] = frozenset()) -> PhotoTask:
    """The task for one photo; ``inputs`` (every photo's relative path) keeps output names apart."""
    relative = source.relative_to(in_dir)
    writes = not settings.analyze_only
    copies = writes and not settings.skip_clean
    return PhotoTask(source=source, relative=relative.as_posix(), size=source.stat().st_size,
                     sha256=sha256_file(source), output=out_dir / output_relative(relative, inputs) if writes else None,
                     copy=out_dir / relative if copies else None, out_dir=out_dir)


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


def plan_batch(in_dir: Path, out_dir: Path, settings: BatchSettings, recursive: bool = False,
               pattern: str | None = None, resume: bool = True, force: bool = False) -> BatchPlan:
    """Find the photos, prepare the output folder and leave out the photos the manifest already covers
    (``resume``). An output folder without a manifest may not hold files a photo would replace, unless
    ``force``; ``force`` also redoes every photo."""
    in_dir, out_dir = check_folders(in_dir, out_dir)
    if not settings.analyze_only:  # weights that cannot be had: one error now, not one per photo
        from tools.swinir.weights import resolve_nearest

        resolve_nearest(settings.noise, weights=settings.weights)
    sources = discover(in_dir, recursive, pattern)
    if not sources:
        what = f"matching {pattern!r}" if pattern else "with a photo extension"
        raise UserError(f"no photos {what} in {in_dir}" + ("" if recursive else " (subfolders not searched)"))
    prepare_output_folder(out_dir, [MANIFEST], force=True)  # the manifest is appended to, never replaced
    plan = BatchPlan(in_dir, out_dir, settings)
    inputs = frozenset(source.relative_to(in_dir) for source in sources)
    tasks = [make_task(source, in_dir, out_dir, settings, inputs) for source in sources]
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
