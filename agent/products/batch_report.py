"""The index report of a batch run: ``OUT_DIR/index.html``, one self-contained file (thumbnails as data URIs).

One row per photo: before and after thumbnails, the noise estimate before and after (with the method-noise
verdict where the pipeline gives one), the decision and its reason, the status and the time; then the totals.
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
THUMB = 160  # px, the longer side


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


def _check(result: dict | None) -> dict:
    """The method-noise check of the output (its ``verdict`` and whether it is ``ok``), where the pipeline's
    result carries one."""
    return next((value for value in (result or {}).values() if isinstance(value, dict) and "verdict" in value), {})


def _sigma(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def photo_row(entry: dict, plan: BatchPlan) -> dict:
    """What the index shows for one manifest entry."""
    analysis, result, decision = entry.get("analysis") or {}, entry.get("result") or {}, entry.get("decision") or {}
    output = plan.out_dir / entry["output"] if entry.get("output") else None
    return {
        "path": entry["input"]["path"],
        "status": entry["status"],
        "before": thumbnail(plan.in_dir / entry["input"]["path"]),
        "after": thumbnail(output) if output else None,
        "noise_before": _sigma(analysis.get("noise_sigma")),
        "noise_after": _sigma((result.get("after") or {}).get("noise_sigma")),
        "verdict": _check(result).get("verdict"),
        "check_ok": _check(result).get("ok"),
        "decision": decision.get("reason") or "",
        "model": (entry.get("model") or {}).get("id"),
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
