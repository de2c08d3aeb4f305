"""Cancelling long work from another thread, and the progress of the work in hand.

A front end that runs work in a worker thread hands it a :class:`CancelToken`; the work calls
``token.check()`` at safe points (between tile batches, between steps), which raises :class:`Cancelled` once the
token is cancelled. Nothing is written by a step that raised: outputs are written only after a complete run.

:func:`working` makes a token and a progress sink the ambient ones for the code it runs (a ``ContextVar``,
so LangChain's tool threads, which copy the context, see them too): :func:`tools.restore.restore` picks them up,
so a tool deep inside the agent loop reports its tiles and stops when asked without every layer passing them on.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

Progress = Callable[[int, int], None]
Step = Callable[[str], None]


class Cancelled(BaseException):
    """The work was cancelled. A ``BaseException`` (like ``KeyboardInterrupt``), so that the handlers that turn a
    tool's failure into a message for the model, or an LLM's failure into the offline answer, let it through."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


class CancelToken:
    """A flag one thread sets and another checks."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if the token was cancelled."""
        if self._event.is_set():
            raise Cancelled()


@dataclass(frozen=True)
class Work:
    """The ambient cancel token and progress sinks: ``progress(done, total)`` and ``step(name)``."""

    token: CancelToken | None = None
    progress: Progress | None = None
    step: Step | None = None


_WORK: ContextVar[Work] = ContextVar("restore_agent_work", default=Work())


@contextmanager
def working(token: CancelToken | None = None, progress: Progress | None = None,
            step: Step | None = None) -> Iterator[Work]:
    """Within this block, :func:`current` returns these (and threads started with a copy of the context); what is
    not given stays as the enclosing block set it."""
    outer = _WORK.get()
    reset = _WORK.set(Work(token or outer.token, progress or outer.progress, step or outer.step))
    try:
        yield _WORK.get()
    finally:
        _WORK.reset(reset)


def current() -> Work:
    """The ambient token and progress sinks (all None outside :func:`working`)."""
    return _WORK.get()


def checked(progress: Progress | None, token: CancelToken | None) -> Progress | None:
    """``progress`` that first checks ``token`` (raising :class:`Cancelled`); None when there is neither."""
    if token is None:
        return progress

    def update(done: int, total: int) -> None:
        token.check()
        if progress is not None:
            progress(done, total)

    return update


_STOPPING: ContextVar[CancelToken | None] = ContextVar("restore_agent_stopping", default=None)


def _check_stopping(module: object, args: object) -> None:
    token = _STOPPING.get()
    if token is not None:
        token.check()


@contextmanager
def stoppable_networks(token: CancelToken | None) -> Iterator[None]:
    """Within this block, every torch module called in this thread checks ``token`` before its forward pass, so a
    network stops within one layer of a cancel rather than at the end of a tile batch (seconds on a CPU)."""
    if token is None:
        yield
        return
    from torch.nn.modules.module import register_module_forward_pre_hook

    reset = _STOPPING.set(token)
    handle = register_module_forward_pre_hook(_check_stopping)
    try:
        yield
    finally:
        handle.remove()
        _STOPPING.reset(reset)
