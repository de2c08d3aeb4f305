"""One look for work in progress, in every command: a spinner, what is being done, a bar, how far, elapsed time.

``denoise``, ``demo``, ``report``, ``batch`` and ``weights download`` use :func:`progress_bar` (or
:func:`new_progress` for their own counters); ``ask`` and ``chat`` draw the same columns inside their live turn
view (:mod:`agent.cli.views.activity`). Everything goes to stderr or the terminal only, never into piped output.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from agent.cli.views.console import terminal
from rich.progress import (BarColumn, DownloadColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn, TransferSpeedColumn)
from rich.markup import escape as markup_escape
from rich.text import Text

from agent.cli.echo import name as shown_name

from tools.cancel import working

SPINNER = "dots"


class CountColumn(ProgressColumn):
    """``12/25 tiles`` once the total is known (nothing before), from the task's ``unit`` field."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        unit = task.fields.get("unit", "")
        return Text(f"{task.completed:.0f}/{task.total:.0f}" + (f" {unit}" if unit else ""), style="progress.download")


def columns(transfer: bool = False, remaining: bool = True) -> list[ProgressColumn]:
    """The columns every progress display uses; ``transfer`` counts bytes instead of items."""
    counter = [DownloadColumn(), TransferSpeedColumn()] if transfer else [CountColumn()]
    return [SpinnerColumn(SPINNER), TextColumn("{task.description}"), BarColumn(bar_width=28), *counter,
            TimeElapsedColumn(), *([TimeRemainingColumn()] if remaining else [])]


def new_progress(console: Console | None = None, enabled: bool = True, transfer: bool = False,
                 extra: tuple[ProgressColumn, ...] = ()) -> Progress:
    """A transient progress display on ``console`` (stderr by default), shown on a terminal only."""
    console = console or terminal(stderr=True)
    return Progress(*columns(transfer)[:-2], *extra, *columns(transfer)[-2:], console=console, transient=True,
                    disable=not (enabled and console.is_terminal))


@contextmanager
def progress_bar(label: str, enabled: bool = True, transfer: bool = False, unit: str = "tiles",
                 console: Console | None = None) -> Iterator[Callable[[int, int], None]]:
    """Yield a ``progress(done, total)`` callback that moves one bar; the steps of a restoration run inside the
    block (analyzing, denoising, checking a photo) become the bar's description as they start. A line printed
    on ``console`` (stderr by default) while the bar runs goes above it."""
    bar = new_progress(console, enabled=enabled, transfer=transfer)
    with bar:
        task = bar.add_task(label, total=None, unit="" if transfer else unit)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        def step(name: str) -> None:  # "analyzing <photo>": a file name is shown escaped, never as markup
            bar.update(task, description=markup_escape(shown_name(name)), completed=0, total=None)

        with working(progress=update, step=step):
            yield update
