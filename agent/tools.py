"""The agent's tools as LangChain tools with typed argument schemas, over a :class:`Workspace`.

Each tool returns compact JSON text. A tool that fails returns ``error: <one line>`` to the model (through
:func:`tool_error_message` in the tool-error middleware) instead of ending the run.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from agent.workspace import Workspace
from tools.errors import UserError

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool


class SearchArgs(BaseModel):
    query: str = Field(description="What to look for in the loaded records, e.g. the user's question.")


class AnalyzeArgs(BaseModel):
    path: str = Field(description="Path of a photo the user attached or named.")


class DenoiseArgs(BaseModel):
    path: str = Field(description="Path of the photo to denoise.")
    output: str | None = Field(None, description="Where to write the result (default: <name>.denoised.png).")
    noise_level: Literal[15, 25, 50] | None = Field(
        None, description="SwinIR checkpoint noise level (default: the level the photo's analysis suggests).")


class WorkflowArgs(BaseModel):
    record_ids: list[str] = Field(default_factory=list, description="Record ids to describe (empty: all records).")


TOOL_SPECS: tuple[tuple[str, type[BaseModel], str], ...] = (
    ("search_records", SearchArgs,
     "Search the loaded records (the only allowed sources). Returns ids, titles, exact links and matching passages."),
    ("analyze_image", AnalyzeArgs,
     "Measure what is wrong with a photo: noise level (sigma, 0-255), blur, JPEG, exposure, haze; "
     "findings and the records that fit, with the suggested SwinIR noise level."),
    ("denoise_image", DenoiseArgs,
     "Denoise a photo with the SwinIR model that runs here; returns the output path, model, time and size."),
    ("describe_workflow", WorkflowArgs,
     "Describe records for the workflow: what each handles, its technique, whether it runs here, its links."),
)
TOOL_NAMES = tuple(name for name, _, _ in TOOL_SPECS)


def _as_json(function: Callable[..., dict]) -> Callable[..., str]:
    def run(**kwargs: object) -> str:
        return json.dumps(function(**kwargs), ensure_ascii=False, separators=(",", ":"))

    return run


def build_tools(workspace: Workspace) -> list[BaseTool]:
    """The four tools, bound to ``workspace``."""
    from langchain_core.tools import StructuredTool

    return [
        StructuredTool.from_function(func=_as_json(getattr(workspace, name)), name=name, description=description,
                                     args_schema=schema)
        for name, schema, description in TOOL_SPECS
    ]


def tool_error_message(exc: Exception, request: object = None) -> str:
    """The one line a failed tool call returns to the model."""
    if isinstance(exc, UserError):
        return f"error: {exc}"
    detail = " ".join(str(exc).split())[:300]
    return f"error: {type(exc).__name__}: {detail}" if detail else f"error: {type(exc).__name__}"
