"""One degradation the analyzer found: what both the analysis and the recommendations read."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Finding:
    """A degradation (a key of ``tools.records.DEGRADATIONS``) with its severity and evidence."""

    degradation: str
    severity: str
    evidence: str
    score: float = 0.0
    explained_by: str | None = None  # another finding that can account for this one (not a main degradation)

    def to_dict(self) -> dict:
        return {"degradation": self.degradation, "severity": self.severity, "evidence": self.evidence}
