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
from tools.everyday import is_everyday, is_rare
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
# A photo, in anyone's words: what the card's field restores.
MEDIUM = frozenset(tokenize(
    "image images photo photos picture pictures pic pics photograph photographs snapshot snapshots shot shots selfie "
    "selfies portrait portraits headshot scan scans scanned scanning print prints negative negatives slide slides film "
    "polaroid album albums postcard postcards daguerreotype tintype "
    "footage video videos clip clips jpeg jpg png tiff raw pixel pixels camera cameras "
    "photography photographer"))
# Words of the task itself (beside the degradation vocabulary of ``tools.degradation_terms``).
TASK = frozenset(tokenize(
    "restore restoration restored denoise denoising denoiser derain deraining dehaze dehazing deblur deblurring "
    "degraded degradation degradations artifacts artefacts enhancement super-resolution upscale upscaling upsample "
    "colorize colorise colorization colourisation inpainting inpaint retouch psnr ssim lpips fid", merge=False))
# Damage and qualities of a photo that the degradation vocabulary does not name: the field's own words.
FIELD = frozenset(tokenize(
    "scratch scratches scratched tear tears torn crease creases creased stain stains stained fade faded fading "
    "discoloured discolored yellowed blotch blotches speck specks dust mold mould crack cracked cracks "
    "grayscale greyscale sepia monochrome colour color colours colors tint cast saturation contrast exposure "
    "overexposed sharpness sharp sharpen detail details texture textures resolution upscaled enlarge zoom "
    "artifact artefact compression blocky pixelated pixelation banding ringing halo halos moire "
    "murky turbid underwater lens flare glare reflection shake motion focus defocused bokeh "
    "dataset datasets benchmark benchmarks metric metrics perceptual fidelity"))
# Verbs that, with a degradation, make the question about removing it.
REMOVE = frozenset(tokenize("remove removing removal reduce reducing fix fixing clean cleaning restore recover "
                            "eliminate correct undo repair get rid suppress", merge=False))
# Phrases that refer to the loaded records or to what runs here.
REFERS = re.compile(
    r"\b(these|those|of them|any of them|each of them|all of them|the (four|three|two) of them|"
    r"the (recommended |listed |provided )?(models?|records?|papers?|methods?|approaches|architectures|networks|"
    r"options|sources|card|list)\b"
    r"|the (four|three|two|\d+) (models|records|papers|methods)|(you|your) (records?|sources|models|list)|listed|"
    r"above|which one\b|(run|runs|running|runnable) here)",
    re.I,
)
# "Which model is fastest?": a reference to the records only when nothing in the question is foreign to them.
WEAK_REFERS = re.compile(r"\b(which|what) (model|method|paper|approach|architecture|network|record)s?\b", re.I)
OWN_SHARE = 0.7  # the share of words a question must share with the card's own to be it
MAX_FOREIGN_WITH_PHOTO = 1  # foreign words allowed beside a photo and a restoration cue (a quarter in long ones;
# where the photo's damage is named, the other words describe the photo: two, or half of them)


@dataclass(frozen=True)
class Scope:
    """The verdict with the words that decided it (``basis``: named, refers, domain, facts or none)."""

    in_scope: bool
    terms: tuple[str, ...]
    reason: str
    basis: str = "none"


@dataclass(frozen=True)
class Evidence:
    """What the loaded card offers a scope decision: the records' words (``vocabulary``), their technical words
    (``anchors``: titles and techniques), the words of each fact, the record names' words, names by record id,
    the words written in capitals anywhere in the card (``proper``), and the card's own question."""

    vocabulary: frozenset[str] = frozenset()
    anchors: frozenset[str] = frozenset()
    facts: tuple[frozenset[str], ...] = ()
    name_tokens: frozenset[str] = frozenset()
    named: dict[str, str] = field(default_factory=dict)
    proper: frozenset[str] = frozenset()
    card_question: str = ""


@dataclass(frozen=True)
class Subject:
    """The words of a question sorted by what they say of its subject."""

    content: frozenset[str]  # every word that is neither framing nor a number
    medium: frozenset[str]  # a photo, in anyone's words
    cues: frozenset[str]  # a degradation, the task, or the field's own words
    technical: frozenset[str]  # the card's words that are not everyday English
    foreign: tuple[str, ...]  # words of another subject: rare, not the card's, or a name the card never writes
    removes: bool  # a verb of removing ("remove", "fix", "get rid")
    jargon: bool = False  # two technical words, or one rare one ("hypernetwork"), not one common word ("generate")
    fixes_other: bool = False  # what it asks to fix, or the damage is on, is something other than a photo


def read_subject(question: str, evidence: Evidence) -> Subject:
    """Sort the question's words: everyday words never count against it (:mod:`tools.everyday`)."""
    words = set(tokenize(question))
    raw = set(tokenize(question, merge=False))
    content = {word for word in words if word not in GENERIC and not any(ch.isdigit() for ch in word)}
    medium = (content | words) & MEDIUM
    cues = set(degradations_in(question)) | (raw & TASK) | (content & FIELD)
    card = evidence.vocabulary | set(tokenize(evidence.card_question))
    surfaces = _surface_words(question)
    foreign = {stem for stem in content - MEDIUM - FIELD - card - cues
               if not is_everyday(surfaces.get(stem, stem))}
    foreign |= {stem for stem, word in _names_in(question).items()
                if word.lower() not in evidence.proper and stem not in MEDIUM | FIELD and stem not in cues}
    objects = {stem: sure for stem, sure in _objects(question).items()
               if stem not in card | MEDIUM | FIELD | cues | GENERIC}
    foreign |= set(objects)
    technical = {stem for stem in content & card - GENERIC - MEDIUM - cues
                 if not is_everyday(surfaces.get(stem, stem)) and stem not in foreign}
    fixes_other = any(objects.values())  # what it asks to fix is not a photo ("restore a wooden frame")
    jargon = len(technical) >= 2 or any(is_rare(surfaces.get(stem, stem)) for stem in technical)
    return Subject(frozenset(content), frozenset(medium), frozenset(cues), frozenset(technical),
                   tuple(sorted(foreign)), bool(raw & REMOVE or re.search(r"\bget rid\b", question, re.I)), jargon,
                   fixes_other)


def judge_scope(question: str, record_names: dict[str, str] | None = None, evidence: Evidence | None = None,
                named: Sequence[str] = (), weakly: Sequence[str] = ()) -> Scope:
    """Decide whether ``question``'s subject is the card's field.

    In scope: it names a record, refers to the records, is the card's own question, or its subject is a photo,
    a degradation, the task, or the card's technical words, with no word of another subject beside them (a
    photo allows a few). Everyday words never count against it; a degradation word alone ("Will it rain
    tomorrow?") is not a subject. ``record_names`` maps a record id to a name the question may use (names in
    capitals must appear in capitals); ``named`` are record ids already found named in it; ``weakly`` those named
    by an acronym that is also an English word ("the LOL dataset", "a GPU"), which count where nothing in the
    question belongs to another subject.
    """
    evidence = evidence or Evidence()
    names = {**evidence.named, **(record_names or {})}
    named = sorted({*named, *(rid for rid, name in names.items() if mentions(question, name))})
    if named:
        return Scope(True, tuple(named), "it names a record", "named")
    if evidence.card_question and is_own_question(question, evidence.card_question):
        return Scope(True, (), "it is the card's own question", "own")
    subject = read_subject(question, evidence)
    terms = tuple(sorted(subject.cues | subject.medium | subject.technical))
    foreign = subject.foreign
    if weakly and not foreign:
        return Scope(True, tuple(weakly), "it names a record", "named")
    if REFERS.search(question) and (len(foreign) <= 1 or subject.medium):  # "which of these ... my snapshots?"
        return Scope(True, (REFERS.search(question).group(0),), "it refers to the records", "refers")
    refused = f"the records never speak of {_listed(_surfaces(question, foreign))}"
    if subject.medium:
        damage = bool(degradations_in(question) or subject.cues & FIELD)  # what is wrong with the photo, named
        allowed = (max(2, len(subject.content) // 2) if damage
                   else max(MAX_FOREIGN_WITH_PHOTO, len(subject.content) // 4))
        if len(foreign) <= allowed and not subject.fixes_other and (subject.cues or subject.technical or subject.removes
                                        or WEAK_REFERS.search(question)):
            return Scope(True, terms, "it asks about a photo", "domain")
        return Scope(False, terms, refused if foreign else "it asks about no restoration task or record")
    if foreign:
        return Scope(False, terms, refused)
    if WEAK_REFERS.search(question) and (subject.cues or subject.technical):
        return Scope(True, terms, "it asks which of the records", "refers")
    degradations = set(degradations_in(question))
    if subject.cues and (len(subject.cues) >= 2 or subject.technical or subject.removes and degradations):
        return Scope(True, terms, "it asks about image degradation or restoration", "domain")
    if subject.jargon and any(subject.technical <= fact for fact in evidence.facts):
        return Scope(True, terms, "one of the records' facts holds all its words", "facts")
    return Scope(False, terms, "it asks about no restoration task or record")


def is_own_question(question: str, card_question: str) -> bool:
    """Is ``question`` the card's own question (its words, give or take a few)?"""
    asked, own = set(tokenize(question)), set(tokenize(card_question))
    return bool(own) and len(asked & own) >= OWN_SHARE * max(len(asked), len(own))


_OBJECT = re.compile(r"\b(on|of|from|in|over|to|for|restore|fix|repair|clean|remove|enhance|sharpen|recover)\s+"
                     r"(?:up\s+|out\s+|off\s+)?(?:my|our|your|his|her|their|the|a|an|this|that|these|those)\s+"
                     r"((?:[\w'-]+,?\s+){0,4}?[\w'-]+)(?=\s+(?:on|of|from|in|over|around|at|with|by|for|to|into|after|"
                     r"before|so|and|but|because|when|that)\b|\s*[.?!;:]|\s*$)", re.I)


_LOOSE = {"of", "in", "over", "to", "for"}  # "the photos of my trip": what follows need not be what is fixed


def _objects(question: str) -> dict[str, bool]:
    """What the question's damage is on or what it asks to fix: the head (last content word) of each such phrase
    ("the scratches on my old car": ``car``; "a scratched car door": ``door``), True where it is surely what is
    fixed (after the verb, "on" or "from")."""
    found: dict[str, bool] = {}
    for word, phrase in _OBJECT.findall(question):
        stems = [stem for stem in tokenize(phrase) if stem not in GENERIC and not any(ch.isdigit() for ch in stem)]
        if stems and not degradations_in(phrase.split()[-1]):
            found[stems[-1]] = found.get(stems[-1], False) or word.lower() not in _LOOSE
    return found


def _names_in(question: str) -> dict[str, str]:
    """Capitalised words inside a sentence (not its first word): names such as ``London`` or ``GPT``."""
    found: dict[str, str] = {}
    for sentence in re.split(r"(?<=[.?!])\s+", question):
        for word in re.findall(r"(?<=\s)[A-Z][A-Za-z0-9]*", sentence):
            if word not in ("I", "AI"):
                found[next(iter(tokenize(word)), word.lower())] = word
    return found


def _surface_words(question: str) -> dict[str, str]:
    """The question's own words by their tokens."""
    by_stem: dict[str, str] = {}
    for word in re.findall(r"[A-Za-z0-9]+", question):
        by_stem.setdefault(next(iter(tokenize(word)), ""), word)
    return by_stem


def _surfaces(question: str, stems: Sequence[str]) -> list[str]:
    """The question's own words behind some of its tokens."""
    by_stem = _surface_words(question)
    return [by_stem.get(stem, stem) for stem in stems]


def _listed(words: Sequence[str]) -> str:
    shown = [f"'{word}'" for word in words[:3]]
    return ", ".join(shown) + (" and more" if len(words) > 3 else "")
