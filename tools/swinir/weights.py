"""Which SwinIR denoising weights exist, which are on this machine, and how to get the others.

Official checkpoints (color and gray, noise sigma 15/25/50) live in the user data folder
(``$RESTORE_AGENT_HOME/weights``, by default ``~/.local/share/restore-agent/weights``); they get
there with :func:`install` (a local file) or :func:`download` (the official release URL).
Project-trained weights shipped inside the package are "embedded" entries, listed when present.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tools.errors import DownloadFailed, SettingError, UserError, WeightsUnavailable
from tools.fileio import sha256_file, write_atomic, write_text_atomic
from tools.read_guard import WEIGHTS, check_file, copy_file

HOME_ENV = "RESTORE_AGENT_HOME"
RELEASE_URL = "https://github.com/JingyunLiang/SwinIR/releases/download/v0.0/"
NOISE_LEVELS = (15, 25, 50)
DEFAULT_NOISE = 15
EMBEDDED_DIR = Path(__file__).resolve().parent / "weights"
DOWNLOAD_TIMEOUT_S = 10.0

Progress = Callable[[int, int], None]
"""``progress(done_bytes, total_bytes)``; total is 0 when the server does not say."""


@dataclass(frozen=True)
class WeightsEntry:
    """One known checkpoint: where it comes from and what it denoises."""

    id: str
    file_name: str
    channels: int
    noise_level: int
    kind: str  # "official" (installed by the user) or "embedded" (shipped in the package)

    @property
    def url(self) -> str | None:
        return RELEASE_URL + self.file_name if self.kind == "official" else None

    @property
    def path(self) -> Path:
        """Where the file is, or would be once installed."""
        return (EMBEDDED_DIR if self.kind == "embedded" else weights_dir()) / self.file_name

    @property
    def available(self) -> bool:
        return self.path.is_file()

    @property
    def color(self) -> str:
        return "gray" if self.channels == 1 else "color"


def _official(channels: int, noise: int) -> WeightsEntry:
    prefix = "004_grayDN" if channels == 1 else "005_colorDN"
    color = "gray" if channels == 1 else "color"
    return WeightsEntry(f"swinir-m-{color}-noise{noise}", f"{prefix}_DFWB_s128w8_SwinIR-M_noise{noise}.pth",
                        channels, noise, "official")


REGISTRY: tuple[WeightsEntry, ...] = (
    *(_official(channels, noise) for channels in (3, 1) for noise in NOISE_LEVELS),
    # Trained by this project on CBSD432; shipped with a model card next to them, listed when present. The
    # half-resolution ("half") networks come first: where both are present for a level, they run by default.
    *(WeightsEntry(f"{stem}{noise}", f"{stem}{noise}.pth", channels, noise, "embedded")
      for channels, stem in ((3, "swinir-half-noise"), (1, "swinir-half-gray-noise"), (3, "swinir-s-noise"),
                             (1, "swinir-s-gray-noise")) for noise in NOISE_LEVELS),
)


@dataclass(frozen=True)
class ResolvedWeights:
    """The checkpoint a denoise run will use."""

    id: str
    path: Path
    noise_level: int | None
    kind: str  # "official", "embedded" or "file"


def home() -> Path:
    """The user data folder (``$RESTORE_AGENT_HOME``, else ``$XDG_DATA_HOME/restore-agent``)."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "restore-agent"


def weights_dir() -> Path:
    return home() / "weights"


def entries() -> list[WeightsEntry]:
    """Every official entry, plus the embedded ones whose file is present."""
    return [e for e in REGISTRY if e.kind == "official" or e.available]


def embedded(noise_level: int | None = None, channels: int | None = None) -> list[WeightsEntry]:
    """The shipped weights present, in the registry's order (the half-resolution network first), for one noise
    level and channel count where given."""
    return [e for e in REGISTRY if e.kind == "embedded" and e.available
            and noise_level in (None, e.noise_level) and channels in (None, e.channels)]


def embedded_default(noise_level: int = DEFAULT_NOISE, channels: int = 3) -> WeightsEntry | None:
    """The shipped weights that run by default for this level and channel count, or None where the package
    ships none."""
    return next(iter(embedded(noise_level, channels)), None)


def find(entry_id: str) -> WeightsEntry:
    """The registry entry with this id, or a one-line error listing the known ids."""
    for entry in REGISTRY:
        if entry.id == entry_id:
            return entry
    raise UserError(f"unknown weights id {entry_id!r}; known: {', '.join(e.id for e in entries())}")


def _official_ids() -> list[str]:
    return [e.id for e in REGISTRY if e.kind == "official"]


def noise_from_name(name: str) -> int | None:
    """The noise level a file name states (``...noise25.pth`` -> 25), if any."""
    match = re.search(r"noise[_-]?(\d+)", name, flags=re.IGNORECASE)
    return int(match.group(1)) if match else None


def load_checked(path: Path):
    """Load a checkpoint with :func:`tools.swinir.load_swinir`; anything unusable is a one-line error."""
    from tools.swinir import load_swinir

    path = Path(path)
    check_file(path, WEIGHTS)  # the read guard: a regular file within the weights cap, said in one line else
    try:
        return load_swinir(path)
    except UserError:
        raise
    except Exception as exc:  # corrupt zip, pickle, wrong tensors: all mean "not a SwinIR checkpoint"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"not a usable SwinIR denoising checkpoint: {path} ({reason[:200]})") from None


def _identify(path: Path, channels: int, entry_id: str | None) -> WeightsEntry:
    """Which official entry a checkpoint with ``channels`` inputs is, from ``entry_id`` or its file name."""
    named = noise_from_name(path.name)
    if entry_id is not None:
        entry = find(entry_id)
        if entry.kind != "official":
            raise UserError(f"{entry.id} is shipped with the package and cannot be installed over")
        if named is not None and named != entry.noise_level:
            raise SettingError("id", entry.id, f"a noise-{named} weights id, as the file name {path.name} says")
    else:
        if named is None:
            raise SettingError("id", None, f"given (one of {', '.join(_official_ids())}) when the file name "
                                           f"{path.name} does not tell the noise level")
        if named not in NOISE_LEVELS:
            raise UserError(f"noise level {named} from {path.name} is not one of {NOISE_LEVELS}")
        entry = _official(channels, named)
    if entry.channels != channels:
        kind = "gray" if channels == 1 else f"{channels}-channel"
        raise UserError(f"{path.name} is a {kind} checkpoint but {entry.id} is {entry.color}")
    return entry


def _record(entry: WeightsEntry, source: str) -> None:
    """Note where an installed file came from, beside it."""
    info = {"id": entry.id, "source": source, "sha256": sha256_file(entry.path)}
    write_text_atomic(entry.path.with_name(entry.path.name + ".json"), json.dumps(info, indent=2) + "\n")


def source_of(entry: WeightsEntry) -> str | None:
    """Where an installed checkpoint was installed or downloaded from, if recorded."""
    try:
        return json.loads(entry.path.with_name(entry.path.name + ".json").read_text())["source"]
    except (OSError, ValueError, KeyError):
        return None


def install(path: str | Path, entry_id: str | None = None) -> WeightsEntry:
    """Validate a local checkpoint and copy it (atomically) into the weights folder; the source is untouched."""
    from tools.swinir.inference import model_channels

    source = Path(path)
    model = load_checked(source)
    entry = _identify(source, model_channels(model), entry_id)
    target = entry.path
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and target.resolve() == source.resolve():
        return entry
    write_atomic(target, lambda tmp: copy_file(source, WEIGHTS, tmp))  # the file the guard checked
    _record(entry, str(source.resolve()))
    return entry


def _fetch(url: str, tmp: Path, progress: Progress | None, timeout: float) -> None:
    """Stream ``url`` into ``tmp``, checking the byte count against the announced size."""
    request = urllib.request.Request(url, headers={"User-Agent": "restore-agent"})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(tmp, "wb") as out:
        expected = int(response.headers.get("Content-Length") or 0)
        done = 0
        while block := response.read(1 << 20):
            out.write(block)
            done += len(block)
            if progress is not None:
                progress(done, expected)
    if expected and done != expected:
        raise UserError(f"download incomplete: got {done} of {expected} bytes from {url}")
    if done == 0:
        raise UserError(f"download is empty: {url}")


def download(entry_id: str, progress: Progress | None = None, url: str | None = None,
             timeout: float = DOWNLOAD_TIMEOUT_S) -> WeightsEntry:
    """Download an official checkpoint into the weights folder, check its size and that it loads."""
    entry = find(entry_id)
    if entry.kind != "official":
        raise UserError(f"{entry.id} is shipped with the package; nothing to download")
    url = url or entry.url
    entry.path.parent.mkdir(parents=True, exist_ok=True)

    def fetch_and_check(tmp: Path) -> None:
        try:
            _fetch(url, tmp, progress, timeout)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise DownloadFailed(entry.id, entry.noise_level, url, str(reason)) from None
        _identify(Path(entry.file_name), _channels_of(tmp), entry.id)

    write_atomic(entry.path, fetch_and_check)
    _record(entry, url)
    return entry


def _channels_of(path: Path) -> int:
    from tools.swinir.inference import model_channels

    return model_channels(load_checked(path))


def resolve(noise_level: int | None = None, gray: bool = False, weights: str | None = None) -> ResolvedWeights:
    """Pick the checkpoint for a denoise run.

    ``weights`` may be a registry id or a checkpoint path. Without it: installed official weights
    for the noise level (matching gray/color first), then embedded project weights; otherwise a
    one-line error saying how to get some.
    """
    if noise_level is not None and noise_level not in NOISE_LEVELS:
        raise UserError(f"noise level must be one of {', '.join(map(str, NOISE_LEVELS))}, got {noise_level}")
    if weights:
        return _resolve_named(weights, noise_level)
    level = noise_level or DEFAULT_NOISE
    wanted = 1 if gray else 3
    candidates = sorted((e for e in REGISTRY if e.noise_level == level and e.available),
                        key=lambda e: (e.kind != "official", e.channels != wanted))
    if candidates:
        best = candidates[0]
        return ResolvedWeights(best.id, best.path, best.noise_level, best.kind)
    suggestion = _official(wanted, level).id
    raise WeightsUnavailable(suggestion, level, True, f"no SwinIR weights for noise level {level} are installed "
                                                      f"(official checkpoint {suggestion})")


def resolve_nearest(noise_level: int | None, gray: bool = False,
                    weights: str | None = None) -> tuple[ResolvedWeights, str | None]:
    """:func:`resolve`, but when ``noise_level`` has no weights here, the nearest level that has, with a note.

    The caller matches the photo's noise to the chosen weights (see ``tools.swinir.inference``).
    """
    if weights:
        return resolve(noise_level, gray=gray, weights=weights), None
    wanted = noise_level or DEFAULT_NOISE
    try:
        return resolve(wanted, gray=gray), None
    except UserError as missing:
        for level in sorted(NOISE_LEVELS, key=lambda n: (abs(n - wanted), n)):
            try:
                chosen = resolve(level, gray=gray)
            except UserError:
                continue
            return chosen, f"no noise-{wanted} weights here: ran {chosen.id} (noise {level}) instead"
        raise missing from None


def _resolve_named(weights: str, noise_level: int | None) -> ResolvedWeights:
    if any(e.id == weights for e in REGISTRY):
        entry = find(weights)
        if not entry.available:
            raise WeightsUnavailable(entry.id, entry.noise_level, entry.kind == "official")
        if noise_level is not None and noise_level != entry.noise_level:
            raise UserError(f"weights {entry.id} are for noise level {entry.noise_level}, not {noise_level}")
        return ResolvedWeights(entry.id, entry.path, entry.noise_level, entry.kind)
    path = Path(weights).expanduser()
    if os.path.lexists(path):
        check_file(path, WEIGHTS)  # a pipe, a device, a folder, a loop or too large: said in one line
    else:
        raise SettingError("weights", weights, f"a known weights id ({', '.join(e.id for e in entries())}) "
                                               "or an existing checkpoint file")
    return ResolvedWeights(path.name, path, noise_level or noise_from_name(path.name), "file")
