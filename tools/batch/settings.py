"""What a batch run is asked to do, in the form its manifest records."""
from __future__ import annotations

from dataclasses import dataclass

from tools.errors import SettingError
from tools.swinir.weights import NOISE_LEVELS


@dataclass(frozen=True)
class BatchSettings:
    """How to run each photo; whether to run it is the analysis's call (``tools.restore.decide``).

    ``noise`` None: each photo's checkpoint level from its analysis; a level or ``weights`` only say how to run.
    ``force_run``: denoise every photo, also those the analysis would leave alone (each such run is labelled).
    ``skip_clean``: photos the analysis leaves alone are skipped (nothing written for them) instead of copied
    unchanged. ``analyze_only``: nothing is written but the manifest. ``device``: where the network runs
    (``tools.swinir.device``); it says where, not what, so it is not part of the manifest's settings and a
    resumed batch keeps photos done on another device (each result records its device)."""

    noise: int | None = None
    weights: str | None = None
    skip_clean: bool = False
    analyze_only: bool = False
    force_run: bool = False
    device: str = "auto"

    def to_json(self) -> dict:
        return {"noise": "auto" if self.noise is None else self.noise, "weights": self.weights,
                "skip_clean": self.skip_clean, "analyze_only": self.analyze_only, "force_run": self.force_run}


def parse_noise(text: str | int | None) -> int | None:
    """``auto`` (None) or one of the checkpoint levels; a :class:`SettingError` otherwise."""
    if text is None or str(text).strip().lower() == "auto":
        return None
    try:
        level = int(str(text).strip())
    except ValueError:
        level = -1
    if level not in NOISE_LEVELS:
        raise SettingError("noise", text, f"auto or one of {', '.join(map(str, NOISE_LEVELS))}")
    return level
