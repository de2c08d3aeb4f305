"""`restore-agent denoise`: SwinIR denoising of one photo."""
from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from agent.cli.views.progress import progress_bar


def denoise(
    input: Path = typer.Argument(..., help="Photo to denoise (PNG, JPEG, TIFF, BMP, WebP)."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the result (format from the extension)."),
    noise: int = typer.Option(None, "--noise", help="Noise level sigma the weights were trained for: 15, 25 or 50 (default 15)."),
    weights: str = typer.Option(None, "--weights", help="A weights id (see `weights list`) or a checkpoint path."),
    tile: int = typer.Option(None, "--tile", help="Tile size in pixels (0: whole image at once; default 256)."),
    overlap: int = typer.Option(None, "--overlap", help="Overlap between tiles in pixels (default 32)."),
    reference: Path = typer.Option(None, "--reference", help="Clean image: report PSNR and SSIM against it."),
    ensemble: bool = typer.Option(False, "--ensemble", help="Average eight flipped and turned runs: slightly "
                                  "cleaner, eight times slower."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
) -> None:
    """Remove Gaussian-like noise from a photo with SwinIR; alpha is kept, the input is never modified."""
    from tools.restore import analyze_photo, check_output
    from tools.swinir.service import denoise_file

    err = Console(stderr=True)
    with progress_bar("denoising tiles", enabled=not as_json) as update:
        result = denoise_file(input, output, noise_level=noise, weights=weights, tile=tile, overlap=overlap,
                              reference=reference, progress=update, ensemble=ensemble)
    _, check = check_output(input, output, analyze_photo(input))
    for note in [*result.notes, *check.problems]:
        err.print(f"warning: {note}", highlight=False, soft_wrap=True)
    if as_json:
        typer.echo(json.dumps({**result.to_json(), "check": check.to_dict()}))
        return
    out = Console()
    how = ", self-ensemble x8" if result.ensemble else ""
    out.print(f"wrote {result.output} with {result.model} (noise {result.noise_level}{how}): "
              f"{result.seconds:.1f} s for {result.megapixels:.2f} MP = {result.seconds_per_megapixel:.1f} s/MP, "
              f"{result.tiles} tile(s)", highlight=False)
    if result.psnr is not None:
        out.print(f"PSNR {result.psnr:.2f} dB, SSIM {result.ssim:.4f} against {reference}", highlight=False)
    if check.ok:
        out.print(f"check: {check.verdict}", highlight=False, style="dim")
