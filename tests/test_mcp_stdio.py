"""`restore-agent mcp` as a host runs it: the installed console script over stdio, driven by the SDK's client."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters, stdio_client

from agent.core.grounding import allowed_links
from tests.agent_fixtures import sha, weights_env  # noqa: F401 (fixture)
from tests.mcp_fixtures import (INJECTION, URL, ProgressLog, escapes, payload, preview_of, text,  # noqa: F401
                                tree)
from tools.cards import load_card

SCRIPT = Path(sys.executable).with_name("restore-agent")
RECORDS = load_card().records


@pytest.fixture(scope="module")
def script() -> Path:
    if not SCRIPT.is_file():
        pytest.skip(f"the console script is not installed beside {sys.executable} (pip install -e .)")
    return SCRIPT


def over_stdio(script: Path, tree: dict[str, Path], env: dict, log: Path, use, **client: object) -> object:
    """Run ``use(client)`` against ``restore-agent mcp --root ROOT`` started by the SDK's stdio client; lines on
    the server's stdout that are not protocol fail the test."""
    params = StdioServerParameters(command=str(script), args=["mcp", "--root", str(tree["root"])],
                                   env={"RESTORE_AGENT_HOME": env["RESTORE_AGENT_HOME"]}, cwd=log.parent)
    stray: list[Exception] = []

    async def on_message(message: object) -> None:
        if isinstance(message, Exception):
            stray.append(message)

    async def main() -> object:
        with log.open("w") as errlog:
            async with Client(stdio_client(params, errlog=errlog), message_handler=on_message, **client) as session:
                with anyio.fail_after(240):
                    return await use(session)

    result = anyio.run(main)
    assert not stray, stray
    return result


def test_a_stdio_session_lists_calls_every_tool_refuses_escapes_and_survives_bad_input(
        script: Path, tree: dict[str, Path], weights_env: dict, tmp_path: Path) -> None:  # noqa: F811
    on_progress = ProgressLog()

    async def use(client: Client) -> dict:
        got = {"tools": (await client.list_tools()).tools, "resources": (await client.list_resources()).resources,
               "record": (await client.read_resource("record://dreamclear")).contents[0].text,
               "bad": await client.call_tool("analyze_image", {"path": "broken.png"})}
        for name, arguments in [("list_records", {}), ("describe_workflow", {}),
                                ("search_records", {"query": INJECTION}), ("ask", {"question": INJECTION}),
                                ("analyze_image", {"path": "noisy.png"})]:
            got[name] = await client.call_tool(name, arguments)
        got["escapes"] = [await client.call_tool(name, arguments) for name, arguments in escapes(tree)]
        got["denoise_image"] = await client.call_tool("denoise_image", {"path": "noisy.png", "output": "stdio.png"},
                                                      progress_callback=on_progress)

        async def at_once(name: str, arguments: dict) -> None:
            got[f"concurrent {name}"] = await client.call_tool(name, arguments)

        async with anyio.create_task_group() as group:
            group.start_soon(at_once, "denoise_image", {"path": "sub/grainy.png", "output": "both.png"})
            group.start_soon(at_once, "analyze_image", {"path": "sub/grainy.png"})
        got["after"] = await client.call_tool("list_records", {})
        return got

    before = sha(tree["root"] / "noisy.png")
    got = over_stdio(script, tree, weights_env, tmp_path / "stderr.txt", use)
    assert {tool.name for tool in got["tools"]} == {"search_records", "ask", "analyze_image", "denoise_image",
                                                    "describe_workflow", "list_records"}
    assert {str(r.uri) for r in got["resources"]} == {"card://current"} | {f"record://{r.id}" for r in RECORDS}
    assert '"id": "dreamclear"' in got["record"]
    bad = tree["root"] / "broken.png"
    assert got["bad"].is_error and text(got["bad"]) == f"error: not an image (unrecognised format): {bad}"
    assert len(payload(got["list_records"])["records"]) == len(payload(got["describe_workflow"])["records"])
    for name in ("search_records", "ask"):
        assert set(URL.findall(text(got[name]))) <= allowed_links(RECORDS) and payload(got[name])
    assert payload(got["analyze_image"])["suggested_noise_level"] == 15
    assert all(r.is_error and "outside the allowed roots" in text(r) for r in got["escapes"])
    denoised = payload(got["denoise_image"])
    assert denoised["output"] == str(tree["root"] / "stdio.png") and (tree["root"] / "stdio.png").is_file()
    assert preview_of(got["denoise_image"]).size == (96, 96)
    assert on_progress.seen and on_progress.last == denoised["tiles"]
    assert payload(got["concurrent analyze_image"])["suggested_noise_level"] == 25
    assert payload(got["concurrent denoise_image"])["model"] == "swinir-half-noise25"  # the weights for the level measured
    assert payload(got["after"])["records"]
    assert sha(tree["root"] / "noisy.png") == before
    assert sorted(p.name for p in tree["outside"].iterdir()) == ["private.png"]
    assert (tmp_path / "stderr.txt").read_text() == ""  # the log stays quiet when nothing goes wrong


def test_a_host_on_the_initialize_handshake_gets_the_same_tools_and_progress(
        script: Path, tree: dict[str, Path], weights_env: dict, tmp_path: Path) -> None:  # noqa: F811
    """Hosts such as Claude Desktop open with ``initialize`` (protocol 2025-11-25 and earlier)."""
    on_progress = ProgressLog()

    async def use(client: Client) -> tuple:
        return (client.protocol_version, (await client.list_tools()).tools,
                await client.call_tool("denoise_image", {"path": "noisy.png", "output": "legacy.png"},
                                       progress_callback=on_progress),
                await client.call_tool("analyze_image", {"path": "../outside/private.png"}))

    version, tools, denoised, escaped = over_stdio(script, tree, weights_env, tmp_path / "stderr.txt", use,
                                                   mode="legacy")
    assert version < "2026" and len(tools) == 6
    assert payload(denoised)["output"] == str(tree["root"] / "legacy.png") and on_progress.last == 1
    assert text(escaped).startswith("error: path is outside the allowed roots")

def test_the_server_writes_nothing_to_stdout_and_bad_roots_are_one_line_errors(
        script: Path, tmp_path: Path) -> None:
    closed = subprocess.run([str(script), "mcp"], cwd=tmp_path, input="", capture_output=True, text=True,
                            timeout=60)
    assert closed.returncode == 0 and closed.stdout == ""
    missing = subprocess.run([str(script), "mcp", "--root", str(tmp_path / "nope")], capture_output=True,
                             text=True, timeout=60)
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.strip() == f"error: root is not a folder: {tmp_path / 'nope'}"
