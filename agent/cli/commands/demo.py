"""`restore-agent demo`: degrade, analyze, denoise and measure a photo live."""
from __future__ import annotations

from pathlib import Path

import typer

from agent.cli import options as opt
from agent.cli.views.console import terminal

SEED_MAX = 2**32 - 1  # numpy's seeds

def demo(
    image: Path = typer.Option(None, "--image", show_default="a scikit-image sample photo",
                               help="A clean photo to degrade."),
    add_noise: int = opt.bounded_int(None, "--add-noise", high=255, show_default="15", help="Sigma of the "
                                     "Gaussian noise added to the clean photo first (0..255 scale)."),
    _noise: str = opt.renamed("--noise", "--add-noise", "the sigma of the synthetic noise added first"),
    output: Path = typer.Option(Path("demo-output"), "-o", "--output", help="Folder for the input, restored, comparison and demo.json."),
    as_is: bool = typer.Option(False, "--as-is", help="The photo is already degraded: restore it as it is, no reference metrics."),
    weights: str = typer.Option(None, "--weights", help="A weights id or checkpoint path instead of the suggested one."),
    seed: int = opt.bounded_int(0, "--seed", high=SEED_MAX, help="Seed of the added noise."),
    force: bool = typer.Option(False, "--force", help="Replace existing files in the output folder."),
    force_run: bool = typer.Option(False, "--force-run", help="Denoise even a photo the analysis would leave "
                                   "alone (labelled as forced)."),
    open_result: bool = typer.Option(False, "--open", help="Open the comparison image when done."),
    device: opt.Device = opt.DEVICE,
    as_json: bool = typer.Option(False, "--json", help="Print demo.json instead of the summary."),
) -> None:
    """Live demo: noisy copy -> analyzer -> SwinIR with the suggested checkpoint -> restored, with real figures.

    The analysis decides whether SwinIR runs: a photo with no noise it fits (a clean one taken --as-is, grain) is
    shown with its analysis and the reason, and gets no restored image, unless --force-run."""
    from agent.cli.echo import json_text, name
    from agent.cli.views.console import print_warning
    from agent.products.demo import DEFAULT_SIGMA, run_demo
    from agent.cli.views.progress import progress_bar
    from tools.errors import UserError

    if as_is and add_noise is not None:
        raise UserError("--as-is restores the photo as it is: it takes no --add-noise")
    sigma = None if as_is else (DEFAULT_SIGMA if add_noise is None else add_noise)
    err = terminal(stderr=True)

    def announce(decision) -> None:
        if decision.notice:
            print_warning(err, decision.notice)

    with progress_bar("denoising tiles", enabled=not as_json, console=err) as update:  # the notice goes above it
        result = run_demo(output, image=image, sigma=sigma, weights=weights, seed=seed, force=force, progress=update,
                          force_run=force_run, announce=announce, device=device.value)
    for problem in (result.check or {}).get("problems", []):
        print_warning(err, f"check failed: {problem}", "bold red")
    if as_json:
        typer.echo(json_text(result.to_json()))
    else:
        from agent.cli.views.demo import render_demo

        render_demo(result)
    shown = result.files.get("comparison", result.files["input"])
    if open_result and typer.launch(shown, wait=True) != 0:
        typer.echo(f"note: no image viewer could open {name(shown)}", err=True)
