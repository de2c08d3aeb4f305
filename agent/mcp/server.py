"""The MCP server: the records, the analyzer and the denoiser as tools and resources for any MCP host.

Built on the official SDK's :class:`~mcp.server.mcpserver.MCPServer`. Tools run their blocking work in a
worker thread (two calls at once both proceed), report a denoise's tiles as progress notifications, and
answer a bad input with a one-line tool error while the server keeps serving. Paths are confined to the
roots (:mod:`agent.mcp.roots`), narrowed to the client's roots when it declares them.
"""
from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable
from importlib.metadata import version
from typing import Annotated, Any, Literal

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context, Image, ListRoots, MCPServer, Resolve
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError, UnexpectedToolError
from mcp.server.mcpserver.resources import TextResource
from mcp.shared.exceptions import MCPError
from mcp.shared.message import ServerMessageMetadata
from mcp_types import INVALID_PARAMS, CallToolResult, ListRootsRequest, ListRootsResult, ToolAnnotations
from mcp_types.version import is_version_at_least
from pydantic import Field, ValidationError

from agent.mcp.replies import (arguments_message, arguments_problems, error_reply, mcp_message,
                               record_links_only, reply, unexpected_message)
from agent.mcp.roots import Roots, folders_of_uris
from agent.mcp.service import Service
from agent.mcp.wire import checked_stdio
from tools.errors import UserError
from tools.restore import Progress

logger = logging.getLogger(__name__)

CARD_URI = "card://current"
RECORD_URI = "record://{record_id}"
INSTRUCTIONS = (
    "Image-restoration evidence grounded in a fixed set of model and paper records. Answer restoration questions "
    "from search_records or ask, and cite only the records' ids and exact links. For a user's photo, call "
    "analyze_image first (every claim about the photo should come from its measurements, with their uncertainty); "
    "denoise_image decides from that analysis whether the photo needs the denoiser and says why (a noise_level "
    "only says how to run it); pass force only when the user insists on denoising anyway. An answer about a photo "
    "opens with the photo: what was measured, what was done or why not, the file written, and the check. Say a "
    "forced run's decision.notice before its result; call an output restored only when its status is "
    "'restored' (a 'check-failed' one is 'denoised (check failed: ...)'). Paths must lie inside the server's roots."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
ROOTS_WAIT = 10  # seconds a client that declares roots has to list them
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)

PhotoPath = Annotated[str, Field(description="Path of a photo file (PNG, JPEG, TIFF, BMP, WebP or GIF) inside the "
                                             "server's roots; a relative path is taken from the first root.")]


async def client_roots(ctx: Context) -> ListRoots | ListRootsResult | UserError | None:
    """The client's roots when it declares that it has some; a client that lists none within
    :data:`ROOTS_WAIT` seconds, or answers with an error or a malformed list, makes the call a one-line error."""
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.roots is None:
        return None
    if ctx.protocol_version is None or is_version_at_least(ctx.protocol_version, "2026-07-28"):
        return ListRoots()  # asked within the call's own rounds: the client answers with its retry
    try:
        with anyio.fail_after(ROOTS_WAIT):
            return await ctx.session.send_request(ListRootsRequest(), ListRootsResult,
                                                  metadata=ServerMessageMetadata(related_request_id=ctx.request_id))
    except TimeoutError:
        return UserError(f"the client declares roots but did not list them within {ROOTS_WAIT} s")
    except MCPError as exc:
        return UserError(f"the client could not list its roots: {exc.message}")
    except ValidationError as exc:
        return UserError(f"the client's list of roots is not valid: {arguments_problems(exc)}")


ClientRoots = Annotated[ListRootsResult | UserError | None, Resolve(client_roots)]


def progress_reporter(ctx: Context) -> Progress:
    """``progress(done, total)`` for a worker thread, sent to the client as MCP progress notifications."""
    last = -1

    def report(done: int, total: int) -> None:
        nonlocal last
        if done > last:  # progress must increase from one notification to the next
            last = done
            anyio.from_thread.run(ctx.report_progress, done, total, f"denoising: {done} of {total} tiles")

    return report


class Tools:
    """The tools of one server: the service does the work, the roots confine every path."""

    def __init__(self, service: Service, roots: Roots) -> None:
        self.service, self.roots = service, roots

    def roots_for(self, listed: ListRootsResult | UserError | None) -> Roots:
        """The server's roots, narrowed to the client's when it listed any."""
        if listed is None:
            return self.roots
        if isinstance(listed, UserError):
            raise listed
        return self.roots.narrowed(folders_of_uris(str(root.uri) for root in listed.roots))

    async def run(self, work: Callable[[], CallToolResult]) -> CallToolResult:
        """``work`` in a worker thread; an error becomes a one-line tool error, never a crashed server."""
        try:
            return await anyio.to_thread.run_sync(work)
        except UserError as exc:
            return error_reply(mcp_message(exc), self.service.records)
        except Exception as exc:  # a failure inside the pipeline must not end the session
            logger.exception("tool call failed")
            return error_reply(unexpected_message(exc), self.service.records)

    def json_reply(self, payload: dict) -> CallToolResult:
        return reply(payload, self.service.records)

    async def search_records(
        self, query: Annotated[str, Field(description="What to look for, e.g. the user's question or a "
                                                      "degradation such as 'rain streaks' or 'sigma 25 noise'.")],
    ) -> CallToolResult:
        """Search the loaded model and paper records, the only sources answers may cite. Returns the matching
        records best first, each with its id, title, exact paper and code links, whether it runs here, and its
        best fact-level passages; `covered` is false when no record covers the query."""
        return await self.run(lambda: self.json_reply(self.service.search(query)))

    async def ask(
        self,
        question: Annotated[str | None, Field(description="The question; omit it for the card's own question.")]
        = None,
        images: Annotated[list[str] | None, Field(description="Photos the question is about (paths inside the "
                                                              "roots); they are analyzed, and denoised when the "
                                                              "question asks to clean them.")] = None,
        listed: ClientRoots = None,
    ) -> CallToolResult:
        """The full grounded answer of restore-agent's offline backend, as `restore-agent ask --json` prints it:
        `answer` (Markdown with three sections: the task, an input -> model -> output workflow, the papers and
        tools), `citations`, `references` with the exact links, `refused` when the records do not cover the
        question, `grounding` and the `tool_calls` trace. Use it as evidence to quote; its links are the only
        ones allowed. Photos it restores are written to a new folder under the first root."""
        return await self.run(
            lambda: self.json_reply(self.service.answer(question, images or [], self.roots_for(listed))))

    async def analyze_image(self, path: PhotoPath, listed: ClientRoots = None) -> CallToolResult:
        """Measure what is wrong with a photo: noise sigma (0-255 scale) with whether it is Gaussian-like and
        the suggested SwinIR noise level, blur, JPEG quality, exposure, haze, color cast, resolution and a PIQE
        quality score, each with its severity and confidence; the findings and the loaded records that fit them
        (`recommendations`)."""
        return await self.run(lambda: self.json_reply(self.service.analyze(path, self.roots_for(listed))))

    async def denoise_image(
        self,
        ctx: Context,
        path: PhotoPath,
        output: Annotated[str | None, Field(description="Where to write the result inside the roots; the format "
                                                        "follows the extension (default: <name>.denoised.png "
                                                        "beside the photo).")] = None,
        noise_level: Annotated[Literal[15, 25, 50] | None, Field(
            description="SwinIR checkpoint noise level, if the denoiser runs (default: the level the photo's "
                        "analysis suggests). It says how to run, never whether.")] = None,
        reference: Annotated[str | None, Field(description="A clean version of the photo inside the roots: adds "
                                                           "PSNR and SSIM of the result against it.")] = None,
        overwrite: Annotated[bool, Field(description="Replace the output file when it exists. The photo itself "
                                                     "is never overwritten.")] = False,
        force: Annotated[bool, Field(description="Run even where the analysis finds no noise the weights fit (no "
                                                 "visible noise, or grain). Only when the user explicitly asks to "
                                                 "denoise anyway.")] = False,
        listed: ClientRoots = None,
    ) -> CallToolResult:
        """Denoise a photo with the SwinIR model that runs here, through the pipeline analyze -> decide ->
        denoise -> check. The analysis decides: on no visible noise, or grain, the denoiser does not run unless
        `force` is passed, nothing is written, and `summary` and `decision.reason` say why. Otherwise returns
        `status` (restored: the check passed; check-failed; denoised: not checked), `caption`, `summary` (a
        forced run's `decision.notice` first), `warnings`, the output path, the model and checkpoint level that
        ran, the time, PSNR/SSIM against a reference, the noise and PIQE before and after, the check of what the
        run removed, and a small PNG preview of the result. Progress notifications report the tiles as they
        finish."""
        report = progress_reporter(ctx)

        def work() -> CallToolResult:
            done = self.service.denoise(path, self.roots_for(listed), output, noise_level, reference, overwrite,
                                        force, report)
            preview = [Image(data=done.preview, format="png").to_image_content()] if done.preview else []
            return reply(done.payload, self.service.records, preview)

        return await self.run(work)

    async def describe_workflow(
        self, record_ids: Annotated[list[str] | None, Field(description="Record ids to describe (omit for all).")]
        = None,
    ) -> CallToolResult:
        """Describe records for a restoration workflow: what degradations each handles, its technique, what it
        is best for, whether it runs here, and its exact links."""
        return await self.run(lambda: self.json_reply(self.service.workflow(record_ids or [])))

    async def list_records(self) -> CallToolResult:
        """List the loaded records with all their fields (id, title, kind, exact paper and code links, summary,
        key facts, technique, handles, best_for, runnable), plus the card's own question."""
        return await self.run(lambda: self.json_reply(self.service.card_payload()))


class RestoreServer(MCPServer):
    """The SDK's server, with arguments that miss a tool's schema answered in one line, like any tool error, and
    every line on stdin checked first (:mod:`agent.mcp.wire`), so each request gets an answer."""

    def __init__(self, service: Service) -> None:
        super().__init__("restore-agent", title="restore-agent", instructions=INSTRUCTIONS,
                         version=version("restore-agent"), log_level="WARNING")
        self.service = service

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context | None = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc, UnexpectedToolError):
                raise
            cause = exc.__cause__
            message = arguments_message(name, cause) if isinstance(cause, ValidationError) else str(exc)
            return error_reply(message, self.service.records)

    async def get_prompt(self, name: str, arguments: dict[str, Any] | None = None,
                         context: Context | None = None) -> Any:
        raise MCPError(INVALID_PARAMS, f"Unknown prompt: {name} (this server has no prompts)")

    async def run_stdio_async(self) -> None:
        async with checked_stdio() as (read_stream, write_stream):
            await self._lowlevel_server.run(read_stream, write_stream,
                                            self._lowlevel_server.create_initialization_options())


def build_server(service: Service, roots: Roots) -> MCPServer:
    """An MCP server over ``service`` whose paths stay inside ``roots``."""
    server = RestoreServer(service)
    tools = Tools(service, roots)
    for name, hints in (("search_records", READ_ONLY), ("ask", WRITES), ("analyze_image", READ_ONLY),
                        ("denoise_image", WRITES), ("describe_workflow", READ_ONLY), ("list_records", READ_ONLY)):
        method = getattr(tools, name)
        server.add_tool(method, name=name, description=inspect.getdoc(method), annotations=hints)
    add_resources(server, service)
    return server


def add_resources(server: MCPServer, service: Service) -> None:
    """The card and each record as JSON resources, plus the ``record://{record_id}`` template."""
    def as_json(payload: dict) -> str:
        return json.dumps(record_links_only(payload, service.records), ensure_ascii=False, indent=1)

    server.add_resource(TextResource(uri=CARD_URI, name="card", title=f"The loaded card ({service.card.source})",
                                     description="The card's question and all its records.",
                                     mime_type="application/json", text=as_json(service.card_payload())))
    for record in service.records:
        server.add_resource(TextResource(uri=RECORD_URI.format(record_id=record.id), name=record.id,
                                         title=record.title, description=record.summary,
                                         mime_type="application/json", text=as_json(record.to_dict())))

    @server.resource(RECORD_URI, name="record", title="A record by id", mime_type="application/json",
                     description="One model or paper record with all its fields and exact links.")
    def record(record_id: str) -> str:
        try:
            return as_json(service.record_payload(record_id))
        except UserError as exc:
            raise ResourceNotFoundError(str(exc)) from None
