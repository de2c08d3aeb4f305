"""`restore-agent mcp` fed raw stdio bytes: every request with an id gets exactly one JSON-RPC answer, with the
right code, and the server keeps answering the next valid request."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mcp_raw import RawServer, line

SCRIPT = Path(sys.executable).with_name("restore-agent")
PARSE, INVALID, PARAMS = -32700, -32600, -32602
WAIT = 20  # seconds for one case's answers


def deep(levels: int, inner: str = "1") -> str:
    return '{"a":' * levels + inner + "}" * levels


def request(ident: object, method: str = "tools/list", **fields: object) -> bytes:
    return line({"jsonrpc": "2.0", "id": ident, "method": method, **fields})


# name, the bytes sent, and the answers they must get: (id, code); code None for a result
CASES: list[tuple[str, bytes, list[tuple[object, int | None]]]] = [
    ("invalid UTF-8", b'{"jsonrpc":"2.0","id":"u","method":"tools/list","params":{"x":"\xff\xfe"}}\n',
     [(None, PARSE)]),
    ("malformed JSON", b'{"jsonrpc":"2.0","id":"m",\n', [(None, PARSE)]),
    ("NaN is no JSON", b'{"jsonrpc":"2.0","id":NaN,"method":"ping"}\n', [(None, PARSE)]),
    ("tools/call params a list", request("p1", "tools/call", params=["list_records"]), [("p1", PARAMS)]),
    ("tools/call params a string", request("p2", "tools/call", params="list_records"), [("p2", PARAMS)]),
    ("tools/call without a name", request("p3", "tools/call", params={"arguments": {}}), [("p3", PARAMS)]),
    ("tools/call arguments a list", request("p4", "tools/call", params={"name": "list_records", "arguments": [1]}),
     [("p4", PARAMS)]),
    ("params nested 3,000 deep", f'{{"jsonrpc":"2.0","id":"d1","method":"tools/call","params":{deep(3000)}}}\n'
     .encode(), [("d1", INVALID)]),
    ("id after params nested 3,000 deep", f'{{"jsonrpc":"2.0","method":"tools/call","params":{deep(3000)},'
     f'"id":"d2"}}\n'.encode(), [(None, INVALID)]),
    ("params nested 100 deep", f'{{"jsonrpc":"2.0","id":"d3","method":"tools/call","params":{deep(100)}}}\n'
     .encode(), [("d3", INVALID)]),
    ("an array nested 10,000 deep", b"[" * 10000 + b"]" * 10000 + b"\n", [(None, INVALID)]),
    ('"jsonrpc":"1.0"', line({"jsonrpc": "1.0", "id": "v", "method": "tools/list"}), [("v", INVALID)]),
    ("no jsonrpc", line({"id": "v2", "method": "tools/list"}), [("v2", INVALID)]),
    ("an object id", request({"a": 1}), [(None, INVALID)]),
    ("an array id", request([1]), [(None, INVALID)]),
    ("a boolean id", request(True), [(None, INVALID)]),
    ("a null id", request(None), [(None, INVALID)]),
    ("a fractional id", request(1.5), [(1.5, INVALID)]),
    ("no method", line({"jsonrpc": "2.0", "id": "x"}), [("x", INVALID)]),
    ("a method that is no string", line({"jsonrpc": "2.0", "id": "x2", "method": 7}), [("x2", INVALID)]),
    ("a string, not an object", b'"tools/list"\n', [(None, INVALID)]),
    ("a batch of two requests", line([{"jsonrpc": "2.0", "id": "b1", "method": "tools/list"},
                                       {"jsonrpc": "2.0", "id": "b2", "method": "ping"}]),
     [("b1", INVALID), ("b2", INVALID)]),
    ("an empty batch", b"[]\n", [(None, INVALID)]),
    ("a lone surrogate", b'{"jsonrpc":"2.0","id":"s","method":"tools/call","params":{"name":"\\ud800"}}\n',
     [("s", INVALID)]),
    ("an empty line", b"\n", []),
    ("a whitespace line", b" \t \r\n", []),
    ("a notification with a list for params", line({"jsonrpc": "2.0", "method": "notifications/initialized",
                                                    "params": [1]}), []),
    ("an unknown method", request("q", "no/such/method"), [("q", -32601)]),
    ("a valid request with CRLF", request("r").replace(b"\n", b"\r\n"), [("r", None)]),
]


@pytest.fixture(scope="module")
def script() -> Path:
    if not SCRIPT.is_file():
        pytest.skip(f"the console script is not installed beside {sys.executable} (pip install -e .)")
    return SCRIPT


def key(reply: object) -> object:
    return reply.get("id") if isinstance(reply, dict) else reply


def code(reply: dict) -> int | None:
    return reply["error"]["code"] if "error" in reply else None


def test_every_bad_line_gets_one_answer_and_the_next_request_is_served(script: Path, tmp_path: Path) -> None:
    server = RawServer([str(script)], tmp_path)
    try:
        server.start()
        for number, (name, data, expected) in enumerate(CASES):
            after = f"after-{number}"
            server.send(data + request(after))
            got = server.collect([ident for ident, _ in expected] + [after], WAIT)
            answers = [(key(reply), code(reply)) for reply in got if key(reply) != after]
            assert sorted(answers, key=repr) == sorted(expected, key=repr), name
            listed = [reply for reply in got if key(reply) == after]
            assert len(listed) == 1 and len(listed[0]["result"]["tools"]) == 6, name
            assert all(reply["jsonrpc"] == "2.0" and reply["error"]["message"] for reply in got
                       if "error" in reply), name
        server.send(request("last", "ping"))
        assert [key(reply) for reply in server.collect(["last"], WAIT)] == ["last"]  # nothing late, nothing twice
    finally:
        exit_code, stderr = server.close()
    assert exit_code == 0
    assert "Traceback" not in stderr
    warnings = stderr.splitlines()
    assert warnings and all(row.startswith("warning: mcp: ") for row in warnings) and len(warnings) <= 20
    assert warnings[-1].endswith("(further bad lines are answered, not logged)")


def test_a_line_of_any_length_is_answered_in_bounded_memory(script: Path, tmp_path: Path) -> None:
    server = RawServer([str(script)], tmp_path)
    size = 64 << 20
    try:
        server.start()
        server.send(request("warm"))
        server.collect(["warm"], WAIT)
        before = server.peak_memory_kb()
        head = b'{"jsonrpc":"2.0","id":"big","method":"tools/call","params":{"name":"ask","arguments":{"question":"'
        server.send(head)
        for _ in range(size >> 20):
            server.send(b"a" * (1 << 20))
        got = {key(reply): reply for reply in server.collect(["big"], WAIT)}  # answered before the line ends
        server.send(b'"}}}\n' + request("after"))
        got |= {key(reply): reply for reply in server.collect(["after"], WAIT)}
        after = server.peak_memory_kb()
    finally:
        exit_code, stderr = server.close()
    assert got["big"]["error"]["code"] == INVALID
    assert got["big"]["error"]["message"].startswith("Invalid Request: a message is limited to 1048576 bytes")
    assert len(got["after"]["result"]["tools"]) == 6
    assert exit_code == 0 and "Traceback" not in stderr
    if before is not None:
        assert (after - before) * 1024 < size // 4  # the line was never held whole


def test_a_last_line_without_a_newline_is_answered_and_the_server_exits_cleanly(script: Path,
                                                                                 tmp_path: Path) -> None:
    server = RawServer([str(script)], tmp_path)
    try:
        server.start()
        server.send(b'{"jsonrpc":"2.0","id":"tail","method":"ping"}')  # then stdin closes
        server.process.stdin.close()
        got = server.collect(["tail"], WAIT)
    finally:
        exit_code, stderr = server.close()
    assert got == [{"jsonrpc": "2.0", "id": "tail", "result": {}}]
    assert exit_code == 0 and stderr == ""


def test_stdout_carries_nothing_but_answers(script: Path, tmp_path: Path) -> None:
    """Even a flood of bad lines: each stdout line is one JSON-RPC message."""
    server = RawServer([str(script)], tmp_path)
    try:
        server.start()
        server.send(b"".join(b"not json %d\n" % n for n in range(200)) + request("end", "ping"))
        got = server.collect([None] * 200 + ["end"], WAIT)
    finally:
        server.close()
    assert all(isinstance(reply, dict) for reply in got), [r for r in got if not isinstance(r, dict)][:3]
    assert [code(reply) for reply in got].count(PARSE) == 200 and key(got[-1]) == "end"
    assert json.dumps(got[0]).startswith('{"jsonrpc": "2.0", "id": null, "error": {"code": -32700')


def tool_text(reply: dict) -> str:
    assert reply["result"]["isError"] is True, reply
    return reply["result"]["content"][0]["text"]


def test_calls_that_cannot_run_are_one_line_errors_and_the_log_has_no_traceback(script: Path,
                                                                                 tmp_path: Path) -> None:
    server = RawServer([str(script)], tmp_path)
    calls = {"nul": {"name": "analyze_image", "arguments": {"path": "a\u0000b.png"}},
             "long": {"name": "analyze_image", "arguments": {"path": "x" * 5000 + ".png"}},
             "home": {"name": "analyze_image", "arguments": {"path": "~no-such-user-here/a.png"}},
             "out": {"name": "denoise_image", "arguments": {"path": "a.png", "output": "y" * 5000 + ".png"}}}
    try:
        server.start()
        for ident, params in calls.items():
            server.send(request(ident, "tools/call", params=params))
        server.send(request("prompt", "prompts/get", params={"name": "list_records"}))
        got = {key(reply): reply for reply in server.collect([*calls, "prompt"], WAIT)}
    finally:
        exit_code, stderr = server.close()
    assert tool_text(got["nul"]).startswith("error: cannot resolve path a")
    assert tool_text(got["nul"]).endswith("b.png: embedded null byte")
    assert tool_text(got["long"]).endswith(".png: File name too long")
    assert tool_text(got["home"]).startswith("error: cannot resolve path ~no-such-user-here/a.png")
    assert tool_text(got["out"]).startswith("error: ")
    assert all("\n" not in tool_text(got[ident]) for ident in calls)
    assert got["prompt"]["error"] == {"code": PARAMS,
                                      "message": "Unknown prompt: list_records (this server has no prompts)"}
    assert exit_code == 0 and stderr == ""


def test_a_client_that_declares_roots_but_fails_to_list_them_gets_an_answer(script: Path, tmp_path: Path) -> None:
    """The server asks the client for its roots; silence, an error or a malformed list ends the call in a line."""
    server = RawServer([str(script)], tmp_path)
    analyze = {"name": "analyze_image", "arguments": {"path": "missing.png"}}
    answers = {"silent": None, "refuses": {"error": {"code": -1, "message": "no roots here"}},
               "malformed": {"result": {"roots": "everywhere"}},
               "elsewhere": {"result": {"roots": [{"uri": "file:///nonexistent-folder"}]}},
               "inside": {"result": {"roots": [{"uri": tmp_path.as_uri()}]}}}
    texts = {}
    try:
        server.send(line({**json.loads(request("init", "initialize", params={
            "protocolVersion": "2025-06-18", "capabilities": {"roots": {"listChanged": False}},
            "clientInfo": {"name": "raw-bytes", "version": "1"}})), }) + line({"jsonrpc": "2.0",
                                                                               "method": "notifications/initialized"}))
        server.collect(["init"], 60)
        for name, answer in answers.items():
            server.send(request(name, "tools/call", params=analyze))
            asked = [reply for reply in server.collect([1 + len(texts)], WAIT) if reply.get("method") == "roots/list"]
            assert len(asked) == 1, name
            if answer is not None:
                server.send(line({"jsonrpc": "2.0", "id": asked[0]["id"], **answer}))
            texts[name] = next(tool_text(reply) for reply in server.collect([name], WAIT) if key(reply) == name)
    finally:
        exit_code, stderr = server.close()
    assert texts == {
        "silent": "error: the client declares roots but did not list them within 10 s",
        "refuses": "error: the client could not list its roots: no roots here",
        "malformed": "error: the client's list of roots is not valid: roots: Input should be a valid list",
        "elsewhere": f"error: the client's roots (/nonexistent-folder) share no folder with the server's roots "
                     f"({tmp_path.resolve()})",
        "inside": "error: no such file: missing.png"}
    assert exit_code == 0 and stderr == ""


@pytest.mark.parametrize("closed", ["stdin", "stdout"])
def test_a_closed_stdin_or_stdout_is_one_line_and_exit_2(script: Path, tmp_path: Path, closed: str) -> None:
    redirect = {"stdin": "<&-", "stdout": ">&-"}[closed]
    done = subprocess.run(["bash", "-c", f"'{script}' mcp {redirect}"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (f"error: {closed} is closed: the MCP server reads requests on stdin and answers on "
                           f"stdout\n")
