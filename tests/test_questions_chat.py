"""Follow-ups in chat resolve against the records of the earlier turns: pronouns, "the second", "which of them",
and a bare "what about HAIR?" that asks the earlier question again about another record."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent.core.backends import LLMSettings
from agent.core.session import ChatSession
from tests.test_questions import first_paragraph

ROOT = Path(__file__).resolve().parents[1]
SWINIR, HAIR, DUAL, DREAM = "denoise-swinir-noise15", "hair", "dual-transformers-frequency", "dreamclear"

# (first question, follow-up, record the follow-up is about, words of its fact the first paragraph must hold)
PAIRS = [
    ("Tell me about HAIR", "how many parameters does it have?", HAIR, "29 M parameters"),
    ("How many parameters does Res-HAIR have?", "and the SwinIR one?", SWINIR, "11.5 M parameters"),
    ("What PSNR does SwinIR reach on McMaster?", "what about HAIR?", HAIR, "The records do not give a PSNR figure"),
    ("Which model removes rain?", "what about the second?", DUAL, "Dformer + Rformer [dual-transformers-frequency]"),
    ("Which of these can remove rain?", "which of them is fastest to run here?", HAIR, "None of"),
    ("What is MoAM in DreamClear?", "can I run it on a laptop?", DREAM, "needs a GPU"),
    ("Which datasets was SwinIR trained on?", "and where was it published?", SWINIR, "ICCV 2021"),
]


@pytest.mark.parametrize(("first", "follow_up", "record_id", "fact"), PAIRS, ids=[f"{a} / {b}" for a, b, _, _ in PAIRS])
def test_follow_up_answers_about_the_earlier_records(first: str, follow_up: str, record_id: str, fact: str) -> None:
    session = ChatSession(LLMSettings())
    session.ask(first)
    response = session.ask(follow_up).response
    paragraph = first_paragraph(response)
    assert response["refused"] is False
    assert fact in paragraph, paragraph
    assert f"[{record_id}]" in paragraph


def test_a_pronoun_points_at_the_latest_turns_record() -> None:
    session = ChatSession(LLMSettings())
    session.ask("Tell me about HAIR")
    session.ask("What is MoAM in DreamClear?")
    paragraph = first_paragraph(session.ask("how many parameters does it have?").response)
    assert paragraph.startswith("The records do not give a parameter count for DreamClear [dreamclear]")


def test_an_off_topic_turn_in_a_conversation_is_still_refused() -> None:
    session = ChatSession(LLMSettings())
    session.ask("Which model removes rain?")
    assert session.ask("and how do I bake sourdough bread?").response["refused"] is True


def test_chat_through_a_pipe_answers_three_follow_ups(tmp_path: Path) -> None:
    lines = ["How many parameters does Res-HAIR have?", "and the SwinIR one?", "which of them runs here?",
             "what about DreamClear?"]
    result = subprocess.run([sys.executable, "-m", "agent", "chat", "--json"], input="\n".join(lines) + "\n",
                            cwd=ROOT, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [first_paragraph(a).count("[") > 0 for a in answers] == [True] * 4
    assert "29 M parameters" in first_paragraph(answers[0])
    assert "11.5 M parameters" in first_paragraph(answers[1])
    assert "only SwinIR runs here" in first_paragraph(answers[2])
    assert "[dreamclear]" in first_paragraph(answers[3]) and "[hair]" not in first_paragraph(answers[3])
