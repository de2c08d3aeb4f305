"""The checks a model's tool calls pass before any tool runs.

An unknown tool stops the run (:class:`ModelOutputError`). Arguments that are cut off or not valid JSON never
run, streamed or not: LangChain reads streamed arguments with a lenient partial-JSON parser, so
``{"path": "a.png", "output": `` would become ``{"path": "a.png"}``; :class:`StreamedToolArgs` keeps the raw
text of each streamed call so it can be parsed strictly. A message with malformed calls is answered with an
error for each of its calls, none of them run, and the model tries again; the :data:`MALFORMED_LIMIT`-th such
message stops the run.
"""
from __future__ import annotations

import json
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from agent.core.backends import BackendFailure
from agent.core.turn import Evidence, ToolCall

if TYPE_CHECKING:
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.messages import AIMessage, BaseMessage

MALFORMED_LIMIT = 3  # messages with malformed tool arguments a turn may send; the last one stops the run
MALFORMED = "not run: its arguments were cut off or are not valid JSON"
SIBLING = "not run: another call in the same message had malformed arguments"


class ModelOutputError(BackendFailure):
    """The model asked for a tool that does not exist, or kept sending arguments that do not parse."""


def check_tool_calls(message: BaseMessage, names: Collection[str]) -> None:
    """Raise :class:`ModelOutputError` for a call of an unknown tool in a model message."""
    from langchain_core.messages import AIMessage

    if not isinstance(message, AIMessage):
        return
    for call in [*message.tool_calls, *message.invalid_tool_calls]:
        if call["name"] not in names:
            raise ModelOutputError(f"called an unknown tool {call['name']!r} (tools: {', '.join(names)})")


class StreamedToolArgs:
    """The raw argument text of every streamed tool call of a turn, by call id."""

    def __init__(self) -> None:
        self._parts: dict[tuple[Any, Any], dict] = {}  # (model run, call index) -> {"id", "args"}

    def add(self, run_id: Any, chunks: list[dict]) -> None:
        for chunk in chunks:
            entry = self._parts.setdefault((run_id, chunk.get("index")), {"id": None, "args": ""})
            entry["id"] = entry["id"] or chunk.get("id")
            entry["args"] += chunk.get("args") or ""

    def raw(self, call_id: str | None) -> str | None:
        """The text streamed for call ``call_id`` (None when it was not streamed)."""
        return next((entry["args"] for entry in self._parts.values() if call_id and entry["id"] == call_id), None)

    def handler(self) -> BaseCallbackHandler:
        """A callback handler that records the tool-call chunks of every streamed model reply."""
        from langchain_core.callbacks import BaseCallbackHandler

        record = self.add

        class Recorder(BaseCallbackHandler):
            def on_llm_new_token(self, token: str, *, chunk: Any = None, run_id: Any = None, **kwargs: Any) -> None:
                message = getattr(chunk, "message", None)
                if getattr(message, "tool_call_chunks", None):
                    record(run_id, message.tool_call_chunks)

        return Recorder()


def _strict_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def malformed_calls(message: AIMessage, raw: StreamedToolArgs) -> list[tuple[str | None, str, str]]:
    """``(id, name, argument text)`` of each call whose arguments are not a complete JSON object."""
    bad = [(call.get("id"), call.get("name") or "", call.get("args") or "") for call in message.invalid_tool_calls]
    for call in message.tool_calls:
        text = raw.raw(call.get("id"))
        if text is not None and text.strip() and not _strict_object(text):
            bad.append((call.get("id"), call["name"], text))
    return bad


def reject_malformed(message: AIMessage, malformed: list[tuple[str | None, str, str]], evidence: Evidence,
                     rejected: int) -> dict:
    """The state update that answers every call of ``message`` with an error and sends the model back to try
    again; the :data:`MALFORMED_LIMIT`-th rejected message raises :class:`ModelOutputError` instead."""
    from langchain_core.messages import AIMessage, ToolMessage

    _, name, text = malformed[0]
    if rejected >= MALFORMED_LIMIT:
        raise ModelOutputError(f"sent malformed arguments for tool {name!r} {rejected} times: {text[:80]!r}")
    bad_ids = {call_id for call_id, _, _ in malformed}
    invalid = [{"type": "invalid_tool_call", "id": call_id, "name": call_name, "args": call_text, "error": MALFORMED}
               for call_id, call_name, call_text in malformed]
    siblings = [call for call in message.tool_calls if call.get("id") not in bad_ids]
    replaced = AIMessage(content=message.content, id=message.id, tool_calls=siblings, invalid_tool_calls=invalid,
                         response_metadata=message.response_metadata)
    replies = [ToolMessage(f"error: {MALFORMED}; send the whole call again", tool_call_id=call_id or "",
                           name=call_name, status="error") for call_id, call_name, _ in malformed]
    replies += [ToolMessage(f"error: {SIBLING}; send it again if it is still needed", tool_call_id=call["id"] or "",
                            name=call["name"], status="error") for call in siblings]
    evidence.calls += [ToolCall(call_name, {}, False, 0.0, MALFORMED) for _, call_name, _ in malformed]
    evidence.calls += [ToolCall(call["name"], dict(call["args"]), False, 0.0, SIBLING) for call in siblings]
    return {"messages": [replaced, *replies], "jump_to": "model"}


def tool_call_check(names: Collection[str], evidence: Evidence, raw: StreamedToolArgs) -> Any:
    """Middleware that checks every model message's tool calls before any tool runs and lists them in the
    trace; a message with malformed calls gets :func:`reject_malformed`."""
    from langchain.agents.middleware import AgentMiddleware, hook_config
    from langchain_core.messages import AIMessage

    from agent.core.toolbox import expect_calls

    class ToolCallCheck(AgentMiddleware):
        rejected = 0

        @hook_config(can_jump_to=["model"])
        def after_model(self, state: Any, runtime: Any) -> dict | None:
            message = state["messages"][-1]
            check_tool_calls(message, names)
            if not isinstance(message, AIMessage):
                return None
            malformed = malformed_calls(message, raw)
            if malformed:
                self.rejected += 1
                return reject_malformed(message, malformed, evidence, self.rejected)
            expect_calls(evidence, [(call["name"], call["args"]) for call in message.tool_calls])
            return None

    return ToolCallCheck()
