"""The offline answer composer: deterministic prose in three sections from the records and retrieval hits.

``compose_answer`` also takes optional tool results (a photo's analysis, a denoise run) as plain dicts,
so that any backend can have the Workflow section report real numbers.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agent.core.templates import fill, fill_for
from tools.degradation_terms import PRIORITY, degradations_in
from tools.records import DEGRADATIONS, Record
from tools.retrieval import RecordStore, SearchResult, record_name, tokenize

if TYPE_CHECKING:
    from agent.core.turn import Evidence

SECTIONS = ("task", "workflow", "references")
OVERVIEW_TERMS = frozenset(tokenize("techniques architectures leading overview compare comparison landscape alternatives"))
RELATIVE_CUTOFF = 0.35  # a record scoring below this share of the best one is not relevant to a specific question
OVERVIEW_CUTOFF = 0.1  # broad questions keep every record that shares a real part of the question
_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


@dataclass
class ComposedAnswer:
    """An answer in three sections, with the record ids it cites (most relevant first)."""

    question: str
    sections: dict[str, str]
    citations: list[str]
    refused: bool
    headings: dict[str, str] = field(default_factory=lambda: {key: fill(f"heading.{key}") for key in SECTIONS})

    def markdown(self) -> str:
        """The whole answer as Markdown, one ``##`` heading per section."""
        return "\n\n".join(f"## {self.headings[key]}\n\n{self.sections[key]}" for key in SECTIONS)


def display_name(record: Record) -> str:
    """How prose names a record: its ``name``, else the title before a colon, else the title."""
    return record.extra.get("name") or (record_name(record) if ":" in record.title else record.title)


def cite(records: Sequence[Record]) -> str:
    return "".join(f"[{record.id}]" for record in records)


def compose_answer(
    question: str,
    records: Sequence[Record],
    search: SearchResult,
    analyses: Sequence[Mapping] | None = None,
    denoise_results: Sequence[Mapping] | None = None,
    failures: Sequence[Mapping] = (),
) -> ComposedAnswer:
    """Compose the answer to ``question`` from ``records`` ranked by ``search``.

    ``analyses``: dicts describing analysed photos (``path``, ``noise_sigma``, ``degradations``/``findings``).
    ``denoise_results``: dicts of denoise runs (``input``, ``output``, ``model``, ``noise_level``,
    ``seconds``, ``megapixels``, ``psnr``, ``ssim``). Both are reported with their numbers.
    ``failures``: tool calls that failed (``name``, ``args``, ``error``); the workflow says what was not done.
    """
    analyses, denoise_results = list(analyses or ()), list(denoise_results or ())
    if not search.covered and not analyses and not denoise_results:
        return compose_refusal(question, records, search)
    selected = select_records(question, records, search, analyses, denoise_results)
    if not selected:
        return compose_refusal(question, records, search)
    groups = group_by_situation(selected)
    sections = {
        "task": _task_section(question, groups, analyses),
        "workflow": "\n\n".join([_workflow_section(groups, analyses, denoise_results),
                                 *(_failure_sentence(failure) for failure in failures)]),
        "references": "\n".join(_reference_line(record) for record in selected),
    }
    return ComposedAnswer(question, sections, [record.id for record in selected], refused=False)


def compose_turn(question: str, records: Sequence[Record], evidence: Evidence) -> ComposedAnswer:
    """The offline answer to ``question`` from a turn's evidence: its best covered search (else a fresh one),
    its photo analyses and denoise runs, and the tool calls that failed."""
    covered = [search for search in evidence.searches if search.covered]
    search = (covered or evidence.searches or [RecordStore(records).search(question)])[0]
    failures = [call.to_dict() for call in evidence.calls if not call.ok]
    return compose_answer(question, records, search, evidence.analyses, evidence.denoise_runs, failures)


def compose_refusal(question: str, records: Sequence[Record], search: SearchResult) -> ComposedAnswer:
    """The plain statement that the records do not cover the question, and what they do cover; no links."""
    reason = search.scope.reason if not search.scope.in_scope else "no record matches it closely enough"
    covered = "; ".join(f"{display_name(record)} for {record.best_for or record.title}" for record in records)
    sections = {
        "task": fill("refusal.task", reason=reason, covered=covered),
        "workflow": fill("refusal.workflow"),
        "references": fill("refusal.references", names=_join([display_name(record) for record in records])),
    }
    return ComposedAnswer(question, sections, [], refused=True)


def select_records(
    question: str,
    records: Sequence[Record],
    search: SearchResult,
    analyses: Sequence[Mapping] = (),
    denoise_results: Sequence[Mapping] = (),
) -> list[Record]:
    """Records relevant to the question, most relevant first.

    A broad question (techniques, leading architectures) keeps every matching record; a specific one keeps
    those close to the best. Degradations found in analysed photos and a denoise run add their records.
    """
    by_id = {record.id: record for record in records}
    hits = [hit for hit in search.hits if hit.record_id in by_id] if search.covered else []
    broad = is_overview(question)
    cutoff = (OVERVIEW_CUTOFF if broad else RELATIVE_CUTOFF) * (hits[0].score if hits else 0.0)
    selected = [by_id[hit.record_id] for hit in hits if hit.score >= cutoff]
    found = {key for analysis in analyses for key in analysis_degradations(analysis)}
    extra = [r for r in records if (found & set(r.handles)) or (denoise_results and r.runnable)]
    return selected + [record for record in extra if record not in selected]


def is_overview(question: str) -> bool:
    """Does the question ask for techniques/architectures in general rather than one fix?"""
    return bool(set(tokenize(question)) & OVERVIEW_TERMS)


def group_by_situation(selected: Sequence[Record]) -> list[tuple[str, list[Record]]]:
    """Records grouped by their main situation (first ``handles`` entry), most specific situation first."""
    groups: dict[str, list[Record]] = {}
    for record in selected:
        groups.setdefault(record.handles[0] if record.handles else "unknown", []).append(record)
    order = {key: index for index, key in enumerate(PRIORITY)}
    return sorted(groups.items(), key=lambda item: order.get(item[0], len(order)))


# ---------------------------------------------------------------- sections


def _task_section(question: str, groups: list[tuple[str, list[Record]]], analyses: list[Mapping]) -> str:
    if len(groups) == 1:
        key, members = groups[0]
        text = fill(
            "task.single",
            task=_for("task", key),
            cites=cite(members),
            detail=f"This is the case when {_for('situation', key)}.",
        )
    else:
        parts = [f"{_for('task', key)} {cite(members)}" for key, members in groups]
        count = _NUMBERS.get(len(groups), str(len(groups)))
        asked = degradations_in(question)
        if is_overview(question) or not asked:
            text = fill("task.overview", count=count, situations=_join(parts, "; "))
        else:
            text = fill("task.multi", task=_for("task", asked[0]), count=count, situations=_join(parts, "; "))
    if is_overview(question):
        text += " " + fill("task.asks")
    if analyses:
        text += " " + fill("task.photos", photos=_join([f"`{_analysis_path(a)}`" for a in analyses]))
    return text


def _workflow_section(
    groups: list[tuple[str, list[Record]]], analyses: list[Mapping], denoise_results: list[Mapping]
) -> str:
    paragraphs = [fill("workflow.intro")]
    paragraphs += [_analysis_sentence(analysis) for analysis in analyses]
    runs = [_denoise_sentence(run) for run in denoise_results]
    for number, (key, members) in enumerate(groups, start=1):
        output = _for("output", key)
        if runs and any(record.runnable for record in members):
            output, runs = output + " " + " ".join(runs), []
        paragraphs.append(
            fill(
                "workflow.step",
                number=number,
                situation=_for("situation", key),
                model=_join([display_name(record) for record in members], word="or"),
                cite=cite(members),
                status=_status(members),
                input=_for("input", key),
                model_text=" ".join(_model_sentence(record, lead=index == 0) for index, record in enumerate(members)),
                output=output,
            )
        )
    paragraphs += runs  # denoise runs with no runnable record among the selected ones
    return "\n\n".join(paragraphs)


def _model_sentence(record: Record, lead: bool) -> str:
    return fill(
        "workflow.lead" if lead else "workflow.alternative",
        name=display_name(record),
        cite=cite([record]),
        technique=record.technique or record.summary or record.title,
        best_for=record.best_for or "the degradations it lists",
    )


def _status(members: Sequence[Record]) -> str:
    runnable = [display_name(record) for record in members if record.runnable]
    described = [display_name(record) for record in members if not record.runnable]
    if runnable and described:
        return f"{_join(runnable)} {fill('status.runnable')}; {_join(described)} {fill('status.described')}"
    return fill("status.runnable" if runnable else "status.described")


def _reference_line(record: Record) -> str:
    return fill(
        "reference",
        title=record.title,
        cite=cite([record]),
        kind=record.kind,
        status=fill("status.runnable" if record.runnable else "status.described"),
        paper=record.paper,
        code=record.code or fill("reference.no-code"),
    )


# ---------------------------------------------------------------- tool results


def analysis_degradations(analysis: Mapping) -> list[str]:
    """Vocabulary keys among an analysis's findings (strings or dicts with a name)."""
    keys = []
    for item in analysis.get("degradations") or analysis.get("findings") or ():
        name = item if isinstance(item, str) else _first(item, "degradation", "name", "key", "kind")
        if isinstance(name, str):
            keys += [name] if name in DEGRADATIONS else list(degradations_in(name))
    return list(dict.fromkeys(keys))


def _analysis_path(analysis: Mapping) -> str:
    return str(_first(analysis, "path", "input", "image") or "the photo")


def _analysis_sentence(analysis: Mapping) -> str:
    parts = []
    sigma = _first(analysis, "noise_sigma", "sigma", "noise_level")
    if isinstance(sigma, (int, float)):
        parts.append(f"estimates the noise level at sigma {float(sigma):.1f} (0-255 scale)")
    findings = []
    for item in analysis.get("degradations") or analysis.get("findings") or ():
        if isinstance(item, str):
            findings.append(item)
        elif isinstance(item, Mapping):
            name = _first(item, "degradation", "name", "key", "kind")
            severity = _first(item, "severity", "score")
            findings.append(f"{name} (severity {severity:.2f})" if isinstance(severity, (int, float)) else str(name))
    parts.append(f"finds {_join(findings)}" if findings else "finds no marked degradation")
    return fill("analysis", path=_analysis_path(analysis), findings=" and ".join(parts))


def _denoise_sentence(run: Mapping) -> str:
    level = run.get("noise_level")
    psnr, ssim = run.get("psnr"), run.get("ssim")
    quality = ""
    if isinstance(psnr, (int, float)):
        quality = f"; PSNR {psnr:.2f} dB" + (f", SSIM {ssim:.3f}" if isinstance(ssim, (int, float)) else "")
        quality += " against the clean reference"
    return fill(
        "denoise",
        model=run.get("model") or "SwinIR",
        input=run.get("input", "the photo"),
        output=run.get("output", "the output"),
        level=f" at noise level {level}" if level is not None else "",
        matching=_matching(run.get("contrast")),
        seconds=f"{float(run.get('seconds') or 0):.2f}",
        megapixels=f"{float(run.get('megapixels') or 0):.2f}",
        quality=quality,
    )


def _failure_sentence(failure: Mapping) -> str:
    args = failure.get("args") or {}
    target = args.get("path") or args.get("query") or ""
    return fill("tool-failure", tool=failure.get("name", "a tool"), target=f" on `{target}`" if target else "",
                error=str(failure.get("error") or "unknown error").rstrip("."))


def _matching(contrast: object) -> str:
    """Words for a noise-matched run (the photo ran at another contrast so its noise fit the weights)."""
    if not isinstance(contrast, (int, float)) or abs(contrast - 1.0) < 1e-3:
        return ""
    return f", with the photo's noise matched to the weights' training noise (input contrast x{contrast:.2f})"


# ---------------------------------------------------------------- helpers


def _for(prefix: str, key: str) -> str:
    return fill_for(prefix, key, degradation=DEGRADATIONS.get(key, key))


def _first(mapping: Mapping, *keys: str) -> object:
    return next((mapping[key] for key in keys if mapping.get(key) is not None), None)


def _join(items: Sequence[str], separator: str = ", ", word: str = "and") -> str:
    """``a``; ``a and b``; ``a, b, and c`` (or with another separator/word)."""
    items = list(items)
    if len(items) <= 2:
        return f" {word} ".join(items)
    return separator.join(items[:-1]) + f"{separator.rstrip()} {word} " + items[-1]
