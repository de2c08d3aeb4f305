"""A scripted OpenAI-compatible server on 127.0.0.1 for tests: ``/v1/chat/completions`` in JSON or SSE.

Each request takes the next step of the script (the last step repeats): a text answer, tool calls (whose
argument deltas are split across SSE chunks), an HTTP error, garbage, or a hang. Requests are recorded.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Step:
    """One scripted reply: ``text``, ``tool_calls`` (name, raw argument string), ``status``, ``garbage``, ``hang``,
    ``trickle`` (seconds between SSE chunks, or between 16-byte pieces of a JSON reply)."""

    text: str = ""
    tool_calls: list[tuple[str, str]] = field(default_factory=list)
    status: int = 200
    garbage: bool = False
    hang: float = 0.0
    trickle: float = 0.0


def text(answer: str) -> Step:
    return Step(text=answer)


def call(name: str, args: dict | str) -> Step:
    return Step(tool_calls=[(name, args if isinstance(args, str) else json.dumps(args))])


class ScriptedServer:
    """The server state: the script, the requests received, and the base URL."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps, self.requests = list(steps), []
        self.stop = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def next_step(self) -> Step:
        return self.steps[min(len(self.requests) - 1, len(self.steps) - 1)]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, b'{"error": {"message": "not found"}}')
                server.requests.append(body)
                step = server.next_step()
                if step.hang:
                    server.stop.wait(step.hang)
                    return None
                if step.status != 200:
                    return self._send(step.status, json.dumps({"error": {"message": "scripted failure",
                                                                         "type": "server_error"}}).encode())
                if step.garbage:
                    content_type = "text/event-stream" if body.get("stream") else "application/json"
                    return self._send(200, b"data: {this is not json\n\n<html>oops</html>", content_type)
                if body.get("stream"):
                    return self._stream(step, body)
                return self._send(200, json.dumps(_completion(step, body)).encode(), trickle=step.trickle)

            def _send(self, status: int, payload: bytes, content_type: str = "application/json",
                      trickle: float = 0.0) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                pieces = [payload[i:i + 16] for i in range(0, len(payload), 16)] if trickle else [payload]
                for piece in pieces:
                    if not self._trickle(piece, trickle):
                        return

            def _stream(self, step: Step, body: dict) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in _chunks(step, body):
                    if not self._trickle(f"data: {json.dumps(chunk)}\n\n".encode(), step.trickle):
                        return
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _trickle(self, piece: bytes, pause: float) -> bool:
                """Write ``piece``, then wait ``pause`` s; False once the client has gone or the server stops."""
                try:
                    self.wfile.write(piece)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return False
                return not (pause and server.stop.wait(pause))

        return Handler


def _envelope(body: dict, **choice: object) -> dict:
    return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": body.get("model", "scripted"), "choices": [{"index": 0, **choice}]}


def _completion(step: Step, body: dict) -> dict:
    message: dict = {"role": "assistant", "content": step.text or None}
    if step.tool_calls:
        message["tool_calls"] = [{"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": args}}
                                 for i, (name, args) in enumerate(step.tool_calls)]
    reply = _envelope(body, message=message, finish_reason="tool_calls" if step.tool_calls else "stop")
    reply["object"] = "chat.completion"
    reply["usage"] = {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
    return reply


def _chunks(step: Step, body: dict) -> Iterator[dict]:
    yield _envelope(body, delta={"role": "assistant", "content": ""}, finish_reason=None)
    for i, (name, args) in enumerate(step.tool_calls):
        yield _envelope(body, delta={"tool_calls": [{"index": i, "id": f"call_{i}", "type": "function",
                                                     "function": {"name": name, "arguments": ""}}]}, finish_reason=None)
        for start in range(0, len(args), 7):  # argument deltas split across chunks
            yield _envelope(body, delta={"tool_calls": [{"index": i, "function": {"arguments": args[start:start + 7]}}]},
                            finish_reason=None)
    for start in range(0, len(step.text), 40):
        yield _envelope(body, delta={"content": step.text[start:start + 40]}, finish_reason=None)
    yield _envelope(body, delta={}, finish_reason="tool_calls" if step.tool_calls else "stop")


@contextmanager
def scripted_server(*steps: Step) -> Iterator[ScriptedServer]:
    """Run a :class:`ScriptedServer` in a thread for the duration of the block."""
    server = ScriptedServer(list(steps))
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.httpd.shutdown()
        server.httpd.server_close()
