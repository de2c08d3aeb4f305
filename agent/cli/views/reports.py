"""Rich rendering of a scripted run: one row per job with its report or the reason it failed."""
from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from agent.products.report.script import JobOutcome


def outcomes_table(outcomes: Sequence[JobOutcome]) -> Table:
    table = Table(title="Reports", title_justify="left")
    for column in ("job", "status", "report or error", "seconds"):
        table.add_column(column, overflow="fold", justify="right" if column == "seconds" else "left")
    for outcome in outcomes:
        status = "[green]ok[/]" if outcome.ok else "[bold red]failed[/]"
        table.add_row(outcome.name, status, str(outcome.output) if outcome.ok else outcome.error,
                      f"{outcome.seconds:.1f}")
    return table
