"""A client that speaks to ``restore-agent mcp`` in raw stdio bytes, as a careless or hostile host would."""
from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

INITIALIZE = {"jsonrpc": "2.0", "id": "init", "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "raw-bytes", "version": "1"}}}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def line(message: dict) -> bytes:
    return json.dumps(message).encode() + b"\n"


class RawServer:
    """``restore-agent mcp`` over pipes: bytes in; each stdout line parsed (or kept as text if it is no JSON)."""

    def __init__(self, command: list[str], root: Path, env: dict[str, str] | None = None) -> None:
        self.stderr_path = root / "mcp-stderr.txt"
        self.errlog = self.stderr_path.open("wb")
        self.process = subprocess.Popen([*command, "mcp", "--root", str(root)], cwd=root, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errlog)
        self.replies: queue.Queue[Any] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.process.stdout:
            try:
                self.replies.put(json.loads(raw))
            except ValueError:
                self.replies.put(raw.decode("utf-8", "replace"))  # not protocol: the tests flag it
        self.replies.put(EOFError())

    def send(self, data: bytes) -> None:
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def next_line(self, end: float) -> Any:
        """The next stdout line (parsed), or None when the time ``end`` (monotonic) passes or stdout ends."""
        try:
            reply = self.replies.get(timeout=max(0.0, end - time.monotonic()))
        except queue.Empty:
            return None
        return None if isinstance(reply, EOFError) else reply

    def collect(self, ids: list[Any], timeout: float) -> list[Any]:
        """Replies until each of ``ids`` has one (``None`` counts a reply with id null), or the time is up."""
        wanted, got = list(ids), []
        end = time.monotonic() + timeout
        while wanted and (reply := self.next_line(end)) is not None:
            got.append(reply)
            key = reply.get("id") if isinstance(reply, dict) else object()
            if key in wanted:
                wanted.remove(key)
        return got

    def start(self, timeout: float = 60) -> dict:
        """The initialize handshake; the server's answer to it."""
        self.send(line(INITIALIZE) + line(INITIALIZED))
        answered = self.collect(["init"], timeout)
        assert answered and answered[-1].get("id") == "init", answered
        return answered[-1]

    def close(self, timeout: float = 30) -> tuple[int | None, str]:
        """Close stdin; the exit code (None if it did not exit in time, then killed) and all of stderr."""
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            code = None
        self.errlog.close()
        return code, self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def peak_memory_kb(self) -> int | None:
        """The server's peak resident memory so far (Linux), else None."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        return next((int(row.split()[1]) for row in status.splitlines() if row.startswith("VmHWM:")), None)
