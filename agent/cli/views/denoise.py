"""What a denoise run says, in the same words wherever it runs: ``restore-agent denoise`` and chat's ``/denoise``.

Warnings first (weights that were not there, noise matching, the method-noise check's problems), then the
output with the model, the time and the tiles, PSNR/SSIM against a reference, and the check's verdict.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.text import Text

if TYPE_CHECKING:
    from tools.analyzer.method_noise import ResidualCheck
    from tools.swinir.service import DenoiseResult


def summary_lines(run: DenoiseResult, reference: str | Path | None = None) -> list[str]:
    """The output, the model and noise level, the time per megapixel and the tiles; PSNR/SSIM with a reference."""
    how = ", self-ensemble x8" if run.ensemble else ""
    lines = [f"wrote {run.output} with {run.model} (noise {run.noise_level}{how}): {run.seconds:.1f} s for "
             f"{run.megapixels:.2f} MP = {run.seconds_per_megapixel:.1f} s/MP, {run.tiles} tile(s)"]
    if run.psnr is not None:
        lines.append(f"PSNR {run.psnr:.2f} dB, SSIM {run.ssim:.4f} against {reference}")
    return lines


def check_line(check: ResidualCheck | None) -> str | None:
    """The check's verdict when it passed (its problems are warnings)."""
    return f"check: {check.verdict}" if check is not None and check.ok else None


def print_denoise(run: DenoiseResult, warnings: Sequence[str], check: ResidualCheck | None, out: Console,
                  err: Console, reference: str | Path | None = None) -> None:
    """The command line's output: warnings on ``err``, the summary on ``out``."""
    for warning in warnings:
        err.print(f"warning: {warning}", highlight=False, soft_wrap=True)
    for line in summary_lines(run, reference):
        out.print(line, highlight=False)
    if line := check_line(check):
        out.print(line, highlight=False, style="dim")


def denoise_view(run: DenoiseResult, warnings: Sequence[str], check: ResidualCheck | None,
                 reference: str | Path | None = None) -> Group:
    """The same lines as one renderable (chat prints it where the answer goes)."""
    line = check_line(check)
    return Group(*(Text(f"warning: {warning}", style="yellow") for warning in warnings),
                 *(Text(text) for text in summary_lines(run, reference)), *([Text(line, style="dim")] if line else []))


def denoise_markdown(run: DenoiseResult, warnings: Sequence[str], check: ResidualCheck | None,
                     reference: str | Path | None = None) -> str:
    """The same lines as Markdown, for a transcript."""
    line = check_line(check)
    return "\n".join([*(f"- warning: {warning}" for warning in warnings),
                      *(f"- {text}" for text in summary_lines(run, reference)),
                      *([f"- {line}"] if line else [])])
