"""The LLM path reads the loaded card: its system prompt and tool descriptions come from the card's question and
records, never from the default card (requests seen by a scripted OpenAI-compatible server)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agent.core.loop import ask
from tests.openai_server import scripted_server, text
from tests.test_agent_openai import settings
from tools.cards import load_card

CARD_QUESTION = "Rain streaks ruin my street photos taken in storms. Which deraining networks remove them best?"
RAIN_RECORDS = (  # title, paper, code
    ("PReNet: Progressive Image Deraining Networks: A Better and Simpler Baseline",
     "http://arxiv.org/pdf/1901.09221v3.pdf", "https://github.com/csdwren/PReNet"),
    ("DRSformer: Learning A Sparse Transformer Network for Effective Image Deraining",
     "http://arxiv.org/pdf/2303.11950v1.pdf", "https://github.com/cschenxiang/DRSformer"),
    ("RainPrior: Rain Streak Priors for Single Image Deraining with Frequency Attention",
     "http://arxiv.org/pdf/2311.04501v2.pdf", None),
)
RAIN_CARD = f'''You are an AI scientist.

A user has asked the following question:
"{CARD_QUESTION}"

Based on the following recommended models, explain:

1. What task the user is trying to perform.
2. How the model(s) would work in a CNAPS AI-like workflow (input → model → output).
3. List relevant papers and tools (with GitHub or ArXiv links) that support your answer.

Use **only the provided models and papers**. Do not refer to outside sources.

### Recommended AI Models:
Model: {RAIN_RECORDS[0][0]}
Paper: {RAIN_RECORDS[0][1]}
GitHub: {RAIN_RECORDS[0][2]}
Summary: Rain streaks degrade outdoor photos. We propose a progressive recurrent network that removes rain \
streaks stage by stage, repeating a shallow ResNet with a recurrent layer.

### Related Papers:
Model: {RAIN_RECORDS[1][0]}
Paper: {RAIN_RECORDS[1][1]}
GitHub: {RAIN_RECORDS[1][2]}
Summary: Transformers help image deraining. We propose a sparse transformer that keeps the most useful \
self-attention values for rain removal, with a mixed-scale feed-forward network.

Model: {RAIN_RECORDS[2][0]}
Paper: {RAIN_RECORDS[2][1]}
Summary: Rain streaks concentrate in high frequency bands. We introduce a frequency attention prior that \
separates rain from texture in a single image.


Answer:
'''
ANSWER = ("## Task\n\nSingle-image deraining [prenet].\n\n## Workflow\n\nA rainy photo → PReNet [prenet], "
          "described only → the derained photo.\n\n## Papers and tools\n\n- PReNet [prenet]\n")
DEFAULT_WORDS = ("hair", "SwinIR", "DreamClear", "dual-transformers", "Dformer", "extreme noise",
                 "heavily degraded", "Hypernetworks")


def rain_card(folder: Path) -> Path:
    path = folder / "deraining.txt"
    path.write_text(RAIN_CARD, encoding="utf-8")
    return path


def first_request(card: Path | None, question: str = "Which model removes rain?") -> dict:
    with scripted_server(text(ANSWER)) as server:
        reply = ask(question, card=card, settings=settings(server.base_url))
    assert reply.failure is None and reply.response["backend"] == "openai"
    return server.requests[0]


def system_of(request: dict) -> str:
    message = request["messages"][0]
    assert message["role"] == "system"
    return message["content"]


def descriptions(request: dict) -> dict[str, str]:
    return {tool["function"]["name"]: tool["function"]["description"] for tool in request["tools"]}


def default_links() -> set[str]:
    return {link for record in load_card(None).records for link in record.links}


def test_the_rain_card_is_what_the_llm_reads(tmp_path: Path) -> None:
    card = rain_card(tmp_path)
    records = load_card(card).records
    assert [r.title for r in records] == [title for title, *_ in RAIN_RECORDS] and not any(r.runnable for r in records)
    request = first_request(card)
    system = system_of(request)
    assert CARD_QUESTION in system
    for record, (title, paper, code) in zip(records, RAIN_RECORDS):
        line = next(line for line in system.splitlines() if line.startswith(f"- [{record.id}] "))
        assert title in line and paper in line and "not runnable here" in line
        assert (code in line) if code else "no code link" in line
    assert f"`[{records[0].id}]`" in system and "rain streaks" in system
    assert "No loaded record runs here" in system
    tools = descriptions(request)
    for name in ("search_records", "describe_workflow"):
        assert all(f"[{record.id}]" in tools[name] for record in records), tools[name]
    assert "none of the loaded records" in tools["denoise_image"]
    everything = system + json.dumps(request["tools"])
    for word in DEFAULT_WORDS:
        assert word.lower() not in everything.lower(), word
    assert not any(link in everything for link in default_links())


def test_the_default_card_prompt_carries_its_own_question_and_records() -> None:
    card = load_card(None)
    request = first_request(None)
    system = system_of(request)
    assert card.question and card.question in system
    for record in card.records:
        assert f"- [{record.id}] {record.title}" in system and all(link in system for link in record.links)
    assert f"`[{card.records[0].id}]`" in system
    runnable = [record for record in card.records if record.runnable]
    assert runnable and all(f"[{record.id}] is runnable here" in system for record in runnable)
    tools = descriptions(request)
    assert all(f"[{record.id}]" in tools["search_records"] for record in card.records)
    assert all(f"[{record.id}]" in tools["denoise_image"] for record in runnable)
    assert "$" not in system  # every placeholder filled


def test_a_card_without_a_question_says_so(tmp_path: Path) -> None:
    path = tmp_path / "bare.yaml"
    path.write_text(yaml.safe_dump([{"id": "prenet", "title": RAIN_RECORDS[0][0], "kind": "recommended model",
                                     "paper": RAIN_RECORDS[0][1], "handles": ["rain"]}]), encoding="utf-8")
    system = system_of(first_request(path))
    assert "The card states no question of its own" in system and "- [prenet] " in system


def test_chat_and_report_pass_the_card_question_too(tmp_path: Path) -> None:
    from agent.core.session import ChatSession
    from agent.products.report.build import ReportJob, build_report

    card = rain_card(tmp_path)
    with scripted_server(text(ANSWER), text(ANSWER)) as server:
        ChatSession(settings(server.base_url), card=card).ask("Which model removes rain?")
        build_report(ReportJob(question="Which model removes rain?", card=card), settings(server.base_url),
                     tmp_path / "work")
    ids = [record.id for record in load_card(card).records]
    assert len(server.requests) == 2
    for request in server.requests:  # the chat turn's, then the report's
        assert CARD_QUESTION in system_of(request) and all(f"- [{rid}] " in system_of(request) for rid in ids)


@pytest.fixture
def big_card(tmp_path: Path) -> Path:
    records = [{"id": f"model-{n}", "title": f"Restoration Network {n}: Learning to Restore Photos at Scale {n}",
                "kind": "related paper", "paper": f"http://arxiv.org/pdf/2401.{n:05d}v1.pdf",
                "code": f"https://github.com/example-lab/restore-{n}", "handles": ["rain", "haze"],
                "runnable": n == 7}
               for n in range(500)]
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump({"question": "Which of these removes haze?", "records": records}),
                    encoding="utf-8")
    return path


def test_a_500_record_card_keeps_the_prompt_and_tools_bounded(big_card: Path) -> None:
    request = first_request(big_card)
    system = system_of(request)
    assert len(system) < 40_000
    assert "- [model-0] " in system and "more records, not listed here" in system
    assert "[model-7] is runnable here" in system
    tools = descriptions(request)
    assert all(len(description) < 2_000 for description in tools.values())
    assert "[model-11], and 488 more" in tools["search_records"] and "[model-12]" not in tools["search_records"]
    assert "[model-7]" in tools["denoise_image"]
