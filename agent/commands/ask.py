"""`restore-agent ask`: a grounded answer from the loaded records."""
from __future__ import annotations

import json
from pathlib import Path

import typer


def ask(
    question: str = typer.Argument(None, help="The question (default: the card's own question)."),
    card: Path = typer.Option(None, "--card", help="A card (text, YAML or JSON records) that replaces the default records."),
    as_json: bool = typer.Option(False, "--json", help="Print exactly one JSON object."),
) -> None:
    """Answer a question about image restoration from the card's records only, with citations and links."""
    from agent.answer import answer_offline

    response = answer_offline(question, card)
    if as_json:
        typer.echo(json.dumps(response, ensure_ascii=False))
        return
    from agent.render import render_answer

    render_answer(response)
