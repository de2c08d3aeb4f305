"""The figures of one demo run (:class:`DemoResult`), shared by the demo, its views and reports."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from tools.restore import RestoreResult

REFERENCE, AS_IS = "reference", "as-is"


@dataclass
class DemoResult:
    """Every figure of one demo run; :meth:`to_json` is ``demo.json``."""

    mode: str
    source: str
    width: int
    height: int
    sigma: int | None
    seed: int | None
    files: dict[str, str]
    checkpoint: dict
    analysis: dict
    after: dict
    noise_estimate: dict[str, float | None]
    quality: dict[str, float | None]
    metrics: dict[str, dict[str, float]] | None
    seconds: dict[str, float]
    recommendations: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    restoration: RestoreResult | None = field(default=None, repr=False, compare=False)  # not in demo.json

    @property
    def total_seconds(self) -> float:
        return round(sum(self.seconds.values()), 3)

    def to_json(self) -> dict:
        data = asdict(replace(self, restoration=None))
        data.pop("restoration")
        data["total_seconds"] = self.total_seconds
        return data
