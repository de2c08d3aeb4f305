"""Tokenizer shared by the index and the queries: lowercase words, English stop words out, Snowball stems,
and a few restoration-specific merges (``deraining`` and ``rainy`` both count as ``rain``)."""
from __future__ import annotations

import re
from functools import lru_cache

from tools.everyday import is_rare

_WORD = re.compile(r"[a-z0-9]+")

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers him his how i if in into is it its itself just me more most my no nor not now
    of off on once only or other our out over own same she should so some such than that the their them
    then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours""".split()
)

# Stems merged into the stem of the degradation they name.
_MERGE = {
    "denois": "nois", "noisi": "nois",
    "derain": "rain", "raini": "rain",
    "dehaz": "haze", "hazi": "haze", "fog": "haze", "foggi": "haze",
    "deblur": "blur", "blurri": "blur",
    "dark": "light", "lowlight": "light", "underexpos": "light", "night": "light",
    "jpg": "jpeg",
    # the medium, and words that name a record's figures the way a question does
    "pictur": "photo", "photograph": "photo", "pic": "photo", "snapshot": "photo",
    "facial": "face", "graini": "nois", "grain": "nois", "param": "paramet",
    # how people and papers say the same thing about a model
    "won": "win", "winner": "win", "competit": "challeng", "contest": "challeng", "sensor": "raw",
    "adversari": "gan", "discrimin": "gan", "quicker": "fast", "quick": "fast",
    "requir": "need", "label": "annot", "annot": "annot", "hand-label": "annot",
}
# Phrases read as one word before tokenizing ("line up" frames is aligning them).
_PHRASES = [(re.compile(r"\b(line|lines|lined|lining) up\b"), "align"),
            (re.compile(r"\bget(ting)? rid of\b"), "remove"),
            (re.compile(r"\breal[- ]time\b"), "realtime"), (re.compile(r"\b(several|diverse|multiple)\b"), "multiple")]


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


_CAPITALS = re.compile(r"\b[A-Z]{2,}[0-9]*\b")


def tokenize(text: str, merge: bool = True) -> list[str]:
    """Index/query tokens of ``text``; ``merge=False`` keeps ``denois`` apart from ``nois``. An acronym in capitals
    that is also an English word (the ``WED`` dataset, ``LOL``) is its own token, so "wedding" does not match it."""
    text = _CAPITALS.sub(_acronym, text) if _CAPITALS.search(text) else text
    lowered = text.lower()
    for pattern, word in _PHRASES:
        lowered = pattern.sub(word, lowered)
    words = [word for word in _WORD.findall(lowered) if word not in STOP_WORDS]
    stems = _stemmer().stemWords(words)
    return [_MERGE.get(stem, stem) for stem in stems] if merge else stems


def _acronym(match: re.Match[str]) -> str:
    word = match.group(0)
    return word if is_rare(word) or word.lower() in STOP_WORDS else f"{word}0acr"
