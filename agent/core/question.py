"""What a question asks, read offline and deterministically from its words and the records' names.

A question is one of: an ``overview`` (the card's kind: techniques, leading architectures), a ``recommend``
(which record fits a degradation), a ``fact`` about one or more records (a number, a dataset, a component, a
link, a name), a ``comparison`` between records, or a ``feasibility`` question (can it run here, on a laptop).
Its subjects are the records it names, the records it refers to ("these", "them") or, in a follow-up, the
records of the earlier turns ("it", "the second", "what about HAIR?" asking the earlier question again).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tools.degradation_terms import degradations_in
from tools.records import RECOMMENDED_MODEL, Record
from tools.retrieval import Lexicon, plain_question, tokenize
from tools.retrieval.scope import GENERIC, MEDIUM, REFERS, TASK, WEAK_REFERS

# What a question may ask about a record, and the words that ask it.
ATTRIBUTES: dict[str, re.Pattern[str]] = {
    "count": re.compile(r"\b(how many|number of)\b", re.I),
    "size": re.compile(r"\b(how many param\w*|number of param\w*|param\w* counts?|params|"
                       r"how (big|large|heavy|small|light)|size|footprint|compact|tiny|"
                       r"lighter|lightest|heavier|heaviest|lightweight|smaller|smallest|bigger|biggest|"
                       r"weights? (size|file))\b", re.I),
    "compute": re.compile(r"\b(g?flops|macs|computation\w*|compute|computational\w*|efficien\w*)\b", re.I),
    "gain": re.compile(r"\b(by how much|how much (better|higher|more|faster|ahead)|beat\w*|outperform\w*|surpass\w*|"
                       r"improv\w*|gains?|margin|ahead of|state[- ]of[- ]the[- ]art|sota|(quicker|faster|slower|better|"
                       r"higher|smaller|lighter|sharper) than)\b", re.I),
    "scale": re.compile(r"\b(upscal\w*|up-?sampl\w*|scale|scaling|factor|x\s?[2348]|[2348]\s?x|(two|three|four|eight) "
                        r"times (bigger|larger)|enlarg\w*|magnif\w*|zoom\w*|super[- ]?resol\w*)\b", re.I),
    "resolution": re.compile(r"\b(resolutions?|\d+\s?[x×]\s?\d+|\d+\s?k|megapixels?|pixels|image sizes?|"
                             r"high[- ]res\w*|"
                             r"how (big|large) (an? )?(images?|photos?|pictures?|inputs?))\b", re.I),
    "score": re.compile(r"\b(psnr|ssim|lpips|fid|db|scores?|accura\w*|perform\w*|how well|reach\w*|achiev\w*|"
                        r"figures?|numbers?)\b", re.I),
    "data": re.compile(r"\b(datasets?|trained|training|train)\b|\b(what|which|how much) (\w+ )?data\b", re.I),
    "tests": re.compile(r"\b(evaluat\w*|tested|test sets?|benchmarks?|report\w*)\b", re.I),
    "speed": re.compile(r"\b(fast\w*|speed\w*|quick\w*|slow\w*|latency|seconds|how long|fps|frames per second|"
                        r"real[- ]?time|milliseconds|ms)\b", re.I),
    "run": re.compile(r"\b(run|runs|running|runnable|laptop|phone|smartphone|mobile|cpu|gpu|hardware|install\w*|"
                      r"locally|on my (machine|pc|"
                      r"computer)|try it|use it here|available here)\b", re.I),
    "link": re.compile(r"\b(code|github|links?|arxiv|url|repositor\w*|repo|download|pdf|where can i (find|read)|"
                       r"open[- ]source)\b", re.I),
    "venue": re.compile(r"\b(published|conference|venue|what year|which year|when was|journal)\b", re.I),
    "how": re.compile(r"\bhow (does|do|is|are)\b(?!\s+(i|we|you|one)\b)(?!.*\b(many|much|fast|big|large|well|heavy)\b)|"
                      r"\bwhat does\b", re.I),
    "authors": re.compile(r"\b(who (wrote|made|created|developed|proposed|built)|authors?|university|lab)\b", re.I),
}
# Attributes that ask for a figure: a number the records (or this project's measurements) must give.
FIGURES = ("size", "score", "speed", "compute", "gain", "scale", "resolution")
OVERVIEW = re.compile(r"\b(techniques|architectures|leading|overview|landscape|state of the art|approaches|"
                      r"summari[sz]e|(what|which) (restoration )?(models|methods|papers|records) "
                      r"(are there|exist|do you))\b", re.I)
COMPARE = re.compile(r"\b(compar\w*|vs\.?|versus|better|worse|differ\w*|than|prefer\w*|choose|pick|or|"
                     r"lighter|heavier|faster|slower|smaller|bigger|larger|cheaper)\b", re.I)
SUPERLATIVE = re.compile(r"\b(\w+est|best|most|least)\b", re.I)
_NOT_SUPERLATIVE = {"test", "interest", "latest", "request", "suggest", "rest", "honest", "est", "forest", "guest"}
FOLLOW_UP = re.compile(r"^\s*(and|also|then|so|what about|how about|and the|same|now)\b|"
                       r"\b(it|its|it's|that one|this one|that model|this model|they|them|their|those|both|"
                       r"the (first|second|third|fourth|fifth|last|final|other) (one)?)\b", re.I)
# "and the SwinIR one?", "what about the second?": the earlier question asked again about other records.
ELLIPSIS = re.compile(r"^\s*(and|or|also|same for|what about|how about)\b(?!.*\b(how|why|which|who|where|when|what "
                      r"(is|are|does|do)|can|could|does|do|is|are)\b)", re.I)
_ONE = re.compile(r"\b(it|its|it's|that one|this one|that model|this model)\b", re.I)
_ORDINAL = re.compile(r"\bthe (first|second|third|fourth|fifth|last|final)\b", re.I)
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1, "final": -1}
SHORT_FOLLOW_UP = 4  # words: a question this short, naming no record or degradation, continues the last one
_ATTACHED = re.compile(r"^Attached photos:(.*)$", re.M)
_ALL_EARLIER = re.compile(r"\b(they|them|their|those|both|which of them|which one)\b", re.I)


@dataclass(frozen=True)
class Earlier:
    """An earlier turn as a follow-up needs it: what was asked and the records its answer cited, in order."""

    question: str
    cited: tuple[str, ...]
    answer: str = ""


def earlier_turns(history: Sequence[tuple[str, str]], records: Sequence[Record]) -> list[Earlier]:
    """The earlier turns of a chat (``(message, answer)`` pairs) as follow-ups need them."""
    from agent.core.grounding import cited_ids

    return [Earlier(strip_attachments(message), tuple(cited_ids(answer, records)), answer)
            for message, answer in history]


def strip_attachments(message: str) -> str:
    """A user message without its attached-photos line."""
    return _ATTACHED.sub("", message).strip()


@dataclass(frozen=True)
class Question:
    """A question understood: its kind, subjects (record ids), what it asks, and the degradations it names."""

    text: str
    kind: str
    subjects: tuple[str, ...] = ()
    asks: tuple[str, ...] = ()
    cases: tuple[str, ...] = ()
    everything: bool = False
    follow_up: bool = False
    superlative: str = ""
    topic: str = ""  # the text to rank facts with: the question, or the earlier one it asks again
    said: str = ""  # the answer it follows up ("and the final one?" wants a fact not given there)

    @property
    def figure(self) -> bool:
        """Does it ask for a number (a size, a score, a speed)?"""
        return any(key in FIGURES for key in self.asks)


def understand(text: str, records: Sequence[Record], earlier: Sequence[Earlier] = (),
               lexicon: Lexicon | None = None) -> Question:
    """Read ``text`` (its plain form: no injected orders) against ``records`` and the earlier turns."""
    lexicon = lexicon or Lexicon.of(list(records))
    text = plain_question(text)
    ids = [record.id for record in records]
    named = lexicon.record_names_in(text) or lexicon.term_records(lexicon.expand(text)) or lexicon.described(text)
    asks = _asks(text)
    cases = degradations_in(text)
    short = not named and not cases and len(text.split()) <= SHORT_FOLLOW_UP
    follow = bool(earlier) and bool(FOLLOW_UP.search(text) or short)
    subjects = list(named)
    if follow and not subjects:
        subjects = _referents(text, earlier)
    if not subjects and _RECOMMENDED.search(text):
        subjects = [record.id for record in records if record.kind == RECOMMENDED_MODEL]
    superlative = _superlative(text)
    everything = not subjects and bool(REFERS.search(text) or WEAK_REFERS.search(text) and (superlative or asks))
    if everything:
        subjects = list(ids)
    bare = not set(asks) - {"count"}  # "how many?", "and the SwinIR one?": what it asks is the earlier question's
    if follow and subjects and bare and (ELLIPSIS.search(text) or asks or short) and not COMPARE.search(text) \
            and not superlative:
        again = understand(earlier[-1].question, records, earlier[:-1], lexicon)
        if again.kind != "overview":  # "and the SwinIR one?": the earlier question, about the new subject
            return replace(again, text=text, subjects=tuple(subjects), follow_up=True, everything=False,
                           asks=tuple(dict.fromkeys(again.asks + asks)), said=earlier[-1].answer)
    kind = _kind(text, subjects, asks, cases, everything, superlative)
    return Question(text, kind, tuple(dict.fromkeys(s for s in subjects if s in ids)), asks, cases, everything,
                    follow, superlative, text)


_RECOMMENDED = re.compile(r"\bthe recommended (?!\w+s\b)\w+", re.I)  # "the recommended colorizer", not "... models"


def _asks(text: str) -> tuple[str, ...]:
    """What the question asks; a bare "how big/large" about a dataset or an image asks that, not a model's size."""
    asks = [key for key, pattern in ATTRIBUTES.items() if pattern.search(text)]
    if "size" in asks and not re.search(r"\bparam", text, re.I) and {"data", "resolution", "scale"} & set(asks):
        asks.remove("size")
    return tuple(asks)


def _compares(text: str, everything: bool) -> bool:
    """Does the question compare records? "Which of these gives different results?" only asks which one."""
    words = {match.lower() for match in COMPARE.findall(text)}
    return bool(words - {"different", "differently", "or"}) if everything else bool(words)


def _kind(text: str, subjects: list[str], asks: tuple[str, ...], cases: tuple[str, ...], everything: bool,
          superlative: str) -> str:
    several = len(subjects) >= 2
    choosing = everything and cases and superlative in ("", "best", "most")  # "which of these is best for rain?"
    if several and not choosing and (superlative or _compares(text, everything)):
        return "comparison"
    if "run" in asks or ("speed" in asks and not several):
        return "feasibility"
    if subjects and not everything:
        return "fact"
    if OVERVIEW.search(text) and not asks or not (asks or cases or subjects and not everything or _content(text)):
        return "overview"
    if cases and (everything or not asks):
        return "recommend"
    return "fact"


def _content(text: str) -> set[str]:
    """The question's own content words: not framing, not the task or the medium in general."""
    return set(tokenize(text)) - GENERIC - TASK - MEDIUM


def _referents(text: str, earlier: Sequence[Earlier]) -> list[str]:
    """The earlier answers' records a follow-up points at: "the second" or "it" (of the last answer), or all of
    them ("which of them": the last answer's, or every earlier answer's when the last one cited a single record)."""
    cited = earlier[-1].cited
    ordinal = _ORDINAL.search(text)
    if ordinal and cited:
        index = _ORDINALS[ordinal.group(1).lower()]
        return [cited[index]] if -len(cited) <= index < len(cited) else []
    if _ONE.search(text) and not _ALL_EARLIER.search(text):
        return list(cited[:1])
    if not _ALL_EARLIER.search(text) and cited:  # "how many?": about what the last answer was about
        return list(cited)
    if len(cited) <= 1:
        return list(dict.fromkeys(rid for turn in reversed(earlier) for rid in turn.cited))
    return list(cited)


def _superlative(text: str) -> str:
    words = [w.lower() for w in SUPERLATIVE.findall(text) if w.lower() not in _NOT_SUPERLATIVE]
    return words[0] if words else ""
