"""`restore-agent batch`: restore a whole folder of photos, resumable, with a manifest and an index report."""
from __future__ import annotations

from pathlib import Path

import typer
from agent.cli.views.console import terminal

from agent.cli import options as opt

MAX_JOBS = 256  # photos at once: processes or Ray actors


def batch(
    in_dir: Path = typer.Argument(..., help="Folder of photos (never written to)."),
    out_dir: Path = typer.Option(..., "-o", "--output", help="Output folder: restored photos in the same layout, "
                                 "manifest.jsonl, index.html."),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Include subfolders (their layout is kept)."),
    pattern: str = typer.Option(None, "--pattern", show_default="every photo extension", help="Only files "
                                "matching this glob, e.g. '*.jpg' or 'scans/*.tif'."),
    analyze_only: bool = typer.Option(False, "--analyze-only", help="Analyze and decide only; write no photos."),
    noise: str = typer.Option("auto", "--noise", help="The checkpoint level for the photos the analysis denoises: "
                              "auto (each photo's own), 15, 25 or 50."),
    weights: str = typer.Option(None, "--weights", help="A weights id (see `weights list`) or a checkpoint path, "
                                "for the photos the analysis denoises."),
    force_run: bool = typer.Option(False, "--force-run", help="Denoise every photo, also those the analysis would "
                                   "leave alone (each such run is labelled in the manifest and the index)."),
    skip_clean: bool = typer.Option(False, "--skip-clean", help="Skip the photos the analysis leaves alone: nothing "
                                    "written for them (without it they are copied unchanged)."),
    jobs: int = opt.bounded_int(1, "--jobs", "-j", low=1, high=MAX_JOBS, help="Photos at once: worker processes, "
                                "or Ray actors."),
    engine: str = typer.Option("local", "--engine", help="local or ray (needs the cluster extra)."),
    actor_cpus: int = opt.bounded_int(1, "--actor-cpus", low=1, high=MAX_JOBS, help="CPUs (torch threads) of "
                                      "each Ray actor."),
    address: str = typer.Option(None, "--address", show_default="RAY_ADDRESS, else a local Ray",
                                help="Ray cluster address."),
    device: opt.Device = opt.DEVICE,
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Skip photos the manifest holds with the same "
                                "input, model and settings."),
    force: bool = typer.Option(False, "--force", help="Redo every photo and replace existing output files."),
    report: bool = typer.Option(False, "--report", help="Also write OUT_DIR/index.html, one row per photo."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
) -> None:
    """Restore every photo in a folder through the one pipeline: each photo's analysis decides whether it is
    denoised. Keeps going past bad files; exit code 1 when a photo failed or its output failed the check."""
    from agent.cli.echo import json_text
    from agent.cli.views.batch import batch_progress, print_summary
    from tools.batch.plan import plan_batch
    from tools.batch.run import batch_entries, engine_for, run_batch
    from tools.batch.settings import BatchSettings, parse_noise
    from tools.errors import UserError
    from tools.json_numbers import meaningful

    if force_run and skip_clean:
        raise UserError("--force-run denoises every photo, so --skip-clean would skip none: use one of them")
    settings = BatchSettings(parse_noise(noise), weights, skip_clean, analyze_only, force_run, device.value)
    run_on = engine_for(engine, settings, jobs, address, actor_cpus)
    plan = plan_batch(in_dir, out_dir, settings, recursive, pattern, resume=resume, force=force)
    with batch_progress(plan.total, len(plan.done), enabled=not as_json) as on_photo:
        summary = run_batch(plan, run_on, on_photo)
    written = None
    if report:
        from agent.products.batch_report import write_batch_report

        written = str(write_batch_report(plan, batch_entries(plan), summary))
    if as_json:
        typer.echo(json_text(meaningful({
            "counts": dict(summary.counts), "failures": [list(f) for f in summary.failures],
            "check_failures": [list(f) for f in summary.check_failures],
            "not_read": [list(entry) for entry in summary.not_read], "forced": summary.forced,
            "megapixels": summary.megapixels, "seconds": summary.seconds, "manifest": str(plan.manifest),
            "report": written})))
    else:
        print_summary(summary, terminal(), written)
    raise typer.Exit(0 if summary.ok else 1)
