"""The live demo: degrade a clean photo (or take a degraded one as is), analyze it, denoise it, measure.

:func:`run_demo` writes the input, the restored output, a side-by-side comparison and ``demo.json``
into one folder and returns a :class:`DemoResult` with every figure and the time of each step.
Reports run each of their photos through the same function.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.products.comparison import write_comparison
from agent.products.demo_result import AS_IS, REFERENCE, DemoResult
from agent.products.workflow import panel_labels
from tools.errors import SettingError
from tools.fileio import prepare_output_folder, write_text_atomic
from tools.imageio import load_image, save_image
from tools.records import Record

SAMPLE_PHOTO = "astronaut"
DEFAULT_SIGMA = 15
FILES = {"clean": "clean.png", "input": "input.png", "restored": "restored.png",
         "comparison": "comparison.png", "json": "demo.json"}

Progress = Callable[[int, int], None]


@dataclass
class Source:
    """The photo a demo starts from: pixels, a label for people, and its file (None for the sample)."""

    pixels: np.ndarray
    label: str
    path: Path | None = None


def sample_source() -> Source:
    """scikit-image's astronaut photo (512 x 512, RGB), shipped with the library."""
    from skimage import data

    return Source(getattr(data, SAMPLE_PHOTO)(), f"scikit-image {SAMPLE_PHOTO}")


def load_source(image: Path | None) -> Source:
    """The user's photo (one-line errors for unusable files), or the sample photo."""
    if image is None:
        return sample_source()
    loaded = load_image(image)
    return Source(loaded.pixels, str(image), Path(image))


def add_gaussian_noise(pixels: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Additive white Gaussian noise at ``sigma`` (0..255 scale), rounded and clipped to 8 bits."""
    if sigma < 0:
        raise SettingError("noise", sigma, "zero or positive")
    noise = np.random.default_rng(seed).normal(0.0, sigma, pixels.shape)
    return np.clip(np.rint(pixels.astype(np.float64) + noise), 0, 255).astype(np.uint8)


class StepClock:
    """Times named steps in order: ``with clock("analyze"): ...``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 3)


def run_demo(
    out_dir: Path,
    image: Path | None = None,
    sigma: int | None = DEFAULT_SIGMA,
    weights: str | None = None,
    seed: int = 0,
    force: bool = False,
    records: Sequence[Record] | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """Run the demo into ``out_dir``; ``sigma=None`` takes the photo as it is (no reference metrics).

    The photo (the user's file as it is, or the noisy copy) goes through the restoration pipeline once.
    Every check (image, output folder, existing files) happens before any file is written.
    """
    from tools.cards import load_records
    from tools.restore import RestoreRequest, restore
    from tools.swinir.service import quality

    as_is = sigma is None
    if as_is and image is None:
        raise SettingError("image", None, "given to restore a photo as is (the sample photo is clean)")
    clock = StepClock()
    with clock("prepare"):
        source = load_source(image)
        names = {key: name for key, name in FILES.items() if not (as_is and key == "clean")}
        folder = prepare_output_folder(out_dir, names.values(), [source.path] if source.path else [], force)
        paths = {key: folder / name for key, name in names.items()}
        clean = None if as_is else source.pixels
        degraded = source.pixels if as_is else add_gaussian_noise(source.pixels, sigma, seed)
        if clean is not None:
            save_image(clean, paths["clean"])
        save_image(degraded, paths["input"])
    records = load_records(None) if records is None else records
    photo = source.path if as_is else paths["input"]
    request = RestoreRequest(paths["restored"], weights=weights, force=True)  # a demo always runs the model
    restoration = restore(photo, request, records, progress=progress)
    before, after, run = restoration.analysis, restoration.after, restoration.run
    with clock("measure"):
        restored = load_image(paths["restored"]).pixels
        metrics = None if clean is None else {
            name: dict(zip(("psnr", "ssim"), (round(v, 4) for v in quality(clean, pixels))))
            for name, pixels in (("noisy", degraded), ("restored", restored))
        }
    steps = restoration.seconds  # in the order the steps ran
    clock.seconds = {"prepare": clock.seconds["prepare"], "analyze": steps["analyze"], "denoise": steps["denoise"],
                     "measure": round(clock.seconds["measure"] + steps.get("check", 0.0), 3)}
    result = DemoResult(
        mode=AS_IS if as_is else REFERENCE, source=source.label, width=int(degraded.shape[1]),
        height=int(degraded.shape[0]), sigma=sigma, seed=None if as_is else seed,
        files={key: str(path) for key, path in paths.items()},
        checkpoint={"id": run.model, "noise_level": run.noise_level, "kind": run.weights_kind,
                    "suggested_noise_level": before.suggested_noise_level, "tiles": run.tiles,
                    "contrast": run.contrast},
        analysis=before.to_dict(), after=after.to_dict(),
        noise_estimate={"before": before.noise.sigma, "after": after.noise.sigma},
        quality={"before": before.quality.piqe, "after": after.quality.piqe},
        metrics=metrics, seconds=clock.seconds,
        recommendations=[r.to_dict() for r in before.recommendations],
        notes=restoration.notes, restoration=restoration,
    )
    with clock("compare"):
        panels = [(paths[key], lines) for key, lines in panel_labels(result)]
        write_comparison(panels, paths["comparison"], detail=0 if metrics else -1)
    result.seconds = clock.seconds
    write_text_atomic(paths["json"], json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    return result
