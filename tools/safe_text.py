"""Text pieces of the one link guard: terminal control sequences, a link's normal form, and every span of a text
that a terminal or a Markdown renderer could turn into a link, however it is spelled.

A link is compared in one normal form (:func:`link_key`): HTML entities and percent-encoding decoded, Unicode
folded (NFKC, plus lookalike dots, slashes and colons), scheme and host lowercased, the host in its IDNA form.
:func:`link_spans` finds link-like spans: any ``scheme:`` that browsers or terminals act on (in any case), any
``scheme:/`` or ``scheme:\\``, protocol-relative ``//host``, ``www.``, ``user@host`` and bare ``host.tld``
names, with or without a path. The Markdown side (what a renderer parses as a link) is
:mod:`tools.safe_markdown`.
"""
from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import unquote, urlsplit

from tools.link_names import FILEISH_TLDS, KNOWN_SCHEMES, TLDS

# Control sequences: CSI, OSC/DCS/SOS/PM/APC (up to BEL or ST, or the end of the line), any other ESC pair,
# and single C0/C1 controls (tab and newline stay), and Unicode bidirectional overrides.
CONTROL = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[\s\S]?"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_CSI_DONE = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]")
_STRING_INTRO = ("\x1b]", "\x1bP", "\x1bX", "\x1b^", "\x1b_", "\x90", "\x98", "\x9d", "\x9e", "\x9f")
_LOOKALIKES = str.maketrans({
    "\u3002": ".", "\uff61": ".", "\u2024": ".", "\ufe52": ".",
    "\u2215": "/", "\u2044": "/", "\u29f8": "/", "\u2571": "/",
    "\ua789": ":", "\u2236": ":", "\u02f8": ":", "\u05c3": ":", "\ufe13": ":",
    "\u29f5": "\\", "\u2216": "\\", "\u29f9": "\\",
})
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200d\u2060-\u2064\u3164\ufeff\uffa0]")
_MARKDOWN_NOISE = re.compile(r"\\([!-/:-@\[-`{-~])|[*`]")
UNSAFE_URL_CHAR = re.compile(r"[\s\x00-\x1f\x7f\"'<>\\`^{|}]")
DEFAULT_PORTS = {"http": 80, "https": 443}
NO_SCHEME = "it must start with http:// or https://"

_SCHEME = re.compile(r"(?<![a-z0-9+.\-])([a-z][a-z0-9+.\-]{1,31}):(.?)", re.I)
_HOST = re.compile(r"(?<![\w.\-])((?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+)([^\W\d_]{2,63}|xn--[\w\-]+)(?![\w\-])\.?", re.I)
_ADDRESS = re.compile(r"(?<![\w.\-])(?:\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9a-f:.]+\])(?=[:/\\])", re.I)
_WWW = re.compile(r"(?<![\w.\-])www\d{0,3}\.[\w\-]", re.I)
_USER_CHARS = "._+%!$&'*=~-"
_PORT = re.compile(r":\d{1,5}")
_LINKISH = re.compile(r"[:.]")
_TRAILING = ".,;:!?'\"*_~`"
_PAIRS = {")": "(", "]": "[", ">": "<", "}": "{"}


def strip_controls(text: str) -> tuple[str, list[str]]:
    """``text`` without terminal control sequences and control characters (``\\r\\n`` becomes ``\\n``);
    the removed sequences, escaped for display."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    removed: list[str] = []

    def drop(match: re.Match[str]) -> str:
        removed.append(shown(match.group(0)))
        return ""

    return CONTROL.sub(drop, text), list(dict.fromkeys(removed))


def unfinished_control(text: str) -> int | None:
    """Where a control sequence begins that the end of ``text`` leaves unfinished (None if there is none)."""
    for match in CONTROL.finditer(text):
        if match.end() == len(text) and not _finished(match.group(0)):
            return match.start()
    return None


def _finished(sequence: str) -> bool:
    if sequence.startswith(("\x1b[", "\x9b")):
        return bool(_CSI_DONE.fullmatch(sequence))
    if sequence.startswith(_STRING_INTRO):
        return sequence.endswith(("\x07", "\x1b\\", "\x9c"))
    return sequence != "\x1b"


def shown(text: str, limit: int = 120) -> str:
    """``text`` as one printable line for a removal report: controls escaped, cut at ``limit`` characters."""
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def decoded(text: str) -> str:
    """``text`` as a browser or terminal would read a link in it: entities and percent-escapes decoded,
    Unicode folded (NFKC and lookalike punctuation), invisible characters, Markdown backslash escapes and
    emphasis or code marks (``*``, backticks) dropped."""
    for _ in range(3):
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = unicodedata.normalize("NFKC", unquote(text)).translate(_LOOKALIKES)
    return _MARKDOWN_NOISE.sub(r"\1", _INVISIBLE.sub("", text))


def link_key(url: str) -> tuple | None:
    """The normal form of an http(s) link (scheme, host, port, path, query, fragment), or None for anything
    that is no plain http(s) link."""
    text = decoded(url).strip()
    if not text or UNSAFE_URL_CHAR.search(text):
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
        host = (parts.hostname or "").rstrip(".").encode("idna").decode("ascii").lower()
    except (ValueError, UnicodeError):
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not host or "@" in parts.netloc or not text.lower().startswith(scheme + "://"):
        return None
    return scheme, host, None if port == DEFAULT_PORTS[scheme] else port, parts.path or "/", parts.query, parts.fragment


def allowed_map(links: object) -> dict[tuple, str]:
    """``{link_key(link): link}`` for the allowed links (a link without a normal form allows nothing)."""
    return {key: link for link in links if (key := link_key(link)) is not None}  # type: ignore[attr-defined]


def link_spans(word: str) -> list[tuple[int, int]]:
    """The (start, end) spans of ``word`` (a decoded run of non-space characters) that could be a link.

    A span with a scheme, ``www.``, an address or a path runs to the end of the word (less trailing
    punctuation): only the first such start matters. One pass over the word each, so long words stay linear.
    """
    to_end = [match.start() for match in (_first_scheme(word), _WWW.search(word)) if match]
    address = _ADDRESS.search(word)
    if address:
        to_end.append(_prefixed(word, address.start()))
    short: list[tuple[int, int]] = []
    for match in _HOST.finditer(word, 0, min(to_end, default=len(word))):
        span = _host_span(word, match)
        if span and span[1] == len(word):
            to_end.append(span[0])
            break
        if span:
            short.append(_trimmed(word, *span))
    if to_end:
        short.append(_trimmed(word, min(to_end), len(word)))
    return _merged([(start, end) for start, end in short if _LINKISH.search(word, start, end)])


def _first_scheme(word: str) -> re.Match[str] | None:
    for match in _SCHEME.finditer(word):
        if match.group(1).lower() in KNOWN_SCHEMES or match.group(2) in ("/", "\\"):
            return match
    return None


def _host_span(word: str, match: re.Match[str]) -> tuple[int, int] | None:
    """The span of a host name with what belongs to it (``user@``, ``//``, a port; a path runs to the end of the
    word), or None where it is no link: an unknown top-level domain, or a file-like name standing alone."""
    tld = match.group(2).lower()
    if tld not in TLDS and not tld.startswith("xn--"):
        return None
    start, end = _prefixed(word, match.start()), match.end()
    port = _PORT.match(word, end)
    end = port.end() if port else end
    path = word[end:end + 1] in ("/", "\\", "?", "#")
    strong = start < match.start() or bool(port) or path or match.group(1).lower().startswith("www")
    if not strong and (tld in FILEISH_TLDS or (len(tld) == 2 and match.group(2).istitle())):
        return None  # ``train.py``, ``README.md``, a missing space before a sentence: no link on its own
    return start, len(word) if path else end


def _prefixed(word: str, start: int) -> int:
    """Extend a host's start over ``user@`` and ``//`` (or ``\\\\``) in front of it."""
    if start >= 2 and word[start - 1] == "@":
        user = start - 1
        while user > max(0, start - 256) and (word[user - 1].isalnum() or word[user - 1] in _USER_CHARS):
            user -= 1
        start = user if user < start - 1 else start
    while start >= 1 and word[start - 1] in "/\\":
        start -= 1
    return start


def _trimmed(word: str, start: int, end: int) -> tuple[int, int]:
    """Cut trailing punctuation and unbalanced closing brackets off a span."""
    counts = {char: word.count(char, start, end) for char in "()[]<>{}"}
    while end > start:
        last = word[end - 1]
        if last in _TRAILING or (last in _PAIRS and counts[_PAIRS[last]] < counts[last]):
            counts[last] = counts.get(last, 0) - 1
            end -= 1
        else:
            break
    return start, end


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def plain_link_problem(value: str) -> str | None:
    """Why ``value`` is not one plain http(s) link (None when it is): ``http://`` or ``https://`` in lower case,
    a host name, no credentials, only printable ASCII and none of ``"'<>\\`^{|}`` or spaces."""
    if not re.match(r"https?://", value):
        return NO_SCHEME
    if not value.isascii() or UNSAFE_URL_CHAR.search(value) or "&#" in value:
        return "it holds spaces, quotes, markup or non-ASCII characters; write a host in its xn-- form"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises for a bad port
    except ValueError:
        return "its host or port does not parse"
    host = parts.hostname or ""
    if "@" in parts.netloc or not _PLAIN_HOST.fullmatch(host):
        return "it has no plain host name (or carries credentials)"
    return None


_PLAIN_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
                         r"|\[[0-9a-f:.]+\]", re.I)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def markdown_literal(text: str) -> str:
    """``text`` on one line with every Markdown-special character escaped, so it shows as written and can form
    no link, image, emphasis, heading or HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
