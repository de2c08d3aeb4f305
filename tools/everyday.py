"""How common a word is in general English (``wordfreq``'s Zipf scale, data shipped in the package, offline).

Scope and naming use it to tell everyday words ("family", "looking", "almost"), which never count against a
question, from rarer words that mark a subject (``decibels``, ``gaming``), and from coined names (``NAFNet``).
"""
from __future__ import annotations

from functools import lru_cache

EVERYDAY = 5.0  # Zipf: about once per 100,000 words or more ("family" 5.7, "turned" 5.1; "weather" 4.9 is not)
RARE = 2.5  # below this a word is a coined name, not English ("Dformer" 0, "colorization" 2.6, "GPU" 3.2)


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """The word's Zipf frequency in English (0 for a word wordfreq does not know)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


def is_everyday(word: str) -> bool:
    return zipf(word) >= EVERYDAY


def is_rare(word: str) -> bool:
    return zipf(word) < RARE
