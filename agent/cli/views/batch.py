"""Rich rendering of a batch run: the progress bar (photos, MP/s, ETA) and the closing summary."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import TextColumn
from rich.table import Table

from agent.cli.echo import name, one_line
from agent.cli.views.progress import new_progress
from tools.batch.photo import PhotoOutcome
from tools.batch.run import BatchSummary

STATUS_STYLE = {"restored": "green", "check-failed": "bold yellow", "unchanged": "cyan", "skipped": "dim",
                "analyzed": "cyan", "resumed": "dim", "not-read": "yellow", "failed": "bold red"}


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
            bar.update(task, advance=1, rate=rate, description=escape(name(outcome.entry["input"]["path"])[-32:]))

        yield on_photo


def _ordered(summary: BatchSummary) -> list[tuple[str, int]]:
    """The statuses with a count, in the order of :data:`STATUS_STYLE`, any other after them."""
    order = {status: index for index, status in enumerate(STATUS_STYLE)}
    return sorted(((status, count) for status, count in summary.counts.items() if count),
                  key=lambda item: order.get(item[0], len(order)))


def summary_table(summary: BatchSummary) -> Table:
    table = Table(title="Batch", title_justify="left")
    table.add_column("status")
    table.add_column("photos", justify="right")
    for status, count in _ordered(summary):
        table.add_row(f"[{STATUS_STYLE.get(status, '')}]{status}[/]", str(count))
    return table


def summary_line(summary: BatchSummary) -> str:
    """One line with every count: ``7 photo(s): 4 restored, 2 check-failed, 1 failed; 0.05 MP in ...``."""
    counts = ", ".join(f"{count} {status}" for status, count in _ordered(summary)) or "none"
    total = sum(summary.counts.values())
    return (f"{total} photo(s): {counts}; {summary.megapixels:.2f} MP in {summary.seconds:.1f} s "
            f"({summary.megapixels_per_second:.3f} MP/s)")


def print_summary(summary: BatchSummary, console: Console, report: str | None = None) -> None:
    """The table, each failure, entry left out unread and failed check on a line of its own, forced runs, then
    the one line of counts."""
    console.print(summary_table(summary))
    for path, error in summary.failures:
        console.print(f"[bold red]failed[/] {escape(name(path))}: {escape(one_line(error))}", highlight=False,
                      soft_wrap=True)
    for path, why in summary.not_read:
        console.print(f"[yellow]not read[/] {escape(name(path))}: {escape(one_line(why))}", highlight=False,
                      soft_wrap=True)
    for path, problem in summary.check_failures:
        console.print(f"[bold yellow]check failed[/] {escape(name(path))}: {escape(one_line(problem))}",
                      highlight=False, soft_wrap=True)
    if summary.forced:
        console.print(f"[yellow]forced[/] {summary.forced} photo(s) denoised only because --force-run asked (the "
                      "analysis would leave them alone)", highlight=False)
    console.print(summary_line(summary) + (f"; report: {name(report)}" if report else ""), highlight=False,
                  markup=False)
