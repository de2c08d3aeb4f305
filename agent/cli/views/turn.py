"""Rich rendering of agent turns: the live view while a turn runs (:class:`StreamView`), the tool trace, notices."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.table import Table

from agent.cli.views.activity import TurnView as StreamView  # noqa: F401 (the name the commands use)


def tool_table(calls: Sequence[Mapping]) -> Table:
    """The tool trace of a turn: name, arguments, time, outcome."""
    table = Table(title="Tool calls", title_justify="left", expand=True)
    table.add_column("tool", style="cyan", no_wrap=True)
    table.add_column("arguments", overflow="fold", ratio=3)
    table.add_column("s", justify="right")
    table.add_column("result", overflow="fold", ratio=2)
    for call in calls:
        args = ", ".join(f"{key}={value!r}" for key, value in call["args"].items())
        outcome = "ok" if call["ok"] else f"[red]{call.get('error', 'failed')}[/red]"
        table.add_row(call["name"], args, f"{call['seconds']:.2f}", outcome)
    return table


def fallback_notice(failure: str, backend: str) -> str:
    """The one line that says the LLM failed and the offline answer stands in."""
    return f"{backend} backend failed: {failure}; answering offline"


def render_turn_notes(response: Mapping, console: Console) -> None:
    """Which backend answered and what was repaired (the guard's removals are shown by ``render_answer``)."""
    notes = [f"answered by: {response['backend']}"]
    if response["grounding"].get("repaired"):
        notes.append("missing sections filled in offline: " + ", ".join(response["grounding"]["repaired"]))
    console.print("[dim]" + "; ".join(notes) + "[/dim]", highlight=False)
