"""What a denoise run says, in the same words wherever it runs: ``restore-agent denoise`` and chat's ``/denoise``.

Warnings (a run the analysis would not have made, the check's problems) apart from routine notes (noise
matched, depth, channels), then what the output is: "restored" only when the check passed, "denoised (check
failed: ...)" when it did not, with the model, the time and the tiles, PSNR/SSIM against a reference, and
the check's verdict with how its prediction follows from the measured sigma. A photo the analysis leaves
alone gets the measurement, the reason, and how to run it anyway.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.text import Text

from agent.cli.echo import name as shown_name

if TYPE_CHECKING:
    from tools.restore import RestoreResult

WARNING_STYLE, NOTE_STYLE = "yellow", "dim"


def outcome(result: RestoreResult) -> str:
    """What the output is, as its caption says it: ``restored`` (its check passed), ``denoised (check failed: the
    first problem)`` or ``denoised``."""
    if result.status == "check-failed":
        return f"denoised (check failed: {result.check.problems[0]})"
    return result.status


def summary_lines(result: RestoreResult, reference: str | Path | None = None) -> list[str]:
    """What the output is, where it went, the model and noise level, the time per megapixel and the tiles;
    PSNR/SSIM with a reference."""
    run = result.run
    how = ", self-ensemble x8" if run.ensemble else ""
    lines = [f"{outcome(result)}: wrote {shown_name(run.output)} with {run.model} (noise {run.noise_level}{how}): "
             f"{run.seconds:.1f} s for {run.megapixels:.2f} MP = {run.seconds_per_megapixel:.1f} s/MP, "
             f"{run.tiles} tile(s)"]
    if run.psnr is not None:
        lines.append(f"PSNR {run.psnr:.2f} dB, SSIM {run.ssim:.4f} against {shown_name(reference)}")
    return lines


def check_line(result: RestoreResult) -> str | None:
    """The check's verdict when it passed, with its prediction (a failed check is in the first line)."""
    check = result.check
    return f"check: {check.verdict}" if check is not None and check.ok else None


def labelled(result: RestoreResult, announced: bool = False) -> list[tuple[str, str]]:
    """``(label, text)`` pairs of the lines before the summary: ``warning`` for a forced run's notice (left out
    when ``announced`` already showed it before the work), ``note`` for the run's routine notes."""
    notice = result.decision.notice
    return [*([("warning", notice)] if notice and not announced else []),
            *(("note", note) for note in (result.run.notes if result.run else []))]


def later_problems(result: RestoreResult) -> list[str]:
    """A failed check's problems after the first (the summary line says the first): warnings after it."""
    return result.check.problems[1:] if result.check is not None else []


def not_run_lines(result: RestoreResult, again: str) -> list[str]:
    """A photo the analysis leaves alone: the measurement and the reason, and ``again``, the way to run it
    anyway."""
    from tools.restore import NotDenoised

    return [str(NotDenoised(result.input, result.decision)), f"to denoise it anyway: {again}"]


def print_notes(result: RestoreResult, err: Console, announced: bool = False) -> None:
    """The command line's warnings and notes, on ``err`` (see :func:`labelled`)."""
    for label, text in labelled(result, announced):
        err.print(f"{label}: {text}", highlight=False, soft_wrap=True, markup=False,
                  style=WARNING_STYLE if label == "warning" else NOTE_STYLE)


def print_summary(result: RestoreResult, out: Console, reference: str | Path | None = None) -> None:
    """The command line's summary and check, on ``out``."""
    for line in summary_lines(result, reference):
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    if line := check_line(result):
        out.print(line, highlight=False, markup=False, soft_wrap=True, style=NOTE_STYLE)


def denoise_view(result: RestoreResult, reference: str | Path | None = None, again: str = "",
                 announced: bool = False) -> Group:
    """The same lines as one renderable (chat prints it where the answer goes)."""
    if result.run is None:
        return Group(*(Text(line) for line in not_run_lines(result, again)))
    failed, line = result.status == "check-failed", check_line(result)
    return Group(*(Text(f"{label}: {text}", style=WARNING_STYLE if label == "warning" else NOTE_STYLE)
                   for label, text in labelled(result, announced)),
                 *(Text(text, style=WARNING_STYLE if failed and i == 0 else "")
                   for i, text in enumerate(summary_lines(result, reference))),
                 *(Text(f"warning: {text}", style=WARNING_STYLE) for text in later_problems(result)),
                 *([Text(line, style=NOTE_STYLE)] if line else []))


def denoise_markdown(result: RestoreResult, reference: str | Path | None = None, again: str = "") -> str:
    """The same lines as Markdown, for a transcript (a forced run's notice included)."""
    if result.run is None:
        return "\n".join(f"- {line}" for line in not_run_lines(result, f"`{again}`" if again else ""))
    line = check_line(result)
    return "\n".join([*(f"- {label}: {text}" for label, text in labelled(result)),
                      *(f"- {text}" for text in summary_lines(result, reference)),
                      *(f"- warning: {text}" for text in later_problems(result)),
                      *([f"- {line}"] if line else [])])
