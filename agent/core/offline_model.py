"""The offline backend: a deterministic planner that plays the model's part, and the loop that runs its plan.

Like a model, it decides the turn's tool calls from the question and the attached photos: it always searches
the records, analyses every photo of the turn, asks to denoise those it could read when the question asks to clean
or restore them (the analysis then decides whether the denoiser runs and at which level; ``force`` only when the
question insists, as in "denoise it anyway", which also carries on from a previous request to clean them),
re-searches with the previous question when a follow-up alone matches nothing, and then writes the answer with
the offline composer from the turn's evidence. The tools are
the same ones an LLM calls (:mod:`agent.core.toolbox`), traced the same way; the loop runs them directly, with
no LangChain graph, so that an offline answer never pays for importing LangChain.
"""
from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from agent.core.compose import ComposedAnswer, compose_turn
from agent.core.events import listener
from agent.core.intent import insists, wants_denoise
from agent.core.question import earlier_turns, strip_attachments
from agent.core.toolbox import TOOL_SPECS, Toolbox, expect_calls, traced
from agent.core.turn import Evidence, Turn
from tools.cancel import current

_FOLLOW_UP = re.compile(r"^\s*(and|also|then|what about|how about|same|now)\b|\b(it|its|that one|them|these|those)\b", re.I)
MAX_ROUNDS = 8  # planning rounds of one turn (it needs three at most)
_RUNS = itertools.count(1)


def is_follow_up(question: str) -> bool:
    """Does the question lean on the previous one ("and for the second photo?", "what about it")?"""
    return bool(_FOLLOW_UP.search(question))


@dataclass
class Call:
    """A tool call the planner made, and what it returned (``{}`` when it failed)."""

    name: str
    args: dict
    result: dict = field(default_factory=dict)


def plan(question: str, photos: Sequence[str], previous: str, made: Sequence[Call]) -> list[tuple[str, dict]]:
    """The next tool calls of a turn, or ``[]`` when it is time to answer."""
    searches = [call for call in made if call.name == "search_records"]
    if not searches:
        return [("search_records", {"query": question}), *(("analyze_image", {"path": path}) for path in photos)]
    planned: list[tuple[str, dict]] = []
    if len(searches) == 1 and previous and is_follow_up(question) and not searches[0].result.get("covered"):
        planned.append(("search_records", {"query": f"{previous} {question}"}))
    asked = wants_denoise(question) or (insists(question) and wants_denoise(previous))  # "do it anyway"
    if photos and asked and not any(call.name == "denoise_image" for call in made):
        read = {call.args["path"] for call in made if call.name == "analyze_image" and call.result}
        force = {"force": True} if insists(question) else {}  # no level: the analysis picks it, and says why
        planned += [("denoise_image", {"path": path, **force}) for path in photos if path in read]
    return planned


Token = Callable[[str, str], None]


def run_offline(turn: Turn, evidence: Evidence, on_token: Token | None = None) -> ComposedAnswer:
    """Answer ``turn`` offline: run the planner's tool calls round by round, then compose (streamed as Markdown)."""
    question = strip_attachments(turn.question)
    previous = strip_attachments(turn.history[-1][0]) if turn.history else ""
    toolbox = Toolbox(turn, evidence)
    tools = {name: (schema, traced(evidence, name, getattr(toolbox, name))) for name, schema, _ in TOOL_SPECS}
    made: list[Call] = []
    for _ in range(MAX_ROUNDS):
        calls = plan(question, list(turn.photos), previous, made)
        if not calls:
            break
        expect_calls(evidence, calls)
        made += [_run(name, args, tools) for name, args in calls]
    run = f"offline-{next(_RUNS)}"
    events = listener()
    if events is not None:
        events.model_started(run)
    try:
        answer = compose_turn(question, turn.records, evidence, earlier_turns(turn.history, turn.records),
                              turn.card_question)
        for piece in re.split(r"(?<=\n)", answer.markdown()):
            if on_token is not None and piece:
                on_token(piece, run)
    finally:
        if events is not None:
            events.model_finished(run)
    return answer


def _run(name: str, args: dict, tools: dict) -> Call:
    """One tool call, checked against its schema like an LLM's, reported to the view; a failure is recorded in the
    trace and leaves the call without a result (a cancel goes through)."""
    schema, function = tools[name]
    run, events = f"offline-tool-{next(_RUNS)}", listener()
    token = current().token
    if token is not None:
        token.check()
    if events is not None:
        events.tool_started(run, name, args)
    try:
        result = json.loads(function(**schema.model_validate(args).model_dump()))
    except Exception as exc:  # a tool's failure is the answer's to report, as with an LLM
        if events is not None:
            events.tool_finished(run, exc)
        return Call(name, args)
    except BaseException as exc:
        if events is not None:
            events.tool_finished(run, exc)
        raise
    if events is not None:
        events.tool_finished(run)
    return Call(name, args, result if isinstance(result, dict) else {})
