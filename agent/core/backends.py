"""Which model answers: the offline planner or any OpenAI-compatible LLM, and how LLM failures read.

Configuration: ``--llm``/``RESTORE_AGENT_LLM`` (default ``openai`` when ``RESTORE_AGENT_MODEL`` is set, else
``offline``), ``--model``/``RESTORE_AGENT_MODEL``, ``--base-url``/``OPENAI_BASE_URL``, ``OPENAI_API_KEY``,
``--timeout`` (seconds the LLM may take for one whole turn: every request and streamed reply of the turn draws
on one :class:`~agent.core.deadline.TurnBudget`; time spent running tools is not counted).
"""
from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from agent.core.deadline import TurnBudget, TurnTimeout
from tools.errors import SettingError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

OFFLINE, OPENAI = "offline", "openai"
BACKENDS = (OFFLINE, OPENAI)
FALLBACK = "offline-fallback"
DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT_S = 60.0
MIN_TIMEOUT_S, MAX_TIMEOUT_S = 0.1, 3600.0  # a turn's LLM time: from a tenth of a second to an hour
LOCAL_API_KEY = "not-needed"  # local OpenAI-compatible servers accept any key


class BackendFailure(Exception):
    """The LLM backend could not produce an answer; the message is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


@dataclass(frozen=True)
class LLMSettings:
    """The backend to answer with and how to reach it."""

    backend: str = OFFLINE
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    api_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    fallback: bool = True
    stream: bool = True

    @classmethod
    def resolve(cls, backend: str | None = None, model: str | None = None, base_url: str | None = None,
                timeout: float | None = None, fallback: bool = True, stream: bool = True,
                environ: Mapping[str, str] | None = None) -> LLMSettings:
        """Flags first, then the environment, then the defaults; bad values are a ``UserError``."""
        env = os.environ if environ is None else environ
        model = model or env.get("RESTORE_AGENT_MODEL") or None
        backend = (backend or env.get("RESTORE_AGENT_LLM") or (OPENAI if model else OFFLINE)).lower()
        if backend not in BACKENDS:
            raise SettingError("llm", repr(backend), f"one of {', '.join(BACKENDS)}")
        timeout = DEFAULT_TIMEOUT_S if timeout is None else timeout
        if not (math.isfinite(timeout) and MIN_TIMEOUT_S <= timeout <= MAX_TIMEOUT_S):
            raise SettingError("timeout", timeout, f"a number of seconds from {MIN_TIMEOUT_S:g} to {MAX_TIMEOUT_S:g}")
        base_url = check_base_url(base_url if base_url is not None else env.get("OPENAI_BASE_URL"))
        return cls(backend, model or DEFAULT_MODEL, base_url, env.get("OPENAI_API_KEY") or None, timeout, fallback,
                   stream)

    @property
    def where(self) -> str:
        return self.base_url or "api.openai.com"


def check_base_url(url: str | None) -> str | None:
    """``url`` (None when not given) if it is an http(s) URL with a host and a valid port; a ``SettingError``
    otherwise."""
    if url is None:
        return None
    from urllib.parse import urlsplit

    expected = "an http(s) URL with a host, such as http://localhost:11434/v1"
    try:
        parts = urlsplit(url.strip())
        usable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and (parts.port or 1) > 0
    except ValueError:  # a bad port or IPv6 address
        usable = False
    if not usable or any(not ch.isprintable() for ch in url.strip()):
        raise SettingError("base_url", repr(url), expected)
    return url.strip()


def openai_chat_model(settings: LLMSettings) -> BaseChatModel:
    """``ChatOpenAI`` for one turn: chat completions (streamed unless disabled), one attempt per request, and
    all the turn's requests within ``settings.timeout`` seconds together."""
    if not settings.api_key and not settings.base_url:
        raise BackendFailure("no OPENAI_API_KEY is set (set it, or point --base-url/OPENAI_BASE_URL at a local "
                             "OpenAI-compatible server)")
    return _bounded_chat_openai()(
        model=settings.model, base_url=settings.base_url, api_key=settings.api_key or LOCAL_API_KEY,
        timeout=settings.timeout, max_retries=0, streaming=settings.stream, use_responses_api=False, temperature=0,
        budget=TurnBudget(settings.timeout))


@cache
def _bounded_chat_openai() -> type[BaseChatModel]:
    """``ChatOpenAI`` whose requests (whole replies and streams alike) draw on one :class:`TurnBudget`."""
    from langchain_openai import ChatOpenAI
    from pydantic import Field

    class BoundedChatOpenAI(ChatOpenAI):
        budget: Any = Field(default=None, exclude=True)

        def _generate(self, messages: list, stop: list[str] | None = None, run_manager: Any = None,
                      **kwargs: Any) -> Any:
            whole = super()._generate
            return self.budget.call(lambda: whole(messages, stop=stop, **kwargs))

        def _stream(self, messages: list, stop: list[str] | None = None, run_manager: Any = None,
                    **kwargs: Any) -> Iterator[Any]:
            chunks = super()._stream
            yield from self.budget.iterate(lambda: chunks(messages, stop=stop, **kwargs))

    return BoundedChatOpenAI


def describe_failure(exc: BaseException, settings: LLMSettings) -> str:
    """One line saying why the LLM backend failed."""
    if isinstance(exc, BackendFailure):
        return str(exc)
    import openai
    from langgraph.errors import GraphRecursionError

    where = f"{settings.model} at {settings.where}"
    if isinstance(exc, (openai.APITimeoutError, TurnTimeout)):
        return f"{where} did not answer within {settings.timeout:g} s"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        reason = " ".join(str(cause or exc).split())[:160] or type(cause or exc).__name__
        return f"cannot reach {where} ({reason})"
    if isinstance(exc, openai.APIStatusError):
        return f"{where} answered HTTP {exc.status_code}: {_short(exc.message)}"
    if isinstance(exc, GraphRecursionError):
        return f"{where} kept calling tools without answering; stopped at the step limit"
    return f"{where} gave an unusable reply ({type(exc).__name__}: {_short(str(exc))})"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
