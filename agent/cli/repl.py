"""The read-answer loop of `restore-agent chat`: a line per turn from a terminal or a pipe.

Each turn and command runs in a worker thread while the main thread waits in short steps, so Ctrl-C reaches
the main thread at once: it cancels the work's token (the model's next token, the next tool, a denoise's next
layer all check it) and the prompt comes back within about a second, the work abandoned if it has not stopped
by then. A cancelled turn writes no file and leaves the session as it was: nothing of it reaches the history,
the transcript or a later ``/report``, since only the main thread keeps a finished turn. Ctrl-D or ``/quit``
ends the session; errors in a turn or command print one line and the session goes on (an unexpected one too,
as ``internal error: ...``). A command word typed
without its slash (``quit``, ``exit``, ``help``) is no question: it gets a one-line hint and no turn runs.

With ``--json`` every input line gets exactly one JSON object on stdout, so replies stay aligned with the lines a
script sent: a turn's response, ``{"command", "result"}`` for a slash command, ``{"input", "hint"}`` for a bare
command word, ``{"input", "error"}`` (and ``"command"`` for a slash line) for a line that failed or was cancelled,
and ``{"input": "", "note"}`` for an empty line.
"""
from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import TypeVar

from rich.console import Console
from rich.markdown import Markdown
from rich.text import Text

from agent.cli.echo import json_text, one_line
from agent.cli.errors import cli_message, unexpected_message
from agent.cli.slash import SlashResult, bare_word_hint, execute_slash, keep_slash, notices
from agent.cli.views.activity import TurnView
from agent.cli.views.answer import render_answer
from agent.cli.views.turn import print_fallback_notice, render_turn_notes
from agent.core.session import ChatSession
from tools.cancel import CancelToken, Cancelled, working
from tools.errors import UserError
from tools.json_numbers import meaningful

PROMPT = "you> "
CANCELLED = "cancelled; the session goes on"
EMPTY_LINE = "empty line: nothing asked"
POLL_SECONDS = 0.05  # how often the main thread looks up from waiting (Ctrl-C is seen between two looks)
GRACE_SECONDS = 1.0  # how long a cancelled worker gets to stop before the prompt comes back without it

T = TypeVar("T")


def run_repl(session: ChatSession, read_line: Callable[[], str], console: Console, err: Console,
             as_json: bool = False, echo: bool = False) -> None:
    """Answer lines from ``read_line`` (which raises ``EOFError`` at the end) until ``/quit`` or EOF."""
    while True:
        try:
            line = read_line().strip()
        except EOFError:
            return
        except KeyboardInterrupt:
            console.print()
            continue
        if not line:
            if as_json:
                print_json(console, {"input": "", "note": EMPTY_LINE})
            continue
        if echo and not as_json:
            console.print(Text.assemble((PROMPT, "bold"), line), highlight=False)  # the line is no markup
        try:
            if line.startswith("/"):
                if run_command(session, line, console, err, as_json).quit:
                    return
            elif (hint := bare_word_hint(line)) is not None:
                show_hint(hint, line, console, as_json)
            else:
                show_turn(session, line, console, err, as_json)
        except (KeyboardInterrupt, Cancelled):
            err.print(CANCELLED, highlight=False)
            show_failure(line, "cancelled", console, as_json)
        except UserError as exc:
            message = one_line(cli_message(exc))
            err.print(f"error: {message}", highlight=False, markup=False, soft_wrap=True)
            show_failure(line, message, console, as_json)
        except Exception as exc:  # a bug in one turn ends neither the session nor the replies' alignment
            said = unexpected_message(exc)
            err.print(said, highlight=False, markup=False, soft_wrap=True)
            show_failure(line, said.split(": ", 1)[1], console, as_json)


def print_json(console: Console, data: object) -> None:
    """One JSON object on one line, its unsafe characters escaped (:func:`agent.cli.echo.json_text`)."""
    console.out(json_text(data), highlight=False)


def show_failure(line: str, message: str, console: Console, as_json: bool) -> None:
    """With ``--json``: the object for a line that failed or was cancelled (the error line is on stderr)."""
    if as_json:
        command = {"command": line.split()[0]} if line.startswith("/") else {}
        print_json(console, {"input": line, **command, "error": message})


def in_worker(work: Callable[[], T]) -> T:
    """Run ``work`` in a worker thread with a cancel token; Ctrl-C cancels it and raises :class:`Cancelled`."""
    token, outcome = CancelToken(), {}

    def target() -> None:
        try:
            with working(token=token):
                outcome["value"] = work()
        except BaseException as exc:  # handed to the main thread, which raises it
            outcome["error"] = exc

    thread = threading.Thread(target=contextvars.copy_context().run, args=(target,), name="restore-agent-work",
                              daemon=True)
    try:
        thread.start()
        while thread.is_alive():
            thread.join(POLL_SECONDS)
    except KeyboardInterrupt:
        token.cancel()
        if thread.ident is not None:
            thread.join(GRACE_SECONDS)
        raise Cancelled() from None
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def record_links(session: ChatSession) -> set[str]:
    """The links a streamed answer may show: the loaded records' own."""
    return {link for record in session.records for link in (record.paper, record.code) if link}


def show_turn(session: ChatSession, line: str, console: Console, err: Console, as_json: bool) -> None:
    with TurnView(err if as_json else console, record_links(session)) as view:
        reply = in_worker(lambda: session.answer(line, on_token=view.token))
    session.keep(reply)
    if reply.failure:
        print_fallback_notice(err, reply.failure, session.settings.backend)
    if as_json:
        print_json(console, reply.response)
        return
    render_answer(reply.response, console)
    render_turn_notes(reply.response, console)


def show_hint(hint: str, line: str, console: Console, as_json: bool) -> None:
    """A command word typed without its slash: one line (one JSON object with ``--json``), and no turn."""
    if as_json:
        print_json(console, {"input": line, "hint": hint})
    else:
        console.print(hint, highlight=False, markup=False)


def run_command(session: ChatSession, line: str, console: Console, err: Console, as_json: bool) -> SlashResult:
    """A slash command in a worker; a forced run's notice is shown as it comes, before the work."""
    target = err if as_json else console
    with TurnView(target) as view, notices(lambda text: show_notice(text, view, target)):
        result = in_worker(lambda: execute_slash(session, line))
    keep_slash(session, line, result)
    show_slash(result, line, console, as_json)
    return result


def show_notice(text: str, view: TurnView, target: Console) -> None:
    """A warning that must come before the work (a forced run's notice): above the live view, or on ``target``."""
    line = Text(f"warning: {text}", style="yellow")
    if view.enabled:
        view.print(line)
    else:
        target.print(line, highlight=False, soft_wrap=True)


def show_slash(result: SlashResult, line: str, console: Console, as_json: bool) -> None:
    if as_json:
        data = meaningful(result.data) if result.data is not None else result.markdown
        payload = {"command": line.split()[0], "result": data}
        print_json(console, payload)
    else:
        console.print(result.renderable if result.renderable is not None else Markdown(result.markdown),
                      highlight=False)
