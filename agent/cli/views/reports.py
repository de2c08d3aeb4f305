"""Rich rendering of a scripted run: one row per job with its report or the reason it failed."""
from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from agent.cli.echo import name, one_line

from agent.products.report.script import JobOutcome


def outcomes_table(outcomes: Sequence[JobOutcome]) -> Table:
    table = Table(title="Reports", title_justify="left")
    for column in ("job", "status", "report or error", "seconds"):
        table.add_column(column, overflow="fold", justify="right" if column == "seconds" else "left")
    for outcome in outcomes:
        status = "[green]ok[/]" if outcome.ok else "[bold red]failed[/]"
        table.add_row(Text(name(outcome.name)), status,
                      Text(name(outcome.output) if outcome.ok else one_line(outcome.error)),
                      f"{outcome.seconds:.1f}")
    return table
