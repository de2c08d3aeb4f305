"""`restore-agent mcp`: the records, the analyzer and the denoiser served to MCP hosts over stdio.

A surface like the command line: it calls :mod:`agent.core` and :mod:`tools`, never the other way round.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path


def serve(roots: Sequence[Path], card: Path | None = None) -> None:
    """Serve over stdin/stdout until the client closes the connection. Stdout carries the protocol only;
    warnings and errors go to stderr, which hosts keep as the server's log."""
    from agent.mcp.roots import Roots
    from agent.mcp.server import build_server
    from agent.mcp.service import Service
    from agent.mcp.wire import check_stdio

    check_stdio()
    server = build_server(Service(card), Roots.of(roots))
    for handler in logging.getLogger().handlers:  # libraries that log their own debug lines stay quiet
        handler.setLevel(logging.WARNING)
    server.run("stdio")
