"""Calibrate the blur thresholds on CBSD432 (never on the test sets) and print them for tools/analyzer/blur.py.

Every ``--step``-th training photo (gray for every third) is blurred by a Gaussian of sigma {0, 0.5, 1, 2, 3},
with and without sigma-5 noise, saved as 8 bits. Printed: the rank correlation of the measured width with the
blur level pooled over photos, the width quantiles per level, and the thresholds: mild at the width that only
``FALSE_ALARM`` of the clean photos exceed, moderate and severe halfway (in log width) between the medians of
the neighbouring levels. The split with the fewest misplaced clean and sigma-0.5 photos is printed too: it sits
inside the spread of native softness, so it flags many sharp-enough photos whose softness is their own.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.analyzer.blur import measure_blur  # noqa: E402
from tools.analyzer.synthetic import add_noise, gaussian_blur  # noqa: E402

TRAIN = ROOT.parent / "shared" / "data" / "train" / "CBSD432"
CACHE = Path(tempfile.gettempdir()) / "restore-agent-blur-calibration.json"
LEVELS = (0, 0.5, 1, 2, 3)
NOISE = (0, 5)
FALSE_ALARM = 0.01  # share of clean training photos read as mildly blurred


def gather(step: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for index, path in enumerate(sorted(TRAIN.glob("*.jpg"))[::step]):
        with Image.open(path) as img:
            clean = np.asarray(img.convert("L" if index % 3 == 0 else "RGB"), dtype=np.float64)
        for noise in NOISE:
            for level in LEVELS:
                pixels = gaussian_blur(clean, level)
                if noise:
                    pixels = add_noise(pixels, noise, rng)[0]
                m = measure_blur(pixels, noise)
                rows.append({"image": path.name, "noise": noise, "blur": level, "width": m.width,
                             "sharpness": m.sharpness})
    return rows


def best_split(low: np.ndarray, high: np.ndarray) -> tuple[float, int]:
    """Threshold with the fewest of ``low`` at or above it plus ``high`` below it."""
    candidates = np.unique(np.concatenate([low, high]))
    errors = [int((low >= t).sum() + (high < t).sum()) for t in candidates]
    best = int(np.argmin(errors))
    return float(candidates[best]), errors[best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--step", type=int, default=3, help="use every STEP-th training photo (default 3)")
    parser.add_argument("--reuse", action="store_true", help="summarise the cached widths again")
    args = parser.parse_args()
    rows = json.loads(CACHE.read_text()) if args.reuse and CACHE.exists() else gather(args.step)
    CACHE.write_text(json.dumps(rows))
    rows = [r for r in rows if r["width"] is not None]
    for noise in NOISE:
        sel = [r for r in rows if r["noise"] == noise]
        rho = stats.spearmanr([r["blur"] for r in sel], [r["width"] for r in sel]).statistic
        quantiles = {b: np.quantile([r["width"] for r in sel if r["blur"] == b], (0.05, 0.5, 0.95)).round(2).tolist()
                     for b in LEVELS}
        print(f"noise {noise}: {len(sel) // len(LEVELS)} photos, pooled rank correlation {rho:.3f}; "
              f"width 5/50/95% per level {quantiles}")
    clean = [r for r in rows if r["noise"] == 0]
    width = {b: np.array([r["width"] for r in clean if r["blur"] == b]) for b in LEVELS}
    mild = float(np.quantile(width[0], 1 - FALSE_ALARM))
    split, errors = best_split(width[0], width[0.5])
    medians = {b: float(np.median(w)) for b, w in width.items()}
    moderate = float(np.sqrt(medians[1] * medians[2]))
    severe = float(np.sqrt(medians[2] * medians[3]))
    print(f"thresholds (mild, moderate, severe): ({mild:.2f}, {moderate:.2f}, {severe:.2f}); "
          f"sigma-0.5 photos at or above mild: {np.mean(width[0.5] >= mild):.0%}; the fewest-errors split {split:.2f} "
          f"misplaces {errors} of {len(width[0]) + len(width[0.5])} clean / sigma-0.5 photos")


if __name__ == "__main__":
    main()
