"""A person asks `chat` about a photo in a 50-row terminal: what they see first in the answer, what stays on the
screen, and a forced run's notice before its work (replayed on pyte's emulated screen, as in test_chat_pty)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from tests.agent_fixtures import weights_env  # noqa: F401 (fixture)
from tests.test_chat_pty import PROMPT, Chat
from tests.test_photo_claims import photo as centre

ROWS = 50
QUESTION = "What is wrong with input.png and can you clean it?"


def answer_paragraph(seen: list[str]) -> str:
    """The first paragraph under the answer's first heading, joined from its wrapped lines."""
    start = next(index for index, line in enumerate(seen) if line.strip() == "Task") + 1
    while not seen[start].strip():
        start += 1
    end = next(index for index in range(start, len(seen)) if not seen[index].strip())
    return " ".join(line.strip() for line in seen[start:end])


def ask_in_chat(folder: Path, env: dict, *lines: str) -> Chat:
    chat = Chat(folder, env, ROWS)
    for line in lines:
        chat.say(line)
        chat.expect("answered by:")
        chat.expect(PROMPT)
    return chat


def test_a_noisy_photo_is_the_first_thing_in_the_answer_and_the_last_on_the_screen(
        weights_env: dict, tmp_path: Path) -> None:
    noisy = np.clip(np.rint(centre("astronaut") + np.random.default_rng(8).normal(0, 25, (256, 256, 3))), 0, 255)
    Image.fromarray(noisy.astype(np.uint8)).save(tmp_path / "input.png")
    chat = ask_in_chat(tmp_path, weights_env, QUESTION)
    try:
        seen = chat.seen()
    finally:
        chat.close()
    first = answer_paragraph(seen)
    assert first.startswith("The analysis of input.png (levels on the 0-255 scale) measures moderate white")
    assert "sigma" in first and "It was denoised" in first and "Checked without a reference" in first
    assert "written to input.denoised.png." in first and (tmp_path / "input.denoised.png").is_file()
    screen = seen[-ROWS:]  # what stays in view once the answer is printed
    done = [line for line in screen if line.startswith("input.png: ")]
    assert len(done) == 1 and done[0].endswith("→ input.denoised.png")
    assert done[0].startswith(("input.png: restored (", "input.png: denoised (check failed"))


def test_a_clean_photo_is_left_alone_until_the_person_insists(weights_env: dict, tmp_path: Path) -> None:
    Image.fromarray(centre("coffee", 128)).save(tmp_path / "input.png")
    chat = ask_in_chat(tmp_path, weights_env, QUESTION, "denoise it anyway")
    try:
        seen = chat.seen()
    finally:
        chat.close()
    first = answer_paragraph(seen)
    assert "measures no visible" in first and "(sigma 1." in first and "Not denoised, and no file written" in first
    assert "say 'denoise it anyway'" in first
    assert "input.png: not denoised (say 'denoise it anyway' to run it)" in seen
    insisted = seen[next(i for i, line in enumerate(seen) if line == "you> denoise it anyway"):]
    warning = next(i for i, line in enumerate(insisted) if line.startswith("warning: no visible"))
    assert "running anyway because you asked" in " ".join(insisted[warning:warning + 2])
    assert warning < next(i for i, line in enumerate(insisted) if line.startswith("✓ denoise_image"))
    assert answer_paragraph(insisted).startswith("No visible")
    assert (tmp_path / "input.denoised.png").is_file()
