"""Rich rendering of agent turns: the live view while a turn runs (:class:`StreamView`), the tool trace, notices."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent.cli.views.activity import TurnView as StreamView  # noqa: F401 (the name the commands use)
from agent.core.intent import FORCE_HINT


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


PHOTO_STYLES = {"restored": "green", "check-failed": "yellow", "denoised": "default"}


def photo_line(photo: Mapping) -> Text | None:
    """What became of a photo, in one line under the answer (whose first paragraph tells it in full): the output
    and its caption, or that nothing was written; None for a photo only analysed."""
    name = Path(str(photo.get("path") or "photo")).name
    status = photo.get("status")
    if status == "not-run":
        return Text.assemble((f"{name}: not denoised", "dim"), (f" ({FORCE_HINT} to run it)", "dim"))
    if status not in PHOTO_STYLES:
        return None
    return Text.assemble((f"{name}: ", "dim"), (str(photo.get("caption") or status), PHOTO_STYLES[status]),
                         (f" → {photo.get('output')}", "dim"))


def render_turn_notes(response: Mapping, console: Console) -> None:
    """What became of the turn's photos, which backend answered and what was repaired (the guard's removals are
    shown by ``render_answer``)."""
    for line in filter(None, map(photo_line, response.get("photos") or ())):
        console.print(line, highlight=False)
    notes = [f"answered by: {response['backend']}"]
    if response["grounding"].get("repaired"):
        notes.append("missing sections filled in offline: " + ", ".join(response["grounding"]["repaired"]))
    console.print("[dim]" + "; ".join(notes) + "[/dim]", highlight=False)
