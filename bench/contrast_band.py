"""Noise weaker than the weights': raise the photo's contrast to match it, or run the photo as it is?

Three scikit-image photos (astronaut, chelsea, coffee) resized to 1280 x 960, Gaussian noise of sigma 5, 8, 11,
13 and 15 added, clipped and rounded as in a real 8-bit photo. Each runs with the sigma-15 weights three ways:
at the contrast that matches the measured sigma to 15 (``raised``, the rule before contrast was capped at 1),
through ``denoise_file`` as ``restore-agent denoise`` runs it now (``default``), and as the official script
runs it (``official``: whole image, contrast 1). PSNR against the clean photo, and the output check's
verdict on each run (``tools.analyzer.method_noise.check_residual``: does the removed residual follow the
image's edges?). The photos of RealSRSet (``../shared``) whose measured sigma lies under 15 run the same two
ways (raised, default): no clean photo there, so only the check's verdict. Writes
bench/results/contrast_band.json with the machine block.

    .venv/bin/python bench/contrast_band.py
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from machine import recorded

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "contrast_band.json"
PHOTOS = ("astronaut", "chelsea", "coffee")
SIGMAS = (5.0, 8.0, 11.0, 13.0, 15.0)
SIZE = (1280, 960)


def noisy_photo(name: str, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """A clean photo at SIZE and its clipped, rounded noisy copy (seed 0)."""
    from skimage import data

    clean = np.asarray(Image.fromarray(getattr(data, name)()).convert("RGB").resize(SIZE, Image.LANCZOS))
    noisy = clean + np.random.default_rng(0).normal(0, sigma, clean.shape)
    return clean, np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def psnr_of(clean: np.ndarray, path: Path) -> float:
    from skimage.metrics import peak_signal_noise_ratio

    return float(peak_signal_noise_ratio(clean, np.asarray(Image.open(path)), data_range=255))


def check_of(noisy: np.ndarray, path: Path, sigma: float, kind: str) -> dict:
    """The output check's verdict on one run: passed, and its edge correlation."""
    from tools.analyzer.method_noise import check_residual

    verdict = check_residual(noisy, np.asarray(Image.open(path).convert("RGB")), sigma, kind)
    return {"passed": verdict.ok, "edge_correlation": verdict.edge_correlation}


def row(name: str, sigma: float, folder: Path) -> dict:
    """One photo at one sigma, the three ways."""
    from tools.analyzer.noise import measure_noise
    from tools.swinir.service import denoise_file

    clean, noisy = noisy_photo(name, sigma)
    source = folder / f"{name}-{sigma:g}.png"
    Image.fromarray(noisy).save(source)
    noise = measure_noise(noisy)
    measured = float(noise.sigma)
    ways = {"default": dict(noise_sigma=measured), "official": dict(match=False)}
    found = {"photo": name, "sigma": sigma, "measured_sigma": measured}
    for way, options in ways.items():
        out = folder / f"{name}-{sigma:g}-{way}.png"
        result = denoise_file(source, out, noise_level=15, **options)
        found[way] = psnr_of(clean, out)
        found[f"{way}_contrast"] = result.contrast
        found[f"{way}_check"] = check_of(noisy, out, measured, noise.kind)
    raised = raised_run(source, measured, folder)
    found["raised"], found["raised_check"] = psnr_of(clean, raised), check_of(noisy, raised, measured, noise.kind)
    print(f"{name} sigma {sigma:g} (measured {measured:.2f}): raised {found['raised']:.3f}, default "
          f"{found['default']:.3f}, official {found['official']:.3f}", flush=True)
    return found


def raised_run(source: Path, measured: float, folder: Path) -> Path:
    """The rule before: contrast 15 / measured, up to 3 (the old upper bound)."""
    import torch

    from tools.imageio import load_image
    from tools.swinir import load_swinir, weights
    from tools.swinir.inference import matched_forward, to_uint8

    model = load_swinir(weights.find("swinir-s-noise15").path)
    pixels = load_image(source).pixels.astype(np.float32) / 255.0
    contrast = min(3.0, 15 / measured)
    with torch.inference_mode():
        out = matched_forward(model, torch.from_numpy(pixels).permute(2, 0, 1)[None], contrast)
    path = folder / "raised.png"
    Image.fromarray(to_uint8(out[0].permute(1, 2, 0).numpy())).save(path)
    return path


def real_rows(folder: Path) -> list[dict]:
    """RealSRSet photos measured under sigma 15: the check's verdict raised and at contrast 1 (no clean photo)."""
    from tools.analyzer.noise import measure_noise
    from tools.imageio import load_image
    from tools.swinir.service import denoise_file

    real = ROOT.parent / "shared" / "data" / "test" / "RealSRSet"
    if not real.is_dir():
        print(f"RealSRSet not found at {real}: real photos skipped")
        return []
    rows = []
    for photo in sorted(real.iterdir()):
        pixels = load_image(photo).pixels
        if pixels.ndim != 3 or pixels.shape[2] != 3:
            continue
        noise = measure_noise(pixels)
        if noise.sigma is None or not 1.0 <= noise.sigma < 15 or noise.kind == "correlated":
            continue
        out = folder / f"real-{photo.stem}.png"
        denoise_file(photo, out, noise_level=15, noise_sigma=noise.sigma)
        found = {"photo": photo.name, "measured_sigma": float(noise.sigma), "kind": noise.kind,
                 "default_check": check_of(pixels, out, noise.sigma, noise.kind),
                 "raised_check": check_of(pixels, raised_run(photo, noise.sigma, folder), noise.sigma, noise.kind)}
        print(f"{photo.name} (measured {noise.sigma:.2f}, {noise.kind}): check default "
              f"{found['default_check']}, raised {found['raised_check']}", flush=True)
        rows.append(found)
    return rows


def main() -> None:
    from tools.swinir.runtime import configure_process

    configure_process()
    with recorded() as machine, tempfile.TemporaryDirectory(prefix="contrast-band-") as tmp:
        rows = [row(name, sigma, Path(tmp)) for name in PHOTOS for sigma in SIGMAS]
        real = real_rows(Path(tmp))
    gains = [r["default"] - r["raised"] for r in rows]
    data = {"protocol": __doc__.split("\n\n")[1], "machine": machine, "rows": rows, "real": real,
            "check_passed": {way: sum(r[f"{way}_check"]["passed"] for r in rows + real) for way in ("default", "raised")},
            "check_runs": len(rows + real),
            "mean_default_minus_raised": float(np.mean(gains)), "worst_default_minus_raised": float(np.min(gains)),
            "worst_default_minus_official": float(min(r["default"] - r["official"] for r in rows))}
    RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"default - raised: mean {data['mean_default_minus_raised']:+.3f} dB, worst "
          f"{data['worst_default_minus_raised']:+.3f}; default - official worst "
          f"{data['worst_default_minus_official']:+.3f}; wrote {RESULTS}")


if __name__ == "__main__":
    main()
