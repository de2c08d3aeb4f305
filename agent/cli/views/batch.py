"""Rich rendering of a batch run: the progress bar (photos, MP/s, ETA) and the closing summary."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import TextColumn
from rich.table import Table

from agent.cli.views.progress import new_progress
from tools.batch.photo import PhotoOutcome
from tools.batch.run import BatchSummary

STATUS_STYLE = {"restored": "green", "unchanged": "cyan", "analyzed": "cyan", "resumed": "dim", "failed": "bold red"}


@contextmanager
def batch_progress(total: int, done: int, enabled: bool = True) -> Iterator[Callable[[PhotoOutcome], None]]:
    """A bar over the photos (``done`` of them finished earlier) with megapixels per second and the ETA; yields
    the callback each finished photo goes to."""
    bar = new_progress(enabled=enabled, extra=(TextColumn("{task.fields[rate]}"),))
    megapixels = 0.0
    with bar:
        task = bar.add_task("photos", total=total, completed=done, rate="", unit="photos")

        def on_photo(outcome: PhotoOutcome) -> None:
            nonlocal megapixels
            megapixels += outcome.megapixels
            elapsed = bar.tasks[0].elapsed or 0.0
            rate = f"{megapixels / elapsed:.3f} MP/s" if elapsed else ""
            bar.update(task, advance=1, rate=rate, description=outcome.entry["input"]["path"][-32:])

        yield on_photo


def summary_table(summary: BatchSummary) -> Table:
    table = Table(title="Batch", title_justify="left")
    table.add_column("status")
    table.add_column("photos", justify="right")
    for status, count in summary.counts.items():
        if count:
            table.add_row(f"[{STATUS_STYLE.get(status, '')}]{status}[/]", str(count))
    return table


def summary_line(summary: BatchSummary) -> str:
    done = sum(count for status, count in summary.counts.items() if status != "failed")
    return (f"{done} of {done + summary.failed} photo(s) done, {summary.failed} failed; "
            f"{summary.megapixels:.2f} MP in {summary.seconds:.1f} s ({summary.megapixels_per_second:.3f} MP/s)")


def print_summary(summary: BatchSummary, console: Console, report: str | None = None) -> None:
    console.print(summary_table(summary))
    for path, error in summary.failures:
        console.print(f"[bold red]failed[/] {path}: {error}", highlight=False, soft_wrap=True)
    console.print(summary_line(summary) + (f"; report: {report}" if report else ""), highlight=False)
