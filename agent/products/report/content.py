"""What both report formats say, as plain text and rows: titles, captions, tables, the refusal notice."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agent.core.compose import SECTIONS
from agent.core.prose import finding_words
from agent.core.templates import fill
from agent.products.demo_result import DemoResult
from agent.products.report.build import Report
from agent.products.workflow import ran_text

PHOTO_FILES = ("input", "restored", "comparison")  # those a photo has: the input only where nothing ran
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
    """How the input was made, what the figures compare, and what ran on it (why nothing did: its banner)."""
    if run.metrics:
        made = f"Gaussian noise at sigma {run.sigma} (seed {run.seed}) added to the original; PSNR and SSIM "
        made += (f"compare the noisy and the {run.output_word} image with the original." if run.ran else
                 "compare the noisy image with the original.")
    else:
        made = ("Taken as it is; without a clean original the figures are the analyzer's noise estimate and "
                "the no-reference PIQE score.")
    if not run.ran:  # why: the banner above says it
        return f"{run.width}x{run.height}. {made}"
    level = run.checkpoint.get("noise_level")
    how = "Denoised anyway, as asked," if run.forced else "Denoised"
    return (f"{run.width}x{run.height}. {made} {how} with SwinIR {run.checkpoint['id']}"
            + (f" (noise level {level})" if level else "") + f" in {run.seconds['denoise']:.2f} s.")


@dataclass(frozen=True)
class Banner:
    """A line at the top of a photo's section: ``kind`` is restored, failed, forced or skipped."""

    kind: str
    label: str
    text: str


def banners(run: DemoResult) -> list[Banner]:
    """What became of the photo, before its images and figures: why it was left alone, that it ran only because
    it was asked to (the notice), what the check found."""
    if not run.ran:
        return [Banner("skipped", "Not denoised", f"the analysis found {run.decision['reason']}.")]
    found = [Banner("forced", "Forced run", f"{run.decision['notice']}.")] if run.forced else []
    check = run.check or {}
    if run.failed:
        found.append(Banner("failed", "Check failed", "; ".join(check["problems"]) + ". Compare the output with "
                            "the input before using it."))
    elif check:
        found.append(Banner("restored", "Restored", f"the check passed: {check['verdict']}."))
    return found


def image_captions(run: DemoResult) -> dict[str, str]:
    """The caption of each of the photo's images (those that exist); the output's is its status's."""
    captions = {"input": "noisy input" if run.metrics else "input as it is"}
    if run.ran:
        captions |= {"restored": run.caption, "comparison": "side by side with a zoomed crop (red box)"}
    return captions


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
        if rec.get("noise_level") is not None and run.ran:
            why = why.replace(f"run the noise-level {rec['noise_level']} checkpoint", ran_text(run))
        lines.append(f"[{rec['record']}] {why}")
    return lines
