"""The tables and outputs the pages show whole, each rendered from a results file (see ``bench/figures.py``).

Each public function is a block name: ``<!--begin:quality_table-->`` renders ``quality_table()``. Arguments
after the name are passed as strings.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SET_KIND = {"McMaster": "color", "Set12": "gray", "CBSD68": "color"}


@lru_cache(maxsize=None)
def _json(name: str) -> Any:
    return json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))


def _jsonl(path: str) -> list[dict]:
    return [json.loads(line) for line in (ROOT / path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def machine_line(block: dict) -> str:
    """The machine a run measured on, in words: CPU, flags, threads, load before and after."""
    flags = ", ".join(flag for flag, present in block["cpu_flags"].items() if present)
    after = block.get("load_average_after", block["load_average_before"])
    return (f"{block['cpu_model']} ({flags}; native bf16: {'yes' if block['native_bf16'] else 'no'}), "
            f"{block['cpus']} CPUs, {block.get('threads') or block['cpus']} threads, load average "
            f"{block['load_average_before'][0]:.2f} before and {after[0]:.2f} after the run, commit "
            f"`{block['commit']}`, {block['started'][:10]}")


# --- denoising quality: bench/results/denoise_quality.json -----------------------------------------------------

def _quality_rows(set_name: str, sigma: int, results: str = "denoise_quality") -> dict[str, dict]:
    """The rows of one set and sigma by role, baselines by method name."""
    found: dict[str, dict] = {}
    for row in _json(results)["rows"]:
        if row["set"] == set_name and row["sigma"] == sigma:
            found[row["method"] if row["role"] == "baseline" else row["role"]] = row
    return found


def _cases(results: str = "denoise_quality") -> list[tuple[str, int]]:
    return list(dict.fromkeys((row["set"], row["sigma"]) for row in _json(results)["rows"]))


def _db(row: dict | None) -> str:
    return "" if row is None else f"{row['psnr']:.2f}"


def _speed(row: dict | None) -> str:
    return "" if row is None or row["s_per_mp"] is None else f"{row['s_per_mp']:.1f}"


def _also(row: dict | None) -> str:
    """``swinir-s-noise15 33.61 (9.6)``: the other shipped weights for the level, dB and s/MP."""
    return "" if row is None else f"`{row['method'].split()[0]}` {_db(row)} ({_speed(row)})"


def _versus(ours: dict, other: dict) -> str:
    """``-0.44 dB, 8.3x faster``: ours against another method, quality and time."""
    gap = ours["psnr"] - other["psnr"]
    ratio = other["s_per_mp"] / ours["s_per_mp"]
    pace = f"{ratio:.1f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x slower"
    return f"{gap:+.2f} dB, {pace}"


def quality_summary() -> str:
    """The README's table: the shipped weights against BM3D/CBM3D and NLM, dB and s/MP, and the paper's SwinIR-M."""
    rows = []
    for set_name, sigma in _cases():
        r = _quality_rows(set_name, sigma)
        ours, bm3d, nlm = r["shipped"], r["BM3D/CBM3D"], r["NLM (scikit-image)"]
        rows.append([f"{set_name} ({SET_KIND[set_name]})", str(sigma), f"`{ours['method'].split()[0]}`",
                     f"**{_db(ours)}** ({_speed(ours)} s/MP)", f"{_db(bm3d)} ({_speed(bm3d)} s/MP)",
                     f"{_db(nlm)} ({_speed(nlm)} s/MP)", _versus(ours, bm3d), _db(r["paper"])])
    rows += _cbsd68_rows()
    return _table(["set", "sigma", "weights", "shipped dB", "BM3D/CBM3D dB", "NLM dB", "shipped vs BM3D",
                   "SwinIR-M dB (paper's figure)"], rows) + "\n\n" + _machine_note()


def _cbsd68_rows() -> list[list[str]]:
    """CBSD68 (not in ../shared): the shipped weights from its own run where there is one, else the paper only."""
    paper = _json("denoise_quality")["paper_swinir_m"]["CBSD68"]
    if not (RESULTS / "cbsd68_quality.json").is_file():
        return [["CBSD68 (color)", str(s), "not measured: not on this machine", "", "", "", "", f"{paper[str(s)]:.2f}"]
                for s in (15, 25, 50)]
    shipped = [r for r in _json("cbsd68_quality")["rows"] if r["role"] == "shipped"]
    return [["CBSD68 (color)", str(r["sigma"]), f"`{r['method'].split()[0]}`", f"**{_db(r)}** ({_speed(r)} s/MP)",
             "not run (apart, `cbsd68_quality.json`)", "", "", f"{paper[str(r['sigma'])]:.2f}"] for r in shipped]


def bm3d_verdict() -> str:
    """Where BM3D/CBM3D wins and where the shipped weights do, by how much, and at what time, in one paragraph."""
    behind, ahead = [], []
    for set_name, sigma in _cases():
        r = _quality_rows(set_name, sigma)
        (behind if r["shipped"]["psnr"] < r["BM3D/CBM3D"]["psnr"] else ahead).append(
            f"{set_name} sigma {sigma} ({_versus(r['shipped'], r['BM3D/CBM3D'])})")
    said = []
    if behind:
        said.append(f"**BM3D/CBM3D is stronger than the shipped weights on {len(behind)} of {len(behind) + len(ahead)} "
                    f"rows**: {'; '.join(behind)}.")
    if ahead:
        said.append(f"The shipped weights lead it on {'; '.join(ahead)}.")
    return " ".join(said) + " Each row: the shipped weights' PSNR minus BM3D's, and their speed against it."


def _parameters(weights_id: str) -> int:
    """Parameters of one shipped weights file, counted from the file (buffers left out)."""
    from tools.swinir.loading import read_state_dict
    from tools.swinir.weights import find

    state = read_state_dict(find(weights_id).path)
    return sum(tensor.numel() for name, tensor in state.items() if "relative_position_index" not in name
               and "attn_mask" not in name)


def small_parameters() -> int:
    """Parameters of the small full-resolution network (``swinir-s-*``)."""
    return _parameters("swinir-s-noise15")


def half_parameters() -> int:
    """Parameters of the half-resolution network (``swinir-half-*``)."""
    return _parameters("swinir-half-noise15")


def default_parameters() -> int:
    """Parameters of the weights ``denoise`` runs by default (color, sigma 15)."""
    from tools.swinir.weights import embedded_default

    return _parameters(embedded_default().id)


SWINIR_COLUMNS = ["set", "sigma", "noisy", "weights", "shipped", "s/MP", "replaced (s/MP)", "sigma-15 matched",
                  "unmatched"]


def _swinir_cells(set_name: str, sigma: int, r: dict[str, dict]) -> list[str]:
    """One set and sigma of a quality run under ``SWINIR_COLUMNS``: the noisy input and the shipped weights' rows."""
    return [f"{set_name} ({SET_KIND[set_name]})", str(sigma), _db(r["noisy"]), f"`{r['shipped']['method'].split()[0]}`",
            f"**{_db(r['shipped'])}**", _speed(r["shipped"]), _also(r.get("also shipped")),
            _db(r.get("sigma-15 matched")) or "(same)", _db(r.get("sigma-15 unmatched"))]


def quality_table() -> str:
    """The model card's table: every method of the run, dB and s/MP."""
    rows = []
    for set_name, sigma in _cases():
        r = _quality_rows(set_name, sigma)
        rows.append([*_swinir_cells(set_name, sigma, r), _db(r["BM3D/CBM3D"]), _speed(r["BM3D/CBM3D"]),
                     _db(r["NLM (scikit-image)"]), _speed(r["NLM (scikit-image)"]), _db(r["FFDNet"]),
                     _speed(r["FFDNet"]), _db(r["paper"])])
    return _table([*SWINIR_COLUMNS, "BM3D/CBM3D", "s/MP", "NLM", "s/MP", "FFDNet", "s/MP", "SwinIR-M (paper)"],
                  rows) + "\n\n" + _machine_note()


def cbsd68_table() -> str:
    """CBSD68, measured apart (not in ../shared): the shipped weights against those they replaced, dB and s/MP."""
    rows = []
    for set_name, sigma in _cases("cbsd68_quality"):
        r = _quality_rows(set_name, sigma, "cbsd68_quality")
        rows.append([*_swinir_cells(set_name, sigma, r), _db(r["paper"])])
    data = _json("cbsd68_quality")
    return _table([*SWINIR_COLUMNS, "SwinIR-M (paper)"], rows) + "\n\n" + \
        f"`bench/results/cbsd68_quality.json`, one run on {machine_line(data['machine'])}."


def _machine_note() -> str:
    data = _json("denoise_quality")
    return (f"dB: mean PSNR; s/MP: seconds per megapixel of the method alone, all in one run "
            f"(`bench/results/denoise_quality.json`) on {machine_line(data['machine'])}.")


# --- which weights run: bench/results/weights_choice.json -------------------------------------------------------

def _weights_counts(counts: dict[str, int]) -> str:
    def short(name: str) -> str:
        found = re.fullmatch(r"swinir-(?:s|half)-(gray-)?noise(\d+)", name)
        return f"{'gray ' if found.group(1) else ''}sigma-{found.group(2)}" if found else name

    return ", ".join(f"{short(name)} x{count}" for name, count in counts.items())


def weights_choice_table() -> str:
    """Nearest level, matched sigma-15 and the shipped choice on clipped and unclipped crops, sigma 25 to 50."""
    rows = [[r["set"], str(r["sigma"]), r["noise"], f"{r['clipped_percent']:.2f}", f"{r['nearest']:.2f}",
             f"{r['matched_15']:.2f}", f"**{r['policy']:.2f}**", _weights_counts(r["policy_weights"]), f"`rows[{i}]`"]
            for i, r in enumerate(_json("weights_choice")["rows"]) if r["sigma"] != 15]
    return _table(["set", "sigma", "noise", "clipped %", "nearest level", "sigma-15 matched", "shipped",
                   "shipped weights", "JSON row"], rows) + "\n\n" + \
        f"Machine: {machine_line_loose(_json('weights_choice')['machine'])}."


def weights_choice_verdict() -> str:
    """Where the shipped choice stands against the matched sigma-15 run and the nearest level, row by row, and
    what each heavy-noise checkpoint gains where only the nearest-level rule would run it."""
    data = _json("weights_choice")
    rows = [r for r in data["rows"] if r["sigma"] != 15]

    def against(key: str, words: str) -> str:
        below = [r for r in rows if r["policy"] < r[key]]
        listed = "; ".join(f"{r['set']} sigma {r['sigma']} {r['noise']}, {r['policy'] - r[key]:+.2f} dB" for r in below)
        return f"at or above {words} on {len(rows) - len(below)} of {len(rows)} rows" + (f" (below on {listed})" if below else "")

    gains = "; ".join(
        f"`{name}` {side['nearest_only']['mean_gain_db']:+.2f} dB on average over {side['nearest_only']['crops']} "
        f"crops (worst {side['nearest_only']['worst_gain_db']:+.2f})"
        for name, side in ((name, by["clipped"]) for name, by in data["by_weights"].items()) if side["nearest_only"]["crops"])
    return (f"The shipped choice is {against('matched_15', 'the matched sigma-15 run')}, and "
            f"{against('nearest', 'the nearest level' + chr(39) + 's weights')}. On clipped crops where only the "
            f"nearest-level rule would run them, the heavy-noise weights against the matched sigma-15 run: {gains} "
            f"(`by_weights.<weights>.clipped.nearest_only`).")


def machine_line_loose(block: dict) -> str:
    """A machine block written before ``bench/machine.py``: the fields it has."""
    parts = [str(block.get(key)) for key in ("cpu_model", "cpu") if block.get(key)]
    if block.get("cpus"):
        parts.append(f"{block['cpus']} CPUs")
    if block.get("load_average"):
        parts.append(f"load average {block['load_average'][0]:.2f}")
    return ", ".join(parts) or "not recorded"


# --- training curves: the runs' log.jsonl ----------------------------------------------------------------------

def validation_curve(path: str, *steps: str) -> str:
    """Validation PSNR of one run at the given steps, from its log."""
    by_step = {r["step"]: r for r in _jsonl(path) if "val_psnr" in r}
    chosen = [int(s) for s in steps] or sorted(by_step)
    return _table(["step", *map(lambda s: f"{s:,}", chosen)], [["dB", *(f"{by_step[s]['val_psnr']:.2f}" for s in chosen)]])


def finetune_curves(*runs: str) -> str:
    """Validation PSNR of the fine-tuning runs (``weights=run_folder`` pairs) every 100 steps."""
    logs = {name: {r["step"]: r["val_psnr"] for r in _jsonl(f"training/runs/{run}/log.jsonl") if "val_psnr" in r}
            for name, run in (pair.split("=") for pair in runs)}
    steps = sorted({step for log in logs.values() for step in log})
    return _table(["weights", *(f"step {s}" for s in steps)],
                  [[f"`{name}`", *(f"{log[s]:.2f}" if s in log else "" for s in steps)] for name, log in logs.items()])


# --- the demo: bench/results/demo.json -------------------------------------------------------------------------

def demo_output() -> str:
    """The transcript of the ``restore-agent demo`` run whose figures bench/results/demo.json holds."""
    demo = _json("demo")
    return f"```console\n$ {demo['command']}\n{demo['transcript']}\n```"
