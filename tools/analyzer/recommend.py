"""Map the analyzer's findings onto the loaded records whose ``handles`` cover them."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from tools.analyzer.finding import Finding
from tools.records import Record

MULTIPLE = "unknown"  # records that take several degradations at once (all-in-one models)
FALLBACK = {"gaussian-noise": "noise"}  # when no loaded record handles a finding, try the wider term


@dataclass
class Recommendation:
    """One loaded record and why it fits; ``noise_level`` is the checkpoint to run, where one applies."""

    record: str
    why: str
    noise_level: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _handlers(records: Sequence[Record], degradation: str) -> list[Record]:
    found = [r for r in records if degradation in r.handles]
    if not found and degradation in FALLBACK:
        found = [r for r in records if FALLBACK[degradation] in r.handles]
    return found


def _availability(record: Record) -> str:
    return "runs here" if record.runnable else "described only"


def recommend(findings: Sequence[Finding], suggested_noise_level: int | None,
              records: Sequence[Record]) -> list[Recommendation]:
    """Records that handle what was found, most specific first; only ``records`` can be named.

    ``suggested_noise_level`` is the SwinIR noise checkpoint (15/25/50) to name for Gaussian noise, if any.
    """
    findings = [f for f in findings if f.severity != "none"]
    chosen: dict[str, Recommendation] = {}

    def add(record: Record, reason: str, noise_level: int | None = None) -> None:
        if record.id in chosen:
            chosen[record.id].why += f"; {reason}"
        else:
            chosen[record.id] = Recommendation(record.id, f"{reason} ({_availability(record)})", noise_level)

    for finding in findings:
        for record in _handlers(records, finding.degradation):
            level = suggested_noise_level if "gaussian-noise" in record.handles \
                and finding.degradation == "gaussian-noise" else None
            reason = f"{finding.severity} {finding.degradation}: {finding.evidence}"
            if level is not None:
                reason += f"; run the noise-level {level} checkpoint"
            add(record, reason, level)
    distinct = {f.degradation for f in findings if f.degradation != "low-resolution"}
    if len(distinct) >= 2:
        for record in _handlers(records, MULTIPLE):
            add(record, f"several degradations at once ({', '.join(sorted(distinct))})")
    return list(chosen.values())
