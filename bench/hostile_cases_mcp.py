"""Hostile MCP sessions for ``bench/hostile_sweep.py``: raw stdio bytes that a careless or hostile host sends to
``restore-agent mcp``, each in a server of its own.

Every case opens with ``initialize``, sends its bytes, then a valid ``tools/list`` (unless it ends the input
instead) and waits up to :data:`WAIT` seconds. It holds when every request id it sent gets exactly one reply with
the expected code (a result where none is given), ``tools/list`` is still answered, stdout carries JSON-RPC
lines only, the server exits 0 when stdin closes, and stderr has no traceback. Kinds: malformed JSON, invalid
UTF-8, wrong ``jsonrpc``, ids of every wrong type, ``params`` of every wrong type, deep nesting, batch arrays,
lone surrogates, blank lines, lines of 100 MB, floods of bad lines, tool calls that cannot run, a client that
declares roots and then fails to list them, and input that ends right after a request.

    .venv/bin/python -m bench.hostile_cases_mcp      # this group alone: a table, exit 1 on any failure

In the sweep, :func:`mcp_cases` builds the cases and :func:`run_mcp_case` runs one into the fields of the
sweep's ``Outcome`` (an unanswered request is a ``hang``: its client would wait forever), plus
``unanswered``: the ids that got no reply.
"""
from __future__ import annotations

import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.mcp_raw import INITIALIZE, INITIALIZED, RawServer, line  # noqa: E402

WAIT = 20.0  # seconds for a case's replies (a roots case adds the server's 10 s wait for the client)
PARSE, INVALID, NO_METHOD, PARAMS = -32700, -32600, -32601, -32602
TOOL_ERROR = "tool error"  # a tools/call result with isError: a one-line "error: ..."
AFTER = "after"


@dataclass
class McpCase:
    """One session: ``data`` sent after the handshake, the replies it must get: ``{id: code}`` (``None``: a
    result; :data:`TOOL_ERROR`: a tool error); ``nulls`` replies with id null; ``roots``: the client declares
    roots and answers the server's ``roots/list`` with this (``{}``: never answers); ``close``: stdin closes
    right after ``data``."""

    name: str
    data: bytes | list[bytes]
    expect: dict[Any, Any] = field(default_factory=dict)
    nulls: int = 0
    roots: dict | None = None
    close: bool = False
    group: str = "mcp"


def request(ident: Any, method: str = "tools/list", **fields: Any) -> bytes:
    return line({"jsonrpc": "2.0", "id": ident, "method": method, **fields})


def call(ident: Any, tool: str, **arguments: Any) -> bytes:
    return request(ident, "tools/call", params={"name": tool, "arguments": arguments})


def _nested(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


def protocol_cases() -> list[McpCase]:
    """Lines that are no valid request: each must be answered by the JSON-RPC error for it."""
    head = b'{"jsonrpc":"2.0","id":"x","method":"tools/list"'
    cases = [McpCase(f"malformed JSON: {name}", data, nulls=1) for name, data in {
        "cut short": head + b",\n", "trailing junk": head + b"}}\n", "single quotes": b"{'jsonrpc':'2.0'}\n",
        "a comment": head + b"/* c */}\n", "NaN id": b'{"jsonrpc":"2.0","id":NaN,"method":"ping"}\n',
        "Infinity": b'{"jsonrpc":"2.0","id":"i","method":"ping","params":{"x":Infinity}}\n',
        "a BOM": b"\xef\xbb\xbf" + head + b"}\n", "NUL bytes": b"\x00" * 64 + b"\n",
        "a number with 5,000 digits": b'{"jsonrpc":"2.0","id":' + b"9" * 5000 + b',"method":"ping"}\n'}.items()]
    cases += [McpCase(f"invalid UTF-8: {name}", head[:-1] + b',"params":{"q":"' + data + b'"}}\n', nulls=1)
              for name, data in {"a lone 0xff": b"\xff", "an overlong slash": b"\xc0\xaf",
                                 "a cut sequence": b"\xe2\x82", "an encoded surrogate": b"\xed\xa0\x80",
                                 "Latin-1 text": "café".encode("latin-1")}.items()]
    cases += [McpCase(f'"jsonrpc": {value}', line({"jsonrpc": value, "id": "v", "method": "tools/list"}),
                      {"v": INVALID}) for value in ("1.0", 2.0, None, "")]
    cases.append(McpCase('no "jsonrpc"', line({"id": "v", "method": "tools/list"}), {"v": INVALID}))
    cases += [McpCase(f"an id that is {name}", request(ident), nulls=1) for name, ident in {
        "an object": {"a": 1}, "an array": [1], "true": True, "null": None}.items()]
    cases += [McpCase("a fractional id", request(1.5), {1.5: INVALID}),
              McpCase("an id of 100 digits", request(10**100, "ping"), {10**100: None}),
              McpCase("an id of 1e400", b'{"jsonrpc":"2.0","id":1e400,"method":"ping"}\n', nulls=1)]
    cases += [McpCase(f"tools/call params {name}", request("p", "tools/call", params=params), {"p": PARAMS})
              for name, params in {"a list": ["list_records"], "a string": "list_records", "a number": 7,
                                   "true": True, "null": None, "without a name": {"arguments": {}},
                                   "with a numeric name": {"name": 5}, "arguments a list": {
                                       "name": "list_records", "arguments": [1]},
                                   "arguments a string": {"name": "list_records", "arguments": "x"}}.items()]
    cases += [McpCase(f"{method} params a list", request("p", method, params=[]), {"p": PARAMS})
              for method in ("initialize", "ping", "resources/read", "prompts/get")]
    cases += [McpCase(name, line(message), {"m": INVALID}) for name, message in {
        "no method": {"jsonrpc": "2.0", "id": "m"}, "a numeric method": {"jsonrpc": "2.0", "id": "m", "method": 1},
        "a null method": {"jsonrpc": "2.0", "id": "m", "method": None}}.items()]
    cases += [
        McpCase("an unknown method", request("u", "no/such/method"), {"u": NO_METHOD}),
        McpCase("prompts/get (no prompts)", request("g", "prompts/get", params={"name": "x"}), {"g": PARAMS}),
        McpCase("a lone surrogate in a tool name", b'{"jsonrpc":"2.0","id":"s","method":"tools/call",'
                b'"params":{"name":"\\udc80"}}\n', {"s": INVALID}),
        McpCase("a string, not an object", b'"tools/list"\n', nulls=1),
        McpCase("a number, not an object", b"42\n", nulls=1),
        McpCase("a batch of requests", line([json.loads(request(n)) for n in ("b1", "b2", "b3")]),
                {"b1": INVALID, "b2": INVALID, "b3": INVALID}),
        McpCase("an empty batch", b"[]\n", nulls=1),
        McpCase("a batch of notifications", line([INITIALIZED, INITIALIZED]), nulls=1),
        McpCase("a batch in a batch", line([[json.loads(request("b4"))]]), nulls=1),
        McpCase("params nested 3,000 deep", f'{{"jsonrpc":"2.0","id":"d","method":"tools/call","params":'
                f'{_nested(3000)}}}\n'.encode(), {"d": INVALID}),
        McpCase("arguments nested 200 deep", call("d", "list_records", x=json.loads(_nested(200))), {"d": INVALID}),
        McpCase("an id after params nested 3,000 deep", f'{{"jsonrpc":"2.0","method":"ping","params":'
                f'{_nested(3000)},"id":"d"}}\n'.encode(), nulls=1),
        McpCase("an array nested 10,000 deep", b"[" * 10000 + b"]" * 10000 + b"\n", nulls=1),
        McpCase("an empty line", b"\n"), McpCase("a whitespace line", b" \t\r\n"),
        McpCase("a request ending in CRLF", request("r", "ping").replace(b"\n", b"\r\n"), {"r": None}),
        McpCase("a notification with a list for params", line({**INITIALIZED, "params": [1]})),
        McpCase("a response to nothing", line({"jsonrpc": "2.0", "id": 99, "result": {}})),
        McpCase("a cancel for nothing", line({"jsonrpc": "2.0", "method": "notifications/cancelled",
                                              "params": {"requestId": "nothing"}})),
    ]
    return cases


def load_cases() -> list[McpCase]:
    """Long lines, floods, and input that ends at once."""
    big = b'{"jsonrpc":"2.0","id":"big","method":"tools/call","params":{"name":"ask","arguments":{"question":"'
    return [
        McpCase("a line of 100 MB", [big, *[b"a" * (1 << 20)] * 100, b'"}}}\n'], {"big": INVALID}),
        McpCase("a line of 100 MB with no id", [b"[" * (1 << 20)] * 100 + [b"\n"], nulls=1),
        McpCase("a line of 3 MB of whitespace", [b" " * (3 << 20), b"\n"], nulls=1),
        McpCase("1,000 bad lines", b"not json\n" * 1000, nulls=1000),
        McpCase("1,000 requests at once", b"".join(request(f"f{n}", "ping") for n in range(1000)),
                {f"f{n}": None for n in range(1000)}),
        McpCase("input ending right after a request", request("e", "tools/list"), {"e": None}, close=True),
        McpCase("input ending inside a line", b'{"jsonrpc":"2.0","id":"e","meth', nulls=1, close=True),
        McpCase("input ending without a newline", request("e", "ping")[:-1], {"e": None}, close=True),
    ]


def tool_cases() -> list[McpCase]:
    """Tool calls that cannot run, and clients whose roots cannot be had: one-line tool errors."""
    cases = [McpCase(f"analyze_image with {name}", call("c", "analyze_image", path=path), {"c": TOOL_ERROR})
             for name, path in {"a NUL byte": "a\x00b.png", "a name of 5,000 bytes": "x" * 5000 + ".png",
                                "an unknown ~user": "~no-such-user-x/a.png", "/dev/zero": "/dev/zero",
                                "a path outside": "/etc/passwd", "a newline": "a\nerror: forged line.png",
                                "a bidi control": "a\u202egnp.png"}.items()]
    cases += [McpCase(f"denoise_image with {name}", call("c", "denoise_image", **arguments), {"c": TOOL_ERROR})
              for name, arguments in {"a noise level of 7": {"path": "a.png", "noise_level": 7},
                                      "an output of 5,000 bytes": {"path": "a.png", "output": "y" * 5000}}.items()]
    cases += [McpCase(f"a client whose roots {name}", call("c", "analyze_image", path="a.png"), {"c": TOOL_ERROR},
                      roots=answer) for name, answer in {
        "never come": {}, "are an error": {"error": {"code": -1, "message": "no"}},
        "are a string": {"result": {"roots": "all"}},
        "are http links": {"result": {"roots": [{"uri": "http://evil.example.com/"}]}},
        "lie elsewhere": {"result": {"roots": [{"uri": "file:///nonexistent-folder"}]}}}.items()]
    return cases


def mcp_cases(work: Path | None = None) -> list[McpCase]:
    """Every MCP case (``work`` is unused: the cases need no files)."""
    return [*protocol_cases(), *load_cases(), *tool_cases()]


def _key(value: Any) -> str:
    return json.dumps(value)


def _session(server: RawServer, case: McpCase) -> list[Any]:
    """Run ``case``; every stdout line it got."""
    handshake = {**INITIALIZE, "params": {**INITIALIZE["params"], "capabilities": {"roots": {}}}} \
        if case.roots is not None else INITIALIZE
    server.send(line(handshake) + line(INITIALIZED))
    got = server.collect(["init"], 60)
    for chunk in case.data if isinstance(case.data, list) else [case.data]:
        server.send(chunk)
    if case.close:
        server.process.stdin.close()
    else:
        server.send(request(AFTER))
    wanted = Counter(_key(ident) for ident in case.expect) + Counter({_key(None): case.nulls})
    if not case.close:
        wanted[_key(AFTER)] += 1
    end = time.monotonic() + WAIT + (10 if case.roots is not None else 0)
    while +wanted and (reply := server.next_line(end)) is not None:
        got.append(reply)
        if isinstance(reply, dict) and "method" in reply and "id" in reply and case.roots:
            server.send(line({"jsonrpc": "2.0", "id": reply["id"], **case.roots}))
        elif isinstance(reply, dict) and "method" not in reply:
            wanted[_key(reply.get("id"))] -= 1
    while (late := server.next_line(time.monotonic() + 0.3)) is not None:  # a reply sent twice arrives now
        got.append(late)
    return got


def _verdict(case: McpCase, got: list[Any], code: int | None, stderr: str) -> tuple[str, list[str], list[str]]:
    """The ending, the problems, and the request ids that got no reply."""
    replies = [r for r in got if isinstance(r, dict) and "method" not in r and r.get("id") != "init"]
    problems = [f"not JSON on stdout: {r[:60]!r}" for r in got if not isinstance(r, dict)]
    seen = Counter(_key(r.get("id")) for r in replies)
    wanted = {_key(ident): want for ident, want in case.expect.items()}
    if not case.close:
        wanted[_key(AFTER)] = None
    unanswered = [ident for ident in wanted if seen[ident] == 0]
    if case.nulls and seen[_key(None)] < case.nulls:
        unanswered.append(f"{case.nulls - seen[_key(None)]} with id null")
    problems += [f"id {ident} answered {seen[ident]} times" for ident in wanted if seen[ident] > 1]
    problems += [f"id {ident} answered, not asked" for ident in seen if ident not in wanted and ident != "null"]
    if seen[_key(None)] > case.nulls:
        problems.append(f"{seen[_key(None)]} replies with id null, {case.nulls} expected")
    for reply in replies:
        want = wanted.get(_key(reply.get("id")), "?")
        error = reply.get("error", {}).get("code") if "error" in reply else None
        tool_error = reply.get("result", {}).get("isError") is True
        text = json.dumps(reply.get("result", {}).get("content", ""))
        if want == TOOL_ERROR and not (tool_error and '"text": "error: ' in text and "\\n" not in text):
            problems.append(f"id {reply.get('id')}: not a one-line tool error: {json.dumps(reply)[:120]}")
        elif want not in ("?", TOOL_ERROR) and error != want and reply.get("id") is not None:
            problems.append(f"id {reply.get('id')}: code {error}, expected {want}")
        elif reply.get("id") is None and error not in (PARSE, INVALID):
            problems.append(f"id null with code {error}")
    if "Traceback" in stderr:
        return "traceback", problems, unanswered
    if unanswered:
        return "hang", problems, unanswered
    return ("success" if not problems and code == 0 else "unclean"), problems, unanswered


def run_mcp_case(case: McpCase, command: list[str], out: Path) -> dict[str, Any]:
    """Run ``case`` in a server of its own started in ``out``: the sweep's ``Outcome`` fields and ``unanswered``."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    server = RawServer(command, out)
    try:
        got = _session(server, case)
    finally:
        code, stderr = server.close()
    outcome, problems, unanswered = _verdict(case, got, code, stderr)
    tail = "; ".join(problems + [f"no reply: {', '.join(unanswered)}"] * bool(unanswered)) or stderr.strip()[-300:]
    return {"group": case.group, "name": f"mcp: {case.name}", "argv": ["mcp", "--root", "{out}"], "expect": "ok",
            "outcome": outcome, "code": code, "seconds": round(time.perf_counter() - started, 2),
            "stderr_tail": tail[-300:], "foreign_link": False, "control_bytes": False,
            "as_expected": outcome == "success", "unanswered": unanswered}


def main() -> int:
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    script = ROOT / ".venv" / "bin" / "restore-agent"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "agent"]
    cases = mcp_cases()
    with tempfile.TemporaryDirectory(prefix="hostile-mcp-") as work, ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda n: run_mcp_case(cases[n], command, Path(work) / f"{n:03d}"),
                                range(len(cases))))
    for result in results:
        if result["outcome"] != "success":
            print(f"- {result['outcome']}: {result['name']}: {result['stderr_tail']}")
    counts = Counter(result["outcome"] for result in results)
    unanswered = sum(len(result["unanswered"]) for result in results)
    print(f"{len(results)} MCP cases: {dict(counts)}; unanswered requests: {unanswered}")
    return 0 if counts["success"] == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
