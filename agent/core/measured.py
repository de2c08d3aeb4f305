"""What runs here and what this project measured on it: a source of its own, kept apart from the records.

The SwinIR architecture runs here with whichever weights are installed (``tools.swinir.weights``): the
record's official checkpoint when the user installed it, else the small weights this project trained and
ships, whose model card (``MODEL_CARD.md`` beside them) holds their size, their PSNR on test sets and their
speed, measured by this project. Nothing here imports torch.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

@dataclass(frozen=True)
class Measurement:
    """One PSNR row of the shipped weights' model card: test set, sigma, the dB this project measured and
    which shipped weights measured it."""

    test_set: str
    sigma: str
    psnr: str
    weights: str


@dataclass(frozen=True)
class ShippedCard:
    """The shipped weights as their model card states them (numbers kept as written)."""

    id: str  # the weights ``denoise`` runs by default (color, sigma 15)
    parameters_by_weights: dict[str, str]  # millions of parameters of each shipped file, as the card lists them
    seconds_per_megapixel: str | None
    rows: tuple[Measurement, ...]
    others: tuple[str, ...] = ()  # the other shipped weights present (heavier noise, gray photos)

    @property
    def parameters(self) -> str | None:
        """Millions of parameters of the default weights."""
        return self.parameters_by_weights.get(self.id)

    def row(self, test_set: str = "McMaster", sigma: str = "15") -> Measurement | None:
        """The row for a test set and sigma, if the card measured it."""
        return next((r for r in self.rows if r.test_set.lower() == test_set.lower() and r.sigma == sigma), None)


def default_id() -> str | None:
    """The shipped weights ``denoise`` runs for a color photo at sigma 15 (the registry's order: the faster
    half-resolution network first, where it ships)."""
    from tools.swinir.weights import embedded_default

    entry = embedded_default()
    return entry and entry.id


@lru_cache(maxsize=1)
def shipped_card() -> ShippedCard | None:
    """The shipped weights' model card, parsed; None where the package ships no weights or no card."""
    from tools.swinir.weights import EMBEDDED_DIR, embedded

    path, shipped = EMBEDDED_DIR / "MODEL_CARD.md", default_id()
    if shipped is None or not path.is_file():
        return None
    text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S)  # figures' citations
    speed = re.search(r"about (\d+(?:\.\d+)?) s per megapixel", text)
    others = tuple(e.id for e in embedded() if e.id != shipped)
    return ShippedCard(shipped, _table(text, "parameters"), speed and speed.group(1), _rows(text, shipped), others)


def _table(text: str, column: str) -> dict[str, str]:
    """One column of the card's table of shipped files (``| weights | ... | parameters | ... |``), by weights id."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("| weights |")), None)
    if start is None:
        return {}
    columns = _cells(lines[start])
    if column not in columns:
        return {}
    found = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        if len(cells) == len(columns):
            found[cells[0]] = re.sub(r"[^\d.]", "", cells[columns.index(column)])
    return found


def _cells(line: str) -> list[str]:
    """A markdown table row's cells, without the bold and code marks around them."""
    return [cell.strip().strip("*`") for cell in line.strip("|").split("|")]


def _rows(text: str, shipped: str) -> tuple[Measurement, ...]:
    """The rows of the card's measured-quality table (``| set | sigma | ... | weights | shipped | ... |``): the
    ``shipped`` column holds the dB of the weights ``denoise`` picks, named in the ``weights`` column."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header = next((line for line in lines if "| shipped |" in line), None)
    if header is None:
        return ()
    columns = [cell.lower() for cell in _cells(header)]
    mine, named = columns.index("shipped"), columns.index("weights") if "weights" in columns else None
    rows = []
    for line in lines[lines.index(header) + 1:]:
        cells = _cells(line)
        if len(cells) == len(columns) and re.fullmatch(r"\d+", cells[1]) and cells[mine]:
            weights = cells[named] if named is not None else shipped
            rows.append(Measurement(re.sub(r"\s*\(.*\)", "", cells[0]), cells[1], cells[mine], weights))
    return tuple(rows)


def installed_official() -> list[str]:
    """Ids of the official SwinIR checkpoints installed on this machine."""
    from tools.swinir.weights import REGISTRY

    return [entry.id for entry in REGISTRY if entry.kind == "official" and entry.available]
