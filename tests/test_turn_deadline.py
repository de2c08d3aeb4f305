"""``--timeout`` bounds the LLM's whole turn: every request and streamed reply together, through the real openai
client against a server that trickles its reply (one chunk a second, which no per-request timeout stops)."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agent.core.deadline import TurnBudget, TurnTimeout
from agent.core.loop import ask
from tests.openai_server import Step, call, scripted_server, text
from tests.test_agent_openai import GOOD_ANSWER, QUESTION, offline_answer, settings
from tools.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
LONG = GOOD_ANSWER * 6  # about 60 chunks: a minute at one chunk a second


@pytest.fixture(scope="module", autouse=True)
def warm() -> None:
    """Imports, the record index and the openai client's first use, before any timing."""
    offline_answer()
    with scripted_server(text(GOOD_ANSWER)) as server:
        ask(QUESTION, settings=settings(server.base_url))


@pytest.mark.parametrize("stream", [True, False], ids=["sse", "json"])
def test_a_trickling_server_is_stopped_at_the_turn_deadline(stream: bool) -> None:
    with scripted_server(Step(text=LONG, trickle=1.0)) as server:
        started = time.perf_counter()
        with pytest.raises(UserError) as failed:
            ask(QUESTION, settings=settings(server.base_url, timeout=3.0, stream=stream, fallback=False))
        elapsed = time.perf_counter() - started
    assert str(failed.value) == f"openai backend failed: scripted at {server.base_url} did not answer within 3 s"
    assert 2.9 < elapsed < 5.0


def test_the_deadline_covers_all_requests_of_the_turn_together() -> None:
    slow_call = Step(tool_calls=[("search_records", json.dumps({"query": "rain and haze removal"}))], trickle=0.3)
    with scripted_server(slow_call, slow_call, slow_call, slow_call, text(GOOD_ANSWER)) as server:
        started = time.perf_counter()
        reply = ask(QUESTION, settings=settings(server.base_url, timeout=4.0))
        elapsed = time.perf_counter() - started
    # each request takes about 2.1 s (7 chunks), under the timeout alone; together they pass it
    assert reply.failure == f"scripted at {server.base_url} did not answer within 4 s"
    assert 2 <= len(server.requests) <= 3 and reply.response["backend"] == "offline-fallback"
    assert elapsed < 7.0


def test_a_fast_turn_with_several_requests_is_untouched() -> None:
    with scripted_server(call("search_records", {"query": "rain"}), call("search_records", {"query": "haze"}),
                         text(GOOD_ANSWER)) as server:
        reply = ask(QUESTION, settings=settings(server.base_url, timeout=3.0))
    assert reply.failure is None and reply.response["backend"] == "openai" and len(server.requests) == 3


def test_time_spent_between_chunks_outside_the_wait_is_not_counted() -> None:
    budget = TurnBudget(0.5)
    for _ in budget.iterate(lambda: iter(range(3))):
        time.sleep(0.3)  # like a tool run or rendering: not the server's time
    assert budget.spent < 0.3
    with pytest.raises(TurnTimeout):
        next(budget.iterate(lambda: iter([threading.Event().wait(2)])))
    assert budget.left <= 0


def test_the_cli_with_a_trickling_server_answers_offline_within_seconds(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OPENAI_API_KEY": "test", "RESTORE_AGENT_MODEL": "scripted"}

    def timed(*args: str) -> tuple[float, subprocess.CompletedProcess]:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "agent", "ask", QUESTION, "--json", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        return time.perf_counter() - started, done

    offline_s, _ = timed("--llm", "offline")  # start-up and the offline answer: the same in both runs
    with scripted_server(Step(text=LONG, trickle=1.0)) as server:
        elapsed, done = timed("--base-url", server.base_url, "--timeout", "3")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["backend"] == "offline-fallback"
    assert "did not answer within 3 s; answering offline" in " ".join(done.stderr.split())
    assert elapsed - offline_s < 15  # 3 s of trickle and the openai client's start (slower on a loaded machine);
    # it ran 41.8 s before the deadline existed
