"""The offline backend end to end: the same agent loop, planning tool calls from the question and photos."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from agent.core.backends import LLMSettings
from agent.core.loop import ask
from tests.agent_fixtures import noisy_crop, sha, weights_env  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[1]


def run_ask(env: dict, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agent", "ask", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180)


def test_card_question_streams_the_composed_answer_through_the_loop() -> None:
    pieces: list[str] = []
    reply = ask(None, settings=LLMSettings(), on_token=lambda text, _: pieces.append(text))
    assert reply.response["backend"] == "offline" and reply.failure is None
    assert "".join(pieces) == reply.response["answer"]  # streamed piece by piece, nothing for the guard to remove
    assert [call["name"] for call in reply.response["tool_calls"]] == ["search_records"]
    assert len(reply.response["citations"]) == 4


def test_attached_photo_is_analysed_and_denoised_and_the_workflow_names_its_noise(
        weights_env: dict, tmp_path: Path) -> None:
    from tools.analyzer import analyze

    photo = noisy_crop(tmp_path / "noisy.png", 100, 180, sigma=15, seed=1)
    before = sha(photo)
    out = tmp_path / "out"
    out.mkdir()
    result = run_ask(weights_env, tmp_path, "Please clean up the noise in this photo", "--image", str(photo),
                     "--json", "--output-dir", str(out))
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    calls = response["tool_calls"]
    assert [call["name"] for call in calls] == ["search_records", "analyze_image", "denoise_image"]
    assert all(call["ok"] for call in calls) and all(call["seconds"] > 0 for call in calls)
    measured = analyze(photo)
    assert calls[2]["args"] == {"path": str(photo)}  # the analysis picks the level
    first = response["sections"]["task"].split("\n\n")[0]
    assert f"sigma {measured.noise.sigma:.1f}" in first
    assert f"written to `{out / 'noisy.denoised.png'}`" in first and (out / "noisy.denoised.png").is_file()
    assert f"Here: `{photo}` → `{out / 'noisy.denoised.png'}`" in response["sections"]["workflow"]
    assert "denoise-swinir-noise15" in response["citations"] and response["grounding"]["ok"]
    assert sha(photo) == before, "the input photo was modified"


def test_photo_without_a_request_to_clean_it_is_only_analysed(tmp_path: Path) -> None:
    photo = noisy_crop(tmp_path / "grainy.png", 0, 0, sigma=25, seed=2)
    reply = ask(f"What is wrong with {photo}?")
    assert [call["name"] for call in reply.response["tool_calls"]] == ["search_records", "analyze_image"]
    first = reply.response["sections"]["task"].split("\n\n")[0]
    sigma = re.search(r"measures .*sigma (\d+\.\d)", first)
    assert sigma and 18 < float(sigma.group(1)) < 32
    assert "Not denoised, as the question did not ask to clean it; asked, the denoiser would run" in first
    assert f"Attached photos: `{photo}`" in reply.message


def test_tool_error_goes_back_to_the_model_and_the_turn_still_answers(tmp_path: Path) -> None:
    photo = noisy_crop(tmp_path / "p.png", 0, 0, sigma=15, seed=3)
    # the denoise output folder does not exist
    reply = ask(f"please denoise {photo}", output_dir=tmp_path / "missing")
    failed = reply.response["tool_calls"][-1]
    assert failed["name"] == "denoise_image" and failed["ok"] is False
    assert failed["error"].startswith("output folder does not exist")
    assert reply.response["backend"] == "offline" and all(reply.response["sections"].values())
    first = reply.response["sections"]["task"].split("\n\n")[0]  # the photo's paragraph says what failed
    assert first.startswith(f"The analysis of `{photo}`")
    assert f"Not done: `denoise_image` on `{photo}` failed (output folder does not exist" in first


def test_missing_attached_image_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_ask({"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, ROOT, "what is wrong?", "--image",
                     str(tmp_path / "nope.png"))
    assert result.returncode == 2 and result.stderr.strip() == f"error: no such image file: {tmp_path / 'nope.png'}"


def test_gray_photo_with_strong_noise_is_denoised_with_its_noise_matched(tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image
    from skimage import data

    clean = data.camera()[96:224, 96:288].astype(np.float64)
    photo = tmp_path / "gray.png"
    noisy = np.clip(np.rint(clean + np.random.default_rng(4).normal(0, 25, clean.shape)), 0, 255)
    Image.fromarray(noisy.astype(np.uint8)).save(photo)
    reply = ask(f"please denoise {photo}", output_dir=tmp_path)
    analysis, run = reply.evidence.analyses[-1], reply.evidence.denoise_runs[-1]
    # Replicated gray noise through color weights (no gray weights at this level): the weights for the level
    # measured see the photo at level / (sigma * sqrt(3)).
    assert run["model"] == f"swinir-half-noise{analysis['suggested_noise_level']}"
    assert run["contrast"] == round(run["noise_level"] / (analysis["noise_sigma"] * 3 ** 0.5), 4)
    assert any("noise matched" in note for note in run["notes"])
    assert f"input contrast x{run['contrast']:.2f}" in reply.response["sections"]["task"].split("\n\n")[0]


def test_an_offline_answer_imports_neither_langchain_nor_torch() -> None:
    """The offline planner runs its tools directly: a question that needs no network model answers fast."""
    code = ("import sys; from agent.core.loop import ask; r = ask(None).response; "
            "print(r['refused'], sorted(m for m in ('langchain', 'langchain_core', 'langsmith', 'torch') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False []"
