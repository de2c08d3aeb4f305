"""The command outputs the pages show, produced by running the commands: no sample output is typed by hand.

A page shows a command's output as a block whose arguments are the command itself::

    <!--begin:doc_outputs.output restore-agent analyze noisy.png-->
    ...rendered here by bench/figures.py from bench/results/doc_outputs.json...
    <!--end:doc_outputs.output-->

This bench finds every such block in the pages, runs each command once in a fresh folder holding the photos
below, 100 columns wide and without colour, and writes ``bench/results/doc_outputs.json``: each command's
output and exit code, with the machine block of the run. Then ``python bench/figures.py --write`` puts the
outputs in the pages.

Photos in the folder: ``astronaut.png`` (scikit-image's astronaut, clean), ``noisy.png`` (it plus Gaussian
noise of sigma 25, seed 0, clipped and rounded), ``coffee.png`` (scikit-image's coffee, clean).

    .venv/bin/python bench/doc_outputs.py
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from figures import BLOCK, PAGES, ROOT
from machine import recorded

RESULTS = ROOT / "bench" / "results" / "doc_outputs.json"
NAME = "doc_outputs.output"
WIDTH = 100


def commands() -> list[str]:
    """Every command a page shows the output of, in page order, once each."""
    found: list[str] = []
    for page in PAGES:
        for match in BLOCK.finditer(page.read_text(encoding="utf-8")):
            command = match.group(2).strip()
            if match.group(1) == NAME and command not in found:
                found.append(command)
    return found


def photos(folder: Path) -> None:
    """The photos the commands run on (see the module docstring)."""
    from PIL import Image
    from skimage import data

    astronaut = data.astronaut()
    noisy = astronaut + np.random.default_rng(0).normal(0, 25, astronaut.shape)
    Image.fromarray(astronaut).save(folder / "astronaut.png")
    Image.fromarray(np.clip(np.rint(noisy), 0, 255).astype(np.uint8)).save(folder / "noisy.png")
    Image.fromarray(data.coffee()).save(folder / "coffee.png")


def run(command: str, folder: Path) -> dict:
    """One command's output (stdout and stderr in the order a terminal shows them) and exit code, run from
    ``folder``."""
    argv = shlex.split(command)
    if argv[0] == "restore-agent":
        argv = [sys.executable, "-m", "agent", *argv[1:]]
    env = {**os.environ, "COLUMNS": str(WIDTH), "NO_COLOR": "1", "TERM": "dumb", "PYTHONPATH": str(ROOT),
           "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(argv, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=900)
    return {"output": done.stdout.rstrip(), "exit_code": done.returncode}


def output(*command: str) -> str:
    """The block for a command: the command and its recorded output, as a fenced block."""
    key = " ".join(command)
    recorded_outputs = json.loads(RESULTS.read_text(encoding="utf-8"))["commands"] if RESULTS.is_file() else {}
    if key not in recorded_outputs:
        raise KeyError(f"no recorded output for {key!r}: run python bench/doc_outputs.py")
    return f"```\n$ {key}\n{recorded_outputs[key]['output']}\n```"


def main() -> None:
    results: dict[str, dict] = {}
    with recorded() as machine, tempfile.TemporaryDirectory(prefix="doc-outputs-") as tmp:
        folder = Path(tmp)
        photos(folder)
        for command in commands():
            results[command] = run(command, folder)
            print(f"{results[command]['exit_code']:>3}  {command}")
    RESULTS.write_text(json.dumps({"machine": machine, "photos": photos.__doc__, "commands": results}, indent=2,
                                  ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}: {len(results)} commands")


if __name__ == "__main__":
    main()
