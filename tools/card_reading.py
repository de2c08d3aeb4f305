"""What a card entry says about its model, read from the entry's own text: names and acronyms, the technique
sentence, the tasks it handles, its facts, and whether this project runs it.

Nothing here knows any particular card. A summary's sentences are its facts; the sentence where the authors
say what they propose gives its technique phrase; the names are the title's head ("HAIR: ..."), the coined words it
proposes ("we propose NAFNet", "the Hybrid Attention Transformer (HAT)") and the title's coined words
("SwinIR" in "Denoise-SwinIR-Noise15").
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from tools.degradation_terms import PRIORITY, degradation_counts
from tools.everyday import is_rare
from tools.retrieval.lexicon import is_coined
from tools.records import DEGRADATIONS, RECOMMENDED_MODEL, Record

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")
_PROPOSES = re.compile(r"\b(we|this (paper|work)|the authors)\s+(propose|present|introduce|design|develop|build)\w*\b"
                       r"|\b(is|are) proposed\b|\bour (method|model|approach|network|framework)\b|\bconsists of\b",
                       re.I)
_PROPOSED_OBJECT = re.compile(r"\b(?:we|this (?:paper|work)|the authors)\s+(?:first\s+)?(?:propose|present|introduce|"
                              r"design|develop|build|train|extend|embed|formulate|adopt|devise|call)\w*\s+(.+)$", re.I)
_METHOD_OBJECT = re.compile(r"\b(?:employs|utili[sz]es|uses|relies on|builds on|is based on|combines)\s+(.+)$", re.I)
_ACRONYM = re.compile(r"\(([A-Z][A-Za-z0-9+-]{1,11})\)")
_AFTER_VERB = re.compile(r"\b(?:propose|present|introduce|call)\w*\s+(?:a |an |the )?(?:new |novel )?"
                         r"([A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)\b")
_RUNS_HERE = (re.compile(r"\bswin\s?ir\b", re.I), re.compile(r"\bdenois\w*|\bnoise\d*\b", re.I))
MAX_NAME_WORDS = 3
MAX_BEST_FOR = 2  # degradations named in a record's "best for", most prominent first


def sentences(text: str) -> list[str]:
    """The sentences of a summary, in order."""
    return [part.strip() for part in _SENTENCE_END.split(" ".join(text.split())) if part.strip()]


def technique_sentence(parts: Sequence[str]) -> str:
    """What the authors propose, as a phrase ("a new dual-transformer approach comprising ..."): the object of the
    sentence where they propose it; else the phrase after "employs"/"uses" in a sentence on how it works."""
    for pattern in (_PROPOSED_OBJECT, _METHOD_OBJECT):
        for sentence in parts:
            match = pattern.search(sentence)
            phrase = re.sub(r"^(as|here|that|to|it as)\s+", "", match.group(1), flags=re.I) if match else ""
            if len(phrase.split()) >= 3:
                return phrase.rstrip(". ")
    return ""


def proposed_names(parts: Sequence[str]) -> list[str]:
    """The names the authors give what they propose: acronyms in brackets and coined words after the verb."""
    names: list[str] = []
    proposing = [s for s in parts if _PROPOSES.search(s)] or list(parts[:1])
    for sentence in proposing:
        names += [m for m in _ACRONYM.findall(sentence) if is_coined(m) or is_rare(m)]
        names += [m for m in _AFTER_VERB.findall(sentence) if is_coined(m) or m.isupper()]
    return list(dict.fromkeys(names))


def title_head(title: str) -> str:
    """The title's short name before its colon (``HAIR`` in ``HAIR: Hypernetworks-based ...``), else ''."""
    head = title.split(":", 1)[0].strip() if ":" in title else ""
    return head if head and len(head.split()) <= MAX_NAME_WORDS else ""


def repo_name(title: str, summary: str, code: str | None) -> str:
    """The code repository's name where the title or summary writes it (``PReNet`` for ``github.com/x/PReNet``),
    in the text's own spelling; else ''."""
    name = (code or "").rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    if len(name) < 3:
        return ""
    found = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-]|\+)", f"{title} {summary}", re.I)
    return found.group(0) if found and is_coined(found.group(0)) else ""


def display_name(title: str, summary: str, code: str | None = None) -> str:
    """How prose names the model: the title's head, else the code repository's name where the text writes it,
    else what the authors propose, else the title."""
    head = title_head(title) or repo_name(title, summary, code)
    if head:
        return head
    names = proposed_names(sentences(summary))
    if names and len(title.split()) > MAX_NAME_WORDS:
        return " + ".join(names[:2])
    return title


TITLE_WEIGHT = 3  # a degradation the title names outweighs a few mentions in the summary


def handles(title: str, summary: str) -> tuple[str, ...]:
    """The degradations a record handles, from its title and summary, the one it is most about first (its title's,
    then the summary's most mentioned; ties in the vocabulary's order)."""
    in_title, in_summary = degradation_counts(title), degradation_counts(summary)
    score = {key: TITLE_WEIGHT * bool(in_title.get(key)) + in_summary.get(key, 0) for key in {*in_title, *in_summary}}
    return tuple(sorted(score, key=lambda key: (-score[key], PRIORITY.index(key)))) or ("other",)


def runs_here(title: str, summary: str, code: str | None) -> bool:
    """Does this project run the record's model: a SwinIR denoiser, named by the record's title or code link?"""
    named = f"{title} {code or ''}"
    return bool(_RUNS_HERE[0].search(named) and _RUNS_HERE[1].search(f"{title} {summary}"))


_LEADS_BACK = re.compile(r"^(It|Its|This|These|They|Their|Such|Here|Thus|Hence)\b")


def facts_of(parts: Sequence[str]) -> tuple[str, ...]:
    """A summary's facts: its sentences, one that opens by pointing back ("It employs ...") kept with the one before."""
    facts: list[str] = []
    for sentence in parts:
        if facts and _LEADS_BACK.match(sentence):
            facts[-1] = f"{facts[-1]} {sentence}"
        else:
            facts.append(sentence)
    return tuple(facts)


def record_from_text(record_id: str, kind: str, title: str, paper: str, code: str | None, summary: str,
                     line: int) -> Record:
    """A record from a card entry's own words: every summary sentence is a fact."""
    parts = sentences(summary)
    found = handles(title, summary)
    name = display_name(title, summary, code)
    return Record(
        id=record_id, title=title, kind=kind, paper=paper, code=code, summary=" ".join(parts),
        key_facts=facts_of(parts), technique=technique_sentence(parts), handles=found,
        best_for=", ".join(DEGRADATIONS[key] for key in found[:MAX_BEST_FOR]), runnable=runs_here(title, summary, code),
        extra={"line": line, **({"name": name} if name != title else {}),
               "aliases": tuple(n for n in proposed_names(parts) if n != name and len(proposed_names(parts)) == 1)},
    )


def merge_checkpoints(records: Sequence[Record]) -> list[Record]:
    """One record per paper: a recommended checkpoint whose paper link is a related paper's becomes that paper's
    record, named after the paper, kept first where the checkpoint stood, and marked as the recommended model."""
    by_paper: dict[str, list[Record]] = {}
    for record in records:
        by_paper.setdefault(record.paper, []).append(record)
    merged: list[Record] = []
    for record in records:
        group = by_paper[record.paper]
        if record is not group[0]:
            continue
        merged.append(_merged(group) if len(group) > 1 else record)
    return merged


def _merged(group: Sequence[Record]) -> Record:
    checkpoints = [r for r in group if r.kind == RECOMMENDED_MODEL]
    paper = max(group, key=lambda r: (len(r.summary), r.kind != RECOMMENDED_MODEL))
    codes = list(dict.fromkeys(r.code for r in group if r.code))
    aliases = [r.title for r in group if r.title != paper.title]
    summary = " ".join(dict.fromkeys(r.summary for r in group if r.summary))
    extra = {**paper.extra, "aliases": tuple(aliases), "more_links": tuple(codes[1:])}
    if checkpoints:
        extra["checkpoint"] = checkpoints[0].title
    found = handles(" ".join(r.title for r in group), summary)
    return replace(paper, kind=RECOMMENDED_MODEL if checkpoints else paper.kind, code=codes[0] if codes else None,
                   summary=summary, key_facts=tuple(dict.fromkeys(f for r in group for f in r.key_facts)),
                   handles=found, best_for=", ".join(DEGRADATIONS[key] for key in found[:MAX_BEST_FOR]),
                   runnable=any(r.runnable for r in group), extra=extra)

