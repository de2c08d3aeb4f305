"""Workflow stages and their Mermaid and SVG diagrams."""
from __future__ import annotations

import re
from html import unescape

from agent.products.report.diagram import BOX_W, CHAR_W, WRAP, mermaid, svg, wrapped
from agent.products.workflow import Stage, answer_stages
from tools.cards import load_records

STAGES = [Stage("input", "Input", ['question: "quoted" <and> & more']), Stage("analyzer", "Analyzer", ["a"], 0.25),
          Stage("model", "SwinIR checkpoint", ["x" * 40]), Stage("output", "Output", ["PSNR 20.00 -> 30.00 dB"])]


def test_mermaid_has_one_node_per_stage_chained_and_escaped():
    text = mermaid(STAGES)
    assert text.startswith("flowchart LR\n")
    assert re.findall(r"s(\d) --> s(\d)", text) == [("0", "1"), ("1", "2"), ("2", "3")]
    assert '"quoted"' not in text and "#quot;quoted#quot;" in text
    assert "Analyzer (0.25 s)" in text


def test_svg_draws_boxes_text_and_arrows_without_external_references():
    wide, tall = svg(STAGES), svg(STAGES, vertical=True)
    for drawing in (wide, tall):
        assert drawing.count("<rect") == 4 and drawing.count("<polygon") == 3
        assert "&lt;and&gt;" in drawing and "&amp;" in drawing and "href" not in drawing and "http" not in drawing
    size = {name: tuple(map(int, re.search(r'viewBox="0 0 (\d+) (\d+)"', d).groups()))
            for name, d in (("wide", wide), ("tall", tall))}
    assert size["wide"][0] > size["wide"][1] and size["tall"][1] > size["tall"][0]
    lines = [unescape(line) for line in re.findall(r">([^<>]+)</text>", wide)]
    assert all(len(line) <= WRAP for line in lines if " " in line)  # wrapped at spaces
    assert "x" * 40 in lines  # a word longer than a line is not cut: it keeps a line of its own
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', wide)]
    assert widths[2] >= 40 * CHAR_W and widths[0] >= BOX_W - 2  # and its box grows to hold it


def test_lines_break_at_spaces_and_hyphens_never_inside_a_word():
    text = "Dformer + Rformer [dual-transformers-frequency]: described only, runs swinir-s-noise15 (noise 15)"
    lines = wrapped(Stage("model", "Models", [text]))
    assert len(lines) > 1 and all(len(line) <= WRAP for line in lines)
    assert " ".join(lines).replace("- ", "-") == text  # every cut is at a space or right after a hyphen
    assert "[dual-transformers-" in lines or "[dual-transformers-frequency]:" in lines


def test_refused_answer_has_no_model_stage():
    records = load_records(None)
    stages = answer_stages({"question": "capital of France?", "refused": True, "citations": []}, [], records)
    assert [stage.kind for stage in stages] == ["input", "records", "output"]
    cited = answer_stages({"question": "noise?", "refused": False, "citations": [records[0].id]}, [], records)
    assert [stage.kind for stage in cited] == ["input", "model", "output"]
    assert records[0].id in cited[1].lines[0]


def test_a_failed_output_and_a_skipped_step_are_drawn_apart():
    from agent.products.report.diagram import FILL, STROKE

    stages = [Stage("model", "SwinIR checkpoint", ["not run"]), Stage("skipped", "Models", ["not run"]),
              Stage("failed", "Output: check failed", ["photo.png: denoised (check failed: ...)"])]
    drawing = svg(stages)
    failed = re.search(r'<g class="stage stage-failed"><rect [^>]*stroke="([^"]+)" stroke-width="([\d.]+)"/>'
                       r'<text [^>]*fill="([^"]+)">Output: check failed</text>', drawing)
    assert failed and failed.group(1) == failed.group(3) == STROKE["failed"] and float(failed.group(2)) > 1.5
    assert f'fill="{FILL["skipped"]}"' in drawing and FILL["skipped"] != FILL["output"] != FILL["failed"]
