"""Fit the noise-level combiner on CBSD432 (never on the test sets) and write tools/analyzer/noise_model.json.

Each training photo (gray for every other one) gets Gaussian noise at random sigmas in [0, 56], saved as
8-bit (rounded, clipped); the target is the effective sigma std(noisy - clean). Features are cached in the
temporary folder so that refits are instant (--refit).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.analyzer.noise import FEATURES, MODEL_FILE, noise_features  # noqa: E402
from tools.analyzer.synthetic import add_noise  # noqa: E402

TRAIN = ROOT.parent / "shared" / "data" / "train" / "CBSD432"
CACHE = Path(tempfile.gettempdir()) / "restore-agent-noise-calibration.json"
OFFSET = 1.0
SIGMAS_PER_IMAGE = 3
RIDGE = 1e-3


def gather(seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    files = sorted(TRAIN.glob("*.jpg"))
    rows = []
    for index, path in enumerate(files):
        with Image.open(path) as img:
            clean = np.asarray(img.convert("L" if index % 2 == 0 else "RGB"), dtype=np.float64)
        for sigma in rng.uniform(0, 56, SIGMAS_PER_IMAGE):
            noisy, effective = add_noise(clean, sigma, rng)
            row = noise_features(noisy)
            row.update(sigma=float(sigma), effective=effective, image=path.name)
            rows.append(row)
        if index % 50 == 0:
            print(f"{index}/{len(files)}", flush=True)
    return rows


def design(rows: list[dict]) -> np.ndarray:
    logs = [[np.log(r[name] + OFFSET) for name in FEATURES] + [r["saturated"]] for r in rows]
    return np.column_stack([np.ones(len(rows)), np.array(logs)])


def fit(rows: list[dict]) -> dict:
    """Weighted ridge least squares in log space; weights make the loss close to absolute sigma error."""
    x = design(rows)
    target = np.array([r["effective"] for r in rows])
    y = np.log(target + OFFSET)
    weight = (target + OFFSET) ** 2
    xw = x * weight[:, None]
    penalty = RIDGE * np.eye(x.shape[1])
    penalty[0, 0] = 0
    coef = np.linalg.solve(x.T @ xw + penalty * weight.sum(), xw.T @ y)
    single = {}
    for i, name in enumerate(FEATURES):
        xs = np.column_stack([x[:, 1 + i], np.ones(len(rows))])
        a, b = np.linalg.solve(xs.T @ (xs * weight[:, None]), (xs * weight[:, None]).T @ y)
        single[name] = [float(a), float(b)]
    return {"offset": OFFSET, "intercept": float(coef[0]),
            "weights": {name: float(w) for name, w in zip(FEATURES, coef[1:1 + len(FEATURES)])},
            "saturated": float(coef[-1]), "single": single,
            "trained_on": f"CBSD432, {len(rows)} noisy 8-bit copies, sigma uniform in [0, 56]"}


def report(rows: list[dict], model: dict) -> None:
    from tools.analyzer.noise import combine

    err = np.array([combine(r, model)[0] - r["effective"] for r in rows])
    sig = np.array([r["sigma"] for r in rows])
    for lo, hi in ((0, 3), (3, 7), (7, 12), (12, 18), (18, 30), (30, 45), (45, 56)):
        sel = (sig >= lo) & (sig < hi)
        print(f"sigma {lo:>2}-{hi:<2}: MAE {np.abs(err[sel]).mean():.3f}  bias {err[sel].mean():+.3f}  n={sel.sum()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--refit", action="store_true", help="reuse the cached features")
    args = parser.parse_args()
    if not TRAIN.is_dir():
        sys.exit(f"skipped: {TRAIN} is absent (the calibration needs CBSD432)")
    if args.refit and CACHE.exists():
        rows = json.loads(CACHE.read_text())
    else:
        rows = gather()
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(json.dumps(rows))
    model = fit(rows)
    MODEL_FILE.write_text(json.dumps(model, indent=2) + "\n")
    report(rows, model)
    print(f"wrote {MODEL_FILE}")


if __name__ == "__main__":
    main()
