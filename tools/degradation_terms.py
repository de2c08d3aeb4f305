"""Keyword rules that map free text (a card summary, a question) onto the degradation vocabulary."""
from __future__ import annotations

import re

from tools.records import DEGRADATIONS

# Most specific situation first: the first match of a record's text is its main situation.
PRIORITY = (
    "gaussian-noise",
    "face",
    "underwater",
    "color",
    "damage",
    "video",
    "shadow",
    "unknown",
    "real-world-mixed",
    "noise",
    "rain",
    "haze",
    "blur",
    "low-light",
    "jpeg",
    "low-resolution",
    "other",
)
assert set(PRIORITY) == set(DEGRADATIONS), "PRIORITY must list the whole vocabulary"

_RULES: dict[str, re.Pattern[str]] = {
    "gaussian-noise": re.compile(r"gaussian|noise[- ]level|\bsigma\b|σ|fixed[- ]level|known (noise )?level"),
    "noise": re.compile(r"nois|\bgrain"),
    "rain": re.compile(r"\b(de)?rain(s|y|ing|drops?|fall|streaks?)?\b"),  # not "rainbow"
    "haze": re.compile(r"\b(de)?haz|\bfog|\bmist(y|s)?\b|\bsmog"),
    "blur": re.compile(r"blur|defocus|out[- ]of[- ]focus|camera shake"),
    "low-light": re.compile(r"low[- ]light|\bdark|under[- ]?expos|\bnight"),
    "jpeg": re.compile(r"\bjpe?g\b|compression artifact|block(ing|y)? artifact"),
    "low-resolution": re.compile(r"super[- ]resolution|low[- ]resolution|upscal|upsampl|pixelat"),
    "real-world-mixed": re.compile(r"real[- ]world|\bsevere|heavily degraded|extreme|\bold photo|damaged"),
    "face": re.compile(r"\bfacial\b|\bfaces\b|\b(his|her|their|my|our|the|a) face\b|"
                       r"\bface (restoration|images?|photos?|priors?|details?|regions?)|blind face"),
    "underwater": re.compile(r"under ?water|\bmarine\b|\bsubsea\b"),
    "color": re.compile(r"\bcolori[sz]|\bcolouri[sz]|gr[ae]y-?scale|black[- ]and[- ]white|monochrome|\bsepia|"
                        r"faded colou?r|"
                       r"colou?rs? (have |had )?fad"),
    "damage": re.compile(r"scratch|\btorn\b|\btears?\b|\bcrease|\bstain|\bcrack|\binpaint|\bspecks?\b|\bdust\b"),
    "shadow": re.compile(r"\bshadows?\b|\bshadowed\b|\bshade[sd]?\b"),
    "other": re.compile(r"(?!)"),  # never matched: the key of a record whose text names none of the above
    "video": re.compile(r"\bvideos?\b|\bframes\b|\btemporal|\bclips?\b"),
    "unknown": re.compile(r"all[- ]in[- ]one|\bunknown|\bmixed|multiple (types of )?degradation|various (unknown )?degradation"),
}


def degradations_in(text: str) -> tuple[str, ...]:
    """Degradation keys whose keywords occur in ``text``, most specific first."""
    lowered = text.lower()
    return tuple(key for key in PRIORITY if _RULES[key].search(lowered))


def degradation_counts(text: str) -> dict[str, int]:
    """How often each degradation's keywords occur in ``text``, for the keys that occur."""
    lowered = text.lower()
    counts = {key: len(_RULES[key].findall(lowered)) for key in PRIORITY}
    return {key: number for key, number in counts.items() if number}
