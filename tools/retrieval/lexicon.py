"""The names a question may use for the records and their parts, read from the records' own text.

* record names: a record's ``name`` (``Dformer + Rformer`` gives both), the title before its colon, and coined
  words of the title (``SwinIR`` in ``Denoise-SwinIR-Noise15``);
* coined terms: words the records coin (``MoAM``, ``GIV``, ``Res-HAIR``, ``Rain100L``, ``McMaster``), each
  pointing at the records whose text uses it;
* acronyms and their words, both ways, from ``Words (ACR)`` in the text or from the initials of
  capitalised words (``HSN`` and ``Hyper Selecting Net``).

Names and terms written in capitals must appear in capitals ("HAIR", not "my hair").
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from tools.degradation_terms import degradations_in
from tools.everyday import is_rare
from tools.records import Record
from tools.retrieval.tokens import tokenize

_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]*(?:[-+][A-Za-z0-9]+)*")
_PART = re.compile(r"[A-Za-z0-9]+")
_PARENTHESISED = re.compile(r"((?:[A-Z][\w-]*\s+(?:of\s+|the\s+|and\s+)?){1,5})\(([A-Za-z][\w-]{1,7})\)")
_CAPITALISED_RUN = re.compile(r"(?:[A-Z][a-z][\w-]*)(?:\s+(?:of\s+)?[A-Z][a-z][\w-]*)+")
_DESCRIBED = re.compile(r"\bthe ((?:[\w-]+ ){0,2}[\w-]+) (?:paper|model|method|record|approach|network)s?\b", re.I)
_ACRONYM = re.compile(r"\b[A-Z][A-Za-z]{1,5}\b")
MAX_TITLE_NAME_WORDS = 6  # a title this short ("Learning to See in the Dark") is a name a question may use


def record_text(record: Record) -> str:
    """Everything a record says, as one text."""
    return " ".join([record.title, record.summary, *record.key_facts, record.technique, record.best_for])


def is_coined(word: str) -> bool:
    """A word the records coin: a capital after its first letter (``SwinIR``, ``GIV``) or letters and digits."""
    return any(len(part) >= 2 and part[0].isalpha()
               and (any(ch.isupper() for ch in part[1:]) or any(ch.isdigit() for ch in part))
               for part in _PART.findall(word))


def _initials(phrase: str) -> str:
    return "".join(word[0] for word in phrase.split() if word[0].isupper())



@dataclass(frozen=True)
class Lexicon:
    """Record names, coined terms and acronym expansions of a set of records."""

    names: dict[str, tuple[str, ...]]
    terms: dict[str, tuple[str, ...]]
    acronyms: dict[str, str]  # written out in the text: "Global Information Vector (GIV)"
    title_words: dict[str, str]  # a word only one record's title uses (5 letters or more) -> that record
    initials: dict[str, str]  # the capitals of a run of capitalised words: "HSN" for "Hyper Selecting Net"
    texts: dict[str, str]

    @classmethod
    def of(cls, records: Sequence[Record]) -> Lexicon:
        names: dict[str, list[str]] = {}
        terms: dict[str, list[str]] = {}
        acronyms: dict[str, str] = {}
        initials: dict[str, str] = {}
        for record in records:
            for name in record_names(record):
                names.setdefault(name, []).append(record.id)
            text = record_text(record)
            for word in dict.fromkeys(_WORD.findall(text)):
                if is_coined(word) and not (word.isalpha() and degradations_in(word)):
                    terms.setdefault(word, []).append(record.id)
            for phrase, acronym in _PARENTHESISED.findall(text):
                words, letters = phrase.split(), [ch for ch in acronym if ch.isupper()]
                capitals = [w for w in words if w[0].isupper()]
                if len(letters) >= 2 and len(capitals) >= len(letters):
                    acronyms.setdefault(acronym, " ".join(words[words.index(capitals[-len(letters)]):]))
            for run in _CAPITALISED_RUN.findall(text):
                words = run.split()
                for start in range(len(words) - 1):
                    if words[start][0].isupper() and words[start] not in ("The", "A", "An"):
                        phrase = " ".join(words[start:])
                        initials.setdefault(_initials(phrase), phrase)
        texts = [set(tokenize(record_text(record))) for record in records]
        title_words = {word: record.id for record in records for word in tokenize(record.title)
                       if len(word) >= 5 and sum(word in other for other in texts) == 1}
        return cls({k: tuple(dict.fromkeys(v)) for k, v in names.items()},
                   {k: tuple(dict.fromkeys(v)) for k, v in terms.items()}, acronyms, title_words, initials,
                   {record.id: record_text(record) for record in records})

    def record_names_in(self, text: str) -> list[str]:
        """Record ids the text names by a record name, in order of mention."""
        return _in_order((_position(text, name), ids) for name, ids in self.names.items())

    def term_records(self, text: str, strict: bool = False) -> list[str]:
        """Record ids the text points at through a term, or an acronym's words (three or more where no acronym
        is written), that only that record uses. ``strict`` leaves out acronyms that are also English ("GPU")."""
        found = [(_position(text, term), ids) for term, ids in self.terms.items()
                 if len(ids) == 1 and (names_a_thing(term) or not strict and term.isupper())]
        for phrase in self.phrases_in(text):
            written = text[_position(text, phrase):][:len(phrase)]
            if (len(phrase.split()) >= 3 or phrase in self.acronyms.values()) and names_a_thing(written):
                ids = tuple(rid for rid, body in self.texts.items() if mentions(body, phrase))
                found.append((_position(text, phrase), ids if len(ids) == 1 else ()))
        return _in_order(found)

    def described(self, text: str) -> list[str]:
        """Record ids the text points at as "the frequency paper", "the hypernetwork method": a word of one
        record's title before paper, model, method or record."""
        return _in_order((match.start(), (self.title_words[word],)) for match in _DESCRIBED.finditer(text)
                         for word in tokenize(match.group(1)) if word in self.title_words)

    def phrases_in(self, text: str) -> list[str]:
        """The acronyms' words the text uses (the longest where one holds another)."""
        phrases = dict.fromkeys([*self.acronyms.values(), *self.initials.values()])
        used = [phrase for phrase in phrases if mentions(text, phrase)]
        return [phrase for phrase in used if not any(phrase != other and phrase in other for other in used)]

    def terms_in(self, text: str) -> list[str]:
        """Coined terms and acronyms' words the text uses."""
        return [term for term in self.terms if mentions(text, term)] + self.phrases_in(text)

    def expand(self, text: str) -> str:
        """The text with every acronym's words and every phrase's acronym added, so that both forms match."""
        extra: list[str] = []
        for acronym, phrase in self.acronyms.items():
            if mentions(text, acronym):
                extra.append(phrase)
            elif mentions(text, phrase):
                extra.append(acronym)
        for match in _ACRONYM.finditer(text):
            word, capitals = match.group(0), "".join(ch for ch in match.group(0) if ch.isupper())
            if word not in self.terms and len(capitals) >= 2 and capitals in self.initials:
                extra.append(self.initials[capitals])
        return " ".join([text, *dict.fromkeys(extra)])


def names_a_thing(term: str) -> bool:
    """Is ``term``, as the question writes it, a name rather than general English? A coined word (``MoAM``,
    ``Rain100L``), a rare one, or a phrase written in capitals ("Hyper Selecting Net"); not "GPU" or "large
    language models"."""
    words = term.split()
    if len(words) > 1:
        return all(word[0].isupper() for word in words if len(word) > 3) or any(is_rare(w.lower()) for w in words)
    return is_rare(term.lower()) or any(ch.isupper() for ch in term[1:]) and not term.isupper()


def record_names(record: Record) -> list[str]:
    """The names a question may use for a record."""
    names = [part.strip() for part in re.split(r"\s\+\s|[/,]|\band\b", record.extra.get("name") or "") if part.strip()]
    head = record.title.split(":", 1)[0].strip() if ":" in record.title else record.title
    if head and (len(head.split()) <= 3 if ":" in record.title else 2 <= len(head.split()) <= MAX_TITLE_NAME_WORDS):
        names.append(head)
    names += [alias for alias in record.extra.get("aliases", ()) if len(alias.split()) <= MAX_TITLE_NAME_WORDS]
    words = [word for word in record.title.split(":", 1)[0].split() if not word.endswith("+")]  # not "BasicVSR++"
    names += [part for word in _WORD.findall(" ".join(words)) for part in re.split(r"[-+]", word)
              if is_coined(part) and not any(ch.isdigit() for ch in part)]
    return list(dict.fromkeys(names))


@lru_cache(maxsize=None)
def _name_pattern(name: str) -> re.Pattern[str]:
    flags = 0 if name.upper() == name and any(ch.isalpha() for ch in name) else re.I
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9]|\+)", flags)


def _position(text: str, name: str) -> int | None:
    """Where ``text`` uses ``name`` as a whole word (in capitals where the name is written in capitals)."""
    if not name or name.lower() not in text.lower():  # most names are not in most texts: no regex for those
        return None
    match = _name_pattern(name).search(text)
    return match.start() if match else None


def mentions(text: str, name: str) -> bool:
    """Does ``text`` use ``name`` as a whole word (in capitals where the name is written in capitals)?"""
    return _position(text, name) is not None


def _in_order(found: Iterable[tuple[int | None, Sequence[str]]]) -> list[str]:
    ordered = sorted((position, rid) for position, ids in found if position is not None for rid in ids)
    return list(dict.fromkeys(rid for _, rid in ordered))
