"""Command-line options shared by the commands: which backend answers and how to reach it, bounded numbers
(a usage error names the flag and its range), and help that shows flags as flags."""
from __future__ import annotations

import functools
import inspect
import math
import re
from enum import Enum
from pathlib import Path
from typing import Any, Callable

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from agent.core.backends import DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S, MIN_TIMEOUT_S, LLMSettings

MAX_INT = 2**31 - 1  # no count, size or seed on the command line needs more


class _FlagsShownAsFlags:
    """Help that shows no value type (``<bool>``) after a flag, which takes no value, and ``<path>...`` rather
    than ``<list[Path]>`` for a repeatable option."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if not isinstance(param, TyperOption) or param.metavar is not None:
                continue
            if param.is_flag:
                param.metavar = ""
            elif listed := re.fullmatch(r"<list\[(\w+)\]>", param.display_type(ctx)):
                param.metavar = f"<{listed.group(1).lower()}>..."  # a repeatable option: one value each time
        return params


class HelpCommand(_FlagsShownAsFlags, TyperCommand):
    """Every command's class (registered in :mod:`agent.cli`)."""


class HelpGroup(_FlagsShownAsFlags, TyperGroup):
    """The class of ``restore-agent`` and ``restore-agent weights``."""


def finite(value: float | None) -> float | None:
    """Option callback: NaN and infinity are no number of seconds, pixels or sigma."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


def bounded_int(default: Any, *names: str, low: int = 0, high: int = MAX_INT, **kwargs: Any) -> Any:
    """An integer option that takes only ``low``..``high`` (a usage error names the flag and the range)."""
    return typer.Option(default, *names, min=low, max=high, **kwargs)


def renamed(old: str, new: str, why: str) -> Any:
    """A hidden option ``old`` kept only to say that it is ``new`` now (a usage error when given)."""
    def refuse(value: str | None) -> None:
        if value is not None:
            raise typer.BadParameter(f"{old} is now {new} ({why})")

    return typer.Option(None, old, hidden=True, callback=refuse)


class Device(str, Enum):
    """Where the network runs (``tools.swinir.device.DEVICES``)."""

    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"
    mps = "mps"


DEVICE = typer.Option(Device.auto, "--device", help="Where the network runs: auto (a CUDA GPU, else Apple MPS, else "
                      "the CPU), cpu, cuda or mps. A GPU named here and absent is an error, never a fallback.")
CARD = typer.Option(None, "--card", help="A card (text, YAML or JSON records) that replaces the default records.")
OUTPUT_DIR = typer.Option(None, "--output-dir", show_default="beside each photo",
                          help="Folder for denoised photos.")

_LLM_OPTIONS: tuple[tuple[str, type, typer.models.OptionInfo], ...] = (
    ("llm", str, typer.Option(None, "--llm", show_default="offline", help="Backend: offline or openai (any "
                              "OpenAI-compatible server); env RESTORE_AGENT_LLM.")),
    ("model", str, typer.Option(None, "--model", help="LLM model name (env RESTORE_AGENT_MODEL; setting it "
                                "selects openai).")),
    ("base_url", str, typer.Option(None, "--base-url", help="OpenAI-compatible server URL, e.g. "
                                   "http://localhost:11434/v1 (env OPENAI_BASE_URL). The key comes from "
                                   "OPENAI_API_KEY.")),
    ("timeout", float, typer.Option(DEFAULT_TIMEOUT_S, "--timeout", min=MIN_TIMEOUT_S, max=MAX_TIMEOUT_S,
                                    callback=finite, help="Seconds the LLM may take for the whole turn: all its "
                                    "requests and streamed replies together (tool runs are not counted).")),
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
    return LLMSettings.resolve(llm, model, base_url, timeout, fallback=not no_fallback, stream=not no_stream)


def check_output_dir(output_dir: Path | None) -> Path | None:
    """The output folder, which must exist."""
    from tools.errors import UserError

    if output_dir is not None and not output_dir.is_dir():
        raise UserError(f"--output-dir is not a folder: {output_dir}")
    return output_dir
