"""`restore-agent ask` and `records` end to end, in a subprocess like a user's shell."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent.core.grounding import urls_in

ROOT = Path(__file__).resolve().parents[1]
CARD_LINKS = {
    "https://openaccess.thecvf.com/content/ICCV2021W/AIM/papers/Liang_SwinIR_Image_Restoration_Using_Swin_Transformer_ICCVW_2021_paper.pdf",
    "https://github.com/JingyunLiang/SwinIR",
    "http://arxiv.org/pdf/2408.08091v4.pdf",
    "https://github.com/toummHus/HAIR",
    "http://arxiv.org/pdf/2407.01636v2.pdf",
    "http://arxiv.org/pdf/2410.18666v2.pdf",
    "https://github.com/shallowdream204/dreamclear",
}
RECORD_IDS = {"denoise-swinir-noise15", "hair", "dual-transformers-frequency", "dreamclear"}


def run_cli(*args: str, prelude: str = "") -> subprocess.CompletedProcess:
    code = f"import sys; {prelude}sys.argv = ['restore-agent', *{list(args)!r}]; from agent.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)


# Reports at exit which heavy modules the process imported: the offline answer runs the LangChain agent loop
# but needs neither torch nor the OpenAI client.
HEAVY_PRELUDE = ("import atexit; atexit.register(lambda: sys.stderr.write("
                 "'HEAVY:' + ','.join(m for m in ('torch', 'langchain_openai', 'openai') if m in sys.modules) + '\\n')); ")


@pytest.fixture(scope="module")
def card_run() -> subprocess.CompletedProcess:
    result = run_cli("ask", "--json", prelude=HEAVY_PRELUDE)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def card_answer(card_run: subprocess.CompletedProcess) -> dict:
    return json.loads(card_run.stdout)


def test_card_question_cites_all_four_records_with_exactly_the_seven_links(card_answer: dict) -> None:
    assert card_answer["question"].startswith("AI restoration turned heavily degraded photos")
    assert set(card_answer["citations"]) == RECORD_IDS and len(card_answer["citations"]) == 4
    assert set(urls_in(card_answer["answer"])) == CARD_LINKS
    assert set(urls_in("\n".join(card_answer["sections"].values()))) == CARD_LINKS
    refs = {ref["id"]: ref for ref in card_answer["references"]}
    assert set(refs) == RECORD_IDS and refs["dual-transformers-frequency"]["code"] is None
    assert {link for ref in refs.values() for link in (ref["paper"], ref["code"]) if link} == CARD_LINKS
    assert all(card_answer["sections"][key].strip() for key in ("task", "workflow", "references"))
    assert card_answer["refused"] is False and card_answer["backend"] == "offline"
    assert card_answer["grounding"] == {"ok": True, "removed": [], "repaired": []}
    assert card_answer["tool_calls"] and card_answer["tool_calls"][0]["name"] == "search_records"


def test_json_shape_is_exact(card_answer: dict) -> None:
    assert set(card_answer) == {"question", "answer", "sections", "citations", "references", "refused",
                                "grounding", "photos", "tool_calls", "backend"}
    assert card_answer["photos"] == []
    assert all(round(call["seconds"], 2) == call["seconds"] for call in card_answer["tool_calls"])  # rounded
    assert set(card_answer["sections"]) == {"task", "workflow", "references"}
    assert all(set(ref) == {"id", "title", "paper", "code"} for ref in card_answer["references"])


def test_card_answer_says_which_fits_when_and_how_each_works(card_answer: dict) -> None:
    workflow = card_answer["sections"]["workflow"]
    for phrase in ("windows that shift", "hypernetwork", "frequency", "Diffusion Transformer",
                   "Mixture of Adaptive Modulator", "runnable here", "described only", "its level is known",
                   "unknown or mixed", "severely degraded"):
        assert phrase in workflow, phrase
    assert "input → model → output" in workflow
    assert "[hair]" in card_answer["sections"]["task"] and "[dreamclear]" in card_answer["sections"]["task"]


def test_off_topic_question_is_refused_without_links() -> None:
    result = run_cli("ask", "how do I bake sourdough bread?", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["refused"] is True
    assert answer["citations"] == [] and answer["references"] == []
    assert urls_in(json.dumps(answer)) == []
    assert "do not cover" in answer["sections"]["task"]


def test_human_output_renders_markdown_and_a_references_table() -> None:
    result = run_cli("ask", "Which model removes Gaussian noise at sigma 15?")
    assert result.returncode == 0, result.stderr
    assert "Papers and tools" in result.stdout and "References" in result.stdout
    assert "denoise-swinir-noise15" in result.stdout and "##" not in result.stdout


def test_card_option_replaces_the_records(tmp_path: Path) -> None:
    card = tmp_path / "rain.txt"
    card.write_text('"How do I remove rain from photos?"\n\n### Related Papers:\nModel: RainNet\n'
                    "Paper: https://example.org/rainnet.pdf\nSummary: Removes rain streaks from photos.\n",
                    encoding="utf-8")
    answer = json.loads(run_cli("ask", "--card", str(card), "--json").stdout)
    assert answer["question"] == "How do I remove rain from photos?"
    assert answer["citations"] == ["rainnet"]
    assert urls_in(answer["answer"]) == ["https://example.org/rainnet.pdf"]
    listed = json.loads(run_cli("records", "--card", str(card), "--json").stdout)
    assert [record["id"] for record in listed["records"]] == ["rainnet"]


def test_records_lists_the_default_records() -> None:
    result = run_cli("records", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert {record["id"] for record in listed["records"]} == RECORD_IDS
    assert [r["id"] for r in listed["records"] if r["runnable"]] == ["denoise-swinir-noise15"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ask", "   "), "error: the question is empty"),
        (("ask", "--card", "/no/such/card.txt"), "error: card not found"),
        (("records", "--card", "/no/such/card.yaml"), "error: card not found"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_malformed_card_names_the_line(tmp_path: Path) -> None:
    card = tmp_path / "broken.txt"
    card.write_text("### Related Papers:\nModel: A\nPaper: nope\n", encoding="utf-8")
    result = run_cli("ask", "--card", str(card), "--json")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == "error: card line 3: 'Paper:' needs one http(s) link, got 'nope'"


def test_card_without_a_question_needs_one_on_the_command_line(tmp_path: Path) -> None:
    card = tmp_path / "records.yaml"
    card.write_text("- id: a\n  title: A\n  kind: related paper\n  paper: https://x.org/a.pdf\n", encoding="utf-8")
    result = run_cli("ask", "--card", str(card))
    assert result.returncode == 2
    assert result.stderr.strip() == "error: no question given and the card states none"


def test_answering_imports_no_torch(card_run: subprocess.CompletedProcess) -> None:
    assert "HEAVY:\n" in card_run.stderr, card_run.stderr


def test_a_photo_that_is_not_an_image_is_named_in_the_answer(tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("not pixels")
    result = run_cli("ask", "please clean this photo", "--image", str(fake), "--output-dir", str(tmp_path), "--json")
    assert result.returncode == 1, result.stderr  # the answer stands, the asked work failed
    assert result.stderr.strip().splitlines()[-1].startswith("error: not done as asked: notes.png: not an image")
    response = json.loads(result.stdout)
    answer = response["answer"]
    assert "not an image" in answer and "notes.png" in answer
    assert response["sections"]["task"].startswith(f"Not done: `analyze_image` on `{fake}` failed (not an image")
    assert [call["name"] for call in response["tool_calls"]] == ["search_records", "analyze_image"]  # no denoise
    assert [(photo["path"], photo["status"]) for photo in response["photos"]] == [(str(fake), "failed")]
