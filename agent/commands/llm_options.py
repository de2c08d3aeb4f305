"""Command-line options shared by `ask` and `chat`: which backend answers and how to reach it."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from agent.backends import LLMSettings

LLM = typer.Option(None, "--llm", help="Backend: offline (default) or openai (any OpenAI-compatible server); "
                   "env RESTORE_AGENT_LLM.")
MODEL = typer.Option(None, "--model", help="LLM model name (env RESTORE_AGENT_MODEL; setting it selects openai).")
BASE_URL = typer.Option(None, "--base-url", help="OpenAI-compatible server URL, e.g. http://localhost:11434/v1 "
                        "(env OPENAI_BASE_URL). The key comes from OPENAI_API_KEY.")
TIMEOUT = typer.Option(None, "--timeout", help="Seconds each LLM request may take (default 60).")
NO_FALLBACK = typer.Option(False, "--no-fallback", help="When the LLM fails, stop with the error instead of "
                           "answering offline.")
NO_STREAM = typer.Option(False, "--no-stream", help="Ask the LLM server for whole replies instead of streamed "
                         "tokens (for servers that cannot stream tool calls).")
CARD = typer.Option(None, "--card", help="A card (text, YAML or JSON records) that replaces the default records.")
OUTPUT_DIR = typer.Option(None, "--output-dir", help="Folder for denoised photos (default: beside each photo).")


def llm_settings(llm: str | None, model: str | None, base_url: str | None, timeout: float | None,
                 no_fallback: bool, no_stream: bool) -> LLMSettings:
    """Settings from the flags and the environment (bad values: one-line error)."""
    from agent.backends import LLMSettings

    return LLMSettings.resolve(llm, model, base_url, timeout, fallback=not no_fallback, stream=not no_stream)


def check_output_dir(output_dir: Path | None) -> Path | None:
    """The output folder, which must exist."""
    from tools.errors import UserError

    if output_dir is not None and not output_dir.is_dir():
        raise UserError(f"--output-dir is not a folder: {output_dir}")
    return output_dir
