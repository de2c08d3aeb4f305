"""Text the command line echoes (file names, paths, typed questions, card fields) in a form that cannot forge
structure: no new line, no moved cursor, no reversed text, in terminal output and in JSON alike.

A character is *unsafe* when it is not printable: newlines, carriage returns and tabs, C0 and C1 controls (``ESC``,
``U+009B`` CSI, ``U+0085`` next line), bidirectional controls (``U+202A``-``U+202E``, ``U+2066``-``U+2069``,
``U+200E``/``U+200F``, ``U+061C``), line and paragraph separators, other format characters, unassigned code
points and lone surrogates (undecodable bytes of a file name).

- :func:`name`: a value exactly as given, on one line, each unsafe character written as its Python escape
  (``\\n``, ``\\x9b``, ``\\u202e``);
- :func:`one_line`: a message on one line: whitespace runs become one space, then as :func:`name`;
- :func:`json_text`: JSON (``ensure_ascii=False``) with each unsafe character as a ``\\uXXXX`` escape, so the
  data is unchanged for a parser and a terminal showing it cannot be driven by it.
"""
from __future__ import annotations

import json
import re

_NON_ASCII = re.compile(r"[^\x00-\x7e]")  # C0 in a JSON text is structure (indent) or already escaped
_ALL = re.compile(r"[^\x20-\x7e]")


def name(value: object) -> str:
    """``value`` on one line as given, each unsafe character escaped: ``'a\\nb'`` is shown as ``a\\nb``."""
    return _ALL.sub(lambda match: match.group(0) if match.group(0).isprintable() else ascii(match.group(0))[1:-1],
                    str(value))


def one_line(text: object) -> str:
    """``text`` as one printable line: whitespace runs become one space, other unsafe characters are escaped (so a
    file name cannot move the cursor or ring the terminal)."""
    return name(" ".join(str(text).split()))


def _json_escape(char: str) -> str:
    if char.isprintable():
        return char
    code = ord(char)
    if code > 0xFFFF:
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_text(data: object, **dump_options: object) -> str:
    """``data`` as JSON text, non-ASCII letters kept as they are and every unsafe character escaped as ``\\uXXXX``
    (``json.dumps`` alone leaves C1 and bidirectional controls raw)."""
    text = json.dumps(data, ensure_ascii=False, **dump_options)
    return _NON_ASCII.sub(lambda match: _json_escape(match.group(0)), text)
