"""Scope by subject on the default card: everyday words never count against a question, a photo in anyone's
words is the card's field, and a question whose subject is another field is refused even when it shares words.
Also the default card read as plain seed text, with nothing of the enriched records (links changed)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.core.grounding import urls_in
from agent.core.loop import ask
from agent.core.session import ChatSession
from agent.core.backends import LLMSettings
from tests.test_questions import answer, first_paragraph
from tools.retrieval.units import parameter_count

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seeds" / "000_1ea1203c459ef3cc.txt"

IN_FIELD = [
    ("I want photorealistic detail back on a very old, badly damaged family portrait. What can do it?", "dreamclear"),
    ("Why would looking at frequency bands help restoration?", "dual-transformers-frequency"),
    ("Is any of the recommended models based on diffusion?", "dreamclear"),
    ("How do I fix noisy night shots?", None),
    ("Can it clean up my grainy selfies?", None),
    ("How do I restore scanned documents?", None),
    ("Will the faces in my wedding photos get special treatment?", None),
    ("What is a hypernetwork?", "hair"),
]


@pytest.mark.parametrize(("question", "record_id"), IN_FIELD, ids=[q for q, _ in IN_FIELD])
def test_everyday_words_and_photos_in_anyones_words_are_answered(question: str, record_id: str | None) -> None:
    response = answer(question)
    assert response["refused"] is False, response["sections"]["task"]
    if record_id:
        assert response["citations"][0] == record_id, response["citations"]


OTHER_FIELDS = [
    "Which GPU should I buy for gaming at 4K?",
    "How do large language models generate text?",
    "How do I recover deleted files from my hard drive?",
    "How do I remove the hiss from an old cassette tape?",
    "Is 70 decibels of noise too loud for a bedroom?",
    "Will the haze clear up by the weekend according to the weather forecast?",
    "When will the haze over the city clear?",
    "How do I fix the scratches on my old car?",
]


@pytest.mark.parametrize("question", OTHER_FIELDS)
def test_a_question_from_another_field_is_refused_with_what_the_card_covers(question: str) -> None:
    response = answer(question)
    assert response["refused"] is True, response["sections"]["task"]
    assert response["citations"] == [] and urls_in(response["answer"]) == []
    assert "They cover image restoration only" in response["sections"]["task"]


def test_follow_ups_keep_the_attribute_asked() -> None:
    session = ChatSession(LLMSettings())
    session.ask("How many parameters does Res-HAIR have?")
    paragraph = first_paragraph(session.ask("and the SwinIR denoiser, how many?").response)
    assert "11.5 M parameters" in paragraph and "[denoise-swinir-noise15]" in paragraph
    session = ChatSession(LLMSettings())
    session.ask("How many parameters does SwinIR have?")
    assert "11.5 M parameters" in first_paragraph(session.ask("how many?").response)


@pytest.mark.parametrize(("text", "millions"), [
    ("It needs only 1.61 M parameters and 15.57 G FLOPs.", 1.61), ("The model has 17.1 million parameters.", 17.1),
    ("Restormer has 26.1M params.", 26.1), ("Sharing weights leaves only 21,000 parameters.", 0.021),
    ("A 7.3M-parameter network.", 7.3), ("A dataset of one million high-quality images.", None),
])
def test_parameter_counts_are_read_as_papers_write_them(text: str, millions: float | None) -> None:
    count = parameter_count(text)
    assert (count.millions if count else None) == (pytest.approx(millions) if millions else None)


@pytest.fixture(scope="module")
def plain_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed card word for word, each arXiv link one version earlier: nothing matches the enriched records."""
    if not SEED.is_file():
        pytest.skip(f"the project's shared seed card is absent ({SEED})")
    text = re.sub(r"v(\d+)\.pdf", lambda m: f"v{max(1, int(m.group(1)) - 1)}.pdf", SEED.read_text(encoding="utf-8"))
    text = text.replace("Liang_SwinIR_Image_Restoration", "Liang_SwinIR_Image_Restoration_v0")
    path = tmp_path_factory.mktemp("seed") / "seed.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_plain_seed_answers_its_own_question_with_task_workflow_and_all_its_links(plain_seed: Path) -> None:
    text = plain_seed.read_text(encoding="utf-8")
    links = re.findall(r"^(?:Paper|GitHub): (\S+)", text, re.M)
    response = ask(None, card=plain_seed).response
    assert response["refused"] is False and len(links) == 7
    assert all(response["sections"][key] for key in ("task", "workflow", "references"))
    assert set(urls_in(response["answer"])) == set(links)
    assert "input → model → output" in response["sections"]["workflow"].lower()
    assert "runnable here" in response["sections"]["workflow"]  # the SwinIR denoiser, from its name alone


@pytest.mark.parametrize(("question", "fact"), [
    ("What does HAIR's classifier produce?", "Global Information Vector (GIV)"),
    ("On which tasks was the frequency method tested?", "five representative restoration tasks"),
    ("How many pictures end up in the dataset that GenIR creates?", "one million high-quality images"),
    ("What does DreamClear use to mix its restoration experts?", "Mixture of Adaptive Modulator (MoAM)"),
])
def test_the_plain_seed_finds_its_summaries_facts(plain_seed: Path, question: str, fact: str) -> None:
    response = ask(question, card=plain_seed).response
    assert fact in first_paragraph(response), first_paragraph(response)


UNITS_CARD = '''"Which fast super-resolution models suit old scans?"

### Recommended AI Models:
Model: SR-TinyNet-x4
Paper: https://arxiv.org/pdf/2301.00001v1.pdf
GitHub: https://github.com/example/TinyNet

### Related Papers:
Model: TinyNet: Tiny Networks for Fast Super-Resolution
Paper: https://arxiv.org/pdf/2301.00001v1.pdf
GitHub: https://github.com/example/TinyNet
Summary: Super-resolution networks are too slow for phones. We propose the Tiny Upscaling Network (TinyNet), a \
shallow network of depthwise convolutions. It needs only 1.61 M parameters and 15.57 G FLOPs. TinyNet runs at 500 \
FPS on a desktop GPU. It upscales images x4 and handles inputs up to 2k. The paper was presented at CVPR 2023.

Model: WideSR: Wide Activation for Super-Resolution
Paper: https://arxiv.org/pdf/2302.00002v2.pdf
Summary: We present WideSR, a wide-activation network trained with a discriminator for sharper textures. WideSR \
outperforms the previous state of the art by more than 1 dB PSNR on Urban100. It has 17.1 million parameters.
'''


@pytest.mark.parametrize(("question", "fact"), [
    ("How many parameters does TinyNet have?", "1.61 M parameters"),
    ("How much compute does TinyNet need?", "15.57 G FLOPs"),
    ("How fast is TinyNet?", "500 FPS"),
    ("Can TinyNet upscale four times?", "x4"),
    ("How big an image can TinyNet take?", "up to 2k"),
    ("Where was TinyNet published?", "CVPR 2023"),
    ("By how much does WideSR beat the previous state of the art?", "more than 1 dB PSNR"),
    ("How large is WideSR?", "17.1 million parameters"),
    ("Which of these is trained with a discriminator?", "trained with a discriminator"),
])
def test_facts_are_found_in_the_units_papers_write(tmp_path: Path, question: str, fact: str) -> None:
    card = tmp_path / "units.txt"
    card.write_text(UNITS_CARD, encoding="utf-8")
    response = ask(question, card=card).response
    paragraph = first_paragraph(response)
    assert fact in paragraph, paragraph
    assert paragraph.count(fact) == 1  # each fact once


def test_a_checkpoint_and_its_paper_are_one_record_cited_once(tmp_path: Path) -> None:
    card = tmp_path / "units.txt"
    card.write_text(UNITS_CARD, encoding="utf-8")
    response = ask(None, card=card).response
    references = response["sections"]["references"]
    assert references.count("https://arxiv.org/pdf/2301.00001v1.pdf") == 1
    assert response["citations"][0] == "tinynet" and len(response["citations"]) == 2


def test_a_big_cards_own_question_sets_out_the_closest_records_and_says_how_many_more(tmp_path: Path) -> None:
    entries = "\n".join(
        f"Model: Net{n}: Network {n} for {'rain' if n % 2 else 'haze'} removal\n"
        f"Paper: https://arxiv.org/pdf/2401.{n:05d}v1.pdf\n"
        f"Summary: We propose Net{n}, a network that removes {'rain streaks' if n % 2 else 'haze'} from photos.\n"
        for n in range(1, 41))
    card = tmp_path / "big.txt"
    card.write_text(f'"How do I remove rain streaks from my photos?"\n\n### Related Papers:\n{entries}', encoding="utf-8")
    response = ask(None, card=card).response
    assert response["refused"] is False and len(response["citations"]) == 12
    assert "The card lists 40 records; the 12 closest to its question" in response["sections"]["task"]
    assert len(urls_in(response["answer"])) == 12
    narrower = ask("What techniques restore rainy photos?", card=card).response["sections"]["task"]
    assert "The card lists" not in narrower  # only the card's own question is capped and says so


def test_a_task_outside_the_vocabulary_is_not_called_all_in_one(tmp_path: Path) -> None:
    """A record whose text names no known degradation handles "the damage its summary describes", not unknown or
    mixed degradations; shadows are named."""
    card = tmp_path / "card.txt"
    card.write_text('"How do I fix the odd tint and glare in my prints?"\n\n### Related Papers:\n'
                    "Model: GlareNet: Glare Correction\nPaper: https://arxiv.org/pdf/2402.00001v1.pdf\n"
                    "Summary: We propose GlareNet, a network that corrects glare on glossy prints.\n\n"
                    "Model: ShadeOff: Shadow Removal\nPaper: https://arxiv.org/pdf/2402.00002v1.pdf\n"
                    "Summary: We propose ShadeOff, which removes shadows cast over documents.\n", encoding="utf-8")
    from tools.cards import load_card

    handles = {record.id: record.handles for record in load_card(card).records}
    assert handles == {"glarenet": ("other",), "shadeoff": ("shadow",)}
    task = ask(None, card=card).response["sections"]["task"]
    assert "all-in-one" not in task and "shadow removal" in task
