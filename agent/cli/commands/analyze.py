"""`restore-agent analyze`: what is wrong with each photo, how badly, and which record fits."""
from __future__ import annotations

from pathlib import Path

import typer


def analyze(
    images: list[Path] = typer.Argument(..., help="One or more photos (PNG, JPEG, TIFF, BMP, WebP, GIF)."),
    card: Path = typer.Option(None, "--card", help="A card whose records replace the default ones for recommendations."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per image (a list for several)."),
) -> None:
    """Measure noise, blur, JPEG compression, exposure, haze, color cast, resolution and quality."""
    from agent.cli.echo import json_text
    from tools.analyzer import analyze as run_analysis
    from tools.cards import load_records
    from tools.read_guard import PHOTO, check_file

    for path in images:  # every photo checked (a regular file within the cap) before the card or any analysis
        check_file(path, PHOTO)
    records = load_records(card)
    results = [run_analysis(path, records) for path in images]
    if as_json:
        payload = [r.to_dict() for r in results]
        typer.echo(json_text(payload[0] if len(payload) == 1 else payload))
        return
    from agent.cli.views.analysis import render_analysis

    for result in results:
        render_analysis(result)
