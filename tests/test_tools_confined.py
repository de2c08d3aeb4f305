"""Hostile tool calls from an OpenAI-compatible model (the real openai client against the scripted server):
tools read only the conversation's photos and write only inside the output folder; every refusal goes back to
the model as an error, the run goes on, and no file outside the output folder is touched."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from agent.core.backends import LLMSettings
from agent.core.loop import ask
from tests.agent_fixtures import noisy_crop
from tests.openai_server import Step, call, scripted_server, text

ROOT = Path(__file__).resolve().parents[1]
ANSWER = "## Task\n\nDenoising.\n\n## Workflow\n\nInput: the photo.\n\n## Papers and tools\n\n- none\n"
QUESTION = "please denoise this photo"


def settings(base_url: str) -> LLMSettings:
    return LLMSettings(backend="openai", model="scripted", base_url=base_url, api_key="test", timeout=20.0,
                       fallback=False)


def snapshot(*folders: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``folders`` (links not followed): its content hash and modification time."""
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                found[str(path)] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
            elif path.is_symlink():
                found[str(path)] = ("link", 0)
    return found


def noisy_png(path: Path, seed: int = 0) -> Path:
    return noisy_crop(path, 100, 180, sigma=15, seed=seed)


@pytest.fixture
def place(tmp_path: Path) -> dict[str, Path]:
    """An attached photo, an output folder, and a victim folder with a photo never attached; links from the
    output folder into the victim folder."""
    (tmp_path / "photos").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "victim").mkdir()
    photo = noisy_png(tmp_path / "photos" / "p.png")
    victim = noisy_png(tmp_path / "victim" / "victim.png", 1)
    other = noisy_png(tmp_path / "victim" / "other.png", 2)
    (tmp_path / "out" / "existing.png").write_bytes(photo.read_bytes())
    (tmp_path / "out" / "sub.png").mkdir()
    os.symlink(tmp_path / "victim", tmp_path / "out" / "escape")
    os.symlink(victim, tmp_path / "out" / "victim-link.png")
    os.symlink(other, tmp_path / "out" / "other-link.png")
    os.symlink(tmp_path / "out" / "loop.png", tmp_path / "out" / "loop.png")
    return {"tmp": tmp_path, "photo": photo, "out": tmp_path / "out", "victim": victim, "other": other}


def run(place: dict[str, Path], *steps: Step, output_dir: object = "out", overwrite: bool = False):
    """One ``ask`` turn with the attached photo against the scripted steps, then the final answer."""
    with scripted_server(*steps, text(ANSWER)) as server:
        reply = ask(QUESTION, images=[place["photo"]], settings=settings(server.base_url),
                    output_dir=place.get(output_dir), overwrite=overwrite)
    return reply, server


def tool_replies(server) -> list[str]:
    return [m["content"] for m in server.requests[-1]["messages"] if m["role"] == "tool"]


# (tool, arguments with {photo}/{out}/{tmp} placeholders, what the error the model sees says)
HOSTILE = {
    "dotdot-escape": ("denoise_image", {"path": "{photo}", "output": "{out}/../victim/victim.png"}, "'..'"),
    "dotdot-relative": ("denoise_image", {"path": "{photo}", "output": "../../victim/new.png"}, "'..'"),
    "absolute-outside": ("denoise_image", {"path": "{photo}", "output": "{tmp}/victim/new.png"}, "outside the output"),
    "absolute-system": ("denoise_image", {"path": "{photo}", "output": "/etc/restore-agent-test.png"}, "outside"),
    "symlinked-folder": ("denoise_image", {"path": "{photo}", "output": "{out}/escape/new.png"}, "outside the output"),
    "symlinked-file": ("denoise_image", {"path": "{photo}", "output": "{out}/victim-link.png"}, "symbolic link"),
    "link-loop-output": ("denoise_image", {"path": "{photo}", "output": "{out}/loop.png"}, "symbolic link"),
    "existing-output": ("denoise_image", {"path": "{photo}", "output": "{out}/existing.png"}, "output exists"),
    "output-is-input": ("denoise_image", {"path": "{photo}", "output": "{photo}"}, "outside the output"),
    "output-folder": ("denoise_image", {"path": "{photo}", "output": "{out}/sub.png"}, "is a folder"),
    "missing-folder": ("denoise_image", {"path": "{photo}", "output": "{out}/no/such.png"}, "does not exist"),
    "bad-extension": ("denoise_image", {"path": "{photo}", "output": "{out}/x.sh"}, "unsupported output extension"),
    "nul-byte": ("denoise_image", {"path": "{photo}", "output": "{out}/a\u0000.png"}, "not a usable file path"),
    "never-attached": ("denoise_image", {"path": "{tmp}/victim/other.png"}, "not a photo of this conversation"),
    "analyze-secret": ("analyze_image", {"path": "/etc/passwd"}, "not a photo of this conversation"),
    "link-to-unattached": ("analyze_image", {"path": "{out}/other-link.png"}, "not a photo of this conversation"),
    "dotdot-input": ("analyze_image", {"path": "{tmp}/photos/../victim/other.png"}, "not a photo of this"),
    "wrong-type": ("denoise_image", {"path": 5}, "valid string"),
    "extra-field": ("denoise_image", {"path": "{photo}", "delete": True}, "Extra inputs are not permitted"),
    "missing-field": ("analyze_image", {}, "Field required"),
    "string-number": ("denoise_image", {"path": "{photo}", "noise_level": "15"}, "noise_level"),
    "string-bool": ("denoise_image", {"path": "{photo}", "force": "yes"}, "force"),
    "empty-path": ("analyze_image", {"path": ""}, "at least 1 character"),
    "list-for-string": ("search_records", {"query": ["rain"]}, "valid string"),
    "ids-not-a-list": ("describe_workflow", {"record_ids": "hair"}, "valid list"),
}


def fill(value: object, place: dict[str, Path]) -> object:
    if isinstance(value, str):
        return value.format(photo=place["photo"], out=place["out"], tmp=place["tmp"])
    return value


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_tool_call_is_refused_and_nothing_outside_is_touched(place: dict[str, Path], case: str) -> None:
    name, args, expected = HOSTILE[case]
    args = {key: fill(value, place) for key, value in args.items()}
    before = snapshot(place["tmp"])
    reply, server = run(place, call(name, args))
    assert reply.failure is None and reply.response["backend"] == "openai"  # the run finished normally
    refused = reply.response["tool_calls"][0]
    assert refused["name"] == name and refused["ok"] is False
    [message] = tool_replies(server)
    assert expected in message, message
    assert snapshot(place["tmp"]) == before  # nothing written, nothing changed, anywhere


def test_model_may_retry_after_a_refusal_and_writes_only_inside(place: dict[str, Path]) -> None:
    """A refused call, then a call that names a plain name (taken inside the output folder), then the default
    name twice: a fresh name the second time, since an existing file is never replaced without --force."""
    outside = snapshot(place["tmp"] / "victim", place["tmp"] / "photos")
    reply, server = run(place, call("denoise_image", {"path": str(place["photo"]), "output": "../escape.png"}),
                        call("denoise_image", {"path": str(place["photo"]), "output": "clean.png", "force": True}),
                        call("denoise_image", {"path": str(place["photo"]), "force": True}),
                        call("denoise_image", {"path": str(place["photo"]), "noise_level": 25, "force": True}))
    calls = reply.response["tool_calls"]
    assert [c["ok"] for c in calls] == [False, True, True, True], calls
    outputs = [json.loads(m)["output"] for m in tool_replies(server)[1:]]
    out = place["out"]
    assert outputs == [str(out / "clean.png"), str(out / "p.denoised.png"), str(out / "p.denoised-2.png")]
    assert snapshot(place["tmp"] / "victim", place["tmp"] / "photos") == outside
    with Image.open(out / "p.denoised-2.png") as written:
        assert written.size == (96, 96)


def test_force_lets_the_default_name_be_replaced_but_never_an_input(place: dict[str, Path]) -> None:
    """Without --output-dir the photo's folder is the output folder; --force replaces the default output there,
    never the photo itself."""
    photos = place["photo"].parent
    (photos / "p.denoised.png").write_bytes(b"old")
    before = place["photo"].read_bytes()
    _, server = run(place, call("denoise_image", {"path": str(place["photo"]), "force": True}),
                    call("denoise_image", {"path": str(place["photo"]), "output": "p.png", "force": True}),
                    output_dir=None, overwrite=True)
    first, second = tool_replies(server)
    assert json.loads(first)["output"] == str(photos / "p.denoised.png")
    assert (photos / "p.denoised.png").read_bytes() != b"old"
    assert second.startswith("error: output path is the input file")
    assert place["photo"].read_bytes() == before and not (photos / "p.denoised-2.png").exists()


def test_photo_named_in_an_earlier_message_may_be_read(place: dict[str, Path]) -> None:
    """A chat follow-up: the photo the user named earlier may be analysed; one never named may not."""
    from agent.core.loop import run_agent
    from agent.core.turn import make_turn
    from tools.cards import load_card

    earlier = (f"what is wrong with {place['other']}?", "It is noisy.")
    turn = make_turn("and now analyse it again", load_card(None).records, history=[earlier])
    with scripted_server(call("analyze_image", {"path": str(place["other"])}),
                         call("analyze_image", {"path": str(place["victim"])}), text(ANSWER)) as server:
        reply = run_agent(turn, settings(server.base_url))
    assert [c["ok"] for c in reply.response["tool_calls"]] == [True, False]
    assert "not a photo of this conversation" in tool_replies(server)[1]


def test_ask_cli_exits_cleanly_after_hostile_calls(place: dict[str, Path]) -> None:
    """The whole command in a subprocess: hostile calls, then an answer; no file touched outside, and exit 1 with
    the answer printed, since the denoise asked for was never done."""
    before = snapshot(place["tmp"] / "victim", place["tmp"] / "photos")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(place["tmp"]), "OPENAI_API_KEY": "test",
           "RESTORE_AGENT_MODEL": "scripted"}
    steps = [call("denoise_image", {"path": str(place["photo"]), "output": str(place["victim"])}),
             call("analyze_image", {"path": str(place["other"])}),
             call("denoise_image", {"path": str(place["photo"]), "output": "../victim/victim.png"})]
    with scripted_server(*steps, text(ANSWER)) as server:
        done = subprocess.run([sys.executable, "-m", "agent", "ask", QUESTION, "--image", str(place["photo"]),
                               "--output-dir", str(place["out"]), "--base-url", server.base_url, "--no-fallback",
                               "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: not done as asked: p.png: ")
    response = json.loads(done.stdout)
    assert response["backend"] == "openai" and not any(c["ok"] for c in response["tool_calls"])
    assert "Traceback" not in done.stderr
    assert snapshot(place["tmp"] / "victim", place["tmp"] / "photos") == before
    assert sorted(p.name for p in place["out"].iterdir()) == [
        "escape", "existing.png", "loop.png", "other-link.png", "sub.png", "victim-link.png"]
