"""Is a question about what the records cover? Decided on evidence before ranking, so that an off-topic
question is refused rather than answered with whichever record happens to rank first.

In scope: a question that names a record or a term of the records (``HAIR``, ``MoAM``), refers to the records
("which of these", "the models", "run here"), or whose content words the records' text accounts for: a
degradation or restoration cue with nothing foreign beside it (one foreign word is allowed when it is about a
photo), or a record's technical words all found in one fact. A question that merely shares a word with the
domain ("rain tomorrow", "transformers for machine translation", "noise from my neighbours") has content words
the records never use, and is refused.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tools.degradation_terms import degradations_in
from tools.retrieval.lexicon import mentions
from tools.retrieval.tokens import tokenize

# Words that frame a question or name what it asks about a record; they neither put it in scope nor out.
GENERIC = frozenset(tokenize(
    "what which who whom how why when where whether can could would should will may might must shall please "
    "tell explain describe show give list name know want need like help use used using get make way thing "
    "best better good great bad badly worse worst old new recent modern current currently really actually also "
    "fast faster fastest quick quicker quickest slow slower speed light lighter lightest heavy heavier heaviest "
    "small smaller smallest big bigger biggest large larger largest cheap cheaper cost expensive many much "
    "number figure amount size compare comparison versus vs difference different differ choose choice pick "
    "prefer recommend recommendation suggest option work works one ones kind type sort exactly here there run "
    "running runs runnable laptop computer pc locally install installed available fix remove reduce clean "
    "repair improve recover sharpen enhance clear get rid lot mean means say says give gives ai model models "
    "method methods approach approaches first second third last other both either neither each every all any "
    "technique techniques architecture architectures leading lead leads domain field area specific allow allows "
    "enable enables latest today heavily strongly very highest lowest higher lower top most least strongest "
    "paper papers code link links github arxiv record records source",
    merge=False))
# The medium the records restore.
MEDIUM = frozenset(tokenize("image photo"))
# Words of the task itself (beside the degradation vocabulary of ``tools.degradation_terms``).
TASK = frozenset(tokenize(
    "restore restoration restored denoise denoising denoiser derain deraining dehaze dehazing deblur deblurring "
    "degraded degradation degradations artifacts enhancement super-resolution upscale psnr ssim", merge=False))
# Phrases that refer to the loaded records or to what runs here.
REFERS = re.compile(
    r"\b(these|those|of them|any of them|each of them|all of them|the (four|three|two) of them|"
    r"the (models?|records?|papers?|methods?|approaches|architectures|networks|options|sources|card|list)\b"
    r"|the (four|three|two|\d+) (models|records|papers|methods)|(you|your) (records?|sources|models|list)|listed|"
    r"above|which one\b|(run|runs|running|runnable) here)",
    re.I,
)
# "Which model is fastest?": a reference to the records only when nothing in the question is foreign to them.
WEAK_REFERS = re.compile(r"\b(which|what) (model|method|paper|approach|architecture|network|record)s?\b", re.I)
MAX_FOREIGN_WITH_PHOTO = 1  # foreign words allowed beside a photo and a restoration cue (a quarter in long ones)


@dataclass(frozen=True)
class Scope:
    """The verdict with the words that decided it (``basis``: named, refers, domain, facts or none)."""

    in_scope: bool
    terms: tuple[str, ...]
    reason: str
    basis: str = "none"


@dataclass(frozen=True)
class Evidence:
    """What the records' text offers a scope decision: its words, its technical words (titles and
    techniques), the words of each fact (with its record's title), and a function naming records."""

    vocabulary: frozenset[str] = frozenset()
    anchors: frozenset[str] = frozenset()
    facts: tuple[frozenset[str], ...] = ()
    name_tokens: frozenset[str] = frozenset()
    named: dict[str, str] = field(default_factory=dict)


def judge_scope(question: str, record_names: dict[str, str] | None = None, evidence: Evidence | None = None,
                named: Sequence[str] = ()) -> Scope:
    """Decide whether ``question`` is about what the records cover.

    ``record_names`` maps a record id to a name the question may use for it (e.g. ``HAIR``); ``named`` are record
    ids already found named in it. Names in capitals must appear in capitals, so "my hair" is no hit.
    """
    evidence = evidence or Evidence()
    names = {**evidence.named, **(record_names or {})}
    named = sorted({*named, *(rid for rid, name in names.items() if mentions(question, name))})
    if named:
        return Scope(True, tuple(named), "it names a record", "named")
    if REFERS.search(question):
        return Scope(True, (REFERS.search(question).group(0),), "it refers to the records", "refers")
    words = set(tokenize(question))
    content = {word for word in words if word not in GENERIC and not word.isdigit()} | (words & MEDIUM)
    cues = set(degradations_in(question)) | (set(tokenize(question, merge=False)) & TASK)
    medium = content & MEDIUM
    foreign = sorted(word for word in content - MEDIUM if word not in evidence.vocabulary
                     or word in evidence.name_tokens)
    terms = tuple(sorted(cues | medium | (content - set(foreign))))
    allowed = max(MAX_FOREIGN_WITH_PHOTO, len(content) // 4) if cues and medium else 0
    if len(foreign) > allowed:
        return Scope(False, terms, f"the records never speak of {_listed(_surfaces(question, foreign))}")
    if WEAK_REFERS.search(question) and not foreign:
        return Scope(True, terms, "it asks which of the records", "refers")
    if cues:
        return Scope(True, terms, "it asks about image degradation or restoration", "domain")
    technical = content - MEDIUM
    if technical & evidence.anchors and not medium and any(technical <= fact for fact in evidence.facts):
        return Scope(True, terms, "one of the records' facts holds all its words", "facts")
    return Scope(False, terms, "it asks about no restoration task or record")


def _surfaces(question: str, stems: Sequence[str]) -> list[str]:
    """The question's own words behind some of its tokens."""
    by_stem: dict[str, str] = {}
    for word in re.findall(r"[A-Za-z0-9]+", question):
        by_stem.setdefault(next(iter(tokenize(word)), ""), word)
    return [by_stem.get(stem, stem) for stem in stems]


def _listed(words: Sequence[str]) -> str:
    shown = [f"'{word}'" for word in words[:3]]
    return ", ".join(shown) + (" and more" if len(words) > 3 else "")
