"""The `restore-agent` command line: commands parse arguments and render; logic lives in modules.

Each command lives in ``agent/cli/commands/<name>.py`` and is registered here.
"""
from __future__ import annotations

import sys

import typer

from agent.cli.errors import cli_message
from tools.errors import UserError
from tools.swinir.runtime import configure_process

app = typer.Typer(
    name="restore-agent",
    help="Grounded answers about AI image restoration, backed by live SwinIR demos on your photos.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from agent.cli.commands import analyze, ask, batch, chat, demo, denoise, mcp, records, report, weights

    for name, command in (("ask", ask.ask), ("chat", chat.chat), ("records", records.records),
                          ("analyze", analyze.analyze), ("denoise", denoise.denoise), ("demo", demo.demo),
                          ("report", report.report), ("mcp", mcp.mcp),
                          ("batch", batch.batch)):
        app.command(name)(command)
    app.add_typer(weights.app, name="weights")


def main() -> None:
    """Console entry point: one-line error and exit code 2 for bad input, never a traceback."""
    _register()
    configure_process()
    try:
        app()
    except UserError as exc:
        typer.echo(f"error: {cli_message(exc)}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
