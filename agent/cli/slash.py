"""Slash commands of `restore-agent chat`, one registered function each.

A command gets the session and its arguments and returns a :class:`SlashResult`: Markdown for the transcript
and plain output, JSON-ready data for ``--json``, and optionally a rich renderable for the terminal.
To add a command, decorate a function with ``@slash(name, usage, help)`` in this module.
"""
from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent.core.session import ChatSession, Entry
from tools.errors import UserError


@dataclass
class SlashResult:
    """What a slash command produced."""

    markdown: str
    data: object = None
    renderable: object = None
    quit: bool = False


@dataclass(frozen=True)
class SlashCommand:
    name: str
    usage: str
    help: str
    run: Callable[[ChatSession, list[str]], SlashResult]


SLASH_COMMANDS: dict[str, SlashCommand] = {}


def slash(name: str, usage: str, help: str) -> Callable:
    """Register a slash command."""
    def register(run: Callable[[ChatSession, list[str]], SlashResult]) -> Callable:
        SLASH_COMMANDS[name] = SlashCommand(name, usage, help, run)
        return run

    return register


def run_slash(session: ChatSession, line: str) -> SlashResult:
    """Run a ``/command args`` line; unknown commands and bad arguments are a ``UserError``."""
    try:
        words = shlex.split(line[1:])
    except ValueError as exc:
        raise UserError(f"cannot parse {line!r}: {exc}") from None
    name = words[0].lower() if words else ""
    if name not in SLASH_COMMANDS:
        raise UserError(f"unknown command /{name}; /help lists the commands")
    result = SLASH_COMMANDS[name].run(session, words[1:])
    session.record(Entry(line, result.markdown))
    return result


class _Parser(argparse.ArgumentParser):
    """argparse that raises a one-line ``UserError`` instead of exiting."""

    def error(self, message: str) -> None:
        raise UserError(f"/{self.prog}: {message} (usage: /{self.prog} {SLASH_COMMANDS[self.prog].usage})")


def _parse(name: str, args: list[str], *specs: tuple[tuple[str, ...], dict]) -> argparse.Namespace:
    parser = _Parser(prog=name, add_help=False)
    for flags, options in specs:
        parser.add_argument(*flags, **options)
    return parser.parse_args(args)


@slash("analyze", "PATH", "measure what is wrong with a photo (noise, blur, JPEG, exposure, haze)")
def _analyze(session: ChatSession, args: list[str]) -> SlashResult:
    from tools.restore import analysis_summary

    path = _parse("analyze", args, (("path",), {})).path
    result = analysis_summary(session.analyze(path), path)
    findings = ", ".join(f"{f['degradation']} ({f['severity']})" for f in result["findings"]) or "no degradation"
    sigma = f"{result['noise_sigma']:.1f}" if result["noise_sigma"] is not None else "-"
    level = result["suggested_noise_level"]
    text = (f"`{path}`: {result['width']}x{result['height']}, noise sigma {sigma}; findings: {findings}"
            + (f"; suggested SwinIR noise level {level}" if level else ""))
    return SlashResult(text, result)


@slash("denoise", "PATH [-o OUT] [--noise 15|25|50]", "denoise a photo with SwinIR (level from its analysis)")
def _denoise(session: ChatSession, args: list[str]) -> SlashResult:
    parsed = _parse("denoise", args, (("path",), {}), (("-o", "--output"), {"default": None}),
                    (("--noise",), {"type": int, "default": None}))
    run = session.restore(parsed.path, parsed.output, parsed.noise).to_json()
    text = (f"wrote `{run['output']}` with {run['model']} (noise level {run['noise_level']}) in {run['seconds']:.2f} s "
            f"for {run['megapixels']:.2f} MP")
    notes = [*run.get("notes", []), *([run["decision"]["reason"]] if run["decision"]["forced"] else [])]
    check = run.get("check")
    if check:
        notes.append(("check: " if check["ok"] else "check failed: ") + check["verdict"])
    return SlashResult("\n".join([text, *(f"- {note}" for note in notes)]), run)


@slash("records", "", "list the loaded records with their links")
def _records(session: ChatSession, args: list[str]) -> SlashResult:
    from agent.cli.views.answer import records_table

    records = session.records
    text = "\n".join(f"- `{r.id}`: {r.title} ({'runs here' if r.runnable else 'described only'}) {r.paper}"
                     for r in records)
    return SlashResult(text, [r.to_dict() for r in records], records_table(records, "Loaded records"))


@slash("card", "FILE", "answer from another card's records from now on")
def _card(session: ChatSession, args: list[str]) -> SlashResult:
    path = Path(_parse("card", args, (("file",), {})).file)
    card = session.load_card(path)
    ids = [record.id for record in card.records]
    return SlashResult(f"loaded {len(ids)} record(s) from `{path}`: {', '.join(ids)}", {"card": str(path), "records": ids})


@slash("report", "PATH [--force]", "write an HTML or Markdown report of the last question and the session's photos")
def _report(session: ChatSession, args: list[str]) -> SlashResult:
    from agent.products.report.build import ReportJob
    from agent.products.report.run import create_report

    parsed = _parse("report", args, (("path",), {}), (("--force",), {"action": "store_true"}))
    question = session.last_question
    if not question:
        raise UserError("/report: ask a question first; the report answers the last question")
    card = session.card
    job = ReportJob(question=question, images=[Path(p) for p in session.photos],
                    card=None if card.source == "default" else Path(card.source))
    create_report(job, session.settings, Path(parsed.path), force=parsed.force)
    text = f"wrote `{parsed.path}`: the last question with {len(job.images)} photo(s)"
    return SlashResult(text, {"report": parsed.path, "question": question, "images": [str(p) for p in job.images]})


@slash("help", "", "list the commands")
def _help(session: ChatSession, args: list[str]) -> SlashResult:
    lines = [f"- `/{c.name}{' ' + c.usage if c.usage else ''}`: {c.help}" for c in SLASH_COMMANDS.values()]
    lines.append("- anything else is a question; photo paths typed in it are analysed (and denoised when asked)")
    return SlashResult("\n".join(lines), [{"command": c.name, "usage": c.usage, "help": c.help}
                                          for c in SLASH_COMMANDS.values()])


@slash("quit", "", "leave the chat (Ctrl-D also does)")
def _quit(session: ChatSession, args: list[str]) -> SlashResult:
    return SlashResult("bye", quit=True)
