"""Retrieval over the loaded records: the right record first, passages that match, off-topic refused."""
from __future__ import annotations

import pytest

from tools.cards import default_question, load_records
from tools.records import Record
from tools.retrieval import RecordStore, judge_scope
from tools.retrieval.tokens import tokenize


@pytest.fixture(scope="module")
def store() -> RecordStore:
    return RecordStore(load_records())


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which model removes Gaussian noise at a fixed noise level of sigma 15?", "denoise-swinir-noise15"),
        ("How can I remove rain streaks and haze from my photos?", "hair"),
        ("Which model handles deraining and dehazing in one network?", "hair"),
        ("My photo was shot in low light and is too dark; what can enhance it?", "dual-transformers-frequency"),
        ("Which approach uses diffusion to restore images?", "dreamclear"),
        ("Which method estimates the degradation from frequency components of the image?", "dual-transformers-frequency"),
    ],
)
def test_right_record_ranks_first(store: RecordStore, question: str, expected: str) -> None:
    result = store.search(question)
    assert result.covered
    assert result.hits[0].record_id == expected
    assert result.hits[0].score > result.hits[1].score


def test_hits_carry_matching_passages_from_their_record(store: RecordStore) -> None:
    result = store.search("diffusion transformer with generative priors")
    top = result.hits[0]
    assert top.record_id == "dreamclear"
    assert top.passages and all(p.record_id == "dreamclear" for p in top.passages)
    assert "diffusion" in top.passages[0].text.lower()
    assert [p.score for p in top.passages] == sorted((p.score for p in top.passages), reverse=True)
    assert top.to_dict()["id"] == "dreamclear"


def test_card_question_matches_all_four_records(store: RecordStore) -> None:
    result = store.search(default_question())
    assert result.covered
    assert {hit.record_id for hit in result.hits} == set(store.records)


def test_store_only_knows_the_records_it_was_given() -> None:
    only = Record(id="rainnet", title="RainNet", kind="related paper", paper="https://x.org/r.pdf",
                  summary="Removes rain streaks from photos.", handles=("rain",))
    result = RecordStore([only]).search("How do I remove rain streaks and haze from my photos?")
    assert [hit.record_id for hit in result.hits] == ["rainnet"]


@pytest.mark.parametrize(
    "question",
    [
        "how do I bake sourdough bread?",
        "what is the capital of France?",
        "Will it rain tomorrow?",
        "how do I cut my hair?",
        "How do I remove background noise from an audio recording?",
        "how do I print a photo?",
    ],
)
def test_off_topic_questions_are_not_covered(store: RecordStore, question: str) -> None:
    result = store.search(question)
    assert not result.covered
    assert not result.scope.in_scope


@pytest.mark.parametrize(
    "question",
    [
        "How do I fix a blurry photo?",
        "What does the hypernetwork in HAIR do?",
        "Tell me about HAIR",
        "denoise my picture",
        "my old photo is badly damaged with scratches",
    ],
)
def test_restoration_questions_are_in_scope(store: RecordStore, question: str) -> None:
    assert store.search(question).covered


def test_scope_needs_capitals_for_capitalised_record_names() -> None:
    assert judge_scope("what is HAIR?", {"hair": "HAIR"}).in_scope
    assert not judge_scope("what is hair?", {"hair": "HAIR"}).in_scope


def test_tokenizer_merges_task_and_symptom_words() -> None:
    assert tokenize("deraining rainy rain") == ["rain"] * 3
    assert tokenize("denoising noisy noise") == ["nois"] * 3
    assert tokenize("the of and") == []
