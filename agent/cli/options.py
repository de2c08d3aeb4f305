"""Command-line options shared by `ask`, `chat` and `report`: which backend answers and how to reach it."""
from __future__ import annotations

import functools
import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import typer

if TYPE_CHECKING:
    from agent.core.backends import LLMSettings

CARD = typer.Option(None, "--card", help="A card (text, YAML or JSON records) that replaces the default records.")
OUTPUT_DIR = typer.Option(None, "--output-dir", help="Folder for denoised photos (default: beside each photo).")

_LLM_OPTIONS: tuple[tuple[str, type, typer.models.OptionInfo], ...] = (
    ("llm", str, typer.Option(None, "--llm", help="Backend: offline (default) or openai (any OpenAI-compatible "
                              "server); env RESTORE_AGENT_LLM.")),
    ("model", str, typer.Option(None, "--model", help="LLM model name (env RESTORE_AGENT_MODEL; setting it "
                                "selects openai).")),
    ("base_url", str, typer.Option(None, "--base-url", help="OpenAI-compatible server URL, e.g. "
                                   "http://localhost:11434/v1 (env OPENAI_BASE_URL). The key comes from "
                                   "OPENAI_API_KEY.")),
    ("timeout", float, typer.Option(None, "--timeout", help="Seconds each LLM request may take (default 60).")),
    ("no_fallback", bool, typer.Option(False, "--no-fallback", help="When the LLM fails, stop with the error "
                                       "instead of answering offline.")),
    ("no_stream", bool, typer.Option(False, "--no-stream", help="Ask the LLM server for whole replies instead of "
                                     "streamed tokens (for servers that cannot stream tool calls).")),
)


def with_llm_settings(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` the backend options (--llm, --model, ...); it receives them as one ``settings``."""
    signature = inspect.signature(command)
    kept = [p for name, p in signature.parameters.items() if name != "settings"]
    added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
             for name, kind, option in _LLM_OPTIONS]

    @functools.wraps(command)
    def run(**values: Any) -> None:
        flags = {name: values.pop(name) for name, _, _ in _LLM_OPTIONS}
        command(settings=llm_settings(**flags), **values)

    run.__signature__ = signature.replace(parameters=kept + added)  # type: ignore[attr-defined]
    hints = {name: hint for name, hint in command.__annotations__.items() if name != "settings"}
    run.__annotations__ = {**hints, **{name: kind for name, kind, _ in _LLM_OPTIONS}}
    return run


def llm_settings(llm: str | None = None, model: str | None = None, base_url: str | None = None,
                 timeout: float | None = None, no_fallback: bool = False, no_stream: bool = False) -> LLMSettings:
    """Settings from the flags and the environment (bad values: one-line error)."""
    from agent.core.backends import LLMSettings

    return LLMSettings.resolve(llm, model, base_url, timeout, fallback=not no_fallback, stream=not no_stream)


def check_output_dir(output_dir: Path | None) -> Path | None:
    """The output folder, which must exist."""
    from tools.errors import UserError

    if output_dir is not None and not output_dir.is_dir():
        raise UserError(f"--output-dir is not a folder: {output_dir}")
    return output_dir
