"""The `restore-agent` command line: commands parse arguments and render; logic lives in modules.

Each command lives in ``agent/cli/commands/<name>.py`` and is registered here, with the example its
``--help`` ends with. :func:`main` is the one place errors become a line on stderr and an exit code.
"""
from __future__ import annotations

import os
import sys
import traceback

import typer

from agent.cli.errors import cli_message, one_line, unexpected_message, usage_message
from agent.cli.options import HelpCommand, HelpGroup
from tools.errors import UserError

PROG = "restore-agent"
DEBUG_FLAG, DEBUG_ENV = "--debug", "RESTORE_AGENT_DEBUG"
EXIT_USAGE, EXIT_FAILED, EXIT_CANCELLED = 2, 1, 130

app = typer.Typer(
    name=PROG,
    help="Grounded answers about AI image restoration, backed by live SwinIR demos on your photos.",
    epilog=f"Example: {PROG} ask \"How do I remove noise from a scanned photo?\"",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=HelpGroup,
)

EXAMPLES = {
    "ask": f"{PROG} ask \"How do I clean this photo?\" --image noisy.png --output-dir out",
    "chat": f"{PROG} chat --transcript session.md",
    "records": f"{PROG} records --card my_card.yaml --json",
    "analyze": f"{PROG} analyze photo.jpg scan.png --json",
    "denoise": f"{PROG} denoise noisy.png -o clean.png --noise 25",
    "demo": f"{PROG} demo --image clean.png --add-noise 25 -o demo-out --open",
    "report": f"{PROG} report -q \"How do I remove the noise?\" --image photo.png -o report.html",
    "mcp": f"{PROG} mcp --root ~/Pictures",
    "batch": f"{PROG} batch scans/ -o restored/ --recursive --jobs 2 --report",
    "weights list": f"{PROG} weights list",
    "weights install": f"{PROG} weights install ~/Downloads/005_colorDN_DFWMB_s128w8_SwinIR-M_noise25.pth",
    "weights download": f"{PROG} weights download swinir-m-color-noise25",
}


@app.callback()
def _options(debug: bool = typer.Option(False, DEBUG_FLAG, help=f"Show the traceback of an unexpected error "
                                        f"(also env {DEBUG_ENV}=1; accepted anywhere on the line).")) -> None:
    """Options for every command (``--debug`` is read by :func:`main` before the commands parse)."""


def _register() -> None:
    """Add the commands once (tests call :func:`main` many times in one process)."""
    if app.registered_commands:
        return
    from agent.cli.commands import analyze, ask, batch, chat, demo, denoise, mcp, records, report, weights

    for name, command in (("ask", ask.ask), ("chat", chat.chat), ("records", records.records),
                          ("analyze", analyze.analyze), ("denoise", denoise.denoise), ("demo", demo.demo),
                          ("report", report.report), ("mcp", mcp.mcp),
                          ("batch", batch.batch)):
        app.command(name, cls=HelpCommand, epilog=f"Example: {EXAMPLES[name]}")(command)
    for info in weights.app.registered_commands:
        info.cls, info.epilog = HelpCommand, f"Example: {EXAMPLES['weights ' + info.name]}"
    app.add_typer(weights.app, name="weights", cls=HelpGroup, epilog=f"Example: {EXAMPLES['weights list']}")


def split_debug(args: list[str], environ: dict[str, str] | os._Environ = os.environ) -> tuple[list[str], bool]:
    """``args`` without ``--debug`` (taken anywhere before ``--``), and whether tracebacks are wanted."""
    end = args.index("--") if "--" in args else len(args)
    kept = [arg for arg in args[:end] if arg != DEBUG_FLAG] + args[end:]
    wanted = len(kept) != len(args) or environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")
    return kept, wanted


def _invoke(args: list[str]) -> int:
    """Parse ``args`` and run the command; Click's own exceptions are left to the caller."""
    from tools.swinir.runtime import configure_process

    _register()
    configure_process()
    command = typer.main.get_command(app)
    try:
        with command.make_context(PROG, args) as ctx:
            command.invoke(ctx)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
    except typer.Exit as done:
        return done.exit_code
    return 0


def _say(line: str) -> None:
    try:
        print(one_line(line), file=sys.stderr, flush=True)
    except (OSError, ValueError):  # stderr itself is gone: nothing left to tell
        pass


def _quiet_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the interpreter's last flush stays silent."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def run(args: list[str], debug: bool = False) -> int:
    """Run the command line on ``args``; every failure becomes one line on stderr and an exit code."""
    try:
        return _invoke(args)
    except typer.TyperException as exc:  # Click's errors: usage (exit 2), or no arguments (the help is printed)
        if type(exc).__name__ != "NoArgsIsHelpError":
            _say(f"error: {usage_message(exc)}")
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        _say("cancelled")
        return EXIT_CANCELLED
    except BrokenPipeError:  # as rich does when its output pipe closes: exit 1, silently
        _quiet_stdout()
        return EXIT_FAILED
    except UserError as exc:
        if debug:
            traceback.print_exc()
        _say(f"error: {cli_message(exc)}")
        return EXIT_USAGE
    except Exception as exc:  # the last net: one line, the traceback only on request
        if debug:
            traceback.print_exc()
        _say(unexpected_message(exc, DEBUG_FLAG))
        return EXIT_FAILED


def main() -> None:
    """Console entry point: one-line errors (exit 2 for bad input and usage, 1 for failures), never a traceback
    unless ``--debug`` or ``RESTORE_AGENT_DEBUG=1`` asks for it."""
    args, debug = split_debug(sys.argv[1:])
    sys.exit(run(args, debug))


if __name__ == "__main__":
    main()
