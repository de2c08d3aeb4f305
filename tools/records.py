"""The record type: one model or paper from a recommendation card.

Records are the only sources the project may cite. ``handles`` uses the degradation vocabulary
below, shared with the analyzer so that findings map onto whichever records are loaded.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Degradation vocabulary shared by records (what a record handles) and the analyzer (what it finds).
DEGRADATIONS = {
    "gaussian-noise": "additive Gaussian-like noise at a known level",
    "noise": "noise of unknown level or type",
    "rain": "rain streaks",
    "haze": "haze or fog",
    "blur": "blur (motion or defocus)",
    "low-light": "low light or under-exposure",
    "jpeg": "JPEG compression artifacts",
    "low-resolution": "low resolution (calls for super-resolution)",
    "face": "degraded faces (calls for face restoration)",
    "underwater": "underwater colour casts, haze and low contrast",
    "color": "missing or faded colour (calls for colorization)",
    "damage": "physical damage such as scratches, tears, creases or stains",
    "video": "degraded video frames",
    "shadow": "shadows cast over part of the image",
    "other": "the damage its summary describes",
    "real-world-mixed": "severe, mixed real-world degradation",
    "unknown": "unknown or mixed degradation types",
}

RECOMMENDED_MODEL = "recommended model"
RELATED_PAPER = "related paper"


@dataclass(frozen=True)
class Record:
    """One model/paper record. ``code`` is None where the card gives no code link."""

    id: str
    title: str
    kind: str
    paper: str
    code: str | None = None
    summary: str = ""
    key_facts: tuple[str, ...] = ()
    technique: str = ""
    handles: tuple[str, ...] = ()
    best_for: str = ""
    runnable: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def links(self) -> tuple[str, ...]:
        """The record's links, exactly as the card gives them."""
        return tuple(link for link in (self.paper, self.code, *self.extra.get("more_links", ())) if link)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["key_facts"] = list(self.key_facts)
        data["handles"] = list(self.handles)
        data.pop("extra")
        return data
