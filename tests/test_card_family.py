"""The card family: cards in the seed's format from other restoration fields, answered offline.

Every card in ``examples/cards/`` is loaded and asked the questions in ``tests/card_questions.yaml`` through the
real entry points (:func:`agent.core.loop.ask`, :class:`agent.core.session.ChatSession`). Nothing here knows a
card's content except through that file and the card text itself: the answerer must work on any card of the family.

The seed card with other arXiv versions in its links (so that no shipped knowledge matches it) is answered too.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from agent.core.backends import LLMSettings
from agent.core.grounding import urls_in
from agent.core.loop import ask
from agent.core.session import ChatSession
from tools.cards import load_card

ROOT = Path(__file__).resolve().parents[1]
CARDS = ROOT / "examples" / "cards"
QUESTIONS: dict = yaml.safe_load(Path(__file__).with_name("card_questions.yaml").read_text(encoding="utf-8"))
SEED_NAME = "000_1ea1203c459ef3cc.txt"
MAX_CARD_BYTES = 10_000
MIN_QUESTIONS = 8  # per card: own + facts + a follow-up + off-topic
SECTIONS = ("task", "workflow", "references")

_FIELD = re.compile(r"^(Model|Paper|GitHub|Summary):\s*(.*)$")
_QUOTED = re.compile(r'^\s*"(.+)"\s*$')
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_LINE_MARK = re.compile(r"^\s*(?:#+|[-*+]|\d+\.)\s+")


# ---------------------------------------------------------------- the card text, read here on its own


def card_names() -> list[str]:
    return sorted(path.name for path in CARDS.glob("*.txt"))


def entries_in(text: str) -> list[dict[str, str]]:
    """The card's ``Model:`` entries with their fields, read straight from the text."""
    entries: list[dict[str, str]] = []
    for line in text.splitlines():
        match = _FIELD.match(line.strip())
        if not match:
            continue
        key, value = match.groups()
        if key == "Model":
            entries.append({"Model": value.strip()})
        else:
            entries[-1][key] = value.strip()
    return entries


def links_in(text: str) -> list[str]:
    """Every ``Paper:`` and ``GitHub:`` link of the card text, each once, in order."""
    return list(dict.fromkeys(e[key] for e in entries_in(text) for key in ("Paper", "GitHub") if key in e))


@lru_cache(maxsize=None)
def card_text(name: str) -> str:
    return (CARDS / name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def card_records(name: str) -> tuple:
    return tuple(load_card(CARDS / name).records)


def entry_for(name: str, title_part: str) -> dict[str, str]:
    matches = [entry for entry in entries_in(card_text(name)) if title_part in entry["Model"]]
    assert len(matches) == 1, f"{name}: {title_part!r} names {len(matches)} entries, expected exactly one"
    return matches[0]


def record_id(name: str, title_part: str) -> str:
    """The id of the record loaded from the entry whose ``Model:`` title contains ``title_part`` (found by its
    paper link, so that a record merged from two entries with the same paper is found from either title)."""
    paper = entry_for(name, title_part)["Paper"]
    records = [record for record in card_records(name) if record.paper == paper]
    assert records, f"{name}: no loaded record has the paper link {paper}"
    named = [record for record in records if title_part in record.title]
    return (named or records)[0].id


# ---------------------------------------------------------------- answers, each asked once


@lru_cache(maxsize=None)
def answer(name: str, question: str | None) -> dict:
    """``ask --json``'s object for ``question`` (the card's own when None) about card ``name``."""
    return ask(question, card=CARDS / name).response


@lru_cache(maxsize=None)
def follow_up(name: str, first: str, then: str) -> tuple[dict, dict]:
    """Both answers of a two-turn chat about card ``name``."""
    session = ChatSession(LLMSettings(), card=CARDS / name)
    return session.ask(first).response, session.ask(then).response


def first_paragraph(response: dict) -> str:
    return response["sections"]["task"].strip().split("\n\n")[0]


def repeated_sentences(markdown: str) -> list[str]:
    """Sentences (of six words or more) that occur more than once in ``markdown``."""
    seen: set[str] = set()
    repeated: list[str] = []
    for line in markdown.splitlines():
        for sentence in _SENTENCE_END.split(_LINE_MARK.sub("", line)):
            key = " ".join(sentence.replace("*", "").split())
            if len(key.split()) < 6:
                continue
            if key in seen and key not in repeated:
                repeated.append(key)
            seen.add(key)
    return repeated


def short(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[:limit] + " [...]"


# ---------------------------------------------------------------- test cases with readable ids


def slug(text: str, words: int = 8) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())[:words]) or "none"


def stem(name: str) -> str:
    return Path(name).stem


def fact_cases() -> list:
    """Every fact question; one marked ``known_miss`` in the YAML is a strict xfail, so that it fails the run once
    the answerer finds it (and the mark must go)."""
    return [pytest.param(name, item, id=f"{stem(name)}-{slug(item['q'])}",
                         marks=[pytest.mark.xfail(strict=True, reason=item["known_miss"])] if "known_miss" in item else [])
            for name, spec in QUESTIONS.items() for item in spec["facts"]]


def off_topic_cases() -> list:
    return [pytest.param(name, question, id=f"{stem(name)}-{slug(question)}")
            for name, spec in QUESTIONS.items() for question in spec["off_topic"]]


def follow_up_cases() -> list:
    return [pytest.param(name, spec["follow_up"], id=f"{stem(name)}-{slug(spec['follow_up']['then'])}")
            for name, spec in QUESTIONS.items()]


def every_answer_cases() -> list:
    """Every answer the questions produce: (card, kind, question or follow-up)."""
    cases = []
    for name, spec in QUESTIONS.items():
        cases.append(pytest.param(name, "own", None, id=f"{stem(name)}-own"))
        cases += [pytest.param(name, "fact", item["q"], id=f"{stem(name)}-fact-{slug(item['q'])}")
                  for item in spec["facts"]]
        cases.append(pytest.param(name, "follow_up", spec["follow_up"], id=f"{stem(name)}-follow-up"))
        cases += [pytest.param(name, "off_topic", question, id=f"{stem(name)}-off-topic-{slug(question)}")
                  for question in spec["off_topic"]]
    return cases


CARD_NAMES = [pytest.param(name, id=stem(name)) for name in card_names()]


# ---------------------------------------------------------------- the cards and the question file


def test_there_are_cards_from_six_fields_and_two_share_a_paper_link() -> None:
    names = card_names()
    assert len(names) >= 6, names
    shared = [name for name in names
              if len({e["Paper"] for e in entries_in(card_text(name))}) < len(entries_in(card_text(name)))]
    assert len(shared) >= 2, f"cards whose recommended model's paper is also a related paper: {shared}"


@pytest.mark.parametrize("name", CARD_NAMES)
def test_card_loads_with_its_question_and_exact_links(name: str) -> None:
    text = card_text(name)
    assert len(text.encode("utf-8")) < MAX_CARD_BYTES
    card = load_card(CARDS / name)
    quoted = next(match.group(1) for line in text.splitlines() if (match := _QUOTED.match(line)))
    assert card.question == quoted
    links = set(links_in(text))
    assert {link for record in card.records for link in record.links} == links
    assert {record.paper for record in card.records} == {e["Paper"] for e in entries_in(text)}
    assert len({record.id for record in card.records}) == len(card.records)


@pytest.mark.parametrize("name", CARD_NAMES)
def test_entries_with_one_paper_link_become_one_record(name: str) -> None:
    """A recommended model whose paper is also listed as a related paper is one work: one record."""
    papers = {e["Paper"] for e in entries_in(card_text(name))}
    records = card_records(name)
    assert len(records) == len(papers), [(r.id, r.title, r.paper) for r in records]


def test_question_file_covers_every_card() -> None:
    assert sorted(QUESTIONS) == card_names()
    for name, spec in QUESTIONS.items():
        count = 1 + len(spec["facts"]) + 2 + len(spec["off_topic"])
        assert count >= MIN_QUESTIONS and len(spec["facts"]) >= 4 and len(spec["off_topic"]) >= 2, name
        for title_part in spec["own"]["first_any_of"]:
            entry_for(name, title_part)


@pytest.mark.parametrize("name", CARD_NAMES)
def test_each_fact_is_quoted_from_its_record(name: str) -> None:
    """The question file's own consistency: every fact is verbatim in the named record's summary."""
    spec = QUESTIONS[name]
    for item in [*spec["facts"], spec["follow_up"]]:
        summary = entry_for(name, item["record"]).get("Summary", "")
        assert item["fact"] in summary, f"{item['fact']!r} is not in the summary of {item['record']!r}"
        assert 3 <= len(item["fact"].split()) <= 8, item["fact"]


# ---------------------------------------------------------------- the card's own question


@pytest.mark.parametrize("name", CARD_NAMES)
def test_own_question_is_answered_in_three_sections(name: str) -> None:
    response = answer(name, None)
    assert response["refused"] is False, short(response["answer"])
    for section in SECTIONS:
        assert response["sections"].get(section, "").strip(), f"no {section} section:\n{short(response['answer'])}"
    assert response["citations"], short(response["answer"])


@pytest.mark.parametrize("name", CARD_NAMES)
def test_own_question_cites_a_fitting_record_first(name: str) -> None:
    response = answer(name, None)
    fitting = {record_id(name, title_part) for title_part in QUESTIONS[name]["own"]["first_any_of"]}
    assert response["citations"], short(response["answer"])
    assert response["citations"][0] in fitting, (response["citations"], sorted(fitting))


@pytest.mark.parametrize("name", CARD_NAMES)
def test_own_answer_gives_the_cited_records_links_verbatim(name: str) -> None:
    response = answer(name, None)
    by_id = {record.id: record for record in card_records(name)}
    urls = urls_in(response["answer"])
    missing = [link for rid in response["citations"] for link in by_id[rid].links if link not in urls]
    assert not missing, f"links missing:\n{missing}\n{short(response['answer'], 4000)}"


@pytest.mark.parametrize("name", CARD_NAMES)
def test_own_answer_lists_each_paper_once(name: str) -> None:
    response = answer(name, None)
    papers = {e["Paper"] for e in entries_in(card_text(name))}
    listed = [url for url in urls_in(response["sections"]["references"]) if url in papers]
    assert len(listed) == len(set(listed)), f"a paper listed twice:\n{response['sections']['references']}"


# ---------------------------------------------------------------- facts, follow-ups, off-topic questions


@pytest.mark.parametrize(("name", "item"), fact_cases())
def test_fact_question_is_answered_first_from_its_record(name: str, item: dict) -> None:
    response = answer(name, item["q"])
    assert response["refused"] is False, short(response["answer"])
    rid = record_id(name, item["record"])
    paragraph = first_paragraph(response)
    assert f"[{rid}]" in paragraph, f"[{rid}] not in the first paragraph:\n{paragraph}"
    assert item["fact"] in paragraph, f"{item['fact']!r} not in the first paragraph:\n{paragraph}"
    assert not repeated_sentences(response["answer"]), repeated_sentences(response["answer"])


@pytest.mark.parametrize(("name", "turns"), follow_up_cases())
def test_follow_up_is_answered_about_the_record_it_points_to(name: str, turns: dict) -> None:
    first, then = follow_up(name, turns["first"], turns["then"])
    assert first["refused"] is False, short(first["answer"])
    assert then["refused"] is False, short(then["answer"])
    rid = record_id(name, turns["record"])
    paragraph = first_paragraph(then)
    assert f"[{rid}]" in paragraph, f"[{rid}] not in the first paragraph:\n{paragraph}"
    assert turns["fact"] in paragraph, f"{turns['fact']!r} not in the first paragraph:\n{paragraph}"


@pytest.mark.parametrize(("name", "question"), off_topic_cases())
def test_question_from_another_field_is_refused(name: str, question: str) -> None:
    response = answer(name, question)
    assert response["refused"] is True, short(response["answer"])
    assert response["citations"] == []
    assert urls_in(response["answer"]) == []


@pytest.mark.parametrize(("name", "kind", "question"), every_answer_cases())
def test_every_url_is_one_of_the_card_links(name: str, kind: str, question) -> None:
    if kind == "follow_up":
        responses = follow_up(name, question["first"], question["then"])
    else:
        responses = (answer(name, question),)
    allowed = set(links_in(card_text(name)))
    for response in responses:
        stray = [url for url in urls_in(response["answer"]) if url not in allowed]
        assert not stray, f"URLs that are no link of the card: {stray}"


# ---------------------------------------------------------------- the seed card, with other arXiv versions


@pytest.fixture
def seed_other_versions(shared_dir: Path, tmp_path: Path) -> Path:
    """The seed card with every arXiv version one lower (v4 -> v3, v2 -> v1): same works, links no shipped
    record has."""
    seed = shared_dir / "seeds" / SEED_NAME
    if not seed.is_file():
        pytest.skip(f"the seed card is absent ({seed})")
    text = seed.read_text(encoding="utf-8")
    changed = re.sub(r"v(\d+)\.pdf", lambda m: f"v{int(m.group(1)) - 1}.pdf", text)
    assert changed != text and "v0.pdf" not in changed
    path = tmp_path / "seed_other_versions.txt"
    path.write_text(changed, encoding="utf-8")
    return path


def test_seed_with_other_versions_answers_its_own_question(seed_other_versions: Path) -> None:
    links = links_in(seed_other_versions.read_text(encoding="utf-8"))
    assert len(links) == 7
    response = ask(None, card=seed_other_versions).response
    assert response["refused"] is False, short(response["answer"])
    for section in SECTIONS:
        assert response["sections"].get(section, "").strip(), f"no {section} section:\n{short(response['answer'])}"
    urls = urls_in(response["answer"])
    assert [link for link in links if link not in urls] == [], short(response["answer"], 4000)
    assert set(urls) <= set(links)


def test_seed_with_other_versions_finds_a_fact_in_a_summary(seed_other_versions: Path) -> None:
    response = ask("How many pictures end up in the dataset that GenIR creates?", card=seed_other_versions).response
    assert response["refused"] is False, short(response["answer"])
    assert "one million high-quality images" in first_paragraph(response), first_paragraph(response)
