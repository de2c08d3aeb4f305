"""`restore-agent chat`: a conversation with the agent, in a terminal or through a pipe."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agent.cli import options as opt

if TYPE_CHECKING:
    from agent.core.backends import LLMSettings


@opt.with_llm_settings
def chat(
    card: Path = opt.CARD,
    transcript: Path = typer.Option(None, "--transcript", help="Write the conversation as Markdown to this file "
                                    "(.md, .markdown or .txt; never the card or a photo of the session)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per turn or command (for scripts)."),
    output_dir: Path = opt.OUTPUT_DIR,
    force: bool = typer.Option(False, "--force", help="Replace an existing --transcript file, and let denoised "
                               "photos replace existing files (without it they get a fresh name)."),
    *,
    settings: LLMSettings,
) -> None:
    """Chat about image restoration: questions, photos by path, /analyze, /denoise, /records, /card, /report, /help, /quit."""
    from agent.cli.views.console import terminal

    from agent.cli.repl import PROMPT, run_repl
    from agent.core.session import ChatSession, check_transcript

    output_dir = opt.check_output_dir(output_dir)
    if transcript is not None:  # before the card is read or anything is written
        check_transcript(transcript, card, force=force)
    session = ChatSession(settings, card, output_dir, transcript, overwrite=force)
    console, err = terminal(), terminal(stderr=True)
    interactive = sys.stdin.isatty()
    if interactive:
        console.print(f"restore-agent chat ({settings.backend}); /help lists the commands, Ctrl-D or /quit leaves.",
                      highlight=False)

    def read_line() -> str:
        if interactive:
            return console.input(f"[bold]{PROMPT}[/bold]")
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line

    run_repl(session, read_line, console, err, as_json=as_json, echo=not interactive)
