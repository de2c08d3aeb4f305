"""One turn of the agent, for any backend: run the loop, fall back offline on LLM failure, guard the answer.

Every final answer goes through :func:`finalize`: its sections are split out, a missing section is filled in
from the offline composer (and reported as repaired), and the grounding guard removes any link or citation
that no loaded record supports.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from agent.answer import build_response, sections_from_markdown
from agent.backends import FALLBACK, OFFLINE, LLMSettings, describe_failure, openai_chat_model
from agent.compose import SECTIONS, ComposedAnswer
from agent.grounding import cited_ids
from agent.paths import attachment_note, image_paths_in, referred_images
from agent.workspace import Workspace
from tools.errors import UserError

Token = Callable[[str, str], None]


@dataclass
class Reply:
    """A turn's ``ask --json`` object, what the user's message said to the model, and any LLM failure."""

    response: dict
    message: str
    failure: str | None = None


def turn_images(question: str, attached: Sequence[str | Path], known: Sequence[str]) -> list[str]:
    """The photos of a turn: attached ones, paths typed in the question, else earlier ones it points at."""
    for path in attached:
        if not Path(path).expanduser().is_file():
            raise UserError(f"no such image file: {path}")
    named = list(dict.fromkeys([str(path) for path in attached] + image_paths_in(question)))
    return named or referred_images(question, known)


def respond(question: str, workspace: Workspace, settings: LLMSettings, history: Sequence[tuple[str, str]] = (),
            images: Sequence[str | Path] = (), on_token: Token | None = None) -> Reply:
    """Answer ``question`` (with earlier ``(message, answer)`` turns as context) through the agent loop."""
    from langchain_core.messages import AIMessage, HumanMessage

    from agent.loop import run_agent
    from agent.offline_model import OfflineChatModel

    photos = turn_images(question, images, workspace.images)
    message = "\n\n".join(part for part in (question, attachment_note(photos)) if part)
    messages = [m for asked, answered in history for m in (HumanMessage(asked), AIMessage(answered))]
    messages.append(HumanMessage(message))
    workspace.begin_turn(question, photos)
    backend, failure = settings.backend, None
    if backend != OFFLINE:
        try:
            text = run_agent(openai_chat_model(settings), workspace, messages, on_token)
        except Exception as exc:  # any LLM failure becomes one line; the offline answer stands in
            failure = describe_failure(exc, settings)
            if not settings.fallback:
                raise UserError(f"{backend} backend failed: {failure}") from None
            backend = FALLBACK
            workspace.begin_turn(question, photos)
    if backend in (OFFLINE, FALLBACK):
        text = run_agent(OfflineChatModel(workspace=workspace), workspace, messages, on_token)
    return Reply(finalize(text, workspace, backend), message, failure)


def finalize(text: str, workspace: Workspace, backend: str) -> dict:
    """The ``ask --json`` object for a model's final text: sections split, missing ones repaired, guarded."""
    offline = workspace.compose()
    sections = sections_from_markdown(text, offline.headings)
    if not any(sections.values()) and text.strip():
        sections["task"] = text.strip()  # a reply without the headings is kept as the task section
    repaired = [key for key in SECTIONS if not sections[key]]
    sections.update({key: offline.sections[key] for key in repaired})
    refused = offline.refused and not cited_ids(text, workspace.records)
    ranking = list(dict.fromkeys(offline.citations + [hit.record_id for s in workspace.searches for hit in s.hits]))
    answer = ComposedAnswer(workspace.question, sections, ranking, refused, offline.headings)
    return build_response(workspace.question, workspace.records, answer, [c.to_dict() for c in workspace.calls],
                          backend, repaired)
