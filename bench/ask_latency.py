"""Process start to answer for offline `restore-agent ask --json`: own and fact questions, on every kind of card.

Rows: the default card (its own question, and "How many parameters does SwinIR have?"); each card in
examples/cards/ (its own question via ``--card``, and its first fact question from tests/card_questions.yaml);
and a generated 500-record card in the seed's text format, written at bench time to a temporary folder (its own
question, and a fact question naming one of its records). Each row: the wall time from process start to answer
and the CPU seconds of the process, median of 5 after one warm-up run, and the in-process time of
``agent.core.loop.ask(question, card=path)`` in this process, median of 5 after a warm-up. Every answer must exit
0 and not be refused.

Targets (median, process start to answer): the default card under 1.5 s, the 500-record card under 3 s. The
machine's CPU, its speed-relevant flags, the load average before and after, whether an offline ask on the default
card imports torch, and where that process spends its import time are recorded. Then, once, with a noisy photo
attached and a request to clean it: the total time and the analyze and denoise tool times (``--no-photo`` skips
it; skipped where no SwinIR weights are available). Prints rich tables (seconds) and writes
bench/results/ask_latency.json (times in milliseconds).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table
from machine import cpuinfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "ask_latency.json"
CARDS = ROOT / "examples" / "cards"
CARD_QUESTIONS = ROOT / "tests" / "card_questions.yaml"
RUNS = 5
DEFAULT_TARGET_S = 1.5
LARGE_TARGET_S = 3.0
LARGE_RECORDS = 500
LARGE_SEED = 24
DEFAULT_FACT = "How many parameters does SwinIR have?"
SPEED_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "amx_int8")
SHARED_CHECKPOINT = ROOT.parent / "shared" / "conformance" / "swinir" / "color_small.pth"
console = Console(width=None if sys.stdout.isatty() else 150)


def ms(seconds: float) -> float:
    """Milliseconds to one decimal, as the JSON records every time: tests/test_readme_figures.py reads each number
    in bench/results/ as a figure the docs may quote, and one decimal never reads as a 3-decimal SSIM or a
    2-decimal dB value (a time of 0.818 s would)."""
    return round(seconds * 1000, 1)

# child processes import this tree's code (as this process does), whichever checkout the venv was installed from
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m agent``."""
    script = Path(sys.executable).with_name("restore-agent")
    if script.exists():
        return [str(script), "ask", "--json"]
    found = shutil.which("restore-agent")
    return [found, "ask", "--json"] if found else [sys.executable, "-m", "agent", "ask", "--json"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _args(card: Path | None, question: str | None) -> list[str]:
    return [*(["--card", str(card)] if card else []), *([question] if question else [])]


def time_once(cmd: list[str]) -> tuple[float, float, dict]:
    """Wall seconds from process start to answer, the CPU seconds the process used, and its JSON answer."""
    cpu_before, start = _children_cpu(), time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120)
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu_before
    if result.returncode != 0:
        raise SystemExit(f"ask failed (exit {result.returncode}): {' '.join(cmd[1:])}\n{result.stderr.strip()[:300]}")
    answer = json.loads(result.stdout)
    if answer["refused"]:
        raise SystemExit(f"ask refused: {' '.join(cmd[1:])}\n{answer['answer'][:300]}")
    return elapsed, cpu, answer


# ---------------------------------------------------------------- the cases


def cases(large: Path, large_fact: tuple[str, str]) -> list[dict]:
    """Each row: a label, the card (None for the default), the question (None for the card's own), the
    verbatim fact the answer should hold (fact questions), and the target (None where none is set)."""
    rows = [
        {"label": "default card", "card": None, "question": None, "fact": None, "target_s": DEFAULT_TARGET_S},
        {"label": "default card", "card": None, "question": DEFAULT_FACT, "fact": "11.5 M parameters",
         "target_s": DEFAULT_TARGET_S},
    ]
    questions = yaml.safe_load(CARD_QUESTIONS.read_text(encoding="utf-8"))
    for path in sorted(CARDS.glob("*.txt")):
        first = questions[path.name]["facts"][0]
        rows.append({"label": path.stem, "card": path, "question": None, "fact": None, "target_s": None})
        rows.append({"label": path.stem, "card": path, "question": first["q"], "fact": first["fact"], "target_s": None,
                     "known_miss": first.get("known_miss")})
    question, fact = large_fact
    rows.append({"label": f"{LARGE_RECORDS}-record card", "card": large, "question": None, "fact": None,
                 "target_s": LARGE_TARGET_S})
    rows.append({"label": f"{LARGE_RECORDS}-record card", "card": large, "question": question, "fact": fact,
                 "target_s": LARGE_TARGET_S})
    return rows


# ---------------------------------------------------------------- a generated 500-record card

_DEGRADATIONS = {
    "rain": {"damage": ["rain streaks", "heavy rain and rain accumulation", "raindrops on the lens"],
             "task": "Single Image Deraining", "data": ["Rain100L", "Rain100H", "Rain13K", "SPA-Data"]},
    "haze": {"damage": ["haze", "dense fog and haze", "smoke-like haze that washes out contrast"],
             "task": "Image Dehazing", "data": ["SOTS", "RESIDE", "O-HAZE", "Dense-Haze"]},
    "noise": {"damage": ["sensor noise", "real camera noise", "Gaussian noise of unknown level"],
              "task": "Real Image Denoising", "data": ["SIDD", "DND", "BSD68", "Urban100"]},
    "blur": {"damage": ["motion blur", "camera shake blur", "defocus blur"],
             "task": "Dynamic Scene Deblurring", "data": ["GoPro", "HIDE", "RealBlur-J", "REDS"]},
    "low light": {"damage": ["low light", "underexposure at night", "dark, noisy low-light shots"],
                  "task": "Low-Light Image Enhancement", "data": ["LOL", "LOL-v2", "MIT-Adobe FiveK"]},
    "jpeg": {"damage": ["JPEG compression artifacts", "blocking and ringing from heavy JPEG compression"],
             "task": "JPEG Artifact Removal", "data": ["LIVE1", "Classic5", "BSDS500"]},
    "faces": {"damage": ["degraded faces in old portraits", "blurry, low-resolution faces"],
              "task": "Blind Face Restoration", "data": ["FFHQ", "CelebA-Test", "LFW-Test"]},
    "colour": {"damage": ["faded colour and colour casts", "missing colour in black-and-white photos"],
               "task": "Image Colorization", "data": ["ImageNet", "COCO-Stuff", "DIV2K"]},
}
_FIRST = ["Adaptive", "Gated", "Progressive", "Frequency", "Wavelet", "Dual", "Recurrent", "Sparse", "Hierarchical",
          "Lightweight", "Dynamic", "Residual", "Multi-Scale", "Prompted", "Deformable", "Spatial", "Global", "Local",
          "Channel", "Cascaded"]
_SECOND = ["Attention", "Transformer", "Fusion", "Diffusion", "Refinement", "Kernel", "Mixture", "Memory", "Context",
           "Feature", "Prior", "Token", "Window", "Spectral", "Routing", "Modulation"]
_LAST = ["Network", "Transformer", "Model", "Net", "Restorer"]
_MECHANISMS = [
    "splits the image into frequency bands and restores each with its own branch",
    "lets tokens attend within shifted local windows and mixes them across scales",
    "predicts a per-pixel kernel that undoes the degradation where it is strongest",
    "routes each patch to one of several small experts chosen by a degradation estimate",
    "refines the result over three stages, each supervised by the clean image",
    "keeps a memory of clean textures that later layers query for missing detail",
    "estimates the degradation map first and feeds it to every block as a prompt",
    "uses gated depthwise convolutions instead of full self-attention to save compute",
]
_OPENERS = [
    "Photos spoiled by {damage} are common, and removing it without losing fine detail remains difficult.",
    "Most methods for {damage} either leave residues behind or wash out texture.",
    "Restoring images hit by {damage} needs both local detail and a wide view of the scene.",
    "Existing networks for {damage} are heavy and generalise poorly to real photos.",
    "Phone cameras often produce {damage}, and users want it gone without artificial-looking results.",
    "Learning to remove {damage} is limited by the lack of real paired training data.",
]
_EXTRAS = [
    "It is trained on {pairs:,} image pairs from {data} with an L1 loss and a frequency loss.",
    "On {data} it improves on the previous best by more than {gain} dB PSNR.",
    "It reaches {psnr} dB PSNR on {data} while running in {ms} ms for a 720p frame.",
    "A user study on real photos prefers its results in {share}% of cases.",
    "Ablations show that removing the {second} module costs {loss} dB.",
    "The same design transfers to {other} without changes to the architecture.",
    "Code and pretrained models are released for research use.",
    "It needs {flops} G FLOPs for a 256x256 input, {ratio} times fewer than comparable transformers.",
    "Unlike earlier work, it needs no estimate of the degradation level at test time.",
    "Its results on real photos from {data} keep edges sharp and avoid halo artifacts.",
]
_SIZES = ["{acronym} has {size} and is trained end to end.", "The full model has {size}, small enough for a laptop.",
          "With {size}, {acronym} is lighter than most transformer restorers."]
_USERS = ["lzhang", "vision-lab", "kchen", "imgres", "mwang", "deepphoto", "ylin", "restore-ai", "hkim", "cv-group"]


def _record(rng: random.Random, number: int, params: bool) -> tuple[str, str, str, str | None, str, str]:
    """One related paper: its short name, title, paper and code links, a summary of 5-8 sentences, and its
    parameter count as written (in the summary when ``params`` is set, else only sometimes)."""
    kind = rng.choice(list(_DEGRADATIONS))
    vocab = _DEGRADATIONS[kind]
    first, second, last = rng.choice(_FIRST), rng.choice(_SECOND), rng.choice(_LAST)
    full = f"{first} {second} {last}"
    acronym = "".join(word[0] for word in full.replace("-", " ").split()).upper() + f"-{number}"
    title = f"{acronym}: {first} {second} {rng.choice(['Learning', 'Modelling', 'Networks'])} for {vocab['task']}"
    data = rng.choice(vocab["data"])
    other = rng.choice([d["task"].lower() for d in _DEGRADATIONS.values() if d is not vocab])
    values = {"damage": rng.choice(vocab["damage"]), "pairs": rng.randrange(500, 20000), "data": data,
              "gain": rng.choice([0.3, 0.5, 1, 1.5, 2]), "psnr": f"{rng.uniform(24, 41):.2f}",
              "ms": rng.randrange(8, 400), "share": rng.randrange(55, 90), "second": second.lower(),
              "loss": f"{rng.uniform(0.1, 0.9):.2f}", "other": other,
              "flops": f"{rng.uniform(5, 200):.1f}", "ratio": rng.randrange(2, 9)}
    size = f"{rng.uniform(0.5, 60):.1f}M params"
    sentences = [rng.choice(_OPENERS).format(**values),
                 f"We propose the {full} ({acronym}), which {rng.choice(_MECHANISMS)}."]
    with_size = params or rng.random() < 0.5
    extras = [extra.format(**values) for extra in rng.sample(_EXTRAS, rng.randrange(3, 7) - with_size)]
    if with_size:
        extras.insert(rng.randrange(len(extras) + 1), rng.choice(_SIZES).format(acronym=acronym, size=size))
    sentences += extras
    year, month, serial = rng.randrange(0, 6), rng.randrange(1, 13), number * 97 % 100000
    paper = f"http://arxiv.org/pdf/2{year}{month:02d}.{serial:05d}v1.pdf"
    code = f"https://github.com/{rng.choice(_USERS)}/{acronym.replace('-', '')}" if rng.random() < 0.85 else None
    return acronym, title, paper, code, " ".join(sentences), size


def write_large_card(folder: Path) -> tuple[Path, tuple[str, str], dict]:
    """A ``LARGE_RECORDS``-record card in the seed's text format (one recommended model, the rest related papers),
    from a seeded generator; returns its path, a fact question naming one record with the fact, and its size."""
    rng = random.Random(LARGE_SEED)
    numbers = rng.sample(range(100, 1000), LARGE_RECORDS)
    target = LARGE_RECORDS // 2
    lines = ["You are an AI scientist.", "", "A user has asked the following question:",
             '"My holiday photos were taken at dusk in the rain, so they are dark, grainy and streaked, and a few are '
             'blurred by my shaking hands. Which of these models would restore them, and how would the workflow go?"',
             "", "Based on the following recommended models, explain:", "",
             "1. What task the user is trying to perform.",
             "2. How the model(s) would work in a CNAPS AI-like workflow (input → model → output).",
             "3. List relevant papers and tools (with GitHub or ArXiv links) that support your answer.", "",
             "Use **only the provided models and papers**. Do not refer to outside sources.", "",
             "### Recommended AI Models:", f"Model: Derain-ARN-{numbers[0]}-Rain13K",
             f"Paper: http://arxiv.org/pdf/2409.{numbers[0]:05d}v1.pdf",
             f"GitHub: https://github.com/vision-lab/ARN{numbers[0]}", "", "### Related Papers:"]
    fact = ("", "")
    for index, number in enumerate(numbers[1:], start=1):
        acronym, title, paper, code, summary, params = _record(rng, number, params=index == target)
        if index == target:
            fact = (f"How many parameters does {acronym} have?", params)
        code_line = [f"GitHub: {code}"] if code else []
        lines += [f"Model: {title}", f"Paper: {paper}", *code_line, f"Summary: {summary}", ""]
    lines += ["", "Answer:", ""]
    path = folder / "large_500.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    from tools.card_schema import MAX_CARD_BYTES, MAX_RECORDS

    size = {"records": LARGE_RECORDS, "bytes": path.stat().st_size, "max_card_bytes": MAX_CARD_BYTES,
            "max_records": MAX_RECORDS, "seed": LARGE_SEED}
    if size["bytes"] > MAX_CARD_BYTES or LARGE_RECORDS > MAX_RECORDS:
        raise SystemExit(f"the generated card ({size['records']} records, {size['bytes']:,} bytes) is over the loader's "
                         f"limits ({MAX_RECORDS} records, {MAX_CARD_BYTES:,} bytes)")
    return path, fact, size


# ---------------------------------------------------------------- machine facts and imports


def source() -> dict:
    """The commit measured, and whether the answerer's code (agent/, tools/, knowledge/) had changes not in it."""
    def git(*args: str) -> str | None:
        found = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return found.stdout.strip() if found.returncode == 0 else None

    changes = git("status", "--porcelain", "--", "agent", "tools", "knowledge")
    return {"commit": git("rev-parse", "HEAD"),
            "uncommitted_answerer_changes": None if changes is None else bool(changes)}


def machine() -> dict:
    """CPU model, the speed-relevant flags it has, CPU count, Python and platform."""
    found = cpuinfo()
    model, flags = found.get("model name") or platform.processor() or "unknown", set(found.get("flags", "").split())
    return {"cpu_model": model, "cpu_flags": {flag: flag in flags for flag in SPEED_FLAGS},
            "amx": any(flag.startswith("amx") for flag in flags), "cpus": os.cpu_count(),
            "python": platform.python_version(), "platform": platform.platform()}


_PROBE = """
import json, sys, time
start = time.perf_counter()
from agent.core.loop import ask
imported = time.perf_counter()
result = ask(None)
done = time.perf_counter()
print(json.dumps({"import_s": imported - start, "first_ask_s": done - imported,
                  "refused": result.response["refused"], "torch_imported": "torch" in sys.modules}))
"""


def import_profile(cmd: list[str]) -> dict:
    """Where a fresh offline ask on the default card spends its time. A ``python -c`` process imports ``ask``,
    asks, and says whether torch is in ``sys.modules``; the console script run under ``python -X importtime``
    gives the import time in all, by package (self time, summed over the package's modules) and by top-level
    import (cumulative; imports made inside functions count as top-level)."""
    result = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, env=ENV, capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"import probe failed: {result.stderr.strip()[-300:]}")
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    script = [cmd[0]] if cmd[0] != sys.executable else cmd[1:3]
    start = time.perf_counter()
    traced = subprocess.run([sys.executable, "-X", "importtime", *script, *cmd[len(script):]], cwd=ROOT, env=ENV,
                            capture_output=True, text=True, timeout=120)
    wall = time.perf_counter() - start
    if traced.returncode != 0:
        raise SystemExit(f"importtime run failed: {traced.stderr.strip()[-300:]}")
    top: dict[str, int] = {}
    by_package: dict[str, int] = {}
    for line in traced.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|", 2)
        package = name.strip().split(".")[0]
        by_package[package] = by_package.get(package, 0) + int(own)
        if name[1:2] != " ":  # nested imports are indented by two more spaces
            top[name.strip()] = top.get(name.strip(), 0) + int(cumulative)
    all_us = sum(by_package.values())

    def biggest(found: dict[str, int]) -> dict[str, float]:
        return {name: round(us / 1000, 1) for name, us in sorted(found.items(), key=lambda item: -item[1])[:10]}

    return {"torch_imported": probe["torch_imported"] or "torch" in by_package, "refused": probe["refused"],
            "import_ask_ms": ms(probe["import_s"]), "first_ask_ms": ms(probe["first_ask_s"]),
            "cli_wall_ms_under_importtime": ms(wall), "cli_imports_ms": round(all_us / 1000, 1),
            "cli_imports_by_package_ms": biggest(by_package), "cli_top_level_imports_ms": biggest(top)}


# ---------------------------------------------------------------- running


def measure(cmd: list[str], row: dict) -> dict:
    """Process start to answer, median of ``RUNS`` after a warm-up, for one row."""
    full = [*cmd, *_args(row["card"], row["question"])]
    warmup, _, answer = time_once(full)  # fills the OS file cache and bytecode caches
    timed = [time_once(full)[:2] for _ in range(RUNS)]
    runs, cpu = [wall for wall, _ in timed], [used for _, used in timed]
    median = statistics.median(runs)
    return {"card": row["card"].relative_to(ROOT).as_posix() if row["card"] and row["card"].is_relative_to(ROOT)
            else ("default" if row["card"] is None else row["card"].name),
            "question": row["question"] or "(card's own)", "runs_ms": [ms(v) for v in runs],
            "median_ms": ms(median), "min_ms": ms(min(runs)), "max_ms": ms(max(runs)),
            "median_cpu_ms": ms(statistics.median(cpu)), "first_run_ms": ms(warmup),
            "refused": answer["refused"], "exit": 0,
            "answer_has_fact": (row["fact"] in answer["answer"]) if row["fact"] else None,
            **({"known_miss": row["known_miss"]} if row.get("known_miss") else {}),
            "target_ms": None if row["target_s"] is None else ms(row["target_s"]),
            "meets_target": None if row["target_s"] is None else median < row["target_s"]}


def measure_in_process(ask, row: dict) -> dict:  # noqa: ANN001
    """``ask(question, card=path)`` in this process, median of ``RUNS`` after a warm-up."""
    first = time.perf_counter()
    result = ask(row["question"], card=row["card"])
    first = time.perf_counter() - first
    if result.response["refused"]:
        raise SystemExit(f"in-process ask refused: {row['label']} {row['question']}")
    runs = []
    for _ in range(RUNS):
        start = time.perf_counter()
        ask(row["question"], card=row["card"])
        runs.append(time.perf_counter() - start)
    return {"in_process_first_ms": ms(first), "in_process_runs_ms": [ms(v) for v in runs],
            "in_process_median_ms": ms(statistics.median(runs))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--no-photo", action="store_true", help="skip the run with a photo attached")
    options = parser.parse_args()
    cmd = command()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        large, large_fact, large_size = write_large_card(Path(folder))
        rows = cases(large, large_fact)
        results = [measure(cmd, row) for row in rows]
        import_start = time.perf_counter()
        from agent.core.loop import ask
        import_s = time.perf_counter() - import_start
        for row, result in zip(rows, results):
            result.update(measure_in_process(ask, row))
        torch_in_bench = "torch" in sys.modules
    load_after = os.getloadavg()
    profile = import_profile(cmd)
    show(rows, results, load_before, load_after, profile, large_size)
    payload = {
        "benchmark": "ask_latency",
        "command": " ".join(Path(cmd[0]).name if i == 0 else part for i, part in enumerate(cmd))
        + " [--card PATH] [QUESTION]",
        "runs": RUNS,
        "times": "milliseconds",
        "targets_ms": {"default card": ms(DEFAULT_TARGET_S), f"{LARGE_RECORDS}-record card": ms(LARGE_TARGET_S)},
        "rows": [{"label": row["label"], **result} for row, result in zip(rows, results)],
        "large_card": {**large_size, "fact_question": large_fact[0], "fact": large_fact[1]},
        "in_process_import_ms": ms(import_s),
        "torch_imported": profile["torch_imported"] or torch_in_bench,
        "import_profile": profile,
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in load_after],
        "machine": machine(),
        "source": source(),
    }
    payload["meets_targets"] = all(r["meets_target"] for r in results if r["meets_target"] is not None)
    payload["with_photo"] = None if options.no_photo else photo_run(cmd)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")


def show(rows: list[dict], results: list[dict], load_before: tuple, load_after: tuple, profile: dict,
         large_size: dict) -> None:
    table = Table(title=f"restore-agent ask --json (offline): process start to answer, median of {RUNS} after a warm-up")
    for column in ("card", "question", "median s", "min s", "max s", "median CPU s", "in-process s", "target s",
                   "meets target"):
        table.add_column(column, justify="left" if column in ("card", "question") else "right")
    for row, result in zip(rows, results):
        question = row["question"] or "(own)"
        target = "-" if row["target_s"] is None else f"{row['target_s']:.1f}"
        meets = "-" if result["meets_target"] is None else ("yes" if result["meets_target"] else "no")
        table.add_row(row["label"], question if len(question) < 60 else question[:57] + "...",
                      *(f"{result[key] / 1000:.3f}" for key in ("median_ms", "min_ms", "max_ms", "median_cpu_ms",
                                                                 "in_process_median_ms")), target, meets)
    console.print(table)
    facts = Table(title="machine and imports")
    facts.add_column("fact")
    facts.add_column("value")
    info = machine()
    facts.add_row("CPU", f"{info['cpu_model']}, {info['cpus']} CPUs")
    facts.add_row("flags", ", ".join(f"{flag} {'yes' if on else 'no'}" for flag, on in info["cpu_flags"].items()))
    facts.add_row("load average (1 min) before / after", f"{load_before[0]:.2f} / {load_after[0]:.2f}")
    facts.add_row("generated card", f"{large_size['records']} records, {large_size['bytes']:,} bytes "
                                    f"(limit {large_size['max_card_bytes']:,})")
    facts.add_row("torch imported by an offline ask", "yes" if profile["torch_imported"] else "no")
    facts.add_row("fresh process: import ask / first ask (default card)",
                  f"{profile['import_ask_ms'] / 1000:.3f} s / {profile['first_ask_ms'] / 1000:.3f} s")
    facts.add_row("CLI ask under -X importtime: wall / imports",
                  f"{profile['cli_wall_ms_under_importtime'] / 1000:.3f} s / {profile['cli_imports_ms'] / 1000:.3f} s")
    packages = list(profile["cli_imports_by_package_ms"].items())[:8]
    facts.add_row("  imports by package (self time, s)",
                  ", ".join(f"{name} {took / 1000:.3f}" for name, took in packages))
    console.print(facts)
    missing = [f"{row['label']}: {row['question']}" + (" (a known miss)" if row.get("known_miss") else "")
               for row, result in zip(rows, results) if result["answer_has_fact"] is False]
    if missing:
        console.print(f"[yellow]note: the expected fact is not in the answer for {'; '.join(missing)}[/yellow]")
    if max(load_before[0], load_after[0]) > (os.cpu_count() or 1):
        console.print(f"[yellow]note: load average up to {max(load_before[0], load_after[0]):.1f} on {os.cpu_count()} "
                      "CPUs: other work shares the machine, wall times are inflated (CPU seconds are not)[/yellow]")


def photo_run(cmd: list[str]) -> dict | None:
    """`ask "clean this photo" --image P`: total wall time and the analyze/denoise tool times."""
    import numpy as np
    from PIL import Image
    from skimage import data

    from tools.swinir import weights as registry

    with tempfile.TemporaryDirectory() as folder:
        env = {**ENV, registry.HOME_ENV: folder}
        if registry.embedded_default() is None:
            if not SHARED_CHECKPOINT.is_file():
                console.print("[yellow]photo run skipped: no SwinIR weights available[/yellow]")
                return None
            subprocess.run([*cmd[:-2], "weights", "install", str(SHARED_CHECKPOINT), "--id", "swinir-m-color-noise15"],
                           env=env, check=True, capture_output=True, timeout=120)
        clean = data.astronaut()[:256, :256].astype(float)
        noisy = np.clip(clean + np.random.default_rng(0).normal(0, 15, clean.shape), 0, 255).astype(np.uint8)
        photo = Path(folder) / "noisy.png"
        Image.fromarray(noisy).save(photo)
        start = time.perf_counter()
        result = subprocess.run([*cmd, "Please clean this photo", "--image", str(photo), "--output-dir", folder],
                                env=env, capture_output=True, text=True, timeout=600)
        total = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"ask with a photo failed: {result.stderr.strip()[:300]}")
    tools = {call["name"]: call["seconds"] for call in json.loads(result.stdout)["tool_calls"]}
    table = Table(title="ask with a 256x256 photo attached (analyze + denoise)")
    for column in ("total s", "analyze_image s", "denoise_image s", "rest s"):
        table.add_column(column, justify="right")
    rest = total - tools.get("analyze_image", 0) - tools.get("denoise_image", 0)
    table.add_row(f"{total:.2f}", f"{tools.get('analyze_image', 0):.2f}", f"{tools.get('denoise_image', 0):.2f}",
                  f"{rest:.2f}")
    console.print(table)
    shipped = registry.embedded_default()
    return {"image": "256x256 RGB, sigma 15", "total_ms": ms(total),
            "tools_ms": {name: ms(took) for name, took in tools.items()},
            "weights": shipped.id if shipped else "color_small.pth (../shared)"}


if __name__ == "__main__":
    main()
