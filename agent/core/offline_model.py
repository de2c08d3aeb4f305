"""The offline backend: a small deterministic chat model that plans tool calls and composes the answer.

It plays the model's part in the same agent loop as an LLM, and like one it learns the question and the
attached photos from its messages: it always searches the records, analyses every photo of the turn,
denoises them when asked to clean or restore them (with the checkpoint level their analysis suggests),
re-searches with the previous question when a follow-up alone matches nothing, and then writes the answer
with the offline composer from the turn's evidence (the results its tool calls gathered).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from agent.core.compose import compose_turn
from agent.core.question import earlier_turns, strip_attachments
from tools.records import Record

_DENOISE = re.compile(r"\b(de-?nois\w*|clean\w*|restor\w*|remove\s+(?:the\s+|its\s+)?noise|fix\w*)\b", re.I)
_INSIST = re.compile(r"\b(anyway|regardless|even if|even though|nevertheless|force\w*)\b", re.I)
_ATTACHED = re.compile(r"^Attached photos:(.*)$", re.M)
_FOLLOW_UP = re.compile(r"^\s*(and|also|then|what about|how about|same|now)\b|\b(it|its|that one|them|these|those)\b", re.I)


def insists(question: str) -> bool:
    """Does the question ask to denoise even where the analysis would not ("denoise it anyway")?"""
    return bool(_INSIST.search(question))


def wants_denoise(question: str) -> bool:
    """Does the question ask to clean, denoise, restore or fix the photos?"""
    return bool(_DENOISE.search(question))


def is_follow_up(question: str) -> bool:
    """Does the question lean on the previous one ("and for the second photo?", "what about it")?"""
    return bool(_FOLLOW_UP.search(question))


def question_text(message: BaseMessage) -> str:
    """A user message without its attached-photos line."""
    return strip_attachments(message.text)


def attached_photos(message: BaseMessage) -> list[str]:
    """The photo paths of a user message's attached-photos line (see ``attachment_note``)."""
    line = _ATTACHED.search(message.text)
    return re.findall(r"`([^`]+)`", line.group(1)) if line else []


class OfflineChatModel(BaseChatModel):
    """Deterministic planner and composer; no network, no API key.

    It answers from ``records`` and the ``evidence`` its tool calls gather during the turn.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    records: tuple[Record, ...]
    card_question: str | None = None
    evidence: Any  # an Evidence (typed loosely: pydantic need not build a schema for it)
    tool_names: tuple[str, ...] = ()

    @property
    def _llm_type(self) -> str:
        return "restore-agent-offline"

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any) -> OfflineChatModel:
        names = tuple(getattr(tool, "name", None) or tool["name"] for tool in tools)
        return self.model_copy(update={"tool_names": names})

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        calls = self.plan(messages)
        message = AIMessage(content="", tool_calls=calls) if calls else AIMessage(content=self._answer(messages))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        calls = self.plan(messages)
        if calls:
            chunks = [{"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i}
                      for i, c in enumerate(calls)]
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=chunks))
            return
        for piece in re.split(r"(?<=\n)", self._answer(messages)):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk

    # ------------------------------------------------------------ planning

    def plan(self, messages: Sequence[BaseMessage]) -> list[dict]:
        """The next tool calls for the current turn, or ``[]`` when it is time to answer."""
        last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
        turn = messages[last_human + 1:]
        made = [call for m in turn if isinstance(m, AIMessage) for call in m.tool_calls]
        results = {m.tool_call_id: _json(m) for m in turn if isinstance(m, ToolMessage)}
        question = question_text(messages[last_human]) if last_human >= 0 else ""
        images = attached_photos(messages[last_human]) if last_human >= 0 else []
        searches = [call for call in made if call["name"] == "search_records"]
        planned: list[tuple[str, dict]] = []
        if not searches:
            planned.append(("search_records", {"query": question}))
            planned += [("analyze_image", {"path": path}) for path in images]
        else:
            previous = _previous_question(messages[:last_human])
            first = results.get(searches[0]["id"], {})
            if len(searches) == 1 and previous and is_follow_up(question) and not first.get("covered"):
                planned.append(("search_records", {"query": f"{previous} {question}"}))
            if images and wants_denoise(question) and not any(call["name"] == "denoise_image" for call in made):
                levels = _suggested_levels(made, results)
                force = {"force": True} if insists(question) else {}
                planned += [("denoise_image", {"path": path, **({"noise_level": levels[path]} if levels.get(path) else {}),
                                               **force})
                            for path in images]
        offset = len(made)
        return [{"name": name, "args": args, "id": f"offline-{offset + i + 1}", "type": "tool_call"}
                for i, (name, args) in enumerate(planned) if name in self.tool_names]

    def _answer(self, messages: Sequence[BaseMessage]) -> str:
        humans = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
        question = question_text(messages[humans[-1]]) if humans else ""
        history = [(messages[i].text, messages[i + 1].text) for i in humans[:-1]
                   if i + 1 < len(messages) and isinstance(messages[i + 1], AIMessage)]
        return compose_turn(question, self.records, self.evidence, earlier_turns(history, self.records),
                            self.card_question).markdown()


def _json(message: ToolMessage) -> dict:
    try:
        value = json.loads(message.text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _previous_question(messages: Sequence[BaseMessage]) -> str:
    humans = [m for m in messages if isinstance(m, HumanMessage)]
    return question_text(humans[-1]) if humans else ""


def _suggested_levels(made: Sequence[dict], results: dict[str, dict]) -> dict[str, int]:
    return {call["args"]["path"]: results[call["id"]]["suggested_noise_level"]
            for call in made if call["name"] == "analyze_image" and results.get(call["id"], {}).get("suggested_noise_level")}
