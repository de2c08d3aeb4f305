"""Rich rendering of a demo run: the workflow with this run's numbers and step times, metrics, files."""
from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group
from rich.markup import escape
from agent.cli.echo import name as shown_name
from agent.cli.views.console import terminal
from rich.panel import Panel
from rich.table import Table

from agent.products.demo_result import DemoResult
from agent.products.workflow import Stage, demo_stages, figure_columns, figure_rows

STAGE_STYLE = {"input": "cyan", "analyzer": "magenta", "records": "magenta", "model": "yellow", "output": "green",
               "failed": "bold red", "skipped": "dim"}


MIN_STAGE_WIDTH = 30  # narrower terminals get the stages stacked top to bottom


def stage_panel(stage: Stage, expand: bool = True) -> Panel:
    subtitle = None if stage.seconds is None else f"{stage.seconds:.2f} s"
    return Panel(escape("\n".join(map(shown_name, stage.lines))), title=f"[bold]{stage.title}[/]", subtitle=subtitle,
                 border_style=STAGE_STYLE.get(stage.kind, "white"), expand=expand)


def workflow_view(stages: Sequence[Stage], width: int) -> Table | Group:
    """The stages as panels joined by arrows, each with its time: in one row where ``width`` allows."""
    if width < MIN_STAGE_WIDTH * len(stages):
        parts: list = []
        for index, stage in enumerate(stages):
            parts += (["  [bold]↓[/]"] if index else []) + [stage_panel(stage, expand=False)]
        return Group(*parts)
    row = Table.grid(padding=(0, 1), expand=True)
    cells: list = []
    for index, stage in enumerate(stages):
        if index:
            row.add_column(justify="center", vertical="middle", width=2)
            cells.append("[bold]→[/]")
        row.add_column(ratio=1)
        cells.append(stage_panel(stage))
    row.add_row(*cells)
    return row


def figures_table(result: DemoResult) -> Table:
    """Before/after figures of the run, the output's column (named by its status) in bold; the input's alone
    where nothing ran."""
    columns = figure_columns(result)
    table = Table(title="Before and after" if result.ran else "The input", title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column != "measure" else "left",
                         style="red" if result.failed and column == columns[-1] else None)
    for measure, *values in figure_rows(result):
        table.add_row(measure, *values[:-1], f"[bold]{values[-1]}[/]" if result.ran else values[-1])
    return table


def render_demo(result: DemoResult, console: Console | None = None) -> None:
    """The run's workflow (its output box red where the check failed), figures, routine notes, times and files;
    the command prints the warnings (a forced run's notice before the work, the check's problems after it)."""
    console = console or terminal()
    view = workflow_view(demo_stages(result), console.width - 4)
    console.print(Panel(view, title="Workflow of this run", title_align="left", expand=isinstance(view, Table)))
    console.print(figures_table(result))
    for note in result.notes:
        console.print(f"[dim]note: {escape(note)}[/]", highlight=False)
    if not result.ran:
        console.print(f"not denoised: {escape(result.decision.get('reason', ''))}; --force-run runs it anyway",
                      highlight=False, soft_wrap=True)
    times = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in result.seconds.items())
    console.print(Group(f"[dim]steps: {times}; total {result.total_seconds:.2f} s[/]",
                        *(f"[dim]wrote {escape(shown_name(path))}[/]" for path in result.files.values())), highlight=False)
