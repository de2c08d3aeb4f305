"""`restore-agent records`: the records answers may cite."""
from __future__ import annotations

from pathlib import Path

import typer


def records(
    card: Path = typer.Option(None, "--card", help="A card (text, YAML or JSON records) that replaces the default records."),
    as_json: bool = typer.Option(False, "--json", help="Print exactly one JSON object."),
) -> None:
    """List the loaded records: ids, kinds, what they handle, whether runnable here, exact links."""
    from agent.cli.echo import json_text
    from tools.cards import load_card

    loaded = load_card(card)
    if as_json:
        payload = {"card": loaded.source, "question": loaded.question, "records": [r.to_dict() for r in loaded.records]}
        typer.echo(json_text(payload))
        return
    from agent.cli.views.console import terminal

    from rich.markup import escape

    from agent.cli.echo import name
    from agent.cli.views.answer import records_table

    terminal().print(records_table(loaded.records, title=f"Records ({escape(name(loaded.source))} card)"))
