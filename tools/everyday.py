"""How common a word is in general English, from ``wordfreq`` (its data ships in the package; read offline).

Scope and naming use it to tell everyday words ("family", "looking", "almost"), which never count against a
question, from rarer words that mark a subject ("decibels", "gaming"), and from coined names ("NAFNet").

Only two facts about a word are needed: is it everyday (Zipf 5 or more) and is it known at all (Zipf 3 or more,
wordfreq's "small" list). Both sets are read from wordfreq once and kept in the user's cache folder
(``$XDG_CACHE_HOME/restore-agent``, written atomically, named by wordfreq's version), so that a question does
not pay for importing wordfreq each time; where the cache cannot be written they are simply read again.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

EVERYDAY = 5.0  # Zipf: about once per 100,000 words or more ("family" 5.7, "turned" 5.1; "weather" 4.9 is not)
KNOWN = 3.0  # below this a word is rare or coined ("Dformer", "colorization" 1.7, "hypernetwork"; "GPU" 3.2 is known)
CACHE_ENV = "XDG_CACHE_HOME"


@lru_cache(maxsize=1)
def _word_sets() -> tuple[frozenset[str], frozenset[str]]:
    """(everyday words, known words), lower case."""
    path = _cache_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return frozenset(data["everyday"]), frozenset(data["known"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    from wordfreq import get_frequency_dict

    zipf = {word: math.log10(frequency) + 9 for word, frequency in get_frequency_dict("en", wordlist="small").items()}
    known = {word for word, value in zipf.items() if value >= KNOWN}
    everyday = {word for word, value in zipf.items() if value >= EVERYDAY}
    _save(path, {"everyday": sorted(everyday), "known": sorted(known)})
    return frozenset(everyday), frozenset(known)


def _cache_path() -> Path:
    base = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache")
    return base / "restore-agent" / f"everyday-en-wordfreq-{version('wordfreq')}.json"


def _save(path: Path, data: dict) -> None:
    """Write the cache atomically; a folder that cannot be written only means no cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".everyday-", delete=False,
                                         encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(handle.name, path)
    except OSError:
        pass


def is_everyday(word: str) -> bool:
    """Is ``word`` common in general English (Zipf 5 or more)?"""
    return word.lower() in _word_sets()[0]


def is_rare(word: str) -> bool:
    """Is ``word`` rare or unknown in general English (Zipf under 3): a coined name or jargon?"""
    return word.lower() not in _word_sets()[1]
