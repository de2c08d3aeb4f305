"""Rich rendering of agent turns: streamed text while the model writes, the tool trace, fallback notices."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown
from rich.table import Table


class StreamView:
    """Shows a model's text as it streams (on a terminal only) and clears it when the turn ends.

    The streamed text is provisional: the grounded answer is rendered after it, so nothing the guard
    removes stays on screen.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.text, self.message_id = "", ""
        self.live = Live(Markdown(""), console=console, transient=True, auto_refresh=False) \
            if console.is_terminal else None

    def __enter__(self) -> StreamView:
        if self.live:
            self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.live.stop()

    def token(self, text: str, message_id: str) -> None:
        """Add a streamed piece; a new message replaces the previous one's text."""
        if message_id != self.message_id:
            self.text, self.message_id = "", message_id
        self.text += text
        if self.live:
            self.live.update(Markdown(self.text), refresh=True)


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
