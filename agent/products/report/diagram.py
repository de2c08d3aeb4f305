"""Workflow diagrams from :class:`agent.products.workflow.Stage` lists: Mermaid for Markdown, inline SVG for HTML.

The SVG uses no script, font file or external reference: boxes, text and arrow heads only.
"""
from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from html import escape

from agent.products.workflow import Stage

WRAP = 28            # characters per line inside a box
LINE = 17            # px between text lines
PAD = 12
BOX_W = 240          # px, the narrowest box
CHAR_W = 7.3         # px, a wide average character of the 13 px sans-serif text (bold: BOLD_CHAR_W)
BOLD_CHAR_W = 8.0
GAP = 40             # room for an arrow between boxes
FILL = {"input": "#e8f1fb", "analyzer": "#f3e8fb", "records": "#f3e8fb", "model": "#fdf3dc", "output": "#e6f6ea",
        "failed": "#fde8ea", "skipped": "#f2f2f2"}
STROKE = {"input": "#3b78c2", "analyzer": "#8a4fc2", "records": "#8a4fc2", "model": "#b8860b", "output": "#2f8f46",
          "failed": "#b00020", "skipped": "#8a8a8a"}
STROKE_WIDTH = {"failed": 3}  # a failed check stands out, not only by colour


def heading(stage: Stage) -> str:
    return stage.title + ("" if stage.seconds is None else f" ({stage.seconds:.2f} s)")


def wrapped(stage: Stage, width: int = WRAP) -> list[str]:
    """The stage's lines wrapped to ``width`` characters at spaces, and after the hyphens of a word too long for a
    line of its own; never inside a word: a word still longer keeps a line of its own (and the box grows to hold
    it, see :func:`box_width`)."""
    return [piece for line in stage.lines
            for part in textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""]
            for piece in (textwrap.wrap(part, width, break_long_words=False) if len(part) > width else [part])]


def box_width(stage: Stage) -> int:
    """A box wide enough for its longest line (heading included), at least :data:`BOX_W`."""
    longest = max([len(heading(stage)) * BOLD_CHAR_W, *(len(line) * CHAR_W for line in wrapped(stage))])
    return max(BOX_W, math.ceil(longest + 2 * PAD))


def mermaid(stages: Sequence[Stage]) -> str:
    """A left-to-right Mermaid flowchart of the stages (a fenced block's body)."""
    def label(stage: Stage) -> str:
        text = "<br/>".join([f"<b>{heading(stage)}</b>", *wrapped(stage)])
        return text.replace('"', "#quot;")

    nodes = [f'    s{index}["{label(stage)}"]' for index, stage in enumerate(stages)]
    edges = [f"    s{index} --> s{index + 1}" for index in range(len(stages) - 1)]
    return "\n".join(["flowchart LR", *nodes, *edges])


def _box(stage: Stage, x: int, y: int, width: int, height: int) -> str:
    kind = stage.kind if stage.kind in FILL else "input"
    ink = f' fill="{STROKE[kind]}"' if kind in STROKE_WIDTH else ""
    lines = [f'<text x="{x + PAD}" y="{y + PAD + 13}" font-weight="bold"{ink}>{escape(heading(stage))}</text>']
    for number, line in enumerate(wrapped(stage), start=1):
        lines.append(f'<text x="{x + PAD}" y="{y + PAD + 13 + number * LINE}">{escape(line)}</text>')
    return (f'<g class="stage stage-{kind}"><rect x="{x}" y="{y}" width="{width}" height="{height}" rx="8" '
            f'fill="{FILL[kind]}" stroke="{STROKE[kind]}" stroke-width="{STROKE_WIDTH.get(kind, 1.5)}"/>' + "".join(lines) + "</g>")


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    """A line from (x1, y1) to (x2, y2) with a triangular head at the end (horizontal or vertical)."""
    if y1 == y2:
        head = f"{x2},{y2} {x2 - 9},{y2 - 5} {x2 - 9},{y2 + 5}"
        x2 -= 8
    else:
        head = f"{x2},{y2} {x2 - 5},{y2 - 9} {x2 + 5},{y2 - 9}"
        y2 -= 8
    return (f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#555" stroke-width="2"/>'
            f'<polygon points="{head}" fill="#555"/>')


def svg(stages: Sequence[Stage], vertical: bool = False, css_class: str = "diagram") -> str:
    """The stages as boxes joined by arrows: left to right, or top to bottom when ``vertical``."""
    heights = [2 * PAD + 13 + len(wrapped(stage)) * LINE + 4 for stage in stages]
    widths = [box_width(stage) for stage in stages]
    parts = []
    if vertical:
        y, width = 0, max(widths, default=BOX_W)
        for index, (stage, height) in enumerate(zip(stages, heights)):
            if index:
                parts.append(_arrow(width / 2, y - GAP + 4, width / 2, y - 2))
            parts.append(_box(stage, 1, y, width - 2, height))
            y += height + GAP
        total = y - GAP + 2
    else:
        tallest, x = max(heights, default=0), 0
        for index, (stage, box) in enumerate(zip(stages, widths)):
            if index:
                parts.append(_arrow(x - GAP + 4, tallest / 2, x - 2, tallest / 2))
            parts.append(_box(stage, x + 1, 1, box - 2, tallest - 2))
            x += box + GAP
        width, total = x - GAP, tallest
    summary = " -> ".join(stage.title for stage in stages)
    return (f'<svg class="{css_class}" viewBox="0 0 {width} {total}" '
            f'width="{width}" height="{total}" role="img" aria-label="Workflow: {escape(summary)}" '
            f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="13" fill="#1d1d1d">'
            f"<title>Workflow: {escape(summary)}</title>" + "".join(parts) + "</svg>")
