"""The read-answer loop of `restore-agent chat`: a line per turn from a terminal or a pipe.

Ctrl-C cancels the current turn (or the line being typed) and keeps the session; Ctrl-D or ``/quit`` ends it.
Errors in a turn or command print one line and the session goes on.
"""
from __future__ import annotations

import json
from collections.abc import Callable

from rich.console import Console
from rich.markdown import Markdown

from agent.cli.views.turn import StreamView, fallback_notice, render_turn_notes
from agent.cli.views.answer import render_answer
from agent.core.session import ChatSession
from agent.cli.errors import cli_message
from agent.cli.slash import SlashResult, run_slash
from tools.errors import UserError

PROMPT = "you> "


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
            continue
        if echo and not as_json:
            console.print(f"[bold]{PROMPT}[/bold]{line}", highlight=False)
        try:
            if line.startswith("/"):
                result = run_slash(session, line)
                show_slash(result, line, console, as_json)
                if result.quit:
                    return
            else:
                show_turn(session, line, console, err, as_json)
        except KeyboardInterrupt:
            err.print("cancelled; the session goes on", highlight=False)
        except UserError as exc:
            err.print(f"error: {cli_message(exc)}", highlight=False, markup=False)


def show_turn(session: ChatSession, line: str, console: Console, err: Console, as_json: bool) -> None:
    with StreamView(err if as_json else console) as view:
        reply = session.ask(line, on_token=view.token)
    if reply.failure:
        err.print(f"[yellow]{fallback_notice(reply.failure, session.settings.backend)}[/yellow]", highlight=False)
    if as_json:
        console.print_json(json.dumps(reply.response, ensure_ascii=False), indent=None)
        return
    render_answer(reply.response, console)
    render_turn_notes(reply.response, console)


def show_slash(result: SlashResult, line: str, console: Console, as_json: bool) -> None:
    if as_json:
        payload = {"command": line.split()[0], "result": result.data if result.data is not None else result.markdown}
        console.print_json(json.dumps(payload, ensure_ascii=False), indent=None)
    else:
        console.print(result.renderable if result.renderable is not None else Markdown(result.markdown))
