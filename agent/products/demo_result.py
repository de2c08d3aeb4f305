"""The figures of one demo run (:class:`DemoResult`), shared by the demo, its views and reports."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from tools.json_numbers import meaningful
from tools.restore import CHECK_FAILED, NOT_RUN, RESTORED, RestoreResult

REFERENCE, AS_IS = "reference", "as-is"


@dataclass
class DemoResult:
    """Every figure of one demo run; :meth:`to_json` is ``demo.json``.

    A photo the analysis leaves alone has ``status`` ``not-run``: no ``checkpoint``, no ``after`` analysis, no
    restored figures (``metrics`` then holds the noisy input's only), and the ``decision`` says why.
    ``warnings`` are what a reader must not miss (a forced run's notice, the check's problems); ``notes`` are the
    run's routine notes (noise matched, bit depth)."""

    mode: str
    source: str
    width: int
    height: int
    sigma: int | None
    seed: int | None
    files: dict[str, str]
    checkpoint: dict | None
    analysis: dict
    after: dict | None
    noise_estimate: dict[str, float | None]
    quality: dict[str, float | None]
    metrics: dict[str, dict[str, float]] | None
    seconds: dict[str, float]
    decision: dict = field(default_factory=dict)
    status: str = NOT_RUN
    caption: str = "not denoised"
    check: dict | None = None
    warnings: list[str] = field(default_factory=list)
    recommendations: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    restoration: RestoreResult | None = field(default=None, repr=False, compare=False)  # not in demo.json

    @property
    def ran(self) -> bool:
        """Whether the denoiser ran (there is a restored image and its figures)."""
        return self.checkpoint is not None

    @property
    def forced(self) -> bool:
        """The denoiser ran only because it was asked to, against the analysis."""
        return bool(self.decision.get("forced"))

    @property
    def failed(self) -> bool:
        return self.status == CHECK_FAILED

    @property
    def output_word(self) -> str:
        """What the output is called wherever it is shown: restored only when the check passed."""
        return "restored" if self.status == RESTORED else "denoised"

    @property
    def total_seconds(self) -> float:
        return round(sum(self.seconds.values()), 3)

    def to_json(self) -> dict:
        data = asdict(replace(self, restoration=None))
        data.pop("restoration")
        data["total_seconds"] = self.total_seconds
        return meaningful(data)
