"""What a tool call sends back: JSON text (also as structured content), images, or a one-line error.

Every reply passes :func:`record_links_only` first, so no link outside the loaded records leaves the server,
whatever a question, a path or an error message carried in; its numbers are rounded to what they mean
(:func:`tools.json_numbers.meaningful`: dB, sigma and seconds to 0.01).
"""
from __future__ import annotations

import json
from collections.abc import Sequence

from mcp_types import CallToolResult, ImageContent, TextContent
from pydantic import ValidationError

from agent.core.grounding import ground_text
from tools.errors import OutputExists, UserError, WeightsUnavailable
from tools.json_numbers import meaningful
from tools.records import Record

REMOVED_LINK = "(removed: a link that is no record's)"


def mcp_message(exc: UserError) -> str:
    """The one line a tool error says: the library's message, with what to pass to fix it.

    The library words its errors without command-line flags; settings are named as the tools' arguments
    are (``noise_level``), so only the hints that name a flag or a command differ from the command line.
    """
    if isinstance(exc, OutputExists):
        return f"{exc} (pass overwrite: true to replace it)"
    if isinstance(exc, WeightsUnavailable) and exc.official:
        return f"{exc}: install them on the server's machine with `restore-agent weights download {exc.weights_id}`"
    return str(exc)


def arguments_message(tool: str, exc: ValidationError) -> str:
    """One line for arguments that do not fit a tool's schema: each bad argument and what it should be."""
    return f"invalid arguments for {tool}: {arguments_problems(exc)}"


def arguments_problems(exc: ValidationError) -> str:
    """Each value that misses its schema, where it is and what it should be, on one line."""
    return "; ".join(f"{'.'.join(str(part) for part in error['loc']) or 'arguments'}: {error['msg']}"
                     for error in exc.errors())


def unexpected_message(exc: Exception) -> str:
    """One line for a failure that is no user error (the server keeps serving)."""
    detail = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def record_links_only(value: object, records: Sequence[Record]) -> object:
    """``value`` (JSON-like) with every string that holds a link outside ``records`` put through the grounding
    guard, which removes that link; a string that was nothing but such a link becomes :data:`REMOVED_LINK`."""
    if isinstance(value, str):
        grounded = ground_text(value, records)
        if not any(not removed.startswith("[") for removed in grounded.removed):  # citation keys alone: keep
            return value
        return grounded.text or REMOVED_LINK
    if isinstance(value, dict):
        return {key: record_links_only(item, records) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [record_links_only(item, records) for item in value]
    return value


def reply(payload: dict, records: Sequence[Record], images: Sequence[ImageContent] = ()) -> CallToolResult:
    """A successful call: the payload (numbers rounded) as JSON text and as structured content, then any images."""
    clean = record_links_only(meaningful(payload), records)
    text = TextContent(type="text", text=json.dumps(clean, ensure_ascii=False))
    return CallToolResult(content=[text, *images], structured_content=clean)


def error_reply(message: str, records: Sequence[Record]) -> CallToolResult:
    """A failed call: ``error: <one line>``, as the command line prints it, marked as a tool error."""
    text = record_links_only(f"error: {message}", records)
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)
