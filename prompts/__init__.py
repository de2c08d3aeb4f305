"""Prompt and answer templates, shipped as package data."""
from importlib.resources import files


def load_prompt(name: str) -> str:
    """Text of a template shipped in the prompts package (e.g. ``system.md``)."""
    return files(__name__).joinpath(name).read_text(encoding="utf-8")
