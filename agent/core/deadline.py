"""A turn's time budget for the LLM: every request and streamed reply of one turn draws on the same seconds.

A server that trickles one chunk a second never trips a per-request read timeout; here the waiting is done in
the calling thread against the budget, while the request itself runs in a worker thread that is left behind
(and closes its stream at its next chunk) when the budget is spent.
"""
from __future__ import annotations

import contextvars
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
_ITEM, _END, _ERROR = "item", "end", "error"


class TurnTimeout(Exception):
    """The LLM used up the turn's seconds."""


class TurnBudget:
    """``seconds`` of LLM time for one turn; only time spent waiting for the server is counted."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.spent = float(seconds), 0.0

    @property
    def left(self) -> float:
        return self.seconds - self.spent

    def call(self, work: Callable[[], T]) -> T:
        """``work()`` (one request), bounded by what is left of the budget."""
        return next(self.iterate(lambda: iter((work(),))))

    def iterate(self, make: Callable[[], Iterator[T]]) -> Iterator[T]:
        """The items of ``make()`` (run in a worker thread), each waited for within what is left of the budget;
        :class:`TurnTimeout` when it runs out first. The worker's own exceptions are raised here."""
        items: queue.Queue = queue.Queue()
        stop = threading.Event()
        context = contextvars.copy_context()
        threading.Thread(target=context.run, args=(_produce, make, items, stop), daemon=True,
                         name="llm-request").start()
        try:
            while True:
                kind, item = self._wait(items)
                if kind == _END:
                    return
                if kind == _ERROR:
                    raise item
                yield item
        finally:
            stop.set()

    def _wait(self, items: queue.Queue) -> tuple[str, object]:
        if self.left <= 0:
            raise TurnTimeout(f"the turn's {self.seconds:g} s are used up")
        started = time.monotonic()
        try:
            return items.get(timeout=self.left)
        except queue.Empty:
            raise TurnTimeout(f"the turn's {self.seconds:g} s are used up") from None
        finally:
            self.spent += time.monotonic() - started


def _produce(make: Callable[[], Iterator[T]], items: queue.Queue, stop: threading.Event) -> None:
    """The worker: put each item, then the end or the error; stop (closing the source) once nobody waits."""
    try:
        source = make()
        for item in source:
            if stop.is_set():
                getattr(source, "close", lambda: None)()
                return
            items.put((_ITEM, item))
        items.put((_END, None))
    except BaseException as exc:  # handed to the waiting thread, which raises it
        items.put((_ERROR, exc))
