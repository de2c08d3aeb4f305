"""One line off the MCP wire, checked before the SDK sees it: what to pass on, what to answer, what to drop.

JSON-RPC 2.0 says what a bad message gets, and the SDK drops several of them without a word, leaving the
client waiting forever. Here every line that is not a valid MCP message is answered, with the request's id
where it can be read and ``null`` where it cannot:

- ``-32700`` parse error: not UTF-8, not JSON (``NaN`` included);
- ``-32600`` invalid request: not an object, ``jsonrpc`` other than ``"2.0"``, no ``method``, an id that is no
  string or integer, a string with a lone surrogate, nesting deeper than :data:`MAX_DEPTH`, a line over
  :data:`MAX_LINE` bytes, a batch (an array: MCP dropped JSON-RPC batching in 2025-06-18);
- ``-32602`` invalid params: ``params`` that is not an object.

A blank line is framing, not a message. A valid notification with bad params, and a client's malformed
response to one of the server's requests, are never answered (JSON-RPC answers neither): they are dropped.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from mcp_types import INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR, JSONRPCMessage, jsonrpc_message_adapter
from pydantic import ValidationError

MAX_LINE = 1 << 20  # bytes in one message; the tools take paths and questions, so a real one is far smaller
MAX_DEPTH = 64  # levels of nested objects and arrays
HEAD = 1 << 16  # bytes of a line over MAX_LINE kept to read its id
SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
BLANK = re.compile(r"\s*")
BATCH = "a batch array is not supported (MCP has no JSON-RPC batching since 2025-06-18): send one message per line"


@dataclass(frozen=True)
class Oversize:
    """A line over :data:`MAX_LINE`, by its first :data:`HEAD` bytes."""

    head: bytes


@dataclass(frozen=True)
class Checked:
    """What to do with one line: pass ``message`` to the SDK, write each of ``answers``, log ``problem``."""

    message: JSONRPCMessage | None = None
    answers: tuple[bytes, ...] = ()
    problem: str = ""


def answer(ident: Any, code: int, message: str) -> bytes:
    """A JSON-RPC error reply as one line (ASCII, so any id echoes back byte for byte in meaning)."""
    return json.dumps({"jsonrpc": "2.0", "id": ident, "error": {"code": code, "message": message}},
                      separators=(",", ":")).encode() + b"\n"


def refused(ident: Any, code: int, message: str) -> Checked:
    return Checked(answers=(answer(ident, code, message),), problem=f"answered {code}: {message}")


def dropped(why: str) -> Checked:
    return Checked(problem=f"dropped a message no reply can go to: {why}")


def is_id(value: Any) -> bool:
    """An id MCP accepts: a string or an integer (never null, a float or a boolean)."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def echoed(value: Any) -> Any:
    """The id to answer with: a JSON-RPC id (string or finite number) as sent, anything else ``null``."""
    if is_id(value) or (isinstance(value, float) and value == value and abs(value) != float("inf")):
        return value
    return None


def head_id(head: bytes) -> Any:
    """The top-level id of a request too long or too deep to parse, read key by key from its start."""
    text, decoder = head[:HEAD].decode("utf-8", "ignore"), json.JSONDecoder()
    try:
        pos = BLANK.match(text).end()
        if text[pos] != "{":
            return None
        pos += 1
        while True:
            key, pos = decoder.raw_decode(text, BLANK.match(text, pos).end())
            pos = BLANK.match(text, pos).end()
            if text[pos] != ":" or key in ("result", "error"):
                return None
            value, pos = decoder.raw_decode(text, BLANK.match(text, pos + 1).end())
            if key == "id":
                return echoed(value)
            pos = BLANK.match(text, pos).end()
            if text[pos] != ",":
                return None
            pos += 1
    except (ValueError, IndexError, RecursionError):
        return None


def too_deep(value: Any) -> bool:
    """Whether objects and arrays nest deeper than :data:`MAX_DEPTH`."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > MAX_DEPTH:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return False


def has_lone_surrogate(line: bytes, data: Any) -> bool:
    """Whether a string escapes half a UTF-16 pair (``"\\ud800"``), which is no Unicode text."""
    if not SURROGATE.search(line):
        return False
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_problem(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (column {exc.colno})"
    return "a number has too many digits" if "digits" in str(exc) else str(exc)


def no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def check_oversize(line: Oversize) -> Checked:
    return refused(head_id(line.head), INVALID_REQUEST,
                   f"Invalid Request: a message is limited to {MAX_LINE} bytes (the rest of this line is skipped)")


def check_line(line: bytes) -> Checked:
    """Parse and check one line (its newline removed)."""
    if not line.strip():
        return Checked()
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return refused(None, PARSE_ERROR, f"Parse error: not UTF-8 (byte {exc.start + 1})")
    try:
        data = json.loads(text, parse_constant=no_constant)
    except RecursionError:
        return refused(head_id(line), INVALID_REQUEST, f"Invalid Request: nested deeper than {MAX_DEPTH} levels")
    except ValueError as exc:
        return refused(None, PARSE_ERROR, f"Parse error: {parse_problem(exc)}")
    if isinstance(data, list):
        return check_batch(data)
    if not isinstance(data, dict):
        return refused(None, INVALID_REQUEST, "Invalid Request: a message is a JSON object")
    if too_deep(data):
        return refused(head_id(line), INVALID_REQUEST, f"Invalid Request: nested deeper than {MAX_DEPTH} levels")
    if has_lone_surrogate(line, data):
        return refused(echoed(data.get("id")), INVALID_REQUEST,
                       "Invalid Request: a string holds a lone UTF-16 surrogate, which is no Unicode text")
    return check_message(data)


def check_batch(items: list) -> Checked:
    """A batch: each request in it refused by its id (one reply each), or one ``null`` reply if none has one."""
    replies = tuple(answer(echoed(item["id"]), INVALID_REQUEST, f"Invalid Request: {BATCH}") for item in items
                    if isinstance(item, dict) and "id" in item and not is_response(item))
    replies = replies or (answer(None, INVALID_REQUEST, f"Invalid Request: {BATCH}"),)
    return Checked(answers=replies, problem=f"answered {INVALID_REQUEST}: Invalid Request: {BATCH}")


def is_response(data: dict) -> bool:
    return "method" not in data and ("result" in data or "error" in data)


def check_message(data: dict) -> Checked:
    """One JSON object: a request, a notification, or the client's response to a server request."""
    if is_response(data):
        return validated(data, dropped)
    is_request = "id" in data

    def invalid(why: str) -> Checked:  # a notification without a valid envelope is still answered (id null)
        return refused(echoed(data.get("id")), INVALID_REQUEST, f"Invalid Request: {why}")

    if data.get("jsonrpc") != "2.0":
        return invalid('"jsonrpc" must be "2.0"')
    if not isinstance(data.get("method"), str):
        return invalid('"method" must be a string' if "method" in data else 'no "method"')
    if is_request and not is_id(data["id"]):
        return invalid('"id" must be a string or an integer')
    params = data.get("params")
    if params is not None and not isinstance(params, dict):
        why = f'"params" must be an object, not {"an array" if isinstance(params, list) else "a " + kind(params)}'
        if not is_request:
            return dropped(f"notification {why}")
        return refused(data["id"], INVALID_PARAMS, f"Invalid params: {why}")
    return validated(data, invalid)


def validated(data: dict, otherwise: Any) -> Checked:
    """``data`` as the SDK's message, or what ``otherwise(why)`` makes of a shape it still refuses."""
    try:
        return Checked(message=jsonrpc_message_adapter.validate_python(data, by_name=False))
    except ValidationError as exc:
        error = exc.errors()[0]
        return otherwise(f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}")


def kind(value: Any) -> str:
    return {str: "string", bool: "boolean", int: "number", float: "number"}.get(type(value), "value")
