"""The MCP server in-process, driven by the SDK's own client: tools, resources, confinement, links, progress."""
from __future__ import annotations

import io
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import numpy as np
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import ListRootsResult, Root
from PIL import Image

from agent.core.backends import LLMSettings
from agent.core.grounding import allowed_links
from agent.core.loop import ask
from agent.mcp.roots import Roots
from agent.mcp.server import build_server
from agent.mcp.service import Service, preview_png
from tests.agent_fixtures import sha, weights_env  # noqa: F401 (fixture)
from tests.cli_run import run_cli
from tests.mcp_fixtures import (FOREIGN, INJECTION, URL, ProgressLog, escapes, payload, preview_of, psnr,  # noqa: F401
                                text, tree)
from tests.trivial_denoisers import BASELINES, assert_beats_trivial, assert_gate_refuses, pixels
from tools.cards import load_card
from tools.swinir.weights import embedded_default

TOOLS = {"search_records", "ask", "analyze_image", "denoise_image", "describe_workflow", "list_records"}
RECORDS = load_card().records
LINKS = allowed_links(RECORDS)
NOISE_SIGMA = 15  # the noise mcp_fixtures.make_tree added to noisy.png
MCP_MARGIN_DB = 2.0  # over the best trivial denoiser (NLM): the shipped weights lead it by 2.39 dB on noisy.png


@pytest.fixture(scope="module", autouse=True)
def weights_home(weights_env: dict) -> None:  # noqa: F811
    """This machine's installed weights stay out of the way: the shipped ones run."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RESTORE_AGENT_HOME", weights_env["RESTORE_AGENT_HOME"])
        yield


def session(tree: dict[str, Path], use: Callable[[Client], Awaitable[object]], **client: object) -> object:
    """Run ``use(client)`` against a fresh server whose root is the tree's root."""
    server = build_server(Service(), Roots.of([tree["root"]]))

    async def main() -> object:
        async with Client(server, **client) as connected:
            with anyio.fail_after(120):
                return await use(connected)

    return anyio.run(main)


def call(tree: dict[str, Path], name: str, arguments: dict, **client: object):
    return session(tree, lambda c: c.call_tool(name, arguments), **client)


def two_decimal_floats(value: object, key: str = "") -> list[str]:
    """Where a dB, sigma or seconds figure in a reply has more than two decimals (none, when rounded)."""
    if isinstance(value, dict):
        return [where for name, item in value.items() for where in two_decimal_floats(item, str(name))]
    if isinstance(value, list):
        return [where for item in value for where in two_decimal_floats(item, key)]
    rounded = not isinstance(value, float) or abs(value * 100 - round(value * 100)) < 1e-6
    return [] if rounded or not any(part in key for part in ("psnr", "sigma", "seconds")) else [f"{key}={value}"]


def test_lists_six_typed_tools_the_card_and_every_record(tree: dict[str, Path]) -> None:
    async def listing(client: Client) -> tuple:
        tools = (await client.list_tools()).tools
        resources = (await client.list_resources()).resources
        templates = (await client.list_resource_templates()).resource_templates
        hair = (await client.read_resource("record://hair")).contents[0]
        card = (await client.read_resource("card://current")).contents[0]
        with pytest.raises(MCPError, match="unknown record id 'nope'"):
            await client.read_resource("record://nope")
        return tools, resources, templates, hair, card

    tools, resources, templates, hair, card = session(tree, listing)
    assert {tool.name for tool in tools} == TOOLS
    assert all(len(tool.description) > 80 for tool in tools)
    schema = {tool.name: tool.input_schema for tool in tools}
    assert schema["analyze_image"]["required"] == ["path"] and schema["search_records"]["required"] == ["query"]
    level = schema["denoise_image"]["properties"]["noise_level"]["anyOf"][0]
    assert level["enum"] == [15, 25, 50]
    assert schema["denoise_image"]["properties"]["overwrite"]["default"] is False
    assert {str(r.uri) for r in resources} == {"card://current"} | {f"record://{r.id}" for r in RECORDS}
    assert [t.uri_template for t in templates] == ["record://{record_id}"]
    by_id = {record.id: record for record in RECORDS}
    assert json.loads(hair.text) == by_id["hair"].to_dict() and hair.mime_type == "application/json"
    assert [r["id"] for r in json.loads(card.text)["records"]] == list(by_id)


def test_search_records_gives_passages_with_each_records_exact_links(tree: dict[str, Path]) -> None:
    found = payload(call(tree, "search_records", {"query": "remove rain streaks and haze from a photo"}))
    assert found["covered"] and found["records"]
    by_id = {record.id: record for record in RECORDS}
    for hit in found["records"]:
        record = by_id[hit["id"]]
        assert (hit["paper"], hit["code"]) == (record.paper, record.code)
        assert hit["passages"]
    assert found["records"][0]["id"] in {"hair", "dual-transformers-frequency"}


def test_injected_links_never_come_back_from_any_tool(tree: dict[str, Path]) -> None:
    async def injected(client: Client) -> list:
        return [await client.call_tool("search_records", {"query": INJECTION}),
                await client.call_tool("ask", {"question": INJECTION}),
                await client.call_tool("describe_workflow", {"record_ids": [FOREIGN]}),
                await client.call_tool("analyze_image", {"path": f"{FOREIGN}.png"}),
                await client.call_tool("ask", {"question": INJECTION, "images": [f"{FOREIGN}.png"]})]

    results = session(tree, injected)
    for result in results:
        words = text(result) + json.dumps(result.structured_content)
        assert set(URL.findall(words)) <= LINKS, set(URL.findall(words)) - LINKS
        assert not any(host in words for host in ("evil.example", "phish.example", "bad.example"))
    assert [result.is_error for result in results] == [False, False, True, True, True]
    answer = payload(results[1])
    assert answer["references"] and all(ref["paper"] in LINKS for ref in answer["references"])


def test_ask_returns_the_same_answer_as_ask_json(tree: dict[str, Path]) -> None:
    answer = payload(call(tree, "ask", {}))
    expected = ask(None, settings=LLMSettings()).response
    assert answer["answer"] == expected["answer"] and answer["citations"] == expected["citations"]
    assert answer.keys() == expected.keys() and answer["backend"] == "offline"


def test_ask_about_a_photo_restores_it_into_a_new_folder_under_the_root(tree: dict[str, Path]) -> None:
    before = sha(tree["root"] / "noisy.png")
    answer = payload(call(tree, "ask", {"question": "Please clean up the noise in this photo",
                                        "images": ["noisy.png"]}))
    ran = [c["name"] for c in answer["tool_calls"] if c["ok"]]
    assert ran == ["search_records", "analyze_image", "denoise_image"], answer["tool_calls"]
    written = list(tree["root"].glob("restore-agent-answer-*/noisy.denoised.png"))
    assert len(written) == 1 and f"written to `{written[0]}`" in answer["sections"]["task"].split("\n\n")[0]
    assert answer["photos"][0]["output"] == str(written[0]) and not two_decimal_floats(answer)
    assert sha(tree["root"] / "noisy.png") == before


def test_analyze_image_measures_the_photo_and_recommends_records(tree: dict[str, Path]) -> None:
    measured = payload(call(tree, "analyze_image", {"path": "sub/grainy.png"}))
    assert measured["path"] == str(tree["root"] / "sub" / "grainy.png")
    assert 18 < measured["noise_sigma"] < 32 and measured["suggested_noise_level"] == 25
    assert set(measured["measurements"]) == {"noise", "blur", "jpeg", "exposure", "haze", "color", "resolution",
                                             "quality"}
    assert any("noise" in f["degradation"] and "sigma" in f["evidence"] for f in measured["findings"])
    assert "denoise-swinir-noise15" in [r["record"] for r in measured["recommendations"]]


def sent_photos(tree: dict[str, Path]) -> tuple[np.ndarray, np.ndarray]:
    """(clean, noisy): the reference and the noisy file the denoise test sends."""
    return pixels(tree["root"] / "clean.png"), pixels(tree["root"] / "noisy.png")


def test_denoise_image_writes_the_output_reports_progress_and_returns_a_preview(tree: dict[str, Path]) -> None:
    on_progress = ProgressLog()

    async def denoise_twice(client: Client) -> tuple:
        arguments = {"path": "noisy.png", "output": "sub/restored.png", "reference": "clean.png"}
        first = await client.call_tool("denoise_image", arguments, progress_callback=on_progress)
        again = await client.call_tool("denoise_image", arguments)
        replaced = await client.call_tool("denoise_image", {**arguments, "overwrite": True})
        return first, again, replaced

    before = sha(tree["root"] / "noisy.png")
    first, again, replaced = session(tree, denoise_twice)
    run, output = payload(first), tree["root"] / "sub" / "restored.png"
    assert run["output"] == str(output) and run["model"] == embedded_default().id and run["noise_level"] == 15
    assert run["decision"]["denoise"] and run["decision"]["reason"] and run["decision"]["notice"] is None
    assert run["status"] == ("restored" if run["check"]["ok"] else "check-failed")
    assert run["summary"] == f"{run['caption']}: {output}" and run["caption"].startswith(("restored", "denoised"))
    assert not two_decimal_floats(run) and isinstance(run["psnr"], float) and isinstance(run["seconds"], float)
    assert run["psnr"] == pytest.approx(psnr(output, tree["root"] / "clean.png"), abs=0.01)
    assert_beats_trivial(*sent_photos(tree), pixels(output), NOISE_SIGMA, MCP_MARGIN_DB)
    assert run["after"]["noise_sigma"] < 5
    assert preview_of(first).size == (96, 96)
    assert on_progress.seen and on_progress.seen[-1] == (run["tiles"], run["tiles"])
    assert [done for done, _ in on_progress.seen] == sorted({done for done, _ in on_progress.seen})
    assert again.is_error
    assert text(again) == "error: output exists: sub/restored.png (pass overwrite: true to replace it)"
    assert payload(replaced)["output"] == str(output)
    assert sha(tree["root"] / "noisy.png") == before


@pytest.mark.parametrize("baseline", BASELINES)
def test_denoise_gate_refuses_each_trivial_denoiser(tree: dict[str, Path], baseline: str) -> None:
    assert_gate_refuses(baseline, *sent_photos(tree), NOISE_SIGMA, MCP_MARGIN_DB)


def test_the_preview_is_a_small_png_of_the_whole_photo(tmp_path: Path, sample_photo: np.ndarray) -> None:
    Image.fromarray(sample_photo[:300]).save(tmp_path / "wide.png")  # 512 x 300
    preview = Image.open(io.BytesIO(preview_png(tmp_path / "wide.png")))
    assert preview.format == "PNG" and preview.size == (256, 150)


def test_a_photo_the_pipeline_leaves_alone_gets_no_file_unless_forced(tree: dict[str, Path]) -> None:
    async def plain_then_forced(client: Client) -> tuple:  # a level alone says how to run, never whether
        return (await client.call_tool("denoise_image", {"path": "clean.png", "noise_level": 15}),
                await client.call_tool("denoise_image", {"path": "clean.png", "output": "sub/forced.png",
                                                         "force": True}))

    skipped, forced = session(tree, plain_then_forced)
    left = payload(skipped)
    decision = left["decision"]
    assert decision["denoise"] is False and "noise" in decision["reason"] and left["status"] == "not-run"
    assert left["summary"] == f"not denoised: clean.png has {decision['reason']}; pass force: true to run the " \
        "denoiser anyway"
    assert [block.type for block in skipped.content] == ["text"] and not (tree["root"] / "clean.denoised.png").exists()
    ran = payload(forced)
    assert ran["decision"]["denoise"] and ran["output"] == str(tree["root"] / "sub" / "forced.png")
    notice = ran["decision"]["notice"]
    assert ran["decision"]["forced"] and notice.endswith("running anyway because you asked")
    assert ran["summary"].startswith(notice) and ran["warnings"][0] == notice and not two_decimal_floats(ran)
    assert ran["status"] in ("restored", "check-failed")
    assert preview_of(forced).size == (96, 96)


def test_describe_workflow_and_list_records_use_the_card(tree: dict[str, Path]) -> None:
    described = payload(call(tree, "describe_workflow", {"record_ids": ["hair"]}))["records"]
    assert [(r["id"], r["paper"]) for r in described] == [("hair", next(x.paper for x in RECORDS if x.id == "hair"))]
    listed = payload(call(tree, "list_records", {}))
    assert [r["id"] for r in listed["records"]] == [r.id for r in RECORDS] and listed["question"]
    unknown = call(tree, "describe_workflow", {"record_ids": ["nope"]})
    assert unknown.is_error and text(unknown).startswith("error: unknown record id 'nope'")


def test_every_way_out_of_the_root_is_refused_and_nothing_is_written_outside(tree: dict[str, Path]) -> None:
    async def try_all(client: Client) -> list:
        return [await client.call_tool(name, arguments) for name, arguments in escapes(tree)]

    for (name, arguments), result in zip(escapes(tree), session(tree, try_all)):
        assert result.is_error, (name, arguments, text(result))
        assert text(result).startswith(f"error: path is outside the allowed roots ({tree['root']})"), text(result)
    assert sorted(p.name for p in tree["outside"].iterdir()) == ["private.png"]


def test_the_photo_itself_is_never_overwritten(tree: dict[str, Path]) -> None:
    result = call(tree, "denoise_image", {"path": "noisy.png", "output": "noisy.png", "overwrite": True})
    assert result.is_error and text(result) == \
        "error: output path is the input file: noisy.png (inputs are never overwritten)"


def test_a_bad_image_is_the_command_lines_one_line_error_and_the_server_keeps_serving(
        tree: dict[str, Path]) -> None:
    broken = tree["root"] / "broken.png"

    async def bad_then_good(client: Client) -> tuple:
        return (await client.call_tool("analyze_image", {"path": str(broken)}),
                await client.call_tool("denoise_image", {"path": "broken.png", "output": "sub/x.png"}),
                await client.call_tool("list_records", {}))

    analyzed, denoised, listed = session(tree, bad_then_good)
    cli = run_cli("analyze", str(broken))
    assert cli.code == 2 and text(analyzed) == cli.err.strip() == f"error: not an image (unrecognised format): {broken}"
    assert denoised.is_error and "not an image" in text(denoised) and not (tree["root"] / "sub" / "x.png").exists()
    assert len(payload(listed)["records"]) == len(RECORDS)


def test_arguments_that_miss_the_schema_are_one_line_errors(tree: dict[str, Path]) -> None:
    async def wrong(client: Client) -> list:
        return [await client.call_tool("denoise_image", {"path": "noisy.png", "noise_level": 30}),
                await client.call_tool("analyze_image", {}),
                await client.call_tool("no_such_tool", {})]

    level, missing, unknown = session(tree, wrong)
    assert text(level) == "error: invalid arguments for denoise_image: noise_level: Input should be 15, 25 or 50"
    assert text(missing) == "error: invalid arguments for analyze_image: path: Field required"
    assert unknown.is_error and text(unknown) == "error: Unknown tool: no_such_tool"


def test_a_second_call_completes_while_a_denoise_is_in_flight(tree: dict[str, Path]) -> None:
    """The denoise is held at its first progress report until a second call has finished: a server that ran
    calls one at a time would never finish either. (In process, the client's progress callback runs inside the
    server's report, so holding it holds the denoise.)"""
    second_done = anyio.Event()
    order: list[str] = []

    async def hold(done: float, total: float | None, message: str | None) -> None:
        await second_done.wait()

    async def two_at_once(client: Client) -> dict:
        results: dict = {}

        async def denoise() -> None:
            results["denoise"] = await client.call_tool("denoise_image", {"path": "sub/grainy.png",
                                                                          "output": "sub/held.png"},
                                                        progress_callback=hold)
            order.append("denoise")

        async def analyze() -> None:
            results["analyze"] = await client.call_tool("analyze_image", {"path": "noisy.png"})
            order.append("analyze")
            second_done.set()

        async with anyio.create_task_group() as group:
            group.start_soon(denoise)
            group.start_soon(analyze)
        return results

    results = session(tree, two_at_once)
    assert order == ["analyze", "denoise"]
    assert payload(results["denoise"])["output"] == str(tree["root"] / "sub" / "held.png")
    assert payload(results["analyze"])["suggested_noise_level"] == 15


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_the_clients_roots_narrow_what_the_server_may_touch(tree: dict[str, Path], mode: str) -> None:
    async def only_sub(context: object) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=(tree["root"] / "sub").as_uri())])

    async def inside_and_out(client: Client) -> tuple:
        return (await client.call_tool("analyze_image", {"path": "noisy.png"}),
                await client.call_tool("analyze_image", {"path": "sub/grainy.png"}))

    outside_sub, inside_sub = session(tree, inside_and_out, list_roots_callback=only_sub, mode=mode)
    assert text(outside_sub) == f"error: path is outside the allowed roots ({tree['root'] / 'sub'}): noisy.png"
    assert payload(inside_sub)["suggested_noise_level"] == 25
