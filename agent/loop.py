"""The one agent loop (``langchain.agents.create_agent``) that every backend answers through.

Tools come from :mod:`agent.tools`; tool errors go back to the model as error messages; a model that calls an
unknown tool or sends unparseable arguments stops the run with :class:`ModelOutputError`; a model that keeps
calling tools stops at :data:`RECURSION_LIMIT` graph steps.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware, ToolErrorMiddleware
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage

from agent.backends import BackendFailure
from agent.tools import TOOL_NAMES, build_tools, tool_error_message
from agent.workspace import Workspace
from prompts import load_prompt

RECURSION_LIMIT = 16  # graph steps: a model call and a tool round are one step each

Token = Callable[[str, str], None]
"""``on_token(text, message_id)``: a piece of a model message as it streams."""


class ModelOutputError(BackendFailure):
    """The model asked for a tool that does not exist or sent arguments that do not parse."""


def check_tool_calls(message: BaseMessage, names: Collection[str]) -> None:
    """Raise :class:`ModelOutputError` for malformed or unknown tool calls in a model message."""
    if not isinstance(message, AIMessage):
        return
    for bad in message.invalid_tool_calls:
        raise ModelOutputError(f"sent malformed arguments for tool {bad.get('name')!r}: {(bad.get('args') or '')[:80]!r}")
    for call in message.tool_calls:
        if call["name"] not in names:
            raise ModelOutputError(f"called an unknown tool {call['name']!r} (tools: {', '.join(names)})")


class ToolCallCheck(AgentMiddleware):
    """Checks every model message's tool calls before any tool runs, and lists them in the trace in order."""

    def __init__(self, names: Collection[str], workspace: Workspace) -> None:
        super().__init__()
        self.names, self.workspace = tuple(names), workspace

    def after_model(self, state: Any, runtime: Any) -> None:
        message = state["messages"][-1]
        check_tool_calls(message, self.names)
        if isinstance(message, AIMessage):
            self.workspace.expect_calls([(call["name"], call["args"]) for call in message.tool_calls])


def run_agent(model: BaseChatModel, workspace: Workspace, messages: Sequence[BaseMessage],
              on_token: Token | None = None) -> str:
    """Run the loop on ``messages`` (history plus the new question); return the final answer's text."""
    agent = create_agent(model, build_tools(workspace), system_prompt=load_prompt("system.md"),
                         middleware=[ToolErrorMiddleware(on_error=tool_error_message), ToolCallCheck(TOOL_NAMES, workspace)])
    final: dict | None = None
    for mode, data in agent.stream({"messages": list(messages)}, config={"recursion_limit": RECURSION_LIMIT},
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
