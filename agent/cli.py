"""The `restore-agent` command line: commands parse arguments and render; logic lives in modules.

Each command lives in ``agent/commands/<name>.py`` and is registered here.
"""
from __future__ import annotations

import sys

import typer

from tools.errors import UserError

app = typer.Typer(
    name="restore-agent",
    help="Grounded answers about AI image restoration, backed by live SwinIR demos on your photos.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from agent.commands import ask, records

    app.command("ask")(ask.ask)
    app.command("records")(records.records)

    from agent.commands import denoise, weights

    app.command("denoise")(denoise.denoise)
    app.add_typer(weights.app, name="weights")

    from agent.commands import analyze

    app.command("analyze")(analyze.analyze)

    from agent.commands import chat

    app.command("chat")(chat.chat)

    from agent.commands import demo, report

    app.command("demo")(demo.demo)
    app.command("report")(report.report)


def main() -> None:
    """Console entry point: one-line error and exit code 2 for bad input, never a traceback."""
    _register()
    try:
        app()
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
