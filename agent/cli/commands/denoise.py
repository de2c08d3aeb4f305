"""`restore-agent denoise`: SwinIR denoising of one photo."""
from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from agent.cli import options as opt
from agent.cli.views.console import print_warning, terminal
from agent.cli.views.progress import progress_bar

MAX_TILE = 16384  # pixels; larger than any photo within the pixel budget
MIN_MEMORY_GB, MAX_MEMORY_GB, DEFAULT_MEMORY_GB = 0.1, 1024.0, 2.0  # --max-memory


class Precision(str, Enum):
    fp32 = "fp32"
    bf16 = "bf16"
    fp16 = "fp16"


def denoise(
    input: Path = typer.Argument(..., help="Photo to denoise (PNG, JPEG, TIFF, BMP, WebP)."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the result (format from the extension)."),
    noise: int = opt.bounded_int(None, "--noise", low=1, high=255, show_default="measured on the photo",
                                 help="Noise level sigma the weights were trained for: 15, 25 or 50 (it "
                                 "chooses the checkpoint, not whether to run)."),
    weights: str = typer.Option(None, "--weights", help="A weights id (see `weights list`) or a checkpoint path."),
    tile: int = opt.bounded_int(None, "--tile", high=MAX_TILE, show_default="sized by --max-memory",
                                help="Tile size in pixels (0: the whole image at once; else at least 16)."),
    overlap: int = opt.bounded_int(None, "--overlap", high=MAX_TILE - 1, show_default="32 of the network's tokens "
                                   "(64 px for swinir-half)", help="Overlap between tiles in pixels (less than --tile)."),
    max_memory: float = typer.Option(None, "--max-memory", min=MIN_MEMORY_GB, max=MAX_MEMORY_GB,
                                     show_default=f"{DEFAULT_MEMORY_GB:g} on the CPU, most of a GPU's free memory",
                                     help="Working memory in GB: tiles are as large as it allows, and a photo "
                                     "that fits runs whole (on a GPU, at most what it has free)."),
    precision: Precision = typer.Option(Precision.fp32, "--precision",
                                        help="bf16: bfloat16 autocast, faster only on CPUs with native bfloat16 and "
                                        "on recent GPUs; fp16: float16 autocast, GPUs only."),
    device: opt.Device = opt.DEVICE,
    reference: Path = typer.Option(None, "--reference", help="Clean image: report PSNR and SSIM against it."),
    ensemble: bool = typer.Option(False, "--ensemble", help="Average eight flipped and turned runs: slightly "
                                  "cleaner, eight times slower."),
    force_run: bool = typer.Option(False, "--force-run", help="Denoise even where the analysis finds no noise the "
                                   "weights fit (said before the work starts)."),
    no_match: bool = typer.Option(False, "--no-match", help="Run the network exactly as the official SwinIR test "
                                  "script does: no noise matching, the whole image at once, mirror padding."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
) -> None:
    """Remove Gaussian-like noise from a photo with SwinIR; alpha is kept, the input is never modified.

    The noise is measured first and decides: a photo with no visible noise, or with grain the weights do not
    fit, is left alone (exit 2) unless --force-run asks. The weights for the highest level the measured
    sigma reaches (less 5%) run, matched to it; --noise and --weights choose other weights. The output is checked: exit 0 when it
    passed, 1 when it did not (the output is still written)."""
    from agent.cli.echo import json_text, name, one_line
    from agent.cli.views.denoise import WARNING_STYLE, print_notes, print_summary
    from tools.json_numbers import meaningful
    from tools.restore import Decision, NotDenoised, RestoreRequest, restore

    err = terminal(stderr=True)

    def announce(decision: Decision) -> None:  # before any denoising: refuse, or say that the run is forced
        if not decision.denoise:
            raise NotDenoised(input, decision)
        if decision.notice:
            print_warning(err, decision.notice, WARNING_STYLE)

    request = RestoreRequest(output, noise_level=noise, weights=weights, tile=tile, overlap=overlap, ensemble=ensemble,
                             reference=reference, force=force_run, overwrite=force,
                             max_memory=None if max_memory is None else max_memory * 1e9, precision=precision.value,
                             match=not no_match, device=device.value)
    with progress_bar("denoising tiles", enabled=not as_json, console=err) as update:  # the notice goes above it
        restored = restore(input, request, progress=update, announce=announce)
    print_notes(restored, err, announced=True)
    if as_json:
        typer.echo(json_text(meaningful(restored.to_json())))
    else:
        print_summary(restored, terminal(), reference)
    if restored.status != "restored":
        problems = "; ".join(restored.check.problems) if restored.check else "not checked"
        line = f"error: the output did not pass its check: {problems} (written anyway: {name(restored.run.output)})"
        err.print(one_line(line), highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1)
