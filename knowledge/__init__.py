"""The model/paper records and the default recommendation card, shipped as package data."""
from importlib.resources import files
from pathlib import Path


def knowledge_path(name: str) -> Path:
    """Path of a file shipped in the knowledge package."""
    return Path(str(files(__name__).joinpath(name)))
