"""How the MCP server words errors and keeps foreign links out of every reply."""
from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from agent.mcp.replies import REMOVED_LINK, arguments_message, error_reply, mcp_message, record_links_only
from tools.cards import load_card
from tools.errors import OutputExists, SettingError, WeightsUnavailable

RECORDS = load_card().records
HAIR = next(record for record in RECORDS if record.id == "hair")


def test_errors_name_the_tool_arguments_not_command_line_flags() -> None:
    assert mcp_message(OutputExists("out/a.png")) == "output exists: out/a.png (pass overwrite: true to replace it)"
    assert mcp_message(SettingError("noise_level", 30, "15, 25 or 50")) == "noise_level must be 15, 25 or 50, got 30"
    official = mcp_message(WeightsUnavailable("swinir-m-color-noise50", 50, official=True))
    assert official.endswith("on the server's machine with `restore-agent weights download swinir-m-color-noise50`")
    shipped = WeightsUnavailable("swinir-s-noise15", 15, official=False)
    assert mcp_message(shipped) == str(shipped)


def test_schema_misses_are_one_line_per_tool() -> None:
    class Arguments(BaseModel):
        path: str
        level: int

    with pytest.raises(ValidationError) as caught:
        Arguments.model_validate({"level": "high"})
    assert arguments_message("denoise_image", caught.value) == (
        "invalid arguments for denoise_image: path: Field required; "
        "level: Input should be a valid integer, unable to parse string as an integer")


def test_only_the_records_links_survive_in_any_string_of_a_reply() -> None:
    reply = {"query": "rain https://evil.example/x please", "links": [HAIR.paper, "https://evil.example/y"],
             "note": f"see {HAIR.code} and [hair]", "range": "[0, 1] and [evil]", "count": 3}
    assert record_links_only(reply, RECORDS) == {
        "query": "rain please", "links": [HAIR.paper, REMOVED_LINK], "note": f"see {HAIR.code} and [hair]",
        "range": "[0, 1] and [evil]", "count": 3}  # brackets alone are no link: left as they are
    error = error_reply("no such file: https://evil.example/z.png", RECORDS)
    assert error.is_error and "evil" not in error.content[0].text
