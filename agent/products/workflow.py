"""The CNAPS-style workflow (input -> analyzer -> model -> output) of a demo run or a report, with real numbers.

The stages are plain data; :mod:`agent.cli.views.demo` draws them with rich, :mod:`agent.products.report.diagram`
as Mermaid and SVG.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import shorten
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.products.demo_result import DemoResult


QUESTION_CHARS = 100  # a longer question is shortened in the diagram (the report states it in full)


@dataclass
class Stage:
    """One box of the workflow: ``kind`` is input, analyzer, records, model or output; ``failed`` (an output
    whose check failed) and ``skipped`` (a step that did not run) are drawn apart from the others."""

    kind: str
    title: str
    lines: list[str] = field(default_factory=list)
    seconds: float | None = None


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def findings_text(analysis: Mapping) -> str:
    """The analysis's findings in words, strongest first."""
    from agent.core.prose import finding_words

    found = [finding_words(f) for f in analysis.get("findings", [])]
    return ", ".join(found) if found else "no degradation found"


def checkpoint_text(run: "DemoResult") -> str:
    if not run.ran:
        return "not run"
    level = run.checkpoint.get("noise_level")
    return f"{run.checkpoint['id']}" + (f" (noise {level})" if level else "")


def ran_text(run: "DemoResult") -> str:
    """What ran, said so that it agrees with every other statement about the checkpoint: the weights and their
    level, and where they are not the level the analysis suggested, that they are the nearest installed."""
    return f"ran {checkpoint_text(run)}" + "".join(f", {line}" for line in nearest_line(run))


def status_line(run: "DemoResult") -> str:
    """What became of the photo, first in its output box: the check's verdict, or why nothing ran."""
    if not run.ran:
        return f"the analysis found {run.decision.get('reason', 'no noise the denoiser fits')}"
    if run.failed:
        return f"check failed: {'; '.join(run.check['problems'])}"
    return "check passed: restored" if run.status == "restored" else "denoised, not checked"


def result_lines(run: "DemoResult") -> list[str]:
    """The status, then the before -> after figures of one run: PSNR/SSIM with a reference, else noise and PIQE
    (the input's alone where nothing ran)."""
    noise, quality = run.noise_estimate, run.quality
    if not run.ran:
        lines = [f"noise sigma {_num(noise['before'])}", f"PIQE {_num(quality['before'])} (lower is better)"]
        if run.metrics:
            noisy = run.metrics["noisy"]
            lines.insert(0, f"input PSNR {noisy['psnr']:.2f} dB, SSIM {noisy['ssim']:.3f}")
        return [status_line(run), *lines]
    lines = [f"noise sigma {_num(noise['before'])} -> {_num(noise['after'])}"]
    if run.metrics:
        noisy, restored = run.metrics["noisy"], run.metrics["restored"]
        lines.insert(0, f"PSNR {noisy['psnr']:.2f} -> {restored['psnr']:.2f} dB")
        lines.insert(1, f"SSIM {noisy['ssim']:.3f} -> {restored['ssim']:.3f}")
    else:
        lines.append(f"PIQE {_num(quality['before'])} -> {_num(quality['after'])} (lower is better)")
    return [status_line(run), *lines]


def figure_columns(run: "DemoResult") -> tuple[str, ...]:
    """The figures table's header: the output's column only where there is an output, named by its status."""
    return ("measure", "input", run.output_word) if run.ran else ("measure", "input")


def figure_rows(run: "DemoResult", digits: int = 2) -> list[tuple[str, ...]]:
    """(measure, input[, output]) rows: PSNR/SSIM against the clean photo where there is one, noise and PIQE."""
    keys = ("before", "after") if run.ran else ("before",)
    outputs = ("noisy", "restored") if run.ran else ("noisy",)
    rows = []
    if run.metrics:
        rows.append(("PSNR vs clean (dB)", *(f"{run.metrics[key]['psnr']:.2f}" for key in outputs)))
        rows.append(("SSIM vs clean", *(f"{run.metrics[key]['ssim']:.4f}" for key in outputs)))
    rows.append(("analyzer noise sigma", *(_num(run.noise_estimate[k], digits) for k in keys)))
    rows.append(("PIQE (lower is better)", *(_num(run.quality[k], digits) for k in keys)))
    return rows


def panel_labels(run: "DemoResult") -> list[tuple[str, list[str]]]:
    """(file key, two label lines) for each panel of a run's comparison image, left to right; the output's label
    says what it is (restored only where the check passed)."""
    noise = run.noise_estimate
    output = f"{run.output_word} ({run.checkpoint['id']})" + (", check failed" if run.failed else "")
    if run.metrics:
        noisy, restored = run.metrics["noisy"], run.metrics["restored"]
        return [("clean", ["clean reference", f"{run.width}x{run.height}"]),
                ("input", [f"noisy (sigma {run.sigma})", f"PSNR {noisy['psnr']:.2f} dB  SSIM {noisy['ssim']:.3f}"]),
                ("restored", [output, f"PSNR {restored['psnr']:.2f} dB  SSIM {restored['ssim']:.3f}"])]
    quality = run.quality
    return [("input", ["input (as is)", f"noise {_num(noise['before'])}  PIQE {_num(quality['before'])}"]),
            ("restored", [output, f"noise {_num(noise['after'])}  PIQE {_num(quality['after'])}"])]


def output_stage(lines: list[str], runs: Sequence["DemoResult"], seconds: float | None = None) -> Stage:
    """The output box: marked as failed when a run failed its check, as skipped when nothing ran."""
    if any(run.failed for run in runs):
        return Stage("failed", "Output: check failed", lines, seconds)
    if runs and not any(run.ran for run in runs):
        return Stage("skipped", "Output: not denoised", lines, seconds)
    return Stage("output", "Output", lines, seconds)


def demo_stages(run: "DemoResult") -> list[Stage]:
    """The four stages of one demo run with its figures and the seconds each took."""
    seconds = run.seconds
    degraded = f"+ Gaussian noise sigma {run.sigma} (seed {run.seed})" if run.metrics else "taken as is"
    suggested = run.analysis.get("suggested_noise_level")
    model = (Stage("model", "SwinIR checkpoint", [*(["forced: run anyway, as asked"] if run.forced else []),
                                                  checkpoint_text(run), *nearest_line(run),
                                                  f"{run.checkpoint['tiles']} tile(s)"], seconds.get("denoise"))
             if run.ran else Stage("skipped", "SwinIR checkpoint", ["not run: the analysis leaves the photo alone"]))
    return [
        Stage("input", "Input", [Path(run.source).name,
                                 f"{run.width}x{run.height}", degraded], seconds.get("prepare")),
        Stage("analyzer", "Analyzer", [f"noise sigma {_num(run.noise_estimate['before'])}",
                                       findings_text(run.analysis),
                                       f"suggests noise-{suggested} checkpoint" if suggested else "no noise level suggested"],
              seconds.get("analyze")),
        model,
        output_stage(result_lines(run), [run], round(seconds.get("measure", 0) + seconds.get("compare", 0), 3)),
    ]


def nearest_line(run: "DemoResult") -> list[str]:
    """A line saying that the weights are not the suggested level, where they are not."""
    if not run.ran:
        return []
    level, suggested = run.checkpoint.get("noise_level"), run.checkpoint.get("suggested_noise_level")
    return [f"nearest to the suggested noise-{suggested}"] if suggested and level and level != suggested else []


def answer_stages(answer: Mapping, runs: Sequence["DemoResult"], records: Sequence) -> list[Stage]:
    """The workflow for a question: the question (and photos), what the records say, what ran, what came out."""
    question = Stage("input", "Input", [f"question: {shorten(answer['question'], QUESTION_CHARS, placeholder=' ...')}"])
    question.lines += [f"photo: {Path(run.source).name} ({run.width}x{run.height})" for run in runs]
    if answer.get("refused"):
        return [question, Stage("records", "Records", [f"{len(records)} loaded records", "none covers this question"]),
                Stage("output", "Output", ["a plain refusal", "no links"])]
    stages = [question]
    if runs:
        stages.append(Stage("analyzer", "Analyzer", [f"{Path(run.source).name}: {findings_text(run.analysis)}"
                                                     for run in runs],
                            round(sum(run.seconds.get("analyze", 0) for run in runs), 3)))
    from agent.core.compose import display_name

    by_id = {record.id: record for record in records}
    models = []
    for record_id in answer.get("citations", []):
        record = by_id.get(record_id)
        name = display_name(record) if record else record_id
        if record is not None and record.runnable and runs:
            ran = sorted({checkpoint_text(run) + (" (forced)" if run.forced else "") for run in runs if run.ran})
            models.append(f"{name} [{record_id}]: " + (f"ran {', '.join(ran)}" if ran else
                                                       "not run: the analysis left the photos alone"))
        else:
            models.append(f"{name} [{record_id}]: " + ("runs here" if record and record.runnable else "described only"))
    stages.append(Stage("model", "Models", models or ["no record cited"],
                        round(sum(run.seconds.get("denoise", 0) for run in runs), 3)
                        if any(run.ran for run in runs) else None))
    outputs = [line for run in runs  # the caption says what the status line would, but why nothing ran
               for line in (f"{Path(run.source).name}: {run.caption}", *result_lines(run)[1 if run.ran else 0:])]
    outputs.append(f"answer citing {len(answer.get('citations', []))} record(s)")
    stages.append(output_stage(outputs, runs))
    return stages
