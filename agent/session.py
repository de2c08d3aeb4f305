"""A chat session: the workspace, the conversation so far, and the transcript of both.

Lines that start with ``/`` are slash commands (:mod:`agent.slash`); any other line is a turn for the agent,
answered with the earlier turns as context so that follow-ups work.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from agent.backends import LLMSettings
from agent.respond import Reply, Token, respond
from agent.workspace import Workspace
from tools.fileio import write_text_atomic


@dataclass
class Entry:
    """One exchange for the transcript: what was typed and what came back (Markdown)."""

    said: str
    markdown: str
    backend: str = ""
    tools: list[dict] = field(default_factory=list)
    note: str = ""


class ChatSession:
    """Turns and slash commands over one workspace; keeps history and an optional Markdown transcript."""

    def __init__(self, settings: LLMSettings, card: Path | None = None, output_dir: Path | None = None,
                 transcript: Path | None = None) -> None:
        self.settings = settings
        self.workspace = Workspace(card, output_dir)
        self.history: list[tuple[str, str]] = []
        self.entries: list[Entry] = []
        self.transcript = Path(transcript) if transcript else None
        if self.transcript:
            self.save()

    def ask(self, text: str, on_token: Token | None = None) -> Reply:
        """One agent turn; a cancelled or failed turn leaves the history as it was."""
        reply = respond(text, self.workspace, self.settings, self.history, on_token=on_token)
        self.history.append((reply.message, reply.response["answer"]))
        self.record(Entry(text, reply.response["answer"], reply.response["backend"], reply.response["tool_calls"],
                          reply.failure or ""))
        return reply

    def record(self, entry: Entry) -> None:
        """Add an exchange to the transcript (and rewrite the transcript file, atomically)."""
        self.entries.append(entry)
        if self.transcript:
            self.save()

    def save(self) -> None:
        write_text_atomic(self.transcript, transcript_markdown(self))


def transcript_markdown(session: ChatSession) -> str:
    """The conversation as Markdown: each message, each answer with its backend and tool calls."""
    lines = ["# restore-agent chat", "",
             f"Backend: {session.settings.backend}; records: {', '.join(r.id for r in session.workspace.records)}", ""]
    for entry in session.entries:
        lines += [f"## > {entry.said}", ""]
        if entry.note:
            lines += [f"*{entry.note}*", ""]
        lines += [_demote(entry.markdown), ""]
        if entry.backend:
            calls = "; ".join(f"`{c['name']}({_args(c['args'])})` {c['seconds']:.2f} s" + ("" if c["ok"] else " (failed)")
                              for c in entry.tools)
            lines += [f"*Answered by {entry.backend}. Tools: {calls or 'none'}.*", ""]
    return "\n".join(lines).rstrip() + "\n"


def _demote(markdown: str) -> str:
    """Answer headings one level down, under the message's heading."""
    return "\n".join("#" + line if line.startswith("#") else line for line in markdown.splitlines())


def _args(args: dict) -> str:
    return ", ".join(f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in args.items())
