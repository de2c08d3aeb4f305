"""The answer templates of ``prompts/answer.md``: one ``## name`` block per template."""
from __future__ import annotations

import re
from functools import lru_cache
from string import Template

from prompts import load_prompt

_BLOCK = re.compile(r"^## (\S+)\n(.*?)(?=^## |\Z)", re.M | re.S)


@lru_cache(maxsize=None)
def answer_templates(name: str = "answer.md") -> dict[str, Template]:
    """All templates of a template file, by name."""
    return {key: Template(body.strip()) for key, body in _BLOCK.findall(load_prompt(name))}


def fill(key: str, **values: object) -> str:
    """Fill template ``key``; every placeholder must be given."""
    return answer_templates()[key].substitute(**values)


def fill_for(prefix: str, variant: str, **values: object) -> str:
    """Fill ``prefix.<variant>``, falling back to ``prefix.default``."""
    templates = answer_templates()
    key = f"{prefix}.{variant}" if f"{prefix}.{variant}" in templates else f"{prefix}.default"
    return templates[key].substitute(**values)
