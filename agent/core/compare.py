"""Answers that weigh records against each other: a comparison (side by side, then which fits the stated case
and why) and a recommendation (which records handle the degradation asked about). A record is called lighter
or a better fit only where its facts and fields support it; otherwise the answer says the records cannot decide.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from agent.core.direct import COST, Direct, fact_sentence, measured_note, relative_fact, runs_here
from agent.core.prose import cite, count, display_name, join
from agent.core.question import Question
from agent.core.templates import fill, fill_for
from tools.degradation_terms import PRIORITY, degradations_in
from tools.records import DEGRADATIONS, Record
from tools.retrieval import Passage, RecordStore
from tools.retrieval.units import parameter_count

SCORE = re.compile(r"([\d.]+) dB(?: PSNR)? on ([A-Z]\w*)")
SIZE_WORDS = re.compile(r"\b(lighter|lightest|heavier|heaviest|smaller|smallest|bigger|biggest|size|param\w*)\b", re.I)


def comparison_answer(question: Question, by_id: dict[str, Record], store: RecordStore) -> Direct:
    """Side by side from the records' fields and facts, then the verdict the records support."""
    records = [by_id[rid] for rid in question.subjects]
    direct = Direct()
    if "gain" in question.asks and (gain := relative_fact(question, records, store)):
        direct.add(fact_sentence(gain, by_id[gain.record_id]), by_id[gain.record_id])
        return direct
    for paragraph in verdict(question, records, store):
        direct.add(paragraph)
    direct.add("\n".join(_side(record) for record in records), *records)
    return direct


def _side(record: Record) -> str:
    handles = join([label(key) for key in record.handles]) or "what its record describes"
    size = next((found for fact in record.key_facts if (found := parameter_count(fact))), None)
    heavy = next((fact for fact in record.key_facts if COST.search(fact) and not parameter_count(fact)), None)
    if size:
        cost = fill("cost.size", size=size.text)
    elif heavy:
        cost = fill("cost.heavy", fact=heavy.rstrip("."))
    else:
        cost = fill("cost.none")
    runs = fill("status.runs") if record.runnable else fill("status.described")
    return fill("compare.line", name=display_name(record), cite=cite([record]), handles=handles,
                technique=record.technique or record.summary or record.title, runs=runs, cost=cost)


def verdict(question: Question, records: Sequence[Record], store: RecordStore) -> list[str]:
    """Which fits the stated case and why, in the records' terms (or that the records cannot say)."""
    paragraphs = []
    if "size" in question.asks or SIZE_WORDS.search(question.text):
        paragraphs.append(_size(records))
    if "speed" in question.asks or "run" in question.asks:
        runnable = [r for r in records if r.runnable]
        names = join([f"{display_name(r)} {cite([r])}" for r in records])
        runs = (fill("runs.only", names=names, runnable=join([display_name(r) for r in runnable])) + " " + runs_here()
                if runnable else fill("runs.nothing", names=names))
        paragraphs.append(fill("compare.speed", runs=runs))
        paragraphs += [note for r in runnable if (note := measured_note(replace(question, asks=("speed",)), r))]
    if question.cases:
        paragraphs.append(_fit(question.cases, records))
    quality = "score" in question.asks or re.search(r"\b(better|worse|best|good|compare|highest)\b", question.text,
                                                    re.I)
    if "score" in question.asks:
        paragraphs.insert(0, _scores(records))
    elif not paragraphs:  # "How does SwinIR compare to DreamClear?": what each is for
        paragraphs.append(" ".join(fill("compare.purpose", name=display_name(r), cite=cite([r]),
                                        best_for=(r.best_for or r.title).rstrip(".")) for r in records))
    if (question.cases or quality) and "score" not in question.asks:
        paragraphs.append(_scores(records))
    return [p for p in paragraphs if p]


def _size(records: Sequence[Record]) -> str:
    counts = {}
    for record in records:
        found = next((count for fact in record.key_facts if (count := parameter_count(fact))), None)
        if found:
            counts[record.id] = (found.millions, found.text, record)
    if len(counts) < 2:
        named = [display_name(entry[2]) for entry in counts.values()]
        return fill("compare.no-size", names=join(named) if named else "none of them") if len(records) > 1 else ""
    ordered = sorted(counts.values(), key=lambda entry: entry[0])
    figures = "; ".join(f"{display_name(record)} {cite([record])} {text}" for _, text, record in ordered)
    text = fill("compare.size", lighter=display_name(ordered[0][2]), figures=figures,
                degree="lighter" if len(counts) == 2 else "lightest")
    rest = [display_name(r) for r in records if r.id not in counts]
    return text + (f" The records give no parameter count for {join(rest)}." if rest else "")


def _fit(cases: Sequence[str], records: Sequence[Record]) -> str:
    """Which record's fields fit the degradation asked about, and what the others are for."""
    case = next((c for c in cases if any(c in r.handles for r in records)), None)
    if case is None:
        return fill("compare.none-fits", case=DEGRADATIONS.get(cases[0], cases[0]))
    best = sorted((r for r in records if case in r.handles), key=lambda r: (r.handles.index(case), len(r.handles)))[0]
    runs = fill("compare.runs") if best.runnable and any(not r.runnable for r in records) else ""
    key = "compare.made-for" if best.handles.index(case) == 0 else "compare.fits"
    parts = [fill(key, case=DEGRADATIONS.get(case, case), name=display_name(best), cite=cite([best]),
                  best_for=(best.best_for or "the degradations it lists").rstrip("."), runs=runs)]
    for record in records:
        listed = next((c for c in cases if c in record.handles), None) if record is not best else None
        if listed:
            parts.append(fill("compare.others", name=display_name(record), cite=cite([record]),
                              case=DEGRADATIONS.get(listed, listed)))
    for record in records:
        if record is not best and not set(cases) & set(record.handles):
            parts.append(fill("recommend.not-listed", name=display_name(record), cite=cite([record]),
                              case=DEGRADATIONS.get(case, case), best_for=record.best_for or record.title))
    return " ".join(parts)


def _scores(records: Sequence[Record]) -> str:
    by_set: dict[str, list[str]] = {}
    for record in records:
        for fact in record.key_facts:
            for value, test_set in SCORE.findall(fact):
                by_set.setdefault(test_set, []).append(f"{display_name(record)} {cite([record])} {value} dB")
    common = {name: figures for name, figures in by_set.items() if len(figures) >= 2}
    if not common:
        return fill("compare.no-common")
    return " ".join(fill("compare.common", test_set=name, figures="; ".join(figures))
                    for name, figures in common.items())


def recommend_answer(question: Question, by_id: dict[str, Record], store: RecordStore) -> Direct:
    """Which records handle the degradation asked about, each with the fact that says so."""
    direct = Direct()
    asked = [by_id[rid] for rid in question.subjects] if question.subjects and not question.everything else []
    pool = asked or list(by_id.values())
    case = _asked_case(question.cases, pool)
    fitting = order_by_fit([r for r in pool if handles(r, case)], case, question, store)
    if asked:
        for record in asked:
            if not handles(record, case):
                direct.add(fill("recommend.not-listed", name=display_name(record), cite=cite([record]),
                                case=DEGRADATIONS.get(case, case), best_for=record.best_for or record.title), record)
    if not fitting:
        if not asked:
            direct.add(fill("recommend.none", case=DEGRADATIONS.get(case, case),
                            covered=join([DEGRADATIONS.get(k, k) for k in _covered(by_id.values())])))
        return direct
    which = join([f"{display_name(r)} {cite([r])}" for r in fitting])
    key = "recommend.handles" if len(fitting) > 1 else "recommend.one"
    runnable = [display_name(r) for r in fitting if r.runnable]
    names = join([display_name(r) for r in fitting])
    runs = (fill("runs.only", names=names, runnable=join(runnable)) if runnable and len(fitting) > 1
            else "" if runnable else fill("runs.nothing" if len(fitting) > 1 else "runs.described-one", names=names))
    direct.add(" ".join(filter(None, [fill(key, count=count(len(fitting)).capitalize(),
                                           case=DEGRADATIONS.get(case, case), which=which), runs])), *fitting)
    direct.add(" ".join(_evidence(record, case, question, store) for record in fitting))
    return direct


def label(key: str) -> str:
    """A degradation key in a few words (``compare.line`` lists them)."""
    return fill_for("label", key, degradation=key.replace("-", " "))


def order_by_fit(records: Sequence[Record], case: str, question: Question, store: RecordStore) -> list[Record]:
    """Records handling ``case``: the one whose main situation it is first, then by retrieval score."""
    scores = {hit.record_id: hit.score for hit in store.search(question.topic).hits}
    return sorted(records, key=lambda r: (case not in r.handles, _rank(r, case) > 0 and r.handles[0] != "unknown",
                                          _rank(r, case), -scores.get(r.id, 0.0)))


def handles(record: Record, case: str) -> bool:
    """Does the record handle the degradation (Gaussian noise being one kind of noise)?"""
    return case in record.handles or (case == "noise" and "gaussian-noise" in record.handles)


def _rank(record: Record, case: str) -> int:
    return record.handles.index(case) if case in record.handles else len(record.handles)


def _asked_case(cases: Sequence[str], records: Sequence[Record]) -> str:
    """The most specific degradation asked about that a record handles (else the first asked)."""
    handled = {key for record in records for key in record.handles}
    return next((case for case in cases if case in handled), cases[0] if cases else "unknown")


def _evidence(record: Record, case: str, question: Question, store: RecordStore) -> str:
    """The record's fact that names the degradation (else its best use)."""
    facts = store.facts(f"{question.topic} {DEGRADATIONS.get(case, case)}", record_ids=[record.id], limit=20)
    naming = [fact for fact in facts if case in degradations_in(fact.text) and fact.field != "best_for"
              and case in record.handles]
    chosen = naming[0] if naming else Passage(record.id, "best_for", record.best_for or record.title)
    return fact_sentence(chosen, record)


def _covered(records) -> list[str]:
    handled = {key for record in records for key in record.handles}
    return [key for key in PRIORITY if key in handled]
