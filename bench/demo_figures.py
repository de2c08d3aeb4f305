"""The default `restore-agent demo` run (scikit-image's astronaut, Gaussian noise sigma 15, seed 0, the shipped
weights), whose figures and output the README shows: PSNR and SSIM of the noisy and the restored photo against
the clean one, the analyzer's noise estimate before and after, the step times, and the terminal output itself.

The command runs as a user runs it, in its own process in a fresh folder; its ``demo.json``, its output (100
columns, no colour) and the machine block of the run go to bench/results/demo.json. The quality figures are
deterministic (fixed seed and weights); the step times are not.

    .venv/bin/python bench/demo_figures.py
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from doc_outputs import run
from machine import recorded

RESULTS = Path(__file__).resolve().parent / "results" / "demo.json"
COMMAND = "restore-agent demo"


def main() -> None:
    with recorded() as machine, tempfile.TemporaryDirectory(prefix="demo-figures-") as folder:
        done = run(COMMAND, Path(folder))
        if done["exit_code"] != 0:
            raise SystemExit(f"{COMMAND} exited {done['exit_code']}:\n{done['output']}")
        result = json.loads((Path(folder) / "demo-output" / "demo.json").read_text(encoding="utf-8"))
    data = {"benchmark": "demo", "command": COMMAND, **result, "transcript": done["output"], "machine": machine}
    RESULTS.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    noisy, restored = data["metrics"]["noisy"], data["metrics"]["restored"]
    print(f"PSNR {noisy['psnr']:.2f} -> {restored['psnr']:.2f} dB, SSIM {noisy['ssim']:.3f} -> {restored['ssim']:.3f}; "
          f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
