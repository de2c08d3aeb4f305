"""What a turn reports while it runs, for whoever draws it: model calls and tool calls starting and ending, and
the notice of a run the analysis would not have made, said before that run starts.

A view sets :data:`LISTENER` for the turn (it is copied into tool threads with the context). The offline loop
reports to it directly; an LLM's LangChain run reports through :func:`langchain_handler`, built only when an
LLM runs, so that an offline answer never imports LangChain.
"""
from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Protocol


class TurnEvents(Protocol):
    """The calls of one turn; ``run`` tells concurrent calls apart."""

    def model_started(self, run: object) -> None: ...

    def model_writing(self, run: object) -> None: ...

    def model_finished(self, run: object) -> None: ...

    def tool_started(self, run: object, name: str, args: dict | None) -> None: ...

    def tool_finished(self, run: object, error: BaseException | None = None) -> None: ...

    def notice(self, text: str) -> None: ...


LISTENER: ContextVar[TurnEvents | None] = ContextVar("restore_agent_turn_events", default=None)


def listener() -> TurnEvents | None:
    """The current turn's listener, if a view is drawing it."""
    return LISTENER.get()


def langchain_handler() -> Any:
    """A LangChain callback handler that passes the run's model and tool calls on to the current listener."""
    from langchain_core.callbacks import BaseCallbackHandler

    class Forward(BaseCallbackHandler):
        def on_chat_model_start(self, serialized: dict, messages: list, *, run_id: Any, **kwargs: Any) -> None:
            if (events := listener()) is not None:
                events.model_started(run_id)

        def on_llm_new_token(self, token: str, *, run_id: Any, **kwargs: Any) -> None:
            if (events := listener()) is not None:
                events.model_writing(run_id)

        def on_llm_end(self, response: Any, *, run_id: Any, **kwargs: Any) -> None:
            if (events := listener()) is not None:
                events.model_finished(run_id)

        def on_llm_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
            if (events := listener()) is not None:
                events.model_finished(run_id)

        def on_tool_start(self, serialized: dict, input_str: str, *, run_id: Any, inputs: dict | None = None,
                          **kwargs: Any) -> None:
            if (events := listener()) is not None:
                events.tool_started(run_id, serialized.get("name") or kwargs.get("name") or "tool", inputs)

        def on_tool_end(self, output: Any, *, run_id: Any, **kwargs: Any) -> None:
            if (events := listener()) is not None:
                events.tool_finished(run_id)

        def on_tool_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
            if (events := listener()) is not None:
                events.tool_finished(run_id, error)

    return Forward()
