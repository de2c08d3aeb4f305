"""`restore-agent report`: a grounded answer with photo analyses and before/after figures, as HTML or Markdown."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from agent.cli.views.console import terminal

from agent.cli import options as opt
from tools.errors import UserError

if TYPE_CHECKING:
    from agent.core.backends import LLMSettings


@opt.with_llm_settings
def report(
    question: str = typer.Option(None, "--question", "-q", show_default="the card's own question",
                                 help="The question."),
    images: list[Path] = typer.Option(None, "--image", help="A photo to analyze and restore in the report (repeatable)."),
    card: Path = opt.CARD,
    add_noise: int = opt.bounded_int(None, "--add-noise", high=255, help="Add Gaussian noise at this sigma "
                                     "(0..255 scale) to each photo first and measure against the original."),
    _noise: str = opt.renamed("--noise", "--add-noise", "the sigma of the synthetic noise added first"),
    weights: str = typer.Option(None, "--weights", help="A weights id or checkpoint path instead of the suggested one."),
    script: Path = typer.Option(None, "--script", help="A YAML job file: one report per job plus index.html in the -o folder."),
    output: Path = typer.Option(..., "-o", "--output", help="report.html or report.md; with --script, a folder."),
    force: bool = typer.Option(False, "--force", help="Replace existing output files."),
    force_run: bool = typer.Option(False, "--force-run", help="Denoise even photos the analysis would leave "
                                   "alone (labelled as forced in the report)."),
    device: opt.Device = opt.DEVICE,
    *,
    settings: LLMSettings,
) -> None:
    """Write a self-contained HTML (or Markdown) report: answer, workflow diagram, photos before/after, references."""
    if script is not None:
        if (question is not None or images or add_noise is not None or card is not None or weights is not None
                or force_run):
            raise UserError("--script takes questions, photos, cards, noise, weights and force_run from the job file")
        raise typer.Exit(_run_script(script, settings, output, force, device.value))
    from agent.cli.echo import name, one_line
    from agent.cli.views.console import print_warning
    from agent.cli.views.progress import progress_bar
    from agent.products.report.build import ReportJob
    from agent.products.report.run import create_report

    job = ReportJob(question, list(images or []), card, add_noise, weights, force_run, device.value)
    err = terminal(stderr=True)

    def announce(photo: Path, decision) -> None:
        if decision.notice:
            print_warning(err, f"{photo.name}: {decision.notice}")

    with progress_bar("denoising tiles", console=err) as update:  # a forced run's notice goes above it
        made = create_report(job, settings, output, force, progress=update, announce=announce)
    for run in made.runs:
        for problem in (run.check or {}).get("problems", []):
            print_warning(err, f"{Path(run.source).name}: check failed: {problem}", "bold red")
    state = "refused: the records do not cover this question" if made.answer["refused"] else \
        f"{len(made.answer['citations'])} record(s) cited"
    photos = "".join(f"; {one_line(Path(run.source).name)}: {one_line(run.caption)}" for run in made.runs)
    terminal().print(f"wrote {name(output)}: {len(made.runs)} photo(s){photos}; {state}, {made.answer['backend']} "
                     f"backend, {made.seconds:.1f} s", highlight=False, markup=False, soft_wrap=True)


def _run_script(script: Path, settings, output: Path, force: bool, device: str = "auto") -> int:
    """Run a job file (``device`` for the jobs that name none) with an overall progress bar; print the summary;
    exit code 1 if any job failed."""
    from agent.cli.echo import name
    from agent.cli.views.progress import new_progress
    from agent.products.report.script import INDEX, load_jobs, run_jobs, summary_line
    from agent.cli.views.reports import outcomes_table

    jobs = load_jobs(script, device)
    with new_progress() as bar:
        task = bar.add_task("reports", total=len(jobs), unit="reports")

        def on_job(number: int, job) -> None:
            bar.update(task, completed=number, description=f"report {job.name}")

        outcomes = run_jobs(jobs, settings, output, force, on_job, inputs=[script])
        bar.update(task, completed=len(jobs))
    out = terminal()
    out.print(outcomes_table(outcomes))
    out.print(f"{summary_line(outcomes)}; index: {name(Path(output) / INDEX)}", highlight=False, markup=False)
    return 0 if all(outcome.ok for outcome in outcomes) else 1
