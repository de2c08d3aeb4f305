"""A report's text made safe before either format renders it.

Everything a report shows that came from outside (the question, photo file names, the card's path and fields,
the answer's sections, the LLM's failure text such as an HTTP error body, notes and stage lines) goes through
the one link guard (:mod:`tools.safe_markdown`): no link but the loaded records' links, no raw HTML, no
control sequence. Plain fields come back on one line; the answer's sections stay Markdown.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from agent.products.demo_result import DemoResult
from agent.products.report.build import Report
from tools.safe_markdown import plain_text, sanitize_markdown


def safe_report(report: Report) -> Report:
    """``report`` with every piece of text guarded (images and figures are left as they are)."""
    links = report.record_links

    def plain(value: object) -> str:
        return plain_text(str(value), links)

    answer = dict(report.answer)
    answer["question"] = plain(answer.get("question", report.question))
    answer["sections"] = {key: sanitize_markdown(text, links).text for key, text in answer["sections"].items()}
    answer["references"] = [{**ref, "title": plain(ref["title"])} for ref in answer.get("references", [])]
    if answer.get("failure"):
        answer["failure"] = plain(answer["failure"])
    stages = [replace(stage, title=plain(stage.title), lines=[plain(line) for line in stage.lines])
              for stage in report.stages]
    return replace(report, question=plain(report.question), answer=answer, card=plain(report.card), stages=stages,
                   runs=[_safe_run(run, plain) for run in report.runs])


def _safe_run(run: DemoResult, plain: Callable[[object], str]) -> DemoResult:
    """The run with its file name (the source's name only), notes, warnings, findings, decision, check and
    recommendations guarded."""
    analysis = {name: {**found, "evidence": plain(found.get("evidence", ""))} if isinstance(found, dict) else found
                for name, found in run.analysis.items()}
    decision = {**run.decision, **{key: plain(run.decision[key]) for key in ("reason", "notice")
                                   if run.decision.get(key)}}
    check = None if run.check is None else {**run.check, "verdict": plain(run.check.get("verdict", "")),
                                            "problems": [plain(problem) for problem in run.check.get("problems", [])]}
    checkpoint = None if run.checkpoint is None else {**run.checkpoint, "id": plain(run.checkpoint.get("id", ""))}
    return replace(run, source=plain(Path(run.source).name), notes=[plain(note) for note in run.notes],
                   warnings=[plain(warning) for warning in run.warnings], caption=plain(run.caption),
                   analysis=analysis, checkpoint=checkpoint, decision=decision, check=check,
                   recommendations=[{**rec, "record": plain(rec.get("record", "")), "why": plain(rec.get("why", ""))}
                                    for rec in run.recommendations])
