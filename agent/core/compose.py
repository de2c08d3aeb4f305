"""The offline answer composer: deterministic prose in three sections from the records, their facts and the
turn's tool results.

The question is read first (:mod:`agent.core.question`). A narrow question (a fact, a comparison, whether a
record runs here) is answered in the first paragraph from the records' facts (:mod:`agent.core.direct`,
:mod:`agent.core.compare`), and its task, workflow and references are short and about the records it concerns.
An overview or a recommendation keeps the situation-by-situation workflow over the matching records; so does a
turn with photos, whose answer opens with the photos (:mod:`agent.core.photo_lead`: what was measured, what was
done or why not, the file written and the check, from the analyses and denoise runs, plain dicts) before the
task, the workflow (which names each run in a few words) and the references.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from agent.core.compare import comparison_answer, recommend_answer
from agent.core.direct import Direct, fact_answer, feasibility_answer, runs_here
from agent.core.photo_lead import photo_facts
from agent.core.prose import (cite, count, display_name, main_situation,
                              sentences, situation_text, without_repeats)
from agent.core.prose import join as _join
from agent.core.question import Earlier, Question, understand
from agent.core.templates import fill
from agent.core.run_prose import here_clause
from agent.core.tool_prose import analysis_degradations, failure_sentence
from tools.degradation_terms import PRIORITY, degradations_in
from tools.records import RECOMMENDED_MODEL, Record
from tools.retrieval import SearchResult, plain_question, store_for
from tools.retrieval.store import MIN_SCORE
from tools.retrieval.scope import is_own_question

if TYPE_CHECKING:
    from agent.core.turn import Evidence

SECTIONS = ("task", "workflow", "references")
RELATIVE_CUTOFF = 0.35  # a record scoring below this share of the best one is not relevant to a specific question
OVERVIEW_CUTOFF = 0.1  # broad questions keep every record that shares a real part of the question
MAX_TASKS = 2  # situations named in an overview's task sentence
MAX_OVERVIEW = 12  # records the card's own question is answered with on a big card
NARROW = {"fact": fact_answer, "feasibility": feasibility_answer, "comparison": comparison_answer,
          "recommend": recommend_answer}

__all__ = ["SECTIONS", "ComposedAnswer", "cite", "compose_answer", "compose_refusal", "compose_turn", "display_name"]


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


def compose_answer(
    question: str,
    records: Sequence[Record],
    search: SearchResult,
    analyses: Sequence[Mapping] | None = None,
    denoise_results: Sequence[Mapping] | None = None,
    failures: Sequence[Mapping] = (),
    earlier: Sequence[Earlier] = (),
    card_question: str | None = None,
) -> ComposedAnswer:
    """Compose the answer to ``question`` from ``records``, the ``search`` behind it and the earlier turns.

    ``analyses``: dicts describing analysed photos (``path``, ``noise_sigma``, ``degradations``/``findings``).
    ``denoise_results``: dicts of denoise runs (``input``, ``output``, ``model``, ``noise_level``,
    ``seconds``, ``megapixels``, ``psnr``, ``ssim``). Both are reported with their numbers.
    ``failures``: tool calls that failed (``name``, ``args``, ``error``): a photo's in its paragraph, others in
    the workflow, say what was not done. With photos, the task section opens with one paragraph per photo.
    ``earlier``: the chat's earlier turns, which a follow-up ("how big is it?") refers to.
    ``card_question``: the card's own question, always answered with the overview.
    """
    analyses, denoise_results = list(analyses or ()), list(denoise_results or ())
    store = store_for(tuple(records))
    asked = understand(question, records, earlier, store.lexicon)
    own = bool(card_question) and is_own_question(plain_question(question), card_question)
    if own:  # the card's reason to exist: the overview, over all its records
        asked = replace(asked, kind="overview", subjects=(), asks=())
    follow_up = asked.follow_up and bool(asked.subjects) and not _foreign(search)
    photos, failures = photo_facts(analyses, denoise_results, failures)
    notes = [failure_sentence(failure) for failure in failures]
    if not (search.covered or photos or follow_up):
        return compose_refusal(question, records, search, notes)
    if not photos and asked.kind in NARROW:
        direct = NARROW[asked.kind](asked, {r.id: r for r in records}, store)
        if direct.cited:
            return _narrow(question, records, direct, notes, running=_about_running(asked))
    selected = _overview_records(records, search) if own else select_records(question, records, search, analyses,
                                                                                 denoise_results)
    if not selected:
        return compose_refusal(question, records, search, notes)
    groups = group_by_situation(selected)
    selected = [record for _, members in groups for record in members]  # cited in the order the answer uses
    task = _task_section(asked, groups)
    if own and len(selected) < len(records):
        task += "\n\n" + fill("task.more", shown=count(len(selected)), total=count(len(records)))
    task = "\n\n".join([*(photo.paragraph() for photo in photos), task])
    running = _about_running(asked) or bool(photos)
    sections = {
        "task": task,
        "workflow": without_repeats("\n\n".join([_workflow_section(groups, denoise_results, running),
                                                  *notes]), task),
        "references": "\n".join(_reference_line(record) for record in selected),
    }
    return ComposedAnswer(question, sections, [record.id for record in selected], refused=False)


def compose_turn(question: str, records: Sequence[Record], evidence: Evidence,
                 earlier: Sequence[Earlier] = (), card_question: str | None = None) -> ComposedAnswer:
    """The offline answer to ``question`` from a turn's evidence: its best covered search (else a fresh one),
    its photo analyses and denoise runs, the tool calls that failed, and the chat's earlier turns."""
    covered = [search for search in evidence.searches if search.covered]
    search = (covered or evidence.searches
              or [store_for(tuple(records)).search(question, card_question=card_question)])[0]
    failures = [call.to_dict() for call in evidence.calls if not call.ok]
    return compose_answer(question, records, search, evidence.analyses, evidence.denoise_runs, failures, earlier,
                          card_question)


def compose_refusal(question: str, records: Sequence[Record], search: SearchResult,
                    notes: Sequence[str] = ()) -> ComposedAnswer:
    """The plain statement that the records do not cover the question, and what they do cover; no links.
    ``notes``: what failed in this turn (a photo that could not be read), said in the workflow."""
    reason = search.scope.reason if not search.scope.in_scope else "no record matches it closely enough"
    covered = "; ".join(f"{display_name(record)} for {record.best_for or record.title}" for record in records)
    sections = {
        "task": fill("refusal.task", reason=reason, covered=covered),
        "workflow": "\n\n".join([fill("refusal.workflow"), *notes]),
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
    if search.covered and not (hits and hits[0].score >= MIN_SCORE):  # in the field, close to no record: all of them
        selected = list(records)
    found = {key for analysis in analyses for key in analysis_degradations(analysis)}
    extra = [r for r in records if (found & set(r.handles)) or (denoise_results and r.runnable)]
    return selected + [record for record in extra if record not in selected]


def _overview_records(records: Sequence[Record], search: SearchResult) -> list[Record]:
    """The records the card's own question is answered with: all of them, or on a big card the recommended models
    and those closest to the question, :data:`MAX_OVERVIEW` in all."""
    if len(records) <= MAX_OVERVIEW:
        return list(records)
    by_id = {record.id: record for record in records}
    ranked = [by_id[hit.record_id] for hit in search.hits if hit.record_id in by_id]
    recommended = [record for record in records if record.kind == RECOMMENDED_MODEL]
    return list(dict.fromkeys([*recommended, *ranked, *records]))[:MAX_OVERVIEW]


def is_overview(question: str) -> bool:
    """Does the question ask for techniques/architectures in general rather than one fix?"""
    from agent.core.question import OVERVIEW

    return bool(OVERVIEW.search(plain_question(question)))


def group_by_situation(selected: Sequence[Record]) -> list[tuple[str, list[Record]]]:
    """Records grouped by their main situation (first ``handles`` entry): the card's recommended model first, in
    the first group, then the most specific situation first."""
    groups: dict[str, list[Record]] = {}
    for record in sorted(selected, key=lambda r: r.kind != RECOMMENDED_MODEL):
        groups.setdefault(main_situation(record), []).append(record)
    order = {key: index for index, key in enumerate(PRIORITY)}
    return sorted(groups.items(), key=lambda item: (item[1][0].kind != RECOMMENDED_MODEL,
                                                    order.get(item[0], len(order))))


def _foreign(search: SearchResult) -> bool:
    return not search.scope.in_scope and search.scope.reason.startswith("the records never speak")


# ---------------------------------------------------------------- narrow answers


def _about_running(asked: Question) -> bool:
    """Is the question about running something here (then the workflow says exactly what runs)?"""
    return "run" in asked.asks or "speed" in asked.asks or asked.kind == "feasibility"


def _narrow(question: str, records: Sequence[Record], direct: Direct, notes: Sequence[str],
            running: bool = False) -> ComposedAnswer:
    """The answer in the first paragraph, then a short task, workflow and references for the records it cites."""
    by_id = {record.id: record for record in records}
    said = "\n".join(direct.paragraphs)
    order = sorted(direct.cited, key=lambda rid: (said.find(f"[{rid}]") % (len(said) + 1), direct.cited.index(rid)))
    cited = [by_id[rid] for rid in order]
    groups: dict[str, list[Record]] = {}
    for record in cited:
        groups.setdefault(main_situation(record), []).append(record)
    situations = "; ".join(f"{situation_text('task', key)} {cite(members)}" for key, members in groups.items())
    task = "\n\n".join([*direct.paragraphs, fill("task.narrow", situations=situations)])
    workflow = "\n\n".join([*(_record_workflow(group, running) for group in groups.values()), *notes])
    sections = {"task": task, "workflow": without_repeats(workflow, task),
                "references": "\n".join(_reference_line(record) for record in cited)}
    return ComposedAnswer(question, sections, order, refused=False)


def _record_workflow(records: Sequence[Record], running: bool) -> str:
    """One input → model → output block for the records of one situation (their input and output said once)."""
    key = main_situation(records[0])
    models = []
    for record in records:
        model = _technique(record)
        model = model[0].upper() + model[1:] + "." if model else fill("model.bare", name=display_name(record))
        if record.runnable and running:
            model += " " + runs_here()
        models.append(model if len(records) == 1 else f"{display_name(record)} {cite([record])}: {model}")
    return fill("workflow.record", name=_join([display_name(r) for r in records], word="or"), cite=cite(records),
                status=_status(records), input=situation_text("input", key), model=" ".join(models),
                output=situation_text("output", key))


# ---------------------------------------------------------------- overview and recommendations


def _task_section(asked: Question, groups: list[tuple[str, list[Record]]]) -> str:
    if len(groups) == 1:
        key, members = groups[0]
        text = fill("task.single", task=_for("task", key), cites=cite(members),
                    detail=f"This is the case when {_for('situation', key)}.")
    else:
        parts = [f"{_for('task', key)} {cite(members)}" for key, members in groups]
        asked_keys = degradations_in(asked.text)
        if asked.kind == "overview" or not asked_keys:
            keys = list(asked_keys[:MAX_TASKS]) or [key for key, _ in groups[:MAX_TASKS]]
            tasks = [_for("task", key) for key in keys] or [fill("task.any")]
            text = fill("task.overview", task=_join(list(dict.fromkeys(tasks))), count=count(len(groups)),
                        situations=_join(parts, "; "))
        else:
            text = fill("task.multi", task=_for("task", asked_keys[0]), count=count(len(groups)),
                        situations=_join(parts, "; "))
    members = [record for _, group in groups for record in group]
    if asked.kind == "overview" and len(members) > 1:
        text += "\n\n" + fill("task.architectures", count=count(len(members)),
                              names=_join([f"{display_name(r)} {cite([r])}" for r in members]))
    return text


def _workflow_section(groups: list[tuple[str, list[Record]]], denoise_results: list[Mapping], running: bool) -> str:
    paragraphs = [fill("workflow.intro")]
    runs = [here_clause(run) for run in denoise_results]
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
                model_text=" ".join(_model_sentence(record, index == 0, running)
                                    for index, record in enumerate(members)),
                output=output,
            )
        )
    paragraphs += runs  # denoise runs with no runnable record among the selected ones
    return "\n\n".join(paragraphs)


def _technique(record: Record) -> str:
    """How the record's model works: its technique phrase, else its summary's first sentence, else ''."""
    return record.technique or next(iter(sentences(record.summary)), "").rstrip(".")


def _model_sentence(record: Record, lead: bool, running: bool) -> str:
    key = "workflow.lead" if lead else "workflow.alternative"
    technique = _technique(record)
    if not record.technique:  # no phrase for its technique: its summary's first sentence, or only its name
        key += "-said" if technique else "-bare"
    text = fill(key, name=display_name(record), cite=cite([record]), technique=technique or record.title,
                best_for=record.best_for or "the degradations it lists")
    return f"{text} {runs_here()}" if record.runnable and running else text


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
        status=fill("reference.runnable" if record.runnable else "status.described"),
        paper=record.paper,
        code=record.code or fill("reference.no-code"),
    )


# ---------------------------------------------------------------- helpers


def _for(prefix: str, key: str) -> str:
    return situation_text(prefix, key)

