"""Slash commands of `restore-agent chat`, one registered function each.

A command gets the session and its arguments and returns a :class:`SlashResult`: Markdown for the transcript
and plain output, JSON-ready data for ``--json``, and optionally a rich renderable for the terminal, drawn
with the same views as the matching command (``/analyze`` as ``restore-agent analyze``, ``/denoise`` as
``restore-agent denoise``). :func:`execute_slash` changes nothing in the session but caches (so it can run in a
worker thread and be cancelled); :func:`keep_slash` then records it. To add a command, decorate a function
with ``@slash(name, usage, help)`` in this module.
"""
from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agent.cli.echo import name
from agent.core.session import ChatSession, Entry
from tools.errors import UserError

if TYPE_CHECKING:
    from tools.restore import Decision


@dataclass
class SlashResult:
    """What a slash command produced."""

    markdown: str
    data: object = None
    renderable: object = None
    quit: bool = False
    photos: list[str] = field(default_factory=list)  # photos the session notes once the command is done


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


BARE_ALIASES = {"exit": "quit", "bye": "quit", "q": "quit", "commands": "help"}  # words for an existing command
NO_SUCH_COMMANDS = ("clear", "cls", "history", "reset")  # words other chats take as commands; no command here


def bare_word_hint(line: str) -> str | None:
    """The one-line hint for a command word typed without its slash ("quit", "exit", "help", "clear"), which is
    not a question; None for anything else."""
    word = line.strip().lower().rstrip("!?.")
    name = word if word in SLASH_COMMANDS else BARE_ALIASES.get(word)
    if name is not None:
        usage = SLASH_COMMANDS[name].usage
        return f"Did you mean /{name}{' ' + usage if usage else ''}? Slash commands start with /."
    if word in NO_SUCH_COMMANDS:
        return f"There is no /{word}; slash commands start with / and /help lists them."
    return None


def run_slash(session: ChatSession, line: str) -> SlashResult:
    """Run a ``/command args`` line and keep it in the session; unknown commands and bad arguments are a
    ``UserError``."""
    return keep_slash(session, line, execute_slash(session, line))


def execute_slash(session: ChatSession, line: str) -> SlashResult:
    """Run a ``/command args`` line without keeping it (see :func:`keep_slash`)."""
    try:
        words = shlex.split(line[1:])
    except ValueError as exc:
        raise UserError(f"cannot parse {line!r}: {exc}") from None
    name = words[0].lower() if words else ""
    if name not in SLASH_COMMANDS:
        raise UserError(f"unknown command /{name}; /help lists the commands")
    return SLASH_COMMANDS[name].run(session, words[1:])


def keep_slash(session: ChatSession, line: str, result: SlashResult) -> SlashResult:
    """Note the command's photos in the session and add it to the transcript."""
    session.note_photos(result.photos)
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
    from agent.cli.views.analysis import analysis_markdown, analysis_view
    from tools.restore import analysis_summary

    path = _parse("analyze", args, (("path",), {})).path
    analysis = session.analyze(path)
    return SlashResult(analysis_markdown(analysis, path), analysis_summary(analysis, path), analysis_view(analysis),
                       photos=[path])


@slash("denoise", "PATH [-o OUT] [--noise 15|25|50] [--force-run] [--no-match] [--force]",
       "denoise a photo with SwinIR where its analysis finds noise the weights fit (--force-run: anyway); "
       "--no-match runs the network as its authors' test script does; -o names the output, --force lets it "
       "replace a file")
def _denoise(session: ChatSession, args: list[str]) -> SlashResult:
    from agent.cli.views.denoise import denoise_markdown, denoise_view
    from tools.fileio import check_output_path, unused_name
    from tools.read_guard import PHOTO, check_file
    from tools.restore import default_output

    parsed = _parse("denoise", args, (("path",), {}), (("-o", "--output"), {"default": None}),
                    (("--noise",), {"type": int, "default": None}), (("--force",), {"action": "store_true"}),
                    (("--force-run",), {"action": "store_true"}), (("--no-match",), {"action": "store_true"}))
    session.not_transcript(parsed.path, "photo")  # a one-line error for a missing photo before the output is checked,
    check_file(Path(parsed.path).expanduser(), PHOTO)  # and both before any work
    if parsed.output:  # a name given is refused when taken (unless --force), a name picked is made fresh
        target = check_output_path(Path(parsed.output).expanduser(), Path(parsed.path).expanduser(),
                                   force=parsed.force or session.overwrite)
    else:
        target = default_output(parsed.path, session.output_dir)
        if not (parsed.force or session.overwrite) or session.is_input(target):  # a picked name is never an input
            target = unused_name(target)
    session.check_output(target, Path(parsed.path).expanduser())  # never the card, a photo or the transcript
    result = session.restore(parsed.path, str(target), parsed.noise, force=parsed.force_run,
                             match=not parsed.no_match, announce=_announce)
    again = "/denoise " + shlex.join([*args, "--force-run"])
    return SlashResult(denoise_markdown(result, again=again), result.to_json(),
                       denoise_view(result, again=again, announced=_NOTICES.get() is not None), photos=[parsed.path])


_NOTICES: ContextVar[Callable[[str], None] | None] = ContextVar("slash_notices", default=None)


@contextmanager
def notices(say: Callable[[str], None]) -> Iterator[None]:
    """Within this block (and the threads started with a copy of its context), a forced run's notice goes to
    ``say`` before the work starts."""
    reset = _NOTICES.set(say)
    try:
        yield
    finally:
        _NOTICES.reset(reset)


def _announce(decision: Decision) -> None:
    say = _NOTICES.get()
    if decision.notice and say is not None:
        say(decision.notice)


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
    shown = name(path).replace("`", "'")
    return SlashResult(f"loaded {len(ids)} record(s) from `{shown}`: {', '.join(ids)}", {"card": str(path), "records": ids})


@slash("report", "PATH [--force]", "write an HTML or Markdown report of the last question and the session's photos")
def _report(session: ChatSession, args: list[str]) -> SlashResult:
    from agent.products.report.build import ReportJob
    from agent.products.report.run import create_report

    parsed = _parse("report", args, (("path",), {}), (("--force",), {"action": "store_true"}))
    question = session.last_question
    if not question:
        raise UserError("/report: ask a question first; the report answers the last question")
    card = session.card
    session.check_output(Path(parsed.path))
    job = ReportJob(question=question, images=[Path(p) for p in session.photos],
                    card=None if card.source == "default" else Path(card.source))
    create_report(job, session.settings, Path(parsed.path), force=parsed.force)
    text = f"wrote `{parsed.path}`: the last question with {len(job.images)} photo(s)"
    return SlashResult(text, {"report": parsed.path, "question": question, "images": [str(p) for p in job.images]})


@slash("help", "", "list the commands")
def _help(session: ChatSession, args: list[str]) -> SlashResult:
    lines = [f"- `/{c.name}{' ' + c.usage if c.usage else ''}`: {c.help}" for c in SLASH_COMMANDS.values()]
    lines.append("- anything else is a question; photo paths typed in it are analysed (and denoised when asked); "
                 "a command word alone without its slash gets a hint instead")
    return SlashResult("\n".join(lines), [{"command": c.name, "usage": c.usage, "help": c.help}
                                          for c in SLASH_COMMANDS.values()])


@slash("quit", "", "leave the chat (Ctrl-D also does)")
def _quit(session: ChatSession, args: list[str]) -> SlashResult:
    return SlashResult("bye", quit=True)
