"""Rich rendering shared by the commands: answers as Markdown, records and references as tables."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console
from agent.cli.views.console import terminal
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from tools.records import Record


def references_table(references: Sequence[Mapping], title: str = "References") -> Table:
    """A table of ``{id, title, paper, code}`` rows; links shown in full, exactly as given (a card's text is never
    markup)."""
    table = Table(title=title, show_lines=True, expand=True)
    table.add_column("id", style="bold cyan", overflow="fold")
    table.add_column("title", ratio=2)
    table.add_column("links", ratio=3, overflow="fold")
    for ref in references:
        table.add_row(escape(ref["id"]), escape(ref["title"]), _links(ref["paper"], ref["code"]))
    return table


def render_answer(response: Mapping, console: Console | None = None) -> None:
    """Print an ``ask`` response: the Markdown answer, the references table and any grounding removals."""
    console = console or terminal()
    console.print(Markdown(response["answer"]))
    if response["references"]:
        console.print(references_table(response["references"]))
    removed = len(response["grounding"]["removed"])
    if removed:
        # A count, not the removed text: a foreign link printed here would be clickable in many terminals.
        what = "item" if removed == 1 else "items"
        console.print(f"[yellow]grounding: removed {removed} {what} that no loaded record supports "
                      "(links, markup or control characters; --json lists them)[/yellow]", highlight=False)


def records_table(records: Sequence[Record], title: str) -> Table:
    """A table of loaded records: id, kind, what they handle, whether runnable here, links."""
    table = Table(title=title, show_lines=True, expand=True)
    table.add_column("id", style="bold cyan", overflow="fold")
    table.add_column("title, kind, handles", ratio=2)
    table.add_column("runs here", justify="center")
    table.add_column("links", ratio=3, overflow="fold")
    for record in records:
        about = f"{escape(record.title)}\n[dim]{escape(record.kind)}; handles {escape(', '.join(record.handles))}[/dim]"
        table.add_row(escape(record.id), about, "yes" if record.runnable else "no", _links(record.paper, record.code))
    return table


def _links(paper: str, code: str | None) -> str:
    return escape(f"paper: {paper}\ncode: {code or '(none given)'}")
