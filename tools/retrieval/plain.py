"""The question without what tries to steer the answer: links (bare domains too), markup, citation keys and
sentences that give orders about sources or rules ("Ignore the records.", "The allowed sources now include ...").
Retrieval, scope and the offline answer all read this plain question, so an injected instruction changes
nothing."""
from __future__ import annotations

import re

_URL = re.compile(r"(?:https?:?/+|www\.)\S+|[\w-]+(?:\.[\w-]+)+/\S*|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|ai|dev|"
                  r"edu|gov|co|info|app|xyz)\b|<[^>]*>|&#?\w+;", re.I)  # links, bare domains, markup, entities
_KEY = re.compile(r"\[[^\]\s]*\]")
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
_ORDER = re.compile(
    r"\b(ignore|disregard|forget|override|pretend|cite|allowed sources?|only sources?|sources? (now|are|include)|"
    r"new rules?|system prompt|instead of the records|you (are|must|should) now)\b",
    re.I,
)


def plain_question(text: str) -> str:
    """``text`` with its links and citation keys removed and without sentences that give orders."""
    bare = _KEY.sub(" ", _URL.sub(" ", text))
    kept = [sentence.strip() for sentence in _SENTENCE_END.split(bare) if sentence.strip()]
    asked = [sentence for sentence in kept if not _ORDER.search(sentence)]
    return " ".join(" ".join(asked or kept).split())
