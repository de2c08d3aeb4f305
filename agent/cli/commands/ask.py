"""`restore-agent ask`: a grounded answer from the loaded records, through the agent and its tools."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agent.cli import options as opt

if TYPE_CHECKING:
    from agent.core.backends import LLMSettings


@opt.with_llm_settings
def ask(
    question: str = typer.Argument(None, show_default="the card's own question", help="The question."),
    image: list[Path] = typer.Option(None, "--image", help="Attach a photo (repeatable): analysed, and denoised "
                                     "when the question asks to clean or restore it."),
    card: Path = opt.CARD,
    as_json: bool = typer.Option(False, "--json", help="Print exactly one JSON object."),
    show_tools: bool = typer.Option(False, "--show-tools", help="Print the tool calls the agent made."),
    output_dir: Path = opt.OUTPUT_DIR,
    force: bool = typer.Option(False, "--force", help="Let denoised photos replace existing files (without it: a "
                               "fresh name, such as photo.denoised-2.png)."),
    *,
    settings: LLMSettings,
) -> None:
    """Answer a question about image restoration from the card's records only, with citations and links.

    Exit 0 when the answer stands and every photo's work succeeded; 1 (the answer still printed) when a photo
    could not be read or denoised or its output failed the check; 2 for bad input."""
    from agent.cli.views.console import terminal

    from agent.cli.views.turn import StreamView, failure_line, print_fallback_notice, render_turn_notes, tool_table
    from agent.core.loop import ask as answer

    output_dir = opt.check_output_dir(output_dir)
    console, err = terminal(), terminal(stderr=True)
    with StreamView(err if as_json else console) as view:
        reply = answer(question, card, image or (), settings, output_dir, on_token=view.token, overwrite=force)
    if reply.failure:
        print_fallback_notice(err, reply.failure, settings.backend)
    if as_json:
        from agent.cli.echo import json_text
        from tools.json_numbers import meaningful

        typer.echo(json_text(meaningful(reply.response)))
    else:
        from agent.cli.views.answer import render_answer

        render_answer(reply.response, console)
        if show_tools:
            console.print(tool_table(reply.response["tool_calls"]))
        render_turn_notes(reply.response, console)
    if failed := failure_line(reply.response):  # the answer stands, printed; a script still sees the failure
        err.print(f"error: {failed}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1)
