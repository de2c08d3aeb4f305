"""A rich progress bar on stderr that hands out ``progress(done, total)`` callbacks."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


@contextmanager
def progress_bar(label: str, enabled: bool = True, transfer: bool = False) -> Iterator[Callable[[int, int], None]]:
    """Yield a callback that moves one bar (shown on a terminal only); ``transfer`` counts bytes."""
    from rich.progress import DownloadColumn, TransferSpeedColumn

    counter = (DownloadColumn(), TransferSpeedColumn()) if transfer else (MofNCompleteColumn(),)
    console = Console(stderr=True)
    bar = Progress(TextColumn("{task.description}"), BarColumn(), *counter, TimeElapsedColumn(),
                   TimeRemainingColumn(), console=console, transient=True,
                   disable=not (enabled and console.is_terminal))
    with bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield update
