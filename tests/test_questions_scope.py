"""Scope both ways: questions that only share words with the domain are refused (on evidence: their content
words are not the records'), while questions about "these" records, their terms or a photo's damage are answered."""
from __future__ import annotations

import pytest

from agent.core.grounding import urls_in
from tests.test_questions import answer

OFF_TOPIC = [
    "Which transformer model is best for machine translation?",
    "How do I fix the scratches on my old car?",
    "How can I reduce the noise from my neighbours at night?",
    "Will it rain tomorrow in London?",
    "How do I restore an old wooden table?",
    "What diffusion model generates anime art from text prompts?",
    "How do I remove background noise from an audio recording?",
    "What is the best way to clear haze from a city with air pollution?",
    "How do large language models like GPT use transformers?",
    "How do I restore my iPhone from a backup?",
    "What is heat diffusion in physics?",
    "How do I restore my hair after bleaching?",
    "What is the resolution of my monitor?",
    "How do I sharpen a kitchen knife?",
    "How do I denoise an ECG signal?",
    "How does Stable Diffusion generate art?",
    "Which power transformer suits a 230 volt circuit?",
    "How do I restore a Windows system image from a recovery drive?",
]


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_questions_sharing_only_words_with_the_domain_are_refused(question: str) -> None:
    response = answer(question)
    assert response["refused"] is True, response["sections"]["task"]
    assert response["citations"] == [] and urls_in(response["answer"]) == []
    assert response["sections"]["task"].startswith("The provided records do not cover this question")


IN_SCOPE = [
    ("which of these can remove rain?", {"hair", "dual-transformers-frequency"}),
    ("Which of these models is fastest?", {"denoise-swinir-noise15"}),
    ("Which of the records has no code link?", {"dual-transformers-frequency"}),
    ("my old photo is badly damaged with scratches", {"dreamclear"}),
    ("What does the Hyper Selecting Net do?", {"hair"}),
    ("Which method uses a hypernetwork to generate parameters?", {"hair"}),
    ("Which approach uses diffusion to restore images?", {"dreamclear"}),
    ("My photos are grainy, what can clean them?", {"hair"}),
]


@pytest.mark.parametrize(("question", "expected"), IN_SCOPE, ids=[q for q, _ in IN_SCOPE])
def test_questions_about_the_records_are_answered(question: str, expected: set[str]) -> None:
    response = answer(question)
    assert response["refused"] is False
    assert expected <= set(response["citations"]), response["citations"]
    assert expected & set(response["citations"][:2])


def test_the_refusal_explains_itself_with_the_questions_own_words() -> None:
    task = answer("Which transformer model is best for machine translation?")["sections"]["task"]
    assert "'machine'" in task and "'translation'" in task
