"""`restore-agent batch`: restore a whole folder of photos, resumable, with a manifest and an index report."""
from __future__ import annotations

import json
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
    noise: str = typer.Option("auto", "--noise", help="auto (each photo's level from its analysis), 15, 25 or 50."),
    weights: str = typer.Option(None, "--weights", help="A weights id (see `weights list`) or a checkpoint path."),
    skip_clean: bool = typer.Option(False, "--skip-clean", help="Copy photos with no visible noise unchanged "
                                    "instead of denoising them (the manifest says why)."),
    jobs: int = opt.bounded_int(1, "--jobs", "-j", low=1, high=MAX_JOBS, help="Photos at once: worker processes, "
                                "or Ray actors."),
    engine: str = typer.Option("local", "--engine", help="local or ray (needs the cluster extra)."),
    actor_cpus: int = opt.bounded_int(1, "--actor-cpus", low=1, high=MAX_JOBS, help="CPUs (torch threads) of "
                                      "each Ray actor."),
    address: str = typer.Option(None, "--address", show_default="RAY_ADDRESS, else a local Ray",
                                help="Ray cluster address."),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Skip photos the manifest holds with the same "
                                "input, model and settings."),
    force: bool = typer.Option(False, "--force", help="Redo every photo and replace existing output files."),
    report: bool = typer.Option(False, "--report", help="Also write OUT_DIR/index.html, one row per photo."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
) -> None:
    """Restore every photo in a folder through the one pipeline; keeps going past bad files (exit code 1)."""
    from agent.cli.views.batch import batch_progress, print_summary
    from tools.batch.plan import plan_batch
    from tools.batch.run import batch_entries, engine_for, run_batch
    from tools.batch.settings import BatchSettings, parse_noise

    settings = BatchSettings(parse_noise(noise), weights, skip_clean, analyze_only)
    run_on = engine_for(engine, settings, jobs, address, actor_cpus)
    plan = plan_batch(in_dir, out_dir, settings, recursive, pattern, resume=resume, force=force)
    with batch_progress(plan.total, len(plan.done), enabled=not as_json) as on_photo:
        summary = run_batch(plan, run_on, on_photo)
    written = None
    if report:
        from agent.products.batch_report import write_batch_report

        written = str(write_batch_report(plan, batch_entries(plan), summary))
    if as_json:
        typer.echo(json.dumps({"counts": dict(summary.counts), "failures": [list(f) for f in summary.failures],
                               "megapixels": round(summary.megapixels, 4), "seconds": summary.seconds,
                               "manifest": str(plan.manifest), "report": written}))
    else:
        print_summary(summary, terminal(), written)
    raise typer.Exit(1 if summary.failed else 0)
