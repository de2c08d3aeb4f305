"""The public question set, offline: specific facts (the first paragraph states them, cited to the right record),
figures the records do not give, comparisons, what runs here, and the card's own overview question."""
from __future__ import annotations

import re
from functools import lru_cache

import pytest

from agent.core.grounding import cited_ids, urls_in
from agent.core.loop import ask
from agent.core.measured import shipped_card
from agent.core.prose import sentences
from tools.cards import load_records
from tools.swinir.weights import EMBEDDED_DIR

RECORDS = {record.id: record for record in load_records()}
SWINIR, HAIR, DUAL, DREAM = "denoise-swinir-noise15", "hair", "dual-transformers-frequency", "dreamclear"
MODEL_CARD = EMBEDDED_DIR / "MODEL_CARD.md"
SHIPPED = shipped_card()  # the default weights and their figures, as the model card states them


@lru_cache(maxsize=None)
def answer(question: str) -> dict:
    """The offline ``ask --json`` object for a question (each question answered once per test run)."""
    return ask(question).response


def first_paragraph(response: dict) -> str:
    return response["sections"]["task"].split("\n\n")[0]


def record_text(record_id: str) -> str:
    record = RECORDS[record_id]
    return " ".join([record.title, record.summary, *record.key_facts, record.technique, record.best_for])


def numbers_in(text: str) -> set[str]:
    """The numbers a text writes (links left out)."""
    for url in urls_in(text):
        text = text.replace(url, " ")
    return set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?", text))


def allowed_numbers() -> set[str]:
    """Numbers an answer may write: the records' own and those this project measured (the model card)."""
    sources = [record_text(rid) for rid in RECORDS]
    if MODEL_CARD.is_file():
        sources.append(MODEL_CARD.read_text(encoding="utf-8"))
    return set().union(*(numbers_in(text) for text in sources))


def assert_sections_do_not_repeat(response: dict) -> None:
    seen: set[str] = set()
    for key in ("task", "workflow", "references"):
        said = {s.lstrip("-* ") for line in response["sections"][key].splitlines() for s in sentences(line)}
        assert not (said & seen), (key, said & seen)
        seen |= said


# (question, record whose fact answers it, words of that fact the first paragraph must hold)
FACTS = [
    ("How many parameters does the SwinIR denoising network have?", SWINIR, "11.5 M parameters"),
    ("Which datasets was SwinIR trained on?", SWINIR, "DIV2K, Flickr2K"),
    ("What PSNR does SwinIR reach on McMaster?", SWINIR, "35.61 dB on McMaster"),
    ("How many blocks and layers does the SwinIR denoiser stack?", SWINIR, "6 blocks of 6 layers"),
    ("What window size does SwinIR's self-attention use?", SWINIR, "8x8 windows"),
    ("Which noise levels do the SwinIR denoising checkpoints cover?", SWINIR, "sigma 15, 25 or 50"),
    ("Where was SwinIR published?", SWINIR, "ICCV 2021"),
    ("What PSNR does Res-HAIR reach on Rain100L?", HAIR, "38.59 dB on Rain100L"),
    ("What is the GIV in HAIR?", HAIR, "Global Information Vector (GIV)"),
    ("What does the HSN do?", HAIR, "Hyper Selecting Net"),
    ("How many parameters does Res-HAIR have?", HAIR, "29 M parameters"),
    ("What does Res-HAIR average in the five-task setting?", HAIR, "30.37 dB"),
    ("Which network does HAIR plug into to make Res-HAIR?", HAIR, "Restormer"),
    ("What PSNR does Res-HAIR reach on SOTS?", HAIR, "30.98 dB on SOTS"),
    ("What does Dformer do?", DUAL, "Dformer estimates the degradation"),
    ("How does Rformer restore the image?", DUAL, "degradation-adaptive self-attention"),
    ("On which tasks were Dformer and Rformer evaluated?", DUAL, "five tasks"),
    ("Is there a code link for the Dformer + Rformer paper?", DUAL, "no code link"),
    ("What do Dformer and Rformer claim for unseen degradation levels?", DUAL, "unseen-level degradations"),
    ("What is MoAM in DreamClear?", DREAM, "Mixture of Adaptive Modulator"),
    ("How many images does GenIR produce for DreamClear?", DREAM, "one million"),
    ("What captions the degraded input in DreamClear?", DREAM, "multimodal large language model"),
    ("What does DreamClear build on?", DREAM, "PixArt-alpha"),
    ("What is RealLQ250?", DREAM, "250 real low-quality images"),
    ("What is the Diffusion Transformer in DreamClear?", DREAM, "Diffusion Transformer (DiT)"),
]


@pytest.mark.parametrize(("question", "record_id", "fact"), FACTS, ids=[q for q, _, _ in FACTS])
def test_specific_fact_is_in_the_first_paragraph_cited_to_its_record(question: str, record_id: str, fact: str) -> None:
    assert fact in record_text(record_id) or fact == "no code link"  # the expectation comes from the record
    response = answer(question)
    first = first_paragraph(response)
    assert not response["refused"] and response["grounding"]["ok"]
    assert fact in first, first
    assert f"[{record_id}]" in first and response["citations"][0] == record_id
    assert "do not give" not in first
    assert numbers_in(response["answer"]) <= allowed_numbers()
    assert_sections_do_not_repeat(response)


def test_every_record_has_five_fact_questions() -> None:
    assert all(sum(1 for _, rid, _ in FACTS if rid == record_id) >= 5 for record_id in RECORDS)


# (question, record asked about, what the nearest facts must still offer)
MISSING = [
    ("What PSNR does DreamClear reach on McMaster?", DREAM, "35.61 dB on McMaster"),
    ("How many parameters does Dformer have?", DUAL, "Dformer"),
    ("How many parameters does DreamClear have?", DREAM, "needs a GPU"),
    ("What PSNR does SwinIR reach on Urban100?", SWINIR, "35.61 dB"),
    ("What PSNR does HAIR reach on McMaster at sigma 30?", HAIR, "dB"),
    ("Who are the authors of the HAIR paper?", HAIR, RECORDS[HAIR].paper),
    ("What PSNR does SwinIR reach on McMaster at sigma 25?", SWINIR, "35.61 dB on McMaster"),
]


@pytest.mark.parametrize(("question", "record_id", "nearest"), MISSING, ids=[q for q, _, _ in MISSING])
def test_a_figure_the_records_lack_is_said_to_be_missing(question: str, record_id: str, nearest: str) -> None:
    response = answer(question)
    first = first_paragraph(response)
    assert first.startswith("The records do not give") and f"[{record_id}]" in first
    assert nearest in first  # the nearest facts they do give
    assert numbers_in(response["answer"]) <= allowed_numbers(), numbers_in(response["answer"]) - allowed_numbers()


@pytest.mark.skipif(not MODEL_CARD.is_file(), reason="no shipped SwinIR weights (model card) in this checkout")
def test_figures_measured_here_are_labelled_beside_the_papers() -> None:
    from agent.core.measured import shipped_card

    row = shipped_card().row("McMaster", "25")  # the model card's own figure, and the weights that measured it
    task = answer("What PSNR does SwinIR reach on McMaster at sigma 25?")["sections"]["task"]
    measured = next(p for p in task.split("\n\n") if f"{row.psnr} dB" in p)
    assert measured.startswith("Measured by this project, not a record's figure") and "[" not in measured
    assert f"`{row.weights}`" in measured
    card = f"| McMaster (color) | 25 | 20.89 | `{row.weights}` | **{row.psnr}** |"
    assert card in MODEL_CARD.read_text(encoding="utf-8")


def test_comparison_for_gaussian_noise_says_which_fits_and_that_quality_is_undecided() -> None:
    response = answer("HAIR or SwinIR for plain Gaussian noise?")
    first = first_paragraph(response)
    assert first.startswith("For additive Gaussian-like noise at a known level, SwinIR [denoise-swinir-noise15]")
    assert "[hair]" in first and "runs here" in first
    task = response["sections"]["task"]
    assert "do not say which restores better" in task
    assert "29 M parameters" in task and "11.5 M parameters" in task  # side by side, with what each costs
    assert "leads" not in response["answer"]


def test_lighter_is_decided_by_the_records_parameter_counts() -> None:
    first = first_paragraph(answer("Which is lighter, HAIR or SwinIR?"))
    assert first.startswith("By the records' parameter counts, SwinIR is the lighter")
    assert "about 11.5 M parameters" in first and "about 29 M parameters" in first


def test_better_for_denoising_is_not_claimed_without_a_common_benchmark() -> None:
    response = answer("Is HAIR better than SwinIR for denoising?")
    task = response["sections"]["task"]
    assert "do not say which restores better" in task
    assert set(response["citations"][:2]) == {HAIR, SWINIR}
    assert "is better" not in response["answer"] and "leads" not in response["answer"]


def test_compare_for_rain_names_the_record_that_lists_rain_and_asks_nothing_back() -> None:
    response = answer("Compare HAIR and DreamClear for rain removal")
    first = first_paragraph(response)
    assert "HAIR [hair]" in first and "DreamClear [dreamclear] does not list rain" in first
    assert "You also ask" not in response["answer"]


def test_fastest_says_what_runs_here_and_that_the_records_give_no_speeds() -> None:
    response = answer("Which of these models is fastest?")
    first = first_paragraph(response)
    assert "only SwinIR runs here" in first and "no speed figures" in first
    assert len(response["citations"]) == 4


@pytest.mark.parametrize(
    ("question", "phrases"),
    [
        ("Can I run DreamClear on a laptop?", ["DreamClear [dreamclear] does not run here", "needs a GPU"]),
        ("Which of these can I run?", ["only SwinIR runs here", SHIPPED.id, f"{SHIPPED.parameters} M parameters",
                                       "official checkpoint runs only once installed"]),
        ("Does SwinIR run here?", [SHIPPED.id, "trained by this project", f"{SHIPPED.row().psnr} dB on McMaster"]),
        ("How fast is HAIR?", ["HAIR [hair] does not run here", "no speed figures"]),
    ],
)
def test_feasibility_says_exactly_what_runs_here(question: str, phrases: list[str]) -> None:
    first = first_paragraph(answer(question))
    for phrase in phrases:
        assert phrase in first, (phrase, first)


def test_recommendation_lists_the_records_that_handle_the_degradation() -> None:
    response = answer("which of these can remove rain?")
    assert not response["refused"] and set(response["citations"]) == {HAIR, DUAL}
    assert "rain" in first_paragraph(response)


def test_card_question_keeps_its_full_scope_without_claims_the_records_do_not_make() -> None:
    response = ask(None).response
    assert len(response["citations"]) == 4 and len(set(urls_in(response["answer"]))) == 7
    assert "leads here" not in response["answer"] and "You also ask" not in response["answer"]
    assert "do not rank them" in response["sections"]["task"]
    assert "plain filtering" not in response["answer"]
    assert "runnable here" in response["sections"]["workflow"]
    # the paragraph on the shipped weights belongs to questions about running something, not to the overview
    assert SHIPPED.id not in response["answer"]
    assert_sections_do_not_repeat(response)


def test_a_question_about_running_says_exactly_what_runs_here() -> None:
    response = answer("Can I run SwinIR on my laptop?")
    assert SHIPPED.id in response["answer"]


def test_narrow_answers_keep_three_short_sections_about_the_records_asked() -> None:
    response = answer("What is MoAM in DreamClear?")
    assert response["citations"] == [DREAM] and cited_ids(response["answer"], RECORDS.values()) == [DREAM]
    assert all(response["sections"][key] for key in ("task", "workflow", "references"))
    assert "input → model → output" in response["sections"]["workflow"].lower()
    assert urls_in(response["sections"]["references"]) == list(RECORDS[DREAM].links)
