"""The agent loop every backend answers through: :func:`run_agent` takes a :class:`~agent.core.turn.Turn` and
returns a :class:`~agent.core.turn.TurnResult`.

An LLM runs in LangChain's agent (``langchain.agents.create_agent``); the offline planner's calls run directly
(:func:`agent.core.offline_model.run_offline`), the same tools traced the same way, without importing LangChain.
Tools come from :mod:`agent.core.toolbox`; tool errors go back to the model as error messages. Every tool call
is checked before any tool runs (:mod:`agent.core.tool_calls`): arguments cut off or not valid JSON, streamed or
not, send the model back to try again; an unknown tool, or malformed arguments again and again, stop the run.
A model that keeps calling tools stops at :data:`RECURSION_LIMIT` graph steps. When an LLM fails, the offline model
answers instead (unless fallback is off), and every final answer goes through :func:`agent.core.answer.finalize`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agent.core.backends import FALLBACK, OFFLINE, BackendFailure, LLMSettings, describe_failure, openai_chat_model
from agent.core.tool_calls import StreamedToolArgs, tool_call_check
from agent.core.turn import Evidence, Turn, TurnResult
from tools.errors import UserError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

RECURSION_LIMIT = 16  # graph steps: a model call and a tool round are one step each

Token = Callable[[str, str], None]
"""``on_token(text, message_id)``: a piece of a model message as it streams."""


def history_messages(turn: Turn) -> list[BaseMessage]:
    """The turn as chat messages: earlier turns, then the user's message."""
    from langchain_core.messages import AIMessage, HumanMessage

    messages = [m for asked, answered in turn.history for m in (HumanMessage(asked), AIMessage(answered))]
    return [*messages, HumanMessage(turn.message)]


def run_loop(model: BaseChatModel, turn: Turn, evidence: Evidence, on_token: Token | None = None) -> str:
    """Run the loop for ``turn`` with ``model``, gathering ``evidence``; return the final answer's text."""
    from langchain.agents import create_agent
    from langchain.agents.middleware import ToolErrorMiddleware
    from langchain_core.messages import AIMessage, AIMessageChunk

    from agent.core.card_prompt import system_prompt
    from agent.core.events import langchain_handler
    from agent.core.toolbox import TOOL_NAMES, build_tools, tool_error_message

    raw = StreamedToolArgs()
    agent = create_agent(model, build_tools(turn, evidence),
                         system_prompt=system_prompt(turn.records, turn.card_question),
                         middleware=[ToolErrorMiddleware(on_error=tool_error_message),
                                     tool_call_check(TOOL_NAMES, evidence, raw)])
    final: dict | None = None
    config = {"recursion_limit": RECURSION_LIMIT, "callbacks": [raw.handler(), langchain_handler()]}
    for mode, data in agent.stream({"messages": history_messages(turn)}, config=config,
                                   stream_mode=["messages", "values"]):
        if mode == "values":
            final = data
        elif on_token is not None:
            chunk, _ = data
            if isinstance(chunk, AIMessageChunk) and chunk.text:
                on_token(chunk.text, chunk.id or "")
    last = final["messages"][-1] if final and final.get("messages") else None
    if not isinstance(last, AIMessage) or last.tool_calls:
        raise BackendFailure("the agent stopped without a final answer")
    return last.text


def run_agent(turn: Turn, settings: LLMSettings = LLMSettings(), on_token: Token | None = None) -> TurnResult:
    """Answer ``turn`` with the configured backend; an LLM failure falls back to the offline model."""
    from agent.core.answer import finalize
    from agent.core.offline_model import run_offline

    backend, failure, evidence, composed = settings.backend, None, Evidence(), None
    if backend != OFFLINE:
        try:
            text = run_loop(openai_chat_model(settings), turn, evidence, on_token)
        except Exception as exc:  # any LLM failure becomes one line; the offline answer stands in
            failure = describe_failure(exc, settings)
            if not settings.fallback:
                raise UserError(f"{backend} backend failed: {failure}") from None
            backend, evidence = FALLBACK, Evidence()
    if backend in (OFFLINE, FALLBACK):
        composed = run_offline(turn, evidence, on_token)
        text = composed.markdown()
    return TurnResult(turn, finalize(text, turn, evidence, backend, composed), evidence, failure)


def ask(question: str | None, card: Path | None = None, images: Sequence[str | Path] = (),
        settings: LLMSettings = LLMSettings(), output_dir: Path | None = None,
        on_token: Token | None = None, overwrite: bool = False) -> TurnResult:
    """One question (the card's own when None) about a card's records (the default card when None), with photos;
    ``overwrite`` lets its tools replace existing files."""
    from agent.core.answer import require_question
    from agent.core.turn import make_turn
    from tools.cards import load_card

    loaded = load_card(card)
    turn = make_turn(require_question(question, loaded.question), loaded.records, attached=images,
                     output_dir=output_dir, card_question=loaded.question, overwrite=overwrite)
    return run_agent(turn, settings, on_token)
