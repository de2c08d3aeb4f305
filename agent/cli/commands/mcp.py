"""`restore-agent mcp`: serve the records, the analyzer and the denoiser to an MCP host over stdio."""
from __future__ import annotations

from pathlib import Path

import typer


def mcp(
    roots: list[Path] = typer.Option(None, "--root", show_default="the current folder",
                                     help="A folder the server may read and write (repeatable)."),
    card: Path = typer.Option(None, "--card", help="A card whose records replace the default ones."),
) -> None:
    """Run an MCP server on stdin/stdout (for Claude Desktop, IDE agents and other MCP hosts)."""
    from agent.mcp import serve

    serve(roots or [Path.cwd()], card)
