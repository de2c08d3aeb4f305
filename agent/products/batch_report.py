"""The index report of a batch run: ``OUT_DIR/index.html``, one self-contained file (thumbnails as data URIs).

One row per photo: its name, before and after thumbnails, the noise before -> after, the decision in one short
line (the whole reason, the method-noise verdict and the notes on demand), a forced run's notice and the
headline of a failed check's problem in plain sight, the status as a badge and the time; then the totals.
"""
from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path

from agent.products.report.html import check_links, render_template
from tools.batch.plan import BatchPlan
from tools.batch.run import BatchSummary
from tools.errors import UserError
from tools.fileio import write_text_atomic

INDEX = "index.html"
THUMB = 192  # px, the longer side: twice the 96 px the page shows, for sharp thumbnails on dense screens


def thumbnail(path: Path, size: int = THUMB) -> dict | None:
    """A photo as a small PNG data URI with its size; None when it cannot be read."""
    from tools.imageio import load_image, to_pil

    try:
        image = load_image(path)
    except UserError:
        return None
    picture = to_pil(image.pixels)
    picture.thumbnail((size, size))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return {"uri": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"),
            "width": picture.width, "height": picture.height}


def _sigma(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def noise_cell(analysis: dict, result: dict) -> str:
    """The noise sigma before, and after where the photo was denoised: ``19.8 → 4.1``."""
    before = _sigma(analysis.get("noise_sigma"))
    after = (result.get("after") or {}).get("noise_sigma")
    return before if not result else f"{before} → {_sigma(after)}"


def _headline(text: str) -> str:
    """A finding without the figures in its parenthesis (the details keep them whole)."""
    return text.split(" (")[0]


def decision_line(decision: dict, model: str | None) -> str:
    """The decision in a few words: ``denoise: swinir-s-noise25, matched to σ 19.8`` or ``leave alone: no
    visible white noise``; the whole reason goes in the details."""
    if not decision:
        return ""
    if not decision.get("denoise"):
        return "leave alone: " + _headline(decision.get("reason", "").split(":")[0])
    how = model or (f"level {decision['noise_level']}" if decision.get("noise_level") else "the weights asked for")
    sigma = decision.get("noise_sigma")
    return f"denoise: {how}" + (f", matched to σ {sigma:.1f}" if sigma is not None else "")


def details(entry: dict, check: dict) -> list[tuple[str, str]]:
    """What the short line leaves out, label and text: the whole reason, the check's verdict, the notes."""
    rows = [("why", (entry.get("decision") or {}).get("reason")), ("check", check.get("verdict")),
            ("notes", "; ".join(entry.get("notes") or []))]
    return [(label, text) for label, text in rows if text]


def photo_row(entry: dict, plan: BatchPlan) -> dict:
    """What the index shows for one manifest entry."""
    analysis, result, decision = entry.get("analysis") or {}, entry.get("result") or {}, entry.get("decision") or {}
    check = result.get("check") or {}
    model = (entry.get("model") or {}).get("id")
    output = plan.out_dir / entry["output"] if entry.get("output") and entry["status"] != "unchanged" else None
    return {
        "path": entry["input"]["path"],
        "status": entry["status"],
        "before": thumbnail(plan.in_dir / entry["input"]["path"]) if entry["input"].get("sha256") else None,
        "after": thumbnail(output) if output else None,
        "noise": noise_cell(analysis, result),
        "decision": decision_line(decision, model),
        "notice": decision.get("notice") if result else None,
        "problem": _headline((check.get("problems") or [""])[0]) if check.get("ok") is False else None,
        "details": details(entry, check),
        "error": entry.get("error"),
        "seconds": (entry.get("timings") or {}).get("total", 0.0),
    }


def render_batch_report(plan: BatchPlan, entries: Sequence[dict], summary: BatchSummary) -> str:
    """The index as one HTML document that loads and links nothing outside itself."""
    rows = [photo_row(entry, plan) for entry in entries]
    statuses = sorted({row["status"] for row in rows})
    totals = {status: sum(row["status"] == status for row in rows) for status in statuses}
    html = render_template("batch.html.j2", title=f"Batch: {plan.in_dir.name}", in_dir=str(plan.in_dir),
                           out_dir=str(plan.out_dir), settings=plan.settings.to_json(), rows=rows, totals=totals,
                           seconds=round(sum(row["seconds"] for row in rows), 1), run=summary)
    check_links(html, ())
    return html


def write_batch_report(plan: BatchPlan, entries: Sequence[dict], summary: BatchSummary) -> Path:
    """Write ``OUT_DIR/index.html`` atomically; returns its path."""
    return write_text_atomic(plan.out_dir / INDEX, render_batch_report(plan, entries, summary))
