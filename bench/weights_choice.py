"""The weights the policy runs on heavy noise, against the strongest alternative: the sigma-15 weights matched.

Centre crops of McMaster (color) and Set12 (gray) with Gaussian noise drawn as ``bench/denoise_quality.py``
draws it (``np.random.seed(0)`` per image), in two forms:

- clipped: rounded and clipped to 0..255 and saved as PNG, as real photos are. Every run goes through
  ``tools.restore`` (analyze, decide, denoise): "policy" is what ``restore-agent denoise`` runs, the others
  are ``--weights ID`` runs, matched to the same measured sigma;
- unclipped: the SwinIR paper's protocol (float input, which no 8-bit file holds). The same choice
  (``tools.analyzer.noise.checkpoint_level``) and matching, to the true sigma.

Columns (PSNR dB of outputs rounded to uint8, mean over the crops): the noisy input; "nearest", the shipped
weights for the level nearest the sigma (the policy's choice before this bench); "sigma-15 matched",
the default sigma-15 weights with the noise matched; "policy", the shipped choice. Only the shipped weights take part
(``RESTORE_AGENT_HOME`` is an empty folder). Prints a table and writes ``bench/results/weights_choice.json``:
rows, every crop's figures, each heavy checkpoint's gain over the matched sigma-15 run where the policy runs it
and where only the nearest level would, and the machine.

    python bench/weights_choice.py                       # 192 px crops, sigma 15 25 35 40 50
    python bench/weights_choice.py --crop 128 --limit 4 --sigma 50   # a quick look, not written
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import typer
from PIL import Image
from rich.console import Console
from rich.table import Table

from denoise_quality import SETS, SHARED, add_noise, load_set, to_uint8
from machine import recorded

from tools.swinir.weights import embedded_default

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "weights_choice.json"
MATCHED_15 = embedded_default().id  # the shipped weights denoise runs at sigma 15
console = Console(width=200)  # the table is wide; a narrow terminal wraps it


def psnr(clean: np.ndarray, out: np.ndarray) -> float:
    from skimage.metrics import peak_signal_noise_ratio

    return float(peak_signal_noise_ratio(clean, out, data_range=255))


def centre_crop(image: np.ndarray, side: int) -> np.ndarray:
    top, left = max(0, (image.shape[0] - side) // 2), max(0, (image.shape[1] - side) // 2)
    return image[top:top + side, left:left + side]


def compared(policy: str | None, policy_psnr: float, nearest: str, run: Callable[[str], float]) -> dict:
    """The policy's figures beside the nearest level's weights and the matched sigma-15 run (``run(weights_id)``
    gives the PSNR of one more run; a run the policy already made is not repeated)."""
    scores = {policy: policy_psnr}
    for weights in (nearest, MATCHED_15):
        if weights not in scores:
            scores[weights] = run(weights)
    return dict(policy=policy, nearest=nearest, psnr_policy=policy_psnr, psnr_nearest=scores[nearest],
                psnr_matched_15=scores[MATCHED_15])


def clipped_case(clean: np.ndarray, noisy: np.ndarray, folder: Path) -> dict:
    """The policy's run and the alternatives on the 8-bit noisy photo, all through ``tools.restore``."""
    from tools.analyzer.noise import nearest_level
    from tools.restore import RestoreRequest, analyze_photo, restore
    from tools.swinir import weights as registry

    photo, reference = folder / "noisy.png", folder / "clean.png"
    Image.fromarray(noisy).save(photo)
    Image.fromarray(clean).save(reference)
    analysis = analyze_photo(photo)

    def run(weights: str | None) -> tuple[str | None, float]:
        request = RestoreRequest(output=folder / "out.png", weights=weights, force=weights is not None,
                                 check=False, reference=reference)
        result = restore(photo, request, analysis=analysis)
        return (result.run.model, result.run.psnr) if result.run else (None, psnr(clean, noisy))

    nearest = registry.resolve_nearest(nearest_level(analysis.noise.sigma), gray=clean.ndim == 2)[0].id
    clipped = 100 * float(np.mean((noisy == 0) | (noisy == 255)))  # samples held at black or white
    return dict(measured_sigma=analysis.noise.sigma, clipped_percent=clipped,
                **compared(*run(None), nearest, lambda weights: run(weights)[1]))


def unclipped_case(clean: np.ndarray, noisy: np.ndarray, sigma: float) -> dict:
    """The same choice and matching on float noise (paper protocol), matched to the true sigma."""
    from tools.analyzer.noise import checkpoint_level, nearest_level
    from tools.swinir import weights as registry
    from tools.swinir.inference import denoise_float
    from tools.swinir.service import load_model

    gray, samples = clean.ndim == 2, noisy.astype(np.float32)

    def run(weights: str) -> float:
        entry = registry.find(weights)
        return psnr(clean, to_uint8(denoise_float(load_model(entry.path), samples,
                                                  noise_ratio=entry.noise_level / sigma)))

    policy, nearest = (registry.resolve_nearest(level, gray=gray)[0].id
                       for level in (checkpoint_level(sigma), nearest_level(sigma)))
    return dict(measured_sigma=float(sigma), clipped_percent=0.0, **compared(policy, run(policy), nearest, run))


def summary(cases: list[dict]) -> dict:
    """One row: the mean figures of a set's crops at one sigma and one form of noise."""
    mean = lambda key: float(np.mean([c[key] for c in cases]))  # noqa: E731
    first = cases[0]
    return dict(set=first["set"], sigma=first["sigma"], noise=first["noise"], images=len(cases),
                noisy=mean("psnr_noisy"), nearest_weights=dict(Counter(c["nearest"] for c in cases)),
                nearest=mean("psnr_nearest"),
                matched_15=mean("psnr_matched_15"), policy=mean("psnr_policy"),
                policy_weights=dict(Counter(c["policy"] for c in cases)),
                policy_minus_matched_15=mean("psnr_policy") - mean("psnr_matched_15"),
                clipped_percent=mean("clipped_percent"), measured_sigma=mean("measured_sigma"))


def by_weights(cases: list[dict]) -> dict:
    """For each heavy checkpoint and form of noise, its gain over the matched sigma-15 run on the crops where the
    policy runs it, and on those where only the nearest level would have run it."""
    found: dict = {}
    for weights in sorted({c["nearest"] for c in cases} - {MATCHED_15}):
        for form in ("clipped", "unclipped"):
            runs = {"policy_runs_it": [c["psnr_policy"] - c["psnr_matched_15"] for c in cases
                                       if c["noise"] == form and c["policy"] == weights],
                    "nearest_only": [c["psnr_nearest"] - c["psnr_matched_15"] for c in cases
                                     if c["noise"] == form and c["nearest"] == weights and c["policy"] != weights]}
            found.setdefault(weights, {})[form] = {
                side: {"crops": len(gains), "mean_gain_db": float(np.mean(gains)) if gains else None,
                       "worst_gain_db": min(gains, default=None)} for side, gains in runs.items()}
    return found


def table(rows: list[dict]) -> None:
    out = Table(title="Shipped weights choice against the matched sigma-15 run (PSNR dB)")
    for col in ("set", "sigma", "noise", "clipped %", "noisy", "nearest", "sigma-15 matched", "policy",
                "policy weights", "policy - matched"):
        out.add_column(col, justify="left" if col in ("set", "noise", "policy weights") else "right")
    for r in rows:
        diff = r["policy_minus_matched_15"]
        out.add_row(r["set"], str(r["sigma"]), r["noise"], f"{r['clipped_percent']:.1f}", f"{r['noisy']:.2f}",
                    f"{r['nearest']:.2f}", f"{r['matched_15']:.2f}", f"{r['policy']:.2f}",
                    ", ".join(f"{k.removeprefix('swinir-s-')} x{v}" for k, v in r["policy_weights"].items()),
                    f"[{'red' if diff < -0.02 else 'green'}]{diff:+.2f}[/]")
    console.print(out)


def main(
    sigma: list[int] = typer.Option([15, 25, 35, 40, 50], help="Noise levels on the 0..255 scale."),
    crop: int = typer.Option(192, help="Centre crop side in pixels."),
    limit: int = typer.Option(None, help="Only the first N images of each set (not written)."),
    sets: list[str] = typer.Option(list(SETS), help="Test sets."),
) -> None:
    from tools.json_numbers import meaningful
    from tools.swinir.runtime import configure_process

    configure_process()
    if not SHARED.is_dir():
        console.print(f"[yellow]skipped: {SHARED} is absent (the test images live in ../shared)")
        raise typer.Exit(0)
    started, cases = time.perf_counter(), []
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as work, recorded() as machine:
        os.environ["RESTORE_AGENT_HOME"] = home  # only the shipped weights
        for set_name in sets:
            for name, image in load_set(set_name, limit):
                clean = centre_crop(image, crop)
                for s in sigma:
                    noisy = add_noise(clean, s)
                    for form in ("clipped", "unclipped"):
                        case = clipped_case(clean, to_uint8(noisy), Path(work)) if form == "clipped" else \
                            unclipped_case(clean, noisy, s)
                        cases.append(dict(set=set_name, image=name, sigma=s, noise=form,
                                          psnr_noisy=psnr(clean, to_uint8(noisy)), **case))
                console.print(f"{set_name} {name}: done", style="dim")
    rows = [summary([c for c in cases if (c["set"], c["sigma"], c["noise"]) == key])
            for key in dict.fromkeys((c["set"], c["sigma"], c["noise"]) for c in cases)]
    table(rows)
    if limit is not None:
        console.print("not written: --limit measures part of each set")
        return
    from tools.fileio import write_text_atomic

    data = {"protocol": "\n\n".join(__doc__.split("\n\n")[1:4]), "crop": crop, "rows": rows, "by_weights": by_weights(cases),
            "crops": cases, "seconds": time.perf_counter() - started,
            "machine": machine}
    write_text_atomic(RESULTS, json.dumps(meaningful(data), indent=2) + "\n")
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    typer.run(main)
