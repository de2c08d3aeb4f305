"""The report's answer: asked through the agent (offline or an OpenAI-compatible LLM) with its photos attached."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.backends import LLMSettings


def ask_agent(question: str | None, card: Path | None, images: Sequence[Path], settings: "LLMSettings",
              work_dir: Path) -> tuple[dict, list]:
    """The ``ask --json`` object for ``question`` (the card's own when None) and the records it was answered from.

    Anything the agent writes (a denoised copy, when the question asks for one) goes to ``work_dir``.
    """
    from agent.answer import require_question
    from agent.respond import respond
    from agent.workspace import Workspace

    Path(work_dir).mkdir(parents=True, exist_ok=True)
    workspace = Workspace(card, output_dir=work_dir)
    question = require_question(question, workspace.card.question)
    reply = respond(question, workspace, settings, images=[str(path) for path in images])
    if reply.failure:
        reply.response["failure"] = reply.failure
    return reply.response, workspace.records
