"""Card parsing and loading: the seed card, the shipped records, structured cards and broken cards."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge import knowledge_path
from tools.cards import default_question, load_card, load_records, parse_card_text
from tools.errors import UserError
from tools.records import DEGRADATIONS

SEED_LINKS = {
    "denoise-swinir-noise15": (
        "https://openaccess.thecvf.com/content/ICCV2021W/AIM/papers/Liang_SwinIR_Image_Restoration_Using_Swin_Transformer_ICCVW_2021_paper.pdf",
        "https://github.com/JingyunLiang/SwinIR",
    ),
    "hair": ("http://arxiv.org/pdf/2408.08091v4.pdf", "https://github.com/toummHus/HAIR"),
    "dual-transformers-frequency": ("http://arxiv.org/pdf/2407.01636v2.pdf",),
    "dreamclear": ("http://arxiv.org/pdf/2410.18666v2.pdf", "https://github.com/shallowdream204/dreamclear"),
}

SMALL_CARD = """A user has asked the following question:
"How do I remove rain streaks from dashcam photos?"

### Related Papers:
Model: RainNet: Streak Removal
Paper: https://example.org/rainnet.pdf
GitHub: https://github.com/example/rainnet
Summary: We propose RainNet, which removes rain streaks.
It also works on light haze.

Answer:
"""


def test_seed_card_gives_the_four_records_with_exact_links(shared_dir: Path) -> None:
    card = load_card(shared_dir / "seeds" / "000_1ea1203c459ef3cc.txt")
    assert {record.id: record.links for record in card.records} == SEED_LINKS
    assert card.question and card.question.startswith("AI restoration turned heavily degraded photos")


def test_shipped_card_is_the_seed_card(shared_dir: Path) -> None:
    seed = (shared_dir / "seeds" / "000_1ea1203c459ef3cc.txt").read_text(encoding="utf-8")
    assert knowledge_path("default_card.txt").read_text(encoding="utf-8") == seed


def test_default_records_are_enriched_and_match_the_default_card_text() -> None:
    records = load_records()
    assert {record.id: record.links for record in records} == SEED_LINKS
    assert load_records(knowledge_path("default_card.txt")) == records
    by_id = {record.id: record for record in records}
    assert [r.id for r in records if r.runnable] == ["denoise-swinir-noise15"]
    assert by_id["dual-transformers-frequency"].code is None
    assert by_id["denoise-swinir-noise15"].handles == ("gaussian-noise",)
    assert by_id["dreamclear"].handles[0] == "real-world-mixed"
    for record in records:
        assert record.summary and record.key_facts and record.technique and record.best_for
        assert set(record.handles) <= set(DEGRADATIONS)
    assert by_id["denoise-swinir-noise15"].kind == "recommended model"
    assert {by_id[i].kind for i in ("hair", "dual-transformers-frequency", "dreamclear")} == {"related paper"}


def test_default_question_is_the_cards_question() -> None:
    question = default_question()
    assert question.startswith("AI restoration turned heavily degraded photos")
    assert question.endswith("Which specific architectures are currently leading in this domain?")


def test_unknown_text_card_builds_records_from_its_own_text(tmp_path: Path) -> None:
    path = tmp_path / "card.txt"
    path.write_text(SMALL_CARD, encoding="utf-8")
    card = load_card(path)
    assert card.question == "How do I remove rain streaks from dashcam photos?"
    (record,) = card.records
    assert record.id == "rainnet"
    assert record.links == ("https://example.org/rainnet.pdf", "https://github.com/example/rainnet")
    assert record.summary == "We propose RainNet, which removes rain streaks. It also works on light haze."
    assert record.handles == ("rain", "haze")
    assert record.kind == "related paper" and not record.runnable


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("### Related Papers:\nPaper: https://x.org/a.pdf\n", "line 2: 'Paper:' before any 'Model:'"),
        ("### Related Papers:\nModel: A\nGitHub: https://github.com/a/a\n", "line 2: model 'A' has no 'Paper:'"),
        ("### Related Papers:\nModel: A\nPaper: not a link\n", "line 3: 'Paper:' needs one http(s) link"),
        ("### Related Papers:\nModel: A\nPaper: https://x.org/a.pdf\nPaper: https://x.org/b.pdf\n", "line 4: second 'Paper:'"),
        ("### Related Papers:\nModel: A\nPaperz https://x.org/a.pdf\n", "line 3: expected 'Paper:'"),
        ("### Other Stuff:\nModel: A\n", "line 1: unknown section"),
        ('"question?"\nModel: A\n', "line 2: 'Model:' outside"),
        ('"question?"\nno blocks here\n', "card has no records"),
    ],
)
def test_broken_text_card_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "broken.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_card(path)


def test_structured_cards_replace_the_records(tmp_path: Path) -> None:
    records = [{"id": "mine", "title": "Mine", "kind": "related paper", "paper": "https://x.org/m.pdf",
                "summary": "Removes JPEG compression artifacts.", "handles": ["jpeg"]}]
    json_path = tmp_path / "card.json"
    json_path.write_text(json.dumps({"question": "jpeg?", "records": records}), encoding="utf-8")
    yaml_path = tmp_path / "card.yaml"
    yaml_path.write_text("- id: mine\n  title: Mine\n  kind: related paper\n  paper: https://x.org/m.pdf\n"
                         "  summary: Removes JPEG compression artifacts.\n", encoding="utf-8")
    from_json, from_yaml = load_card(json_path), load_card(yaml_path)
    assert from_json.question == "jpeg?" and from_yaml.question is None
    assert from_json.records == from_yaml.records
    assert from_yaml.records[0].handles == ("jpeg",) and from_yaml.records[0].code is None


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.yaml", "- id: a\n  title: A\n  kind: related paper\n  paper: https://x.org\n- id: b\n  title: B\n",
         "line 5: missing field"),
        ("bad.yaml", "- id: a\n  title: A\n  kind: k\n  paper: https://x.org\n  colour: red\n", "line 1: unknown field"),
        ("bad.yaml", "- id: a\n  title: [unclosed\n", "line 3: invalid YAML"),
        ("bad.json", '{"records": [\n{"id": "a",}\n]}', "line 2: invalid JSON"),
        ("bad.yaml", "- id: a\n  title: A\n  kind: k\n  paper: https://x.org\n  handles: [smudge]\n", "unknown degradation"),
    ],
)
def test_broken_structured_card_names_the_line(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=message):
        load_card(path)


def test_unreadable_cards_give_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00\x81")
    for path, message in [
        (tmp_path / "missing.txt", "card not found"),
        (tmp_path, "card is a folder, not a regular file"),
        (tmp_path / "empty.txt", "card is empty"),
        (tmp_path / "binary.txt", "card is not UTF-8"),
    ]:
        with pytest.raises(UserError, match=message):
            load_card(path)
