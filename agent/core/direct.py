"""The first paragraph of a narrow answer: the records' facts that answer the question asked, each cited.

Facts are quoted as the records word them, so an answer holds no number the records do not give. Where a
question asks for a figure the records lack, it says so and offers the nearest facts they do give. What this
project measured on the weights that ship here is a separate, labelled source (:mod:`agent.core.measured`).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from agent.core import measured
from agent.core.prose import cite, display_name, join, sentences
from agent.core.question import Question
from agent.core.templates import fill
from tools.records import Record
from tools.retrieval import Passage, RecordStore, tokenize
from tools.retrieval.lexicon import is_coined, mentions
from tools.retrieval.scope import GENERIC, MEDIUM

# What a fact must say to answer each attribute.
ANSWERS: dict[str, re.Pattern[str]] = {
    "count": re.compile(r"\d|(?<!few )\b(one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|"
                        r"million|billion)\b", re.I),
    "size": re.compile(r"\bparam\w*|\b\d+(?:\.\d+)?\s*(?:M|B|K)\b(?!\s*(?:images|photos|pairs|samples))"),
    "compute": re.compile(r"\b(G|M|T)?\s?(FLOPs?|MACs?|FLOPS)\b|\bcomputation"),
    "gain": re.compile(r"\b(by|of)\s+(more than |over |about |around |up to |nearly |almost |roughly )?\d+(?:\.\d+)?\s*"
                       r"(dB|%|points?)|\d+(?:\.\d+)?\s*dB (higher|better|gain|improvement|more)|\b(outperform\w*|"
                       r"surpass\w*|times (faster|better|fewer|smaller))\b"),
    "scale": re.compile(r"(?<![\w.])[x×]\s?\d\b|\b\d\s?[x×](?!\s?\d)|\b(two|three|four|eight) times\b|"
                        r"scale factors? of \d", re.I),
    "resolution": re.compile(r"\b\d+\s?[x×]\s?\d+\b|\b\d+(?:\.\d+)?\s?[kK]\b|megapixel|resolution"),
    "score": re.compile(r"\d dB\b"),
    "data": re.compile(r"\b([Tt]rain\w*|datasets?|[Rr]eleases)\b"),
    "tests": re.compile(r"\b[Ee]valuated\b|\bdB on\b|\bon [A-Z]\w*\d|[Rr]eleases|\b([Ee]xperiment\w*|tested|"
                        r"benchmarks?|tasks)\b"),
    "speed": re.compile(r"\b(s per megapixel|seconds?|fps|FPS|frames per second|ms|milliseconds?|real[- ]time|"
                        r"times faster)\b"),
    "venue": re.compile(r"\((?:[A-Z][\w ]*)?\d{4}[^)]*\)|\b(CVPR|ICCV|ECCV|NeurIPS|ICLR|ICML|AAAI|IJCAI|TPAMI|TIP|"
                        r"WACV|BMVC|SIGGRAPH|ACM MM)\b|\b[A-Z]{3,}\s?(19|20)\d\d\b|"
                        r"\b(published|presented|appeared|accepted) (at|in)\b"),
    "authors": re.compile(r"\bet al\b|\b[Aa]uthors? ([A-Z]\w+)"),
}
WHAT = {"compute": "a compute cost (FLOPs)", "gain": "a margin over earlier methods", "scale": "an upscaling factor",
        "resolution": "an image size", "count": "that number", "tests": "the test sets it reports",
        "size": "a parameter count",
        "score": "a PSNR figure", "data": "the data it was trained on", "speed": "a speed figure",
        "venue": "a venue or year", "authors": "author names"}
NUMBER_WORDS = {str(n): word for n, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
DATASETS = re.compile(r"\b(which|what) (\w+ )?data ?sets?\b|\bdatasets\b", re.I)  # asks for the sets by name
COST = re.compile(r"\b(M parameters|GPU|[Hh]eavy)\b")
# Where the nearest fact to a missing figure is found: cost facts for a size or a speed.
NEAREST = {"size": COST, "speed": re.compile(r"\b(GPU|[Hh]eavy)\b")}
RELATIVE = 0.6  # further facts are kept while they score at least this share of the best one
MAX_FACTS = 2
STATED = ("key_facts", "summary", "technique")  # fields that state a figure; "best for" only names a task
FACTS_PER_RECORD = 12  # ranked facts looked at for each record a question is about
HOW_WEIGHT = 1.5  # a "how does it work" question weighs technique and summary sentences this much more
OVERLAP = 0.5  # a fact sharing this share of its words with one already chosen says the same thing


@dataclass
class Direct:
    """The paragraphs that answer the question, and the records they cite (most relevant first)."""

    paragraphs: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)

    def add(self, text: str, *records: Record) -> None:
        if text:
            self.paragraphs.append(text)
        self.cited += [record.id for record in records if record.id not in self.cited]


def fact_sentence(fact: Passage, record: Record) -> str:
    """A fact as a cited sentence in the record's own words."""
    text = fact.text.rstrip(".")
    key = f"fact.{fact.field}" if fact.field in ("technique", "best_for") else "fact.statement"
    return fill(key, name=display_name(record), cite=cite([record]), text=text).rstrip(".") + "."


def answers(fact: Passage, question: Question, cues: Sequence[str]) -> bool:
    """Does a fact give what a figure/attribute question asks, with every number and set name it names?"""
    wanted = [key for key in question.asks if key in ANSWERS]
    kinds = [key for key in wanted if key != "count"] or wanted
    words = set(tokenize(fact.text))
    counted = "count" not in wanted or bool(ANSWERS["count"].search(fact.text)) and counts_what(fact.text, question)
    return counted and (not kinds or any(ANSWERS[key].search(fact.text) for key in kinds)) and all(
        has_number(fact.text, cue) if cue[0].isdigit() else cue in words for cue in cues)


_HOW_MANY = re.compile(r"\bhow many ([a-z][\w-]*)", re.I)
_PICTURES = r"(?:images?|photos?|pictures?|photographs?|frames?|pairs?)"
_WEIGHTS = r"(?:param\w*|weights?)"
_NUMBER = (r"(?:\d[\d,.]*\s*[MKk]?|one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?|"
           r"million|billion)")


def counts_what(text: str, question: Question) -> bool:
    """"How many pictures ...?": does ``text`` put a number before the thing counted (within a few words)?"""
    asked = _HOW_MANY.search(question.topic)
    if not asked:
        return True
    noun = asked.group(1).lower()
    stem = next(iter(tokenize(noun)), noun)
    target = (_PICTURES if stem in MEDIUM or noun.startswith("image") else _WEIGHTS if stem in ("weight", "paramet")
              else rf"{re.escape(noun[:max(4, len(noun) - 2)])}\w*")
    return bool(re.search(rf"\b{_NUMBER}\s+(?:[\w-]+\s+){{0,3}}?{target}\b", text, re.I))


def has_number(text: str, number: str) -> bool:
    """Does ``text`` write ``number``, in digits or, for a small whole number, in words ("four times")?"""
    word = NUMBER_WORDS.get(number)
    return bool(re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.]*\d)", text)
                or word and re.search(rf"\b{word}\b", text, re.I))


def asked_terms(question: Question, store: RecordStore) -> list[str]:
    """Coined terms the question names (test sets, components, variants) that one record uses; no record names."""
    lexicon = store.lexicon
    return [term for term in lexicon.terms_in(question.topic)
            if len(lexicon.terms.get(term, ())) == 1 and not set(tokenize(term)) & store.evidence.name_tokens]


def required_cues(question: Question, store: RecordStore) -> list[str]:
    """Numbers and coined terms (the records' own, or new ones such as a test set they never use) that a fact
    must hold to answer the question."""
    numbers = re.findall(r"(?<![\w.])(?<![A-Za-z]-)\d+(?:\.\d+)?(?![\w.]*\d)", question.topic)  # not "PFM-910"
    words = asked_terms(question, store) + new_terms(question, store)
    return list(dict.fromkeys(numbers + tokenize(" ".join(words))))


def content_terms(text: str, record: Record, store: RecordStore) -> list[str]:
    """Coined terms of a fact that are neither record names nor words of its record's title (test sets,
    components)."""
    ignored = store.evidence.name_tokens | set(tokenize(record.title))
    return [term for term in store.lexicon.terms_in(text) if not set(tokenize(term)) & ignored]


def new_terms(question: Question, store: RecordStore) -> list[str]:
    """Coined words of the question (a test set, a model) that the records never use."""
    return [word for word in re.findall(r"[A-Za-z][\w-]*", question.topic) if is_coined(word)
            and word not in store.lexicon.terms and not set(tokenize(word)) & store.evidence.name_tokens]


def in_records(number: str, store: RecordStore) -> bool:
    """Is ``number`` written, as a whole number, in the records' text?"""
    return any(re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.]*\d)", text) for text in store.lexicon.texts.values())


def sigma_of(question: Question) -> str | None:
    """The noise level (sigma) a question names."""
    found = re.search(r"\bsigma\s*=?\s*(\d+)", question.topic, re.I)
    return found.group(1) if found else None


def fact_answer(question: Question, by_id: dict[str, Record], store: RecordStore) -> Direct:
    """Facts that answer a question about one or more records (or, without subjects, about any record)."""
    direct = Direct()
    if "link" in question.asks:
        return link_answer(question, by_id, store)
    subjects = [by_id[rid] for rid in question.subjects]
    cues = required_cues(question, store)
    hard = [cue for cue in cues if cue[0].isdigit() or cue in tokenize(" ".join(new_terms(question, store)))]
    pool = [record.id for record in subjects] or None
    ranked = store.facts(question.topic, record_ids=pool, limit=FACTS_PER_RECORD * max(1, len(subjects)))
    if "how" in question.asks:  # how it works: what the record says of its technique comes first
        ranked.sort(key=lambda f: -f.score * (HOW_WEIGHT if f.field in ("technique", "summary") else 1.0))
    wanted = [key for key in question.asks if key in ANSWERS]
    if wanted and (subjects or cues):
        candidates = subjects or _records_of(ranked, by_id)
        if question.everything or not subjects:  # "which of these ...?": the records whose facts answer it best
            best = {r.id: max((f.score for f in ranked if f.record_id == r.id and answers(f, question, cues)),
                              default=None) for r in candidates}
            top = max((score for score in best.values() if score is not None), default=None)
            answering = sorted((r for r in candidates if best[r.id] is not None and best[r.id] >= RELATIVE * top),
                               key=lambda r: -best[r.id]) if top is not None else []
            candidates = answering or candidates[:1]
        for record in candidates:
            # a term of this record's own text ("GenIR" for DreamClear) narrows the facts only where one holds it
            own_text = set(tokenize(store.lexicon.texts.get(record.id, "")))
            needed = hard + [cue for cue in cues if cue not in hard and cue not in own_text]
            own = [fact for fact in ranked if fact.record_id == record.id and fact.field in STATED]
            found = [fact for fact in own if answers(fact, question, cues)] or [
                fact for fact in own if answers(fact, question, needed)]
            # a follow-up asking the same again of the same record wants what was not said yet, if anything
            found = [fact for fact in found if fact.text not in question.said] or found
            if "data" in wanted and DATASETS.search(question.topic) \
                    and any(content_terms(fact.text, record, store) for fact in found):
                found = [fact for fact in found if content_terms(fact.text, record, store)]
            if found:
                direct.add(" ".join(fact_sentence(f, record) for f in found[:MAX_FACTS]), record)
            else:
                own = [f for f in ranked if f.record_id == record.id]
                near = [f for key in wanted if key in NEAREST for f in own if NEAREST[key].search(f.text)]
                nearest = sorted(near, key=lambda f: f.field != "key_facts")[:1] or own[:1]
                nearest += [f for f in store.facts(question.topic, limit=12)
                            if f.record_id != record.id and answers(f, question, cues)][:1]
                direct.add(missing(question, record, nearest, by_id, store), record)
            direct.add(measured_note(question, record))
        return direct
    chosen = _best(ranked) or [Passage(r.id, "summary", sentences(r.summary)[0]) for r in subjects if r.summary]
    parts = [name for name, ids in store.lexicon.names.items() if mentions(question.topic, name)
             and sum(ids[0] in other for other in store.lexicon.names.values()) >= 2]
    asked = set(tokenize(question.topic)) - GENERIC - store.evidence.name_tokens
    if len(parts) >= 2 and len(asked) <= 1:  # "Dformer and Rformer?": a fact about each part, one it opens
        chosen = [next((f for f in ranked if f.text.startswith(part)), None) or ranked[0] for part in parts]
        chosen = list(dict.fromkeys(chosen))
    if not chosen:  # a record the card only names and links
        for record in subjects:
            direct.add(fill("fact.no-summary", name=display_name(record), cite=cite([record]), paper=record.paper),
                       record)
        return direct
    for fact in chosen:
        direct.add(fact_sentence(fact, by_id[fact.record_id]), by_id[fact.record_id])
    direct.paragraphs = [" ".join(direct.paragraphs)]
    for record in subjects:
        direct.add(measured_note(question, record))
    return direct


def relative_fact(question: Question, subjects: Sequence[Record], store: RecordStore) -> Passage | None:
    """"How much better than A is B?": the fact that gives a margin, best where it names another of the records."""
    names = {record.id: [name for name, ids in store.lexicon.names.items() if record.id in ids] for record in subjects}
    ranked = store.facts(question.topic, record_ids=[record.id for record in subjects], limit=20)
    hard = [cue for cue in required_cues(question, store) if cue[0].isdigit()]
    found = [fact for fact in ranked if answers(fact, replace(question, asks=("gain",)), hard)]
    others = lambda fact: any(mentions(fact.text, name) for rid, group in names.items() if rid != fact.record_id
                              for name in group)
    return max(found, key=lambda fact: (others(fact), fact.score), default=None)


def missing(question: Question, record: Record, nearest: Sequence[Passage], by_id: dict[str, Record],
            store: RecordStore) -> str:
    """The plain statement that the records lack what was asked, with the nearest facts they give."""
    wanted = [key for key in question.asks if key in ANSWERS]
    wanted = [key for key in wanted if key != "count"] or wanted  # "how many parameters": the count is the size
    what = join([WHAT[key] for key in wanted]) + asked_about(question, store)
    text = fill("fact.missing", what=what, name=display_name(record), cite=cite([record]))
    if {"authors", "venue"} & set(question.asks):
        return text + " " + fill("fact.paper", paper=record.paper)
    if nearest:
        text += " " + fill("fact.nearest", facts=" ".join(fact_sentence(f, by_id[f.record_id]) for f in nearest))
    return text


def asked_about(question: Question, store: RecordStore) -> str:
    """" on McMaster at sigma 25": the test set and noise level the question names (a level only where the
    records use that number)."""
    sets, sigma = asked_terms(question, store), sigma_of(question)
    text = f" on {join(sets, word='or')}" if sets else " on the test set you name" if new_terms(question, store) else ""
    if sigma:
        text += f" at sigma {sigma}" if in_records(sigma, store) else " at that noise level"
    return text


def link_answer(question: Question, by_id: dict[str, Record], store: RecordStore) -> Direct:
    """The records' links, exactly as the card gives them."""
    direct = Direct()
    records = [by_id[rid] for rid in question.subjects] or _records_of(store.facts(question.topic, limit=1), by_id)
    without = [record for record in records if not record.code]
    if not records:
        return direct
    if len(records) > 1 and without and len(without) < len(records):
        direct.add(fill("links.no-code", names=join([f"{display_name(r)} {cite([r])}" for r in without])), *without)
    lines = [fill("links", name=display_name(record), cite=cite([record]), paper=record.paper,
                  code=record.code or fill("reference.no-code")) for record in records]
    direct.add("\n".join(f"- {line}" for line in lines) if len(lines) > 1 else lines[0], *records)
    return direct


def feasibility_answer(question: Question, by_id: dict[str, Record], store: RecordStore) -> Direct:
    """Whether each record runs here, exactly what runs, and what the records say it costs."""
    direct = Direct()
    records = [by_id[rid] for rid in question.subjects] or list(by_id.values())
    runnable = [record for record in records if record.runnable]
    summary = ""
    if len(records) > 1:
        names = join([f"{display_name(r)} {cite([r])}" for r in records])
        summary = (fill("runs.only", names=names, runnable=join([display_name(r) for r in runnable]))
                   if runnable else fill("runs.nothing", names=names))
        direct.add("" if runnable else summary)
    for record in sorted(records, key=lambda r: not r.runnable):
        if record.runnable:
            direct.add(" ".join(filter(None, [summary, f"{display_name(record)} {cite([record])}: {runs_here()}"])),
                       record)
            summary = ""
            if "speed" in question.asks:
                direct.add(" ".join([measured_note(question, record), fill("speed.none")]))
            continue
        costs = [f for f in store.facts(question.topic, record_ids=[record.id], limit=20)
                 if COST.search(f.text) and f.field == "key_facts"]
        text = fill("runs.described", name=display_name(record), cite=cite([record]))
        text += " " + (fill("fact.says", facts=costs[0].text) if costs else fill("cost.none-given"))
        if "speed" in question.asks:
            ranked = store.facts(question.topic, record_ids=[record.id], limit=20)
            speed = [f for f in ranked if ANSWERS["speed"].search(f.text)][:MAX_FACTS]
            shown = {c.text for c in costs[:1]}
            closest = [] if speed else [f for f in ranked[:1] if f.score > 0 and f.text not in shown]  # "a slow step?"
            text = " ".join([text, *(fact_sentence(f, record) for f in speed + closest if f.text not in shown),
                             *([] if speed else [fill("speed.none")])])
        direct.add(text, record)
    return direct


def runs_here() -> str:
    """Exactly what runs here: the official checkpoint when installed, else the shipped weights."""
    installed = measured.installed_official()
    if installed:
        return fill("runs.official", installed="`, `".join(installed))
    card = measured.shipped_card()
    row = card.row() if card else None
    if card is None or row is None:
        return fill("runs.none")
    text = fill("runs.shipped", weights=card.id, parameters=card.parameters, psnr=row.psnr)
    return text + (" " + fill("runs.shipped.others", others=_by_size(card)) if card.others else "")


def _by_size(card: measured.ShippedCard) -> str:
    """The other shipped weights, grouped by their size where the card gives it."""
    sizes: dict[str | None, list[str]] = {}
    for other in card.others:
        sizes.setdefault(card.parameters_by_weights.get(other), []).append(f"`{other}`")
    return "; ".join(", ".join(names) + (f" ({size} M parameters each)" if size and len(names) > 1 else
                                         f" ({size} M parameters)" if size else "")
                     for size, names in sizes.items())


def measured_note(question: Question, record: Record) -> str:
    """This project's own measurement on the shipped weights, for a figure asked about the runnable record."""
    card = measured.shipped_card()
    if not record.runnable or card is None:
        return ""
    if "score" in question.asks:
        test_set = next((r.test_set for r in card.rows if re.search(rf"\b{r.test_set}\b", question.topic, re.I)),
                        None if re.search(r"\b[A-Z]+\w*\d", question.topic) else "McMaster")
        row = card.row(test_set, sigma_of(question) or "15") if test_set else None
        parameters = row and card.parameters_by_weights.get(row.weights, card.parameters)
        return row and fill("measured.psnr", weights=row.weights, parameters=parameters, psnr=row.psnr,
                            test_set=row.test_set, sigma=row.sigma) or ""
    if "size" in question.asks and card.parameters:
        return fill("measured.size", weights=card.id, parameters=card.parameters)
    if "speed" in question.asks and card.seconds_per_megapixel:
        return fill("measured.speed", weights=card.id, seconds=card.seconds_per_megapixel)
    return ""


def _best(ranked: Sequence[Passage]) -> list[Passage]:
    """The best fact, and the next ones close to it that say something else."""
    if not ranked or ranked[0].score <= 0:
        return []
    chosen: list[Passage] = []
    for fact in ranked:
        if len(chosen) == MAX_FACTS or fact.score < RELATIVE * ranked[0].score:
            break
        words = set(tokenize(fact.text))
        if all(len(words & set(tokenize(c.text))) < OVERLAP * len(words) for c in chosen):
            chosen.append(fact)
    return chosen


def _records_of(facts: Sequence[Passage], by_id: dict[str, Record]) -> list[Record]:
    return [by_id[rid] for rid in dict.fromkeys(fact.record_id for fact in facts)]
