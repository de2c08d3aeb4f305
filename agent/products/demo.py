"""The live demo: degrade a clean photo (or take a degraded one as is), analyze it, denoise it, measure.

:func:`run_demo` writes the input, the restored output, a side-by-side comparison and ``demo.json``
into one folder and returns a :class:`DemoResult` with every figure and the time of each step. The analysis
decides whether the denoiser runs, as everywhere (:func:`tools.restore.decide`): a photo it leaves alone gets
its analysis and the reason, and no restored image. Reports run each of their photos through the same function.
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
from tools.restore import Decision, RestoreResult

SAMPLE_PHOTO = "astronaut"
DEFAULT_SIGMA = 15
FILES = {"clean": "clean.png", "input": "input.png", "restored": "restored.png",
         "comparison": "comparison.png", "json": "demo.json"}

Progress = Callable[[int, int], None]
Announce = Callable[[Decision], None]


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
    force_run: bool = False,
    announce: Announce | None = None,
    device: str = "auto",
) -> DemoResult:
    """Run the demo into ``out_dir``; ``sigma=None`` takes the photo as it is (no reference metrics).

    The photo (the user's file as it is, or the noisy copy) goes through the restoration pipeline once, and the
    analysis decides whether the denoiser runs; ``force_run`` runs it anyway (``announce`` hears the decision
    before any denoising, so a surface can show a forced run's notice first). A photo left alone gets no
    restored image and no comparison. ``force`` replaces existing files (and removes a restored image and a
    comparison left by an earlier run). The network runs on ``device`` (``tools.swinir.device``). Every check
    (options, device, image, weights, output folder, existing files) happens before any file is written.
    """
    from tools.cards import load_records
    from tools.restore import RestoreRequest, restore
    from tools.swinir.device import check_device
    from tools.swinir.service import check_denoisable

    as_is = sigma is None
    if as_is and image is None:
        raise SettingError("image", None, "given to restore a photo as is (the sample photo is clean)")
    if sigma is not None and sigma < 0:
        raise SettingError("noise", sigma, "zero or positive")
    check_device(device)
    clock = StepClock()
    with clock("prepare"):
        source = load_source(image)
        check_denoisable(source.pixels.shape[1], source.pixels.shape[0], source.path or source.label)
        if weights:
            from tools.swinir import weights as registry

            registry.resolve(weights=weights)  # a one-line error for an unknown id or a missing file, now
        names = {key: name for key, name in FILES.items() if not (as_is and key == "clean")}
        folder = prepare_output_folder(out_dir, names.values(), [source.path] if source.path else [], force)
        paths = {key: folder / name for key, name in names.items()}
        clean = None if as_is else source.pixels
        degraded = source.pixels if as_is else add_gaussian_noise(source.pixels, sigma, seed)
        if clean is not None:
            save_image(clean, paths["clean"], source=source.path)
        save_image(degraded, paths["input"], source=source.path)
    records = load_records(None) if records is None else records
    photo = source.path if as_is else paths["input"]
    request = RestoreRequest(paths["restored"], weights=weights, force=force_run, device=device)
    restoration = restore(photo, request, records, progress=progress, announce=announce)
    if restoration.run is None:  # nothing restored: no image, no comparison, none left from an earlier run
        for key in ("restored", "comparison"):
            paths.pop(key).unlink(missing_ok=True)
    with clock("measure"):
        metrics = None if clean is None else _metrics(clean, degraded, paths.get("restored"))
    steps = restoration.seconds  # in the order the steps ran
    clock.seconds = {"prepare": clock.seconds["prepare"], "analyze": steps["analyze"],
                     **({"denoise": steps["denoise"]} if "denoise" in steps else {}),
                     "measure": round(clock.seconds["measure"] + steps.get("check", 0.0), 3)}
    result = _result(restoration, source, degraded, sigma, seed, paths, metrics, clock.seconds)
    if restoration.run is not None:
        with clock("compare"):
            panels = [(paths[key], lines) for key, lines in panel_labels(result)]
            write_comparison(panels, paths["comparison"], detail=0 if clean is not None else -1)
    result.seconds = clock.seconds
    write_text_atomic(paths["json"], json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    return result


def _metrics(clean: np.ndarray, degraded: np.ndarray, restored: Path | None) -> dict[str, dict[str, float]]:
    """PSNR and SSIM against the clean photo: of the noisy input, and of the restored image where there is one."""
    from tools.swinir.service import quality

    images = {"noisy": degraded, **({"restored": load_image(restored).pixels} if restored else {})}
    return {name: dict(zip(("psnr", "ssim"), (round(v, 4) for v in quality(clean, pixels))))
            for name, pixels in images.items()}


def _result(restoration: RestoreResult, source: Source, degraded: np.ndarray, sigma: int | None, seed: int,
            paths: dict[str, Path], metrics: dict | None, seconds: dict[str, float]) -> DemoResult:
    """The :class:`DemoResult` of one pass through the pipeline."""
    before, after, run = restoration.analysis, restoration.after, restoration.run
    checkpoint = None if run is None else {
        "id": run.model, "noise_level": run.noise_level, "kind": run.weights_kind,
        "suggested_noise_level": before.suggested_noise_level, "tiles": run.tiles, "contrast": run.contrast}
    return DemoResult(
        mode=AS_IS if sigma is None else REFERENCE, source=source.label, width=int(degraded.shape[1]),
        height=int(degraded.shape[0]), sigma=sigma, seed=None if sigma is None else seed,
        files={key: str(path) for key, path in paths.items()}, checkpoint=checkpoint,
        analysis=before.to_dict(), after=after.to_dict() if after else None,
        noise_estimate={"before": before.noise.sigma, "after": after.noise.sigma if after else None},
        quality={"before": before.quality.piqe, "after": after.quality.piqe if after else None},
        metrics=metrics, seconds=seconds, decision=restoration.decision.to_dict(), status=restoration.status,
        caption=restoration.caption, check=restoration.check.to_dict() if restoration.check else None,
        warnings=restoration.warnings, recommendations=[r.to_dict() for r in before.recommendations],
        notes=list(run.notes) if run else [], restoration=restoration,
    )
