"""What both report formats say, as plain text and rows: titles, captions, tables, the refusal notice."""
from __future__ import annotations

from pathlib import Path

from agent.core.compose import SECTIONS
from agent.core.prose import finding_words
from agent.core.templates import fill
from agent.products.demo_result import DemoResult
from agent.products.report.build import Report
from agent.products.workflow import ran_text

PHOTO_FILES = ("input", "restored", "comparison")
REFUSAL_NOTICE = "The loaded records do not cover this question, so this report gives no recommendation and no links."


def section_titles() -> dict[str, str]:
    """The answer's three section headings (task, workflow, references), as the composer writes them."""
    return {key: fill(f"heading.{key}") for key in SECTIONS}


def meta_line(report: Report) -> str:
    backend = report.answer.get("backend", "?")
    return (f"Answered by the {backend} backend from the {report.card} ({len(report.records)} records); "
            f"generated {report.created} in {report.seconds:.1f} s.")


def failure_line(report: Report) -> str | None:
    """Why the LLM backend failed, when the offline answer stood in."""
    failure = report.answer.get("failure")
    return f"The LLM backend failed ({failure}); the offline answer stands in." if failure else None


def photo_title(run: DemoResult, number: int) -> str:
    return f"Photo {number}: {Path(run.source).name}"


def photo_caption(run: DemoResult) -> str:
    """How the input was made and what the figures compare."""
    made = (f"Gaussian noise at sigma {run.sigma} (seed {run.seed}) added to the original; PSNR and SSIM "
            "compare the noisy and the restored image with the original." if run.metrics else
            "Restored as it is; without a clean original the figures are the analyzer's noise estimate and "
            "the no-reference PIQE score.")
    level = run.checkpoint.get("noise_level")
    return (f"{run.width}x{run.height}. {made} Denoised with SwinIR {run.checkpoint['id']}"
            + (f" (noise level {level})" if level else "") + f" in {run.seconds['denoise']:.2f} s.")


def image_captions(run: DemoResult) -> dict[str, str]:
    before = "noisy input" if run.metrics else "input as it is"
    return {"input": before, "restored": f"restored ({run.checkpoint['id']})",
            "comparison": "side by side with a zoomed crop (red box)"}


def analysis_rows(run: DemoResult) -> list[tuple[str, str, str]]:
    """(measurement, severity, evidence) for each measurement of the input's analysis."""
    from tools.analyzer import Analysis

    return [(name, run.analysis[name]["severity"], run.analysis[name]["evidence"])
            for name in Analysis.MEASUREMENTS if name in run.analysis]


def step_times(run: DemoResult) -> str:
    return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in run.seconds.items())


def recommendation_lines(run: DemoResult) -> list[str]:
    """The analyzer's recommendations in words, each checkpoint named as what this run actually ran."""
    lines = []
    for rec in run.recommendations:
        why = rec["why"]
        for finding in run.analysis.get("findings", []):
            why = why.replace(f"{finding['severity']} {finding['degradation']}:", f"{finding_words(finding)}:")
        if rec.get("noise_level") is not None:
            why = why.replace(f"run the noise-level {rec['noise_level']} checkpoint", ran_text(run))
        lines.append(f"[{rec['record']}] {why}")
    return lines
