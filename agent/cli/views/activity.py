"""The live view of an agent turn on a terminal: what runs now, the streamed answer, tool start and end lines.

While a turn runs, a live region no taller than the screen shows the tail of the streamed answer (only text
that passed :class:`agent.core.stream_guard.StreamGuard`) above one progress row per thing in hand: a spinner
while the model thinks, each tool with its arguments, a photo's step (analyzing, denoising, checking) with its
tiles done of the total, and the elapsed time, in the columns of :mod:`agent.cli.views.progress`. Tool start
and end lines stay in the scrollback. The region is transient: when the turn ends it is erased, and the final,
guarded answer is printed once. A region taller than the screen would push partial copies into the scrollback,
so the streamed text is cut to the rows that fit.

Tools run in LangChain's threads; they report through a LangChain callback handler made ambient with
``register_configure_hook`` and through :func:`tools.cancel.working`, whose context those threads copy. Each
callback also checks the ambient cancel token, so a cancelled turn stops at the model's next token or tool.
"""
from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.progress import Progress, TaskID
from rich.text import Text

from agent.cli.echo import name as shown_name
from agent.cli.views.progress import columns
from agent.core.events import LISTENER
from tools.cancel import CancelToken, current, working

SPARE_ROWS = 2  # rows of the screen the live region leaves free: the region never reaches the screen's height


def new_guard(allowed_links: Iterable[str]) -> Any:
    """A stream guard for the records' links; None where the guard is not installed (then nothing streams)."""
    try:
        from agent.core.stream_guard import StreamGuard
    except ImportError:
        return None
    return StreamGuard(allowed_links)


def _check_cancel() -> None:
    token = current().token
    if token is not None:
        token.check()


def _plain(description: str) -> str:
    """A row's description (it may name a photo) as the progress column shows it: escaped, never markup."""
    return escape(shown_name(description))


def tool_summary(inputs: Mapping | None) -> str:
    """A tool call's arguments in a few words: file names rather than whole paths."""
    parts = []
    for key, value in (inputs or {}).items():
        if value in (None, False, [], ""):
            continue
        shown = Path(value).name if key in ("path", "output") and isinstance(value, str) else value
        parts.append(f"{shown}" if key == "path" else f"{key}={shown}")
    text = shown_name(" ".join(str(part) for part in parts))
    return text if len(text) <= 60 else text[:57] + "..."


class TurnView:
    """Shows one turn's work while it runs (on a terminal only); a context manager. ``token`` is the
    ``on_token`` callback of :func:`agent.core.loop.run_agent`."""

    def __init__(self, console: Console, allowed_links: Iterable[str] = (), enabled: bool | None = None) -> None:
        self.console = console
        self.enabled = console.is_terminal if enabled is None else enabled
        self.allowed_links = tuple(allowed_links)
        self.shown = ""
        self._lock = threading.RLock()
        self._guard: Any = None
        self._message: str | None = None
        self._progress = Progress(*columns(remaining=False), console=console, auto_refresh=False)
        self._tasks: dict[object, TaskID] = {}  # by run id (tools, model calls) or thread id (plain steps)
        self._threads: dict[int, object] = {}  # the run a thread works for
        self._started: dict[object, float] = {}
        self._live = Live(console=console, transient=True, refresh_per_second=8, get_renderable=self._render,
                          redirect_stdout=False, redirect_stderr=False) if self.enabled else None
        self._stack = ExitStack()
        self.cancel = CancelToken()  # Ctrl-C cancels it: the work in LangChain's tool threads stops too

    def __enter__(self) -> TurnView:
        if self._live is not None:
            self._live.start()
            self._stack.callback(self._live.stop)
        self._stack.enter_context(working(token=self.cancel, progress=self.progress, step=self.step))
        if threading.current_thread() is threading.main_thread():
            self._stack.enter_context(_cancel_on_interrupt(self.cancel))
        reset = LISTENER.set(_Handler(self))
        self._stack.callback(LISTENER.reset, reset)
        return self

    def __exit__(self, *exc: object) -> None:
        self.enabled = False  # what an abandoned (cancelled) worker still reports draws nothing
        self._stack.close()

    # ------------------------------------------------------------------ what the work reports

    def token(self, text: str, message_id: str) -> None:
        """A streamed piece of the model's text; a new message replaces the previous one's text."""
        _check_cancel()
        with self._lock:
            if message_id != self._message:
                self._message, self._guard, self.shown = message_id, new_guard(self.allowed_links), ""
            if self._guard is not None:
                self.shown += self._guard.feed(text)

    def progress(self, done: int, total: int) -> None:
        """Tiles done of the total, for the run of the calling thread."""
        with self._lock:
            task = self._task_of_thread("working")
            self._progress.update(task, completed=done, total=total or None, unit="tiles")

    def step(self, name: str) -> None:
        """A photo's step starts (``analyzing x.png``): the row of the calling thread says so."""
        with self._lock:
            task = self._task_of_thread(name)
            self._progress.update(task, description=_plain(name), completed=0, total=None)

    def started(self, run: object, description: str, line: Text | None = None) -> None:
        """A tool or model call starts in the calling thread: a row, and optionally a line in the scrollback."""
        with self._lock:
            self._tasks[run] = self._progress.add_task(_plain(description), total=None, unit="")
            self._threads[threading.get_ident()] = run
            self._started[run] = time.perf_counter()
        if line is not None:
            self.print(line)

    def update(self, run: object, description: str) -> None:
        with self._lock:
            if run in self._tasks:
                self._progress.update(self._tasks[run], description=_plain(description))

    def finished(self, run: object, line: Text | None = None) -> float:
        """A call ends: its row goes, optionally a line stays; returns its seconds."""
        with self._lock:
            task = self._tasks.pop(run, None)
            if task is not None:
                self._progress.remove_task(task)
            self._threads = {ident: owner for ident, owner in self._threads.items() if owner != run}
            seconds = time.perf_counter() - self._started.pop(run, time.perf_counter())
        if line is not None:
            self.print(line)
        return seconds

    def print(self, renderable: RenderableType) -> None:
        """A line above the live region (stays in the scrollback); nothing off a terminal."""
        if self.enabled:
            self.console.print(renderable, highlight=False)

    # ------------------------------------------------------------------ drawing

    def _task_of_thread(self, description: str) -> TaskID:
        ident = threading.get_ident()
        run = self._threads.get(ident, ident)
        if run not in self._tasks:
            self._tasks[run] = self._progress.add_task(_plain(description), total=None, unit="")
            self._threads[ident] = run
        return self._tasks[run]

    def _render(self) -> RenderableType:
        with self._lock:
            tasks = [task for task in self._progress.tasks if task.visible]
            shown = self.shown
        rows = max(0, self.console.size.height - SPARE_ROWS - len(tasks))
        parts: list[RenderableType] = []
        if shown.strip() and rows:
            parts.append(self._tail(shown, rows))
        if tasks:
            parts.append(self._progress.make_tasks_table(tasks))
        return Group(*parts)

    def _tail(self, text: str, rows: int) -> Text:
        """The last ``rows`` screen lines of ``text`` as wrapped at the console's width."""
        width = max(10, self.console.size.width - 1)
        lines = self.console.render_lines(Text(text.rstrip()), self.console.options.update_width(width), pad=False)
        return Text("\n".join("".join(segment.text for segment in line).rstrip() for line in lines[-rows:]))


@contextmanager
def _cancel_on_interrupt(token: CancelToken) -> Iterator[None]:
    """Within this block, Ctrl-C also cancels ``token`` before it interrupts the main thread as usual, so a tool
    running in another thread (which Ctrl-C does not reach) stops too instead of finishing and writing its file.
    A process started with SIGINT ignored (``nohup``, a script's background job) keeps ignoring it here too."""
    previous = signal.getsignal(signal.SIGINT)
    if previous == signal.SIG_IGN:
        yield
        return

    def interrupted(signum: int, frame: object) -> None:
        token.cancel()
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Handler:
    """The turn's model and tool calls (:class:`agent.core.events.TurnEvents`), drawn by a :class:`TurnView`."""

    def __init__(self, view: TurnView) -> None:
        self.view = view
        self.names: dict[object, str] = {}

    def model_started(self, run: object) -> None:
        _check_cancel()
        self.view.started(run, "thinking")

    def model_writing(self, run: object) -> None:
        _check_cancel()
        self.view.update(run, "writing the answer")

    def model_finished(self, run: object) -> None:
        self.view.finished(run)

    def tool_started(self, run: object, name: str, args: dict | None) -> None:
        _check_cancel()
        summary, name = tool_summary(args), shown_name(name)
        self.names[run] = name
        self.view.started(run, f"{name} {summary}".strip(),
                          Text.assemble((f"→ {name}", "cyan"), (f" {summary}" if summary else "", "dim")))

    def notice(self, text: str) -> None:
        """A forced run's notice, in the scrollback before the run's progress."""
        self.view.print(Text.assemble(("warning: ", "yellow"), (" ".join(text.split()), "yellow")))

    def tool_finished(self, run: object, error: BaseException | None = None) -> None:
        name = self.names.pop(run, "tool")
        seconds = self.view.finished(run)
        if error is None:
            self.view.print(Text.assemble((f"✓ {name}", "green"), (f" {seconds:.1f} s", "dim")))
        elif isinstance(error, Exception):  # a cancel is said once, by the chat
            detail = " ".join(str(error).split())[:120]
            self.view.print(Text.assemble((f"✗ {name}", "red"), (f" {seconds:.1f} s: {detail}", "dim")))
