"""Rich rendering of agent turns: the live view while a turn runs (:class:`StreamView`), the tool trace, notices."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent.cli.echo import name as shown_name, one_line
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
        args = ", ".join(f"{key}={shown_name(repr(value))}" for key, value in call["args"].items())
        outcome = Text("ok") if call["ok"] else Text(one_line(call.get("error", "failed")), style="red")
        table.add_row(Text(shown_name(call["name"])), Text(args), f"{call['seconds']:.2f}", outcome)
    return table


def fallback_notice(failure: str, backend: str) -> str:
    """The one line that says the LLM failed and the offline answer stands in."""
    return f"{backend} backend failed: {failure}; answering offline"


def print_fallback_notice(err: Console, failure: str, backend: str) -> None:
    """:func:`fallback_notice` on ``err`` as plain text (a server's message or a model name with ``[/x]`` in it
    is no markup)."""
    err.print(one_line(fallback_notice(failure, backend)), style="yellow", markup=False, highlight=False,
              soft_wrap=True)


PHOTO_STYLES = {"restored": "green", "check-failed": "yellow", "denoised": "default"}


def photo_line(photo: Mapping) -> Text | None:
    """What became of a photo, in one line under the answer (whose first paragraph tells it in full): the output
    and its caption, or that nothing was written; None for a photo only analysed."""
    name = shown_name(Path(str(photo.get("path") or "photo")).name)
    status = photo.get("status")
    if status == "not-run":
        return Text.assemble((f"{name}: not denoised", "dim"), (f" ({FORCE_HINT} to run it)", "dim"))
    if status not in PHOTO_STYLES:
        return None
    return Text.assemble((f"{name}: ", "dim"), (shown_name(photo.get("caption") or status), PHOTO_STYLES[status]),
                         (f" → {shown_name(photo.get('output'))}", "dim"))


FAILED_STATUSES = ("failed", "check-failed")


def failure_line(response: Mapping) -> str | None:
    """The line for a turn whose requested work failed for a photo (a tool call failed, or an output failed its
    check), naming each such photo and why; None when nothing failed."""
    said = []
    for photo in response.get("photos") or ():
        if photo.get("status") not in FAILED_STATUSES:
            continue
        path = str(photo.get("path") or "photo")
        errors = [str(call.get("error") or "failed") for call in response.get("tool_calls") or ()
                  if not call.get("ok") and (call.get("args") or {}).get("path") == path]
        why = errors[-1] if errors else photo.get("caption") or photo["status"]
        said.append(f"{shown_name(Path(path).name)}: {one_line(why)}")
    return f"not done as asked: {'; '.join(said)}" if said else None


def render_turn_notes(response: Mapping, console: Console) -> None:
    """What became of the turn's photos, which backend answered and what was repaired (the guard's removals are
    shown by ``render_answer``)."""
    for line in filter(None, map(photo_line, response.get("photos") or ())):
        console.print(line, highlight=False)
    notes = [f"answered by: {response['backend']}"]
    if response["grounding"].get("repaired"):
        notes.append("missing sections filled in offline: " + ", ".join(response["grounding"]["repaired"]))
    console.print("[dim]" + "; ".join(notes) + "[/dim]", highlight=False)
