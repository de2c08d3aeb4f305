"""Hostile sweep: run many malformed and hostile ``restore-agent`` command lines and count how each one ends.

    .venv/bin/python -m bench.hostile_sweep [--jobs 2] [--only GROUP] [--limit N]

Every case (``bench/hostile_cases*.py``) runs as its own process, two at a time, with a time limit. An ending is:

- ``clean error``: non-zero exit, the last line on stderr is ``error: …`` (or nothing but ``warning:`` and
  ``note:`` lines before it), no traceback;
- ``reported``: exit 1 with a summary on stdout and no error line (``batch`` and ``report --script`` when some
  photos or jobs failed: by design);
- ``internal error``: the top-level handler's ``internal error: …`` line (a bug, but no traceback);
- ``traceback``: ``Traceback (most recent call last)`` anywhere in the output;
- ``hang``: still running at the time limit (killed);
- ``success``: exit 0;
- ``unclean``: anything else (a non-zero exit without an ``error:`` line, a multi-line error).

Also counted (``bench/hostile_checks.py``): answers from a hostile server with a foreign link
(``evil.example.com`` on stdout), raw control characters (C0, C1, bidirectional) on stdout or stderr, forged lines
(a name's newline printed as a line of its own), JSON outputs that are not one object a line (or not one per input
line in chat), exit codes other than a case's own, inputs replaced (a case's own and any file of the scratch folder
outside the output folders), files left by a run refused as bad input, files written outside the case's output
folder, and cases whose ending is not what they expect (``error`` expected but it succeeded). The other case
modules add their own: unreadable or partial outputs left (``hostile_cases_outputs``), reads outside a batch's
input folder (``hostile_cases_reads``), MCP requests left without a reply (``hostile_cases_mcp``: raw stdio
sessions, one server each).
Prints a table and writes ``bench/results/hostile_sweep.json`` with the machine and commit it ran on; exits 1 on
any traceback, hang, forged line, replaced input, unreadable or partial output, read outside a batch folder or
unanswered MCP request.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from agent.cli.echo import json_text  # noqa: E402
from bench import hostile_checks as checks  # noqa: E402
from bench.ask_latency import machine, source  # noqa: E402
from bench.hostile_cases import Case, build_cases  # noqa: E402
from bench.hostile_cases_cli import cli_cases  # noqa: E402
from bench.hostile_cases_mcp import McpCase, mcp_cases, run_mcp_case  # noqa: E402
from bench.hostile_cases_outputs import output_cases, output_problems  # noqa: E402
from bench.hostile_cases_reads import outside_reads, read_cases  # noqa: E402
from tests.openai_server import scripted_server  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "hostile_sweep.json"
OUTCOMES = ("clean error", "reported", "success", "internal error", "traceback", "hang", "unclean")
CLEAN = ("clean error", "reported", "success")
FOREIGN = "evil.example.com"


@dataclass
class Outcome:
    group: str
    name: str
    argv: list[str]
    expect: str
    outcome: str
    code: int | None
    seconds: float
    stderr_tail: str
    foreign_link: bool
    control_bytes: bool
    as_expected: bool
    forged_lines: int = 0
    raw_controls: list[str] | None = None
    json_problem: str | None = None
    code_expected: int | None = None
    inputs_changed: list[str] | None = None
    left_when_refused: list[str] | None = None
    unanswered: list[str] | None = None  # MCP: the request ids that got no reply


def command() -> list[str]:
    """How to start ``restore-agent``: the venv's console script, else ``python -m agent``."""
    script = ROOT / ".venv" / "bin" / "restore-agent"
    return [str(script)] if script.exists() else [sys.executable, "-m", "agent"]


def classify(code: int | None, stderr: str, timed_out: bool, stdout: str = "") -> str:
    if "Traceback (most recent call last)" in stderr:
        return "traceback"
    if timed_out:
        return "hang"
    if code == 0:
        return "success"
    lines = [line for line in stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    if last.startswith("internal error:"):
        return "internal error"
    others = [line for line in lines[:-1] if not line.startswith(("warning:", "note:"))]
    if last.startswith("error:") and not others:
        return "clean error"
    if code == 1 and stdout.strip() and not [line for line in lines if not line.startswith("warning:")]:
        return "reported"
    return "unclean"


@contextmanager
def raw_tcp_server(reply: bytes) -> Iterator[str]:
    """A TCP server that answers every connection with ``reply`` and closes it (``b""``: never answers)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop, held = threading.Event(), []

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            if reply:
                conn.recv(65536)
                conn.sendall(reply)
                conn.close()
            else:
                held.append(conn)  # accepted, never answered

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()


def _environment(case: Case) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("OPENAI_", "RESTORE_AGENT_")) and key not in ("COLUMNS", "LINES")}
    return {**env, "NO_COLOR": "1", "COLUMNS": "120", **case.env}


def run_case(case: Case, out: Path, work: Path) -> Outcome:
    """Run one case in its own process group; kill the group at the time limit."""
    out.mkdir(parents=True, exist_ok=True)
    checks.prepare(case.files, out)
    kept = {name: checks.digest(Path(name)) for name in (name.replace("{out}", str(out)) for name in case.keep)}
    present = checks.files_in(out)
    with ExitStack() as stack:
        url = ""
        if case.server is not None:
            url = stack.enter_context(scripted_server(*case.server)).base_url
        elif case.raw_server is not None:
            url = stack.enter_context(raw_tcp_server(case.raw_server))
        argv = [arg.replace("{url}", url).replace("{out}", str(out)) for arg in case.argv]
        stdin = None if case.stdin is None else case.stdin.replace("{out}", str(out))
        started = time.perf_counter()
        process = subprocess.Popen([*command(), *argv], cwd=out, env=_environment(case), text=True,
                                   stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                   errors="replace")
        timed_out = False
        try:
            stdout, stderr = process.communicate(stdin, timeout=case.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
        seconds = time.perf_counter() - started
    outcome = classify(process.returncode, stderr, timed_out, stdout)
    good = {"error": ("clean error", "reported"), "ok": ("success",), "any": CLEAN}[case.expect]
    foreign = case.group == "llm" and FOREIGN in stdout.lower()
    controls = checks.raw_controls(stdout + stderr)
    forged = len(checks.forged_lines(stdout + stderr))
    wants_json = "--json" in argv and process.returncode in (0, 1) and not timed_out
    bad_json = checks.json_problem(stdout, case.json_lines) if wants_json or case.json_lines is not None else None
    changed = sorted(name for name, value in kept.items() if checks.digest(Path(name)) != value)
    left = sorted(checks.files_in(out) - present) if process.returncode == 2 else []
    code_ok = case.code is None or process.returncode == case.code
    shown = [arg.replace(str(work), "$WORK") for arg in argv]
    return Outcome(case.group, case.name, shown, case.expect, outcome, None if timed_out else process.returncode,
                   round(seconds, 2), stderr.strip()[-300:], foreign, bool(controls),
                   outcome in good and not foreign and not controls and not forged and not bad_json and not changed
                   and not left and code_ok,
                   forged, controls, bad_json, case.code, [name.replace(str(work), "$WORK") for name in changed], left)


def run_any(case: Case | McpCase, out: Path, work: Path) -> Outcome:
    """A command line (:func:`run_case`) or an MCP session of raw stdio bytes (``hostile_cases_mcp``)."""
    if isinstance(case, McpCase):
        return Outcome(**run_mcp_case(case, command(), out))
    return run_case(case, out, work)


def outside_writes(work: Path, before: set[Path]) -> list[str]:
    """Files that appeared in the scratch folder outside every case's output folder."""
    def in_a_case_folder(path: Path) -> bool:  # work/out/NNN/...
        parts = path.relative_to(work).parts
        return len(parts) > 2 and parts[0] == "out"

    now = {path for path in work.rglob("*") if not in_a_case_folder(path)}
    return sorted(str(path.relative_to(work)) for path in now - before if path.is_file())


def summary_table(results: list[Outcome], extra: dict) -> Table:
    table = Table(title=f"hostile sweep: {len(results)} cases")
    table.add_column("group")
    for name in OUTCOMES:
        table.add_column(name, justify="right")
    table.add_column("not as expected", justify="right")
    groups = sorted({r.group for r in results})
    for group in [*groups, "total"]:
        rows = [r for r in results if group in ("total", r.group)]
        counts = Counter(r.outcome for r in rows)
        table.add_row(group, *(str(counts[name]) for name in OUTCOMES), str(sum(not r.as_expected for r in rows)),
                      style="bold" if group == "total" else None)
    table.caption = (f"foreign links in answers: {extra['foreign_links']}; cases with raw controls: "
                     f"{extra['control_bytes']}; forged lines: {extra['forged_lines']}; bad JSON: "
                     f"{extra['json_problems']}; wrong exit codes: {extra['wrong_exit_codes']}; inputs replaced: "
                     f"{len(extra['inputs_replaced'])}; refused runs that left files: {extra['left_when_refused']}; "
                     f"unreadable outputs: {len(extra['unreadable'])}; partial outputs: {len(extra['partial'])}; "
                     f"reads outside a batch folder: {len(extra['outside_reads'])}; unanswered MCP requests: "
                     f"{extra['unanswered_mcp_requests']}; files written outside the "
                     f"output folders: {len(extra['outside_writes'])}; wall {extra['seconds']:.0f} s")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="cases at once (default 2)")
    parser.add_argument("--only", help="run only this group (photos, cards, options, outputs, llm, names, inputs, "
                        "exits, validate, reads, outputs-kinds, mcp, ...)")
    parser.add_argument("--limit", type=int, help="run only the first N cases")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="hostile-sweep-"))
    started = time.perf_counter()
    try:
        every = [*build_cases(work), *cli_cases(work), *read_cases(work), *output_cases(work), *mcp_cases(work)]
        cases = [c for c in every if args.only in (None, c.group)][: args.limit]
        before, inputs = set(work.rglob("*")), checks.snapshot(work)
        console = Console(stderr=True)
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(run_any, case, work / "out" / f"{n:03d}", work) for n, case in enumerate(cases)]
            results = []
            for number, future in enumerate(futures, start=1):
                results.append(future.result())
                if results[-1].outcome not in CLEAN or not results[-1].as_expected:
                    console.print(f"[{number}/{len(cases)}] {results[-1].outcome}: {results[-1].name}", highlight=False)
        extra = {"foreign_links": sum(r.foreign_link for r in results),
                 "control_bytes": sum(r.control_bytes for r in results),
                 "forged_lines": sum(r.forged_lines for r in results),
                 "json_problems": sum(r.json_problem is not None for r in results),
                 "wrong_exit_codes": sum(r.code_expected not in (None, r.code) for r in results),
                 "inputs_replaced": sorted({*checks.changed(inputs, checks.snapshot(work)),
                                            *(name for r in results for name in r.inputs_changed or ())}),
                 "left_when_refused": sum(bool(r.left_when_refused) for r in results),
                 "unanswered_mcp_requests": sum(len(r.unanswered or ()) for r in results),
                 "outside_writes": outside_writes(work, before), **output_problems(work),
                 "outside_reads": outside_reads(work), "seconds": round(time.perf_counter() - started, 1)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    counts = Counter(r.outcome for r in results)
    report = {"machine": {**machine(), "load_average": os.getloadavg(), "jobs": args.jobs}, "source": source(),
              "cases": len(results), "counts": {name: counts[name] for name in OUTCOMES},
              "not_as_expected": sum(not r.as_expected for r in results), **extra,
              "by_group": {g: dict(Counter(r.outcome for r in results if r.group == g))
                           for g in sorted({r.group for r in results})},
              "results": [asdict(r) for r in results]}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json_text(report, indent=1) + "\n", encoding="utf-8")  # hostile names escaped
    Console().print(summary_table(results, extra))
    for r in results:
        if r.outcome not in CLEAN or not r.as_expected:
            Console().print(f"- {r.outcome} ({r.group}) {r.name}: {r.stderr_tail.splitlines()[-1] if r.stderr_tail else ''}",
                            highlight=False, soft_wrap=True)
    broken = (counts["traceback"], counts["hang"], extra["forged_lines"], len(extra["inputs_replaced"]),
              extra["unanswered_mcp_requests"],
              len(extra["unreadable"]), len(extra["partial"]), len(extra["outside_reads"]))
    return 0 if not any(broken) else 1


if __name__ == "__main__":
    raise SystemExit(main())
