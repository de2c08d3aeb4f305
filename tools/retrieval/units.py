"""Figures as papers write them: parameter counts ("1.61 M", "17.1 million parameters", "26.1M params",
"21,000 parameters"), read into one unit so that records can be compared."""
from __future__ import annotations

import re
from dataclasses import dataclass

_SCALE = {"k": 1e-3, "thousand": 1e-3, "m": 1.0, "million": 1.0, "b": 1e3, "billion": 1e3, "": 1e-6}
PARAMETERS = re.compile(
    r"(?<![\w.])(?:(?:about|around|roughly|only|nearly|approximately|just|~)\s*)?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r"\s*-?\s*(k|thousand|m|million|b|billion)?\s*-?\s*"
    r"(?:learnable |trainable )?(?:parameters|params|parameter)\b", re.I)


@dataclass(frozen=True)
class Count:
    """A parameter count as written (``text``) and in millions (``millions``)."""

    text: str
    millions: float


def parameter_count(text: str) -> Count | None:
    """The first parameter count a sentence writes, or None."""
    match = PARAMETERS.search(text)
    if not match:
        return None
    value = float(match.group(1).replace(",", ""))
    return Count(match.group(0).strip(), value * _SCALE[(match.group(2) or "").lower()])
