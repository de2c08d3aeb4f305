"""The stdio transport: lines read from stdin, checked (:mod:`agent.mcp.checks`), answered or passed to the SDK.

Used in place of the SDK's own stdio transport, which drops what it cannot parse without a reply. Lines are
read in chunks and never held past :data:`~agent.mcp.checks.MAX_LINE` bytes, so a line of any length costs
bounded memory. While serving, file descriptor 0 reads the null device and 1 writes to stderr, so nothing but
the protocol reads the requests or writes among the replies; both are restored on exit.
"""
from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import anyio
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCError, JSONRPCMessage, JSONRPCNotification, JSONRPCRequest, JSONRPCResponse, RequestId

from agent.mcp.checks import HEAD, MAX_LINE, Checked, Oversize, check_line, check_oversize
from tools.errors import UserError

CHUNK = 1 << 16
UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
GRACE = 300  # seconds that answers to requests already read may take once the input has ended
LOGGED = 20  # bad lines told on stderr; a host that never reads its server's stderr must not stall it


class Framer:
    """Splits a byte stream into lines. A line that grows past ``limit`` is told at once, by its head
    (:class:`Oversize`), and the rest of it is skipped up to its newline: memory stays bounded."""

    def __init__(self, limit: int = MAX_LINE) -> None:
        self.limit, self.pending, self.skipping = limit, bytearray(), False

    def feed(self, chunk: bytes) -> list[bytes | Oversize]:
        """The lines that ``chunk`` completes, and the head of a line it makes too long."""
        *whole, rest = chunk.split(b"\n")
        lines = []
        for part in whole:
            lines += self.take(part)
            if not self.skipping:
                lines.append(bytes(self.pending))
            self.pending, self.skipping = bytearray(), False
        return lines + self.take(rest)

    def end(self) -> list[bytes]:
        """The last line, when the stream ends without a newline."""
        return [bytes(self.pending)] if self.pending and not self.skipping else []

    def take(self, part: bytes) -> list[Oversize]:
        if self.skipping:
            return []
        self.pending += part
        if len(self.pending) <= self.limit:
            return []
        head, self.pending, self.skipping = bytes(self.pending[:HEAD]), bytearray(), True
        return [Oversize(head)]


def encode(message: JSONRPCMessage) -> bytes:
    """One reply line. Text that UTF-8 cannot carry (a file name's stray surrogate) and characters that would
    drive a terminal showing the stream (C1 controls, bidi controls, line separators) go out as ``\\uXXXX``:
    the same JSON to a parser."""
    try:
        text = message.model_dump_json(by_alias=True, exclude_unset=True)
    except ValueError:
        text = json.dumps(message.model_dump(by_alias=True, exclude_unset=True, mode="json"), separators=(",", ":"))
    return UNSAFE.sub(lambda found: f"\\u{ord(found.group()):04x}", text).encode("utf-8") + b"\n"


class Replies:
    """The SDK's write stream: each message it sends becomes one encoded line on the shared output."""

    def __init__(self, lines: MemoryObjectSendStream[bytes], inbox: Inbox) -> None:
        self.lines, self.inbox = lines, inbox

    async def send(self, item: SessionMessage, /) -> None:
        await self.lines.send(encode(item.message))
        if isinstance(item.message, (JSONRPCResponse, JSONRPCError)):
            self.inbox.answered(item.message.id)

    async def aclose(self) -> None:
        await self.lines.aclose()

    async def __aenter__(self) -> Replies:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def check_stdio() -> None:
    """Refuse to start when stdin or stdout was closed before the program started (Python then sets them to
    None, and the descriptors may already serve something else)."""
    for stream, name in ((sys.stdin, "stdin"), (sys.stdout, "stdout")):
        if stream is None:
            raise UserError(f"{name} is closed: the MCP server reads requests on stdin and answers on stdout")


@contextmanager
def claimed_stdio() -> Iterator[tuple[int, int]]:
    """Private copies of stdin and stdout for the protocol; meanwhile fd 0 is the null device, fd 1 stderr."""
    sys.stdout.flush()
    wire_in, wire_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    try:
        yield wire_in, wire_out
    finally:
        sys.stdout.flush()
        os.dup2(wire_in, 0)
        os.dup2(wire_out, 1)  # wire_in stays open: a reader thread may still be blocked on it


def checked(line: bytes | Oversize) -> Checked:
    """What to do with one line."""
    return check_oversize(line) if isinstance(line, Oversize) else check_line(line)


class ProblemLog:
    """One ``warning:`` line on stderr per bad line, for the first :data:`LOGGED` of them."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, problem: str) -> None:
        self.count += 1
        if self.count <= LOGGED:
            more = " (further bad lines are answered, not logged)" if self.count == LOGGED else ""
            print(f"warning: mcp: {problem}{more}", file=sys.stderr, flush=True)


class Inbox:
    """The client's lines: checked, then answered here or passed to the SDK. At the end of the input, the
    requests already passed on are answered before the SDK is told (up to :data:`GRACE` seconds), so
    ``echo REQUESTS | restore-agent mcp`` gets every answer."""

    def __init__(self, to_server: MemoryObjectSendStream[SessionMessage], out: MemoryObjectSendStream[bytes]) -> None:
        self.to_server, self.out = to_server, out
        self.framer, self.log = Framer(), ProblemLog()
        self.pending: set[RequestId] = set()
        self.idle = anyio.Event()
        self.idle.set()

    def answered(self, ident: RequestId | None) -> None:
        self.pending.discard(ident)
        if not self.pending:
            self.idle.set()

    async def route(self, line: bytes | Oversize) -> None:
        """Log why a line was not passed on, write its answers, pass a valid message to the SDK."""
        verdict = checked(line)
        if verdict.problem:
            self.log(verdict.problem)
        for answer in verdict.answers:
            await self.out.send(answer)
        message = verdict.message
        if isinstance(message, JSONRPCRequest):
            self.pending.add(message.id)
            self.idle = anyio.Event() if self.idle.is_set() else self.idle
        elif isinstance(message, JSONRPCNotification) and message.method == "notifications/cancelled":
            self.answered((message.params or {}).get("requestId"))  # a cancelled request gets no answer
        if message is not None:
            await self.to_server.send(SessionMessage(message))

    async def run(self, fd: int) -> None:
        """Read and route every line until the client closes stdin, then let the answers go out."""
        async with self.to_server, self.out:
            while chunk := await anyio.to_thread.run_sync(os.read, fd, CHUNK, abandon_on_cancel=True):
                for line in self.framer.feed(chunk):
                    await self.route(line)
            for line in self.framer.end():
                await self.route(line)
            with anyio.move_on_after(GRACE):
                await self.idle.wait()


async def write_lines(fd: int, lines: MemoryObjectReceiveStream[bytes]) -> None:
    """Write each reply line whole; once the client stops reading, later ones are dropped, not queued."""
    def write_all(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]

    broken = False
    async with lines:
        async for line in lines:
            if broken:
                continue
            try:
                await anyio.to_thread.run_sync(write_all, line)
            except OSError as exc:
                broken = True
                print(f"warning: mcp: stopped writing replies: {exc.strerror or exc}", file=sys.stderr, flush=True)


@asynccontextmanager
async def checked_stdio() -> AsyncIterator[tuple[MemoryObjectReceiveStream[SessionMessage], Replies]]:
    """``(read_stream, write_stream)`` for the SDK's server, like ``mcp.server.stdio.stdio_server``."""
    with claimed_stdio() as (wire_in, wire_out):
        to_server, from_client = anyio.create_memory_object_stream[SessionMessage](0)
        out, lines = anyio.create_memory_object_stream[bytes](16)
        async with anyio.create_task_group() as group:
            inbox = Inbox(to_server, out.clone())
            group.start_soon(write_lines, wire_out, lines)
            group.start_soon(inbox.run, wire_in)
            async with Replies(out, inbox) as replies:
                yield from_client, replies
