"""`/report PATH` in chat writes a report of the last question and the session's photos."""
from __future__ import annotations

from pathlib import Path

import pytest

from agent.core.backends import LLMSettings
from agent.core.session import ChatSession
from agent.cli.slash import run_slash
from tools.errors import UserError


def test_report_of_the_last_question(tmp_path: Path) -> None:
    session = ChatSession(LLMSettings(), output_dir=tmp_path)
    with pytest.raises(UserError, match="ask a question first"):
        run_slash(session, f"/report {tmp_path / 'early.md'}")

    session.ask("Which model removes rain and haze from photos?")
    output = tmp_path / "report.md"
    result = run_slash(session, f"/report {output}")
    text = output.read_text()
    assert result.data["question"] == "Which model removes rain and haze from photos?"
    assert "rain and haze" in text and "[hair]" in text
    assert "https://github.com/toummHus/HAIR" in text

    with pytest.raises(UserError, match="exists"):
        run_slash(session, f"/report {output}")
    run_slash(session, f"/report {output} --force")
