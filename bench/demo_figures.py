"""The default `restore-agent demo` run (scikit-image's astronaut, Gaussian noise sigma 15, seed 0, the shipped
weights), whose figures the README quotes: PSNR and SSIM of the noisy and the restored photo against the clean
one, and the analyzer's noise estimate before and after. The figures are deterministic (fixed seed and
weights); the step times are not. Writes bench/results/demo.json (the run's demo.json, plus the machine).

    .venv/bin/python bench/demo_figures.py
"""
from __future__ import annotations

import json
import os
import platform
import tempfile
from pathlib import Path

from agent.products.demo import run_demo

RESULTS = Path(__file__).resolve().parent / "results" / "demo.json"


def main() -> None:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="demo-figures-") as folder:
        result = run_demo(Path(folder))
    data = {"benchmark": "demo", "command": "restore-agent demo", **result.to_json(),
            "files": sorted(result.files), "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                       "load_average_1min": round(load, 2)}}
    RESULTS.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    noisy, restored = result.metrics["noisy"], result.metrics["restored"]
    print(f"PSNR {noisy['psnr']:.2f} -> {restored['psnr']:.2f} dB, SSIM {noisy['ssim']:.3f} -> {restored['ssim']:.3f}, "
          f"noise {result.noise_estimate['before']:.1f} -> {result.noise_estimate['after']:.1f}; wrote {RESULTS}")


if __name__ == "__main__":
    main()
