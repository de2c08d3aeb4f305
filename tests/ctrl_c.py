"""Ctrl-C tests that hold wherever pytest runs, SIGINT ignored included.

A process started with SIGINT ignored (``nohup … &``, a non-interactive shell's background job) keeps it ignored:
Python installs no KeyboardInterrupt handler, so ``_thread.interrupt_main`` does nothing, and every child it starts
inherits the ignored signal, so a Ctrl-C sent to the child does nothing either.
"""
from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager


@contextmanager
def sigint_as(handler: Callable[..., object] | signal.Handlers) -> Iterator[None]:
    """Within this block SIGINT goes to ``handler`` in this process (only its main thread may call this)."""
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def ctrl_c_handled() -> AbstractContextManager[None]:
    """Within this block Ctrl-C raises KeyboardInterrupt in this process, as in a pytest started from a terminal,
    and a child started here gets the default SIGINT handling: ``exec`` resets a handled signal to its default but
    keeps an ignored one ignored. Wrap both in-process interrupts and the start of a child that gets SIGINT."""
    return sigint_as(signal.default_int_handler)


def ctrl_c_ignored() -> AbstractContextManager[None]:
    """SIGINT ignored in this process and in every child started within the block, as under ``nohup … &``."""
    return sigint_as(signal.SIG_IGN)
