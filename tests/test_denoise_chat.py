"""Chat's `/denoise` follows the one rule: the analysis decides, `--force-run` overrides it and is said before the
work, and the reply never calls a run restored unless its check passed."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from agent.cli.repl import run_repl
from agent.core.backends import LLMSettings
from agent.core.session import ChatSession
from tests.test_chat_cli import _lines as typed
from tools.swinir import weights as registry


@pytest.fixture(autouse=True)
def shipped_weights_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No installed weights: the package's own run, as on a fresh installation."""
    monkeypatch.setenv(registry.HOME_ENV, str(tmp_path / "home"))


@pytest.fixture
def coffee(tmp_path: Path) -> Path:
    """A crop of scikit-image's coffee photo: clean, no visible noise."""
    from skimage import data

    path = tmp_path / "coffee.png"
    Image.fromarray(data.coffee()[100:260, 200:440]).save(path)
    return path


def chat(session: ChatSession, *lines: str, as_json: bool = False) -> tuple[str, str]:
    """Type ``lines`` into the chat; what it printed on stdout and stderr."""
    console, err = Console(record=True, width=400), Console(record=True, width=400)
    run_repl(session, typed(*lines), console, err, as_json=as_json)
    return console.export_text(), err.export_text()


def test_a_clean_photo_is_not_denoised_and_the_reply_says_how_to_run_it_anyway(coffee: Path, tmp_path: Path):
    session = ChatSession(LLMSettings())
    out, err = chat(session, f"/denoise {coffee} -o {tmp_path / 'c.png'}")
    assert err == ""
    assert re.search(r"not denoised: coffee\.png has no visible noise \(sigma \d\.\d\): denoising would only remove "
                     r"detail\n", out), out
    assert f"to denoise it anyway: /denoise {coffee} -o {tmp_path / 'c.png'} --force-run" in out
    assert not (tmp_path / "c.png").exists() and "warning" not in out
    assert session.entries[-1].markdown.endswith(f"`/denoise {coffee} -o {tmp_path / 'c.png'} --force-run`")


def test_force_run_is_said_before_the_work_and_a_failed_check_is_not_called_restored(coffee: Path, tmp_path: Path,
                                                                                    monkeypatch):
    from agent.cli import repl
    from tools.swinir import service

    session = ChatSession(LLMSettings())
    denoise_file, started = service.denoise_file, []

    def marked(*args, **kwargs):  # the work starts here: what was shown by then?
        started.append(True)
        return denoise_file(*args, **kwargs)

    shown, show_notice = [], repl.show_notice

    def noted(text, view, target):
        shown.append((text, bool(started)))
        show_notice(text, view, target)

    monkeypatch.setattr(service, "denoise_file", marked)
    monkeypatch.setattr(repl, "show_notice", noted)
    out, _ = chat(session, f"/denoise {coffee} --force-run")
    [(notice, after_work)] = shown
    assert re.fullmatch(r"no visible noise \(sigma \d\.\d\); running anyway because you asked", notice)
    assert not after_work and started
    first, summary = out.splitlines()[:2]
    assert first == f"warning: {notice}" and out.count(notice) == 1  # said once, before the work
    assert summary.startswith("denoised (check failed: removed") and "restored" not in out
    markdown = session.entries[-1].markdown
    assert markdown.startswith(f"- warning: {notice}\n") and "- denoised (check failed: " in markdown
    assert (tmp_path / "coffee.denoised.png").is_file()


def test_a_noisy_photo_is_restored_with_its_routine_notes_as_notes(sample_photo, tmp_path: Path):
    photo = tmp_path / "noisy.png"
    crop = sample_photo[:192, :192] + np.random.default_rng(0).normal(0, 28, (192, 192, 3))  # clipped: measures 25+
    Image.fromarray(np.clip(crop, 0, 255).round().astype(np.uint8)).save(photo)
    session = ChatSession(LLMSettings())
    out, err = chat(session, f"/denoise {photo}", f"/denoise {photo} --no-match")
    lines = out.splitlines()
    assert err == "" and "warning" not in out
    assert re.fullmatch(r"note: noise matched: photo sigma \d+\.\d to the checkpoint's 25 \(input contrast x\d\.\d\d\)",
                        lines[0])
    assert lines[1].startswith(f"restored: wrote {tmp_path / 'noisy.denoised.png'} with swinir-half-noise25")
    assert re.search(r"^check: the removed residual looks like noise .*the measured sigma \d+\.\d / sqrt\(3\)",
                     lines[2])
    assert lines[3].startswith("note: noise not matched: the network ran as its authors' test script runs it")
    assert lines[4].startswith(f"restored: wrote {tmp_path / 'noisy.denoised-2.png'}")
    out, _ = chat(session, f"/denoise {photo} --no-match", as_json=True)
    result = json.loads(out)["result"]
    assert result["status"] == "restored" and result["contrast"] == 1.0
    assert result["check"]["removed_std"] == round(result["check"]["removed_std"], 2)
