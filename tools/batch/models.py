"""Which checkpoint file a model id names, and its sha256 (cached per file version)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from tools.errors import UserError
from tools.read_guard import WEIGHTS, sha256
from tools.swinir import weights as registry


def checkpoint_path(model_id: str, weights: str | None) -> Path | None:
    """The file behind ``model_id``: the ``weights`` path it was named after, or the registry's entry."""
    if weights and not any(entry.id == weights for entry in registry.REGISTRY):
        return Path(weights).expanduser()
    try:
        return registry.find(model_id).path
    except UserError:  # an id no longer known: no file, so the model counts as changed
        return None


@lru_cache(maxsize=16)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    return sha256(Path(path), WEIGHTS)


def checkpoint_sha256(model_id: str, weights: str | None) -> str | None:
    """The sha256 of the checkpoint ``model_id`` names now, or None when it is not on this machine."""
    path = checkpoint_path(model_id, weights)
    if path is None or not path.is_file():
        return None
    stat = path.stat()
    return _sha256(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def model_record(model_id: str, weights: str | None) -> dict:
    """The manifest's ``model``: its id and the sha256 of its checkpoint file."""
    return {"id": model_id, "sha256": checkpoint_sha256(model_id, weights)}
