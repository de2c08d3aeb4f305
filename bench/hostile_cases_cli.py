"""Hostile text, inputs and exit codes for ``bench/hostile_sweep.py``: what a careless or hostile user types.

- ``names``: a photo, an output and a missing file whose names hold a newline followed by ``error: forged line``
  (and CR, C1 and bidirectional controls), through every command that echoes a name, in text and ``--json``;
  questions with the same characters. No line of the output may read ``error: forged line`` and no raw control
  may reach stdout or stderr (the sweep checks both for every case).
- ``inputs``: outputs aimed at inputs, with ``--force``: chat's transcript on the photo or the card, a transcript
  that is no Markdown, the session's ``/denoise -o`` and ``/report`` on its card, photos and transcript, denoise
  on its reference, demo's own file names for its photo, a report on its card, photos in a Markdown report's
  images folder, a job file named like its report or index, ask's default output name taken by another attached
  photo. Each must leave its inputs byte for byte as they were.
- ``exits``: ``ask`` whose requested denoise cannot write (``/proc``) or whose photo cannot be read exits 1 with
  the answer printed; one that only analyses exits 0; ``chat --json`` prints one object per input line, errors,
  empty lines and cancelled or refused commands included.
- ``validate``: one bad option, weights id, input or output on every command: a clean error before any work
  (the sweep checks that a run refused with exit 2 left nothing in its output folder).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from bench.hostile_cases import Case

FORGED_LINE = "error: forged line"
HOSTILE_NAME = f"ph\n{FORGED_LINE}\r\u202e\u009b\u0085\u2066.png"
HOSTILE_QUESTION = f"Which model removes noise?\n{FORGED_LINE}\u009b2J\u202eevil\u2066\u0085\u061c please"
CARD = ('"Which model removes noise?"\n\n### Related Papers:\nModel: SwinIR: Image Restoration\n'
        "Paper: https://arxiv.org/abs/2108.10257\nSummary: SwinIR removes noise.\n")


def _photo(path: Path, seed: int = 0) -> Path:
    pixels = np.clip(128 + np.random.default_rng(seed).normal(0, 25, (40, 48, 3)), 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def name_cases(folder: Path) -> list[Case]:
    """Names with a newline and controls through every command that echoes a name or a question."""
    hostile = _photo(folder / HOSTILE_NAME)
    batch_in = folder / "batch"
    _photo(batch_in / HOSTILE_NAME)
    ok = _photo(folder / "ok.png", seed=1)
    out_name = f"{{out}}/o\n{FORGED_LINE}\u202e"
    runs = {
        "analyze": ["analyze", str(hostile)], "analyze --json": ["analyze", str(hostile), "--json"],
        "denoise": ["denoise", str(hostile), "-o", "{out}/d.png", "--force-run"],
        "denoise --json": ["denoise", str(hostile), "-o", "{out}/d.png", "--force-run", "--json"],
        "ask --image": ["ask", "please denoise this photo", "--image", str(hostile), "--output-dir", "{out}"],
        "ask --image --json": ["ask", "please denoise this photo", "--image", str(hostile), "--output-dir", "{out}",
                               "--json"],
        "demo --as-is": ["demo", "--as-is", "--image", str(hostile), "-o", "{out}/demo", "--force-run"],
        "demo --as-is --json": ["demo", "--as-is", "--image", str(hostile), "-o", "{out}/demo", "--json"],
        "report --image": ["report", "--image", str(hostile), "-o", "{out}/r.md"],
        "batch": ["batch", str(batch_in), "-o", "{out}/b", "--report"],
        "batch --json": ["batch", str(batch_in), "-o", "{out}/b", "--json"],
        "denoise -o name": ["denoise", str(ok), "-o", out_name + ".png", "--force-run"],
        "report -o name": ["report", "-o", out_name + ".md"],
        "demo -o name": ["demo", "--image", str(ok), "-o", out_name],
        "batch -o name": ["batch", str(batch_in), "-o", out_name, "--report"],
        "analyze missing": ["analyze", str(folder / f"gone\n{FORGED_LINE}.png")],
        "denoise missing": ["denoise", str(folder / f"gone\n{FORGED_LINE}.png"), "-o", "{out}/d.png"],
        "ask question": ["ask", HOSTILE_QUESTION], "ask question --json": ["ask", HOSTILE_QUESTION, "--json"],
        "report question": ["report", "-q", HOSTILE_QUESTION, "-o", "{out}/r.html"],
    }
    cases = [Case("names", f"{label} (newline in the name)", argv, "any", timeout=90, code=None)
             for label, argv in runs.items()]
    lines = [HOSTILE_QUESTION.replace("\n", " "), f"/analyze {hostile}".replace("\n", "?"), "/records",
             "what is \u009b]8;;https://evil.example.com\u0007this\u202e?"]
    cases.append(Case("names", "chat --json questions with controls", ["chat", "--json"], "ok",
                      stdin="\n".join(lines) + "\n", timeout=90, json_lines=len(lines)))
    markup_card = folder / "markup.json"
    markup_card.write_text('[{"id": "a", "title": "A [/x] [bold]b", "kind": "related paper", '
                           '"paper": "https://x.org/a.pdf"}]', encoding="utf-8")
    cases += [Case("names", f"{label} (markup in the text)", argv, "ok", stdin=stdin, timeout=60,
                   env={"OPENAI_API_KEY": "sk-test"} if "--model" in argv else {})
              for label, argv, stdin in (
                  ("records --card", ["records", "--card", str(markup_card)], None),
                  ("ask --card", ["ask", "What is A?", "--card", str(markup_card)], None),
                  ("chat typed line", ["chat"], "[/x] which model removes [bold]noise?\n/records\n"),
                  ("chat --card", ["chat", "--card", str(markup_card)], "/records\nwhat is A?\n"),
                  ("ask --model", ["ask", "What removes noise?", "--llm", "openai", "--model", "[/x]", "--base-url",
                                   "http://127.0.0.1:1/v1", "--timeout", "3"], None))]
    job = folder / "job.yaml"
    job.write_text(f"jobs:\n- name: \"a\\n{FORGED_LINE}\"\n  question: Which model removes noise?\n", encoding="utf-8")
    cases.append(Case("names", "report --script job name with a newline", ["report", "--script", str(job), "-o",
                                                                         "{out}/reports"], "any", timeout=60))
    return cases


def input_cases(folder: Path) -> list[Case]:
    """Outputs aimed at inputs, with --force: refused, every input unchanged. Each case gets its own copies of the
    files it may damage, in its own folder."""
    photo, other = _photo(folder / "photo.png"), _photo(folder / "other.png", seed=2)
    card = folder / "card.md"
    card.write_text(CARD, encoding="utf-8")
    job = folder / "job.yaml"
    job.write_text("jobs:\n- name: first\n  question: Which model removes noise?\n", encoding="utf-8")
    photos = {"photo.png": photo, "other.png": other}
    session = ["/analyze {out}/other.png", "/denoise {out}/photo.png -o {out}/other.png --force",
               "/denoise {out}/photo.png -o {out}/card.txt --force", "/denoise {out}/photo.png -o {out}/chat.md --force",
               "/analyze {out}/chat.md", "/card {out}/chat.md", "Which model removes noise?",
               "/report {out}/other.png --force", "/report {out}/card.txt --force", "/denoise {out}/photo.png"]
    runs = [
        ("chat --transcript on the photo", ["chat", "--transcript", "{out}/photo.png", "--force"],
         "/analyze {out}/photo.png\n", {"photo.png": photo}),
        ("chat --transcript on the card", ["chat", "--card", "{out}/card.md", "--transcript", "{out}/card.md",
                                           "--force"], "/records\n", {"card.md": card}),
        ("chat --transcript .html", ["chat", "--transcript", "{out}/t.html"], "/records\n", {}),
        ("chat --transcript without extension", ["chat", "--transcript", "{out}/transcript"], "/records\n", {}),
        ("denoise -o the input", ["denoise", "{out}/photo.png", "-o", "{out}/photo.png", "--force", "--force-run"],
         None, {"photo.png": photo}),
        ("denoise -o the reference", ["denoise", "{out}/photo.png", "-o", "{out}/other.png", "--reference",
                                      "{out}/other.png", "--force", "--force-run"], None, photos),
        ("demo's own names for its photo", ["demo", "--image", "{out}/demo/clean.png", "-o", "{out}/demo", "--force"],
         None, {"demo/clean.png": photo}),
        ("report -o the card", ["report", "--card", "{out}/card.md", "-o", "{out}/card.md", "--force"], None,
         {"card.md": card}),
        ("report's images folder holds the photo", ["report", "--image", "{out}/r_files/photo.png", "-o",
                                                    "{out}/r.md", "--force"], None, {"r_files/photo.png": photo}),
        ("report --script as index.html", ["report", "--script", "{out}/jobs/index.html", "-o", "{out}/jobs",
                                           "--force"], None, {"jobs/index.html": job}),
        ("report --script as its report", ["report", "--script", "{out}/jobs/first.html", "-o", "{out}/jobs",
                                           "--force"], None, {"jobs/first.html": job}),
        ("batch -o the input folder", ["batch", "{out}/in", "-o", "{out}/in", "--force"], None, {"in/photo.png": photo}),
        ("batch -o a folder holding the input", ["batch", "{out}/in", "-o", "{out}", "-r", "--force", "--force-run"],
         None, {"in/in.png": photo, "in/in/in.png": other}),
    ]
    cases = [Case("inputs", label, argv, "error", stdin=stdin, timeout=90, code=2, files=files,
                  keep=tuple(f"{{out}}/{name}" for name in files)) for label, argv, stdin, files in runs]
    cases.append(Case("inputs", "ask --force: the default output name is another photo",
                      ["ask", "please denoise these photos", "--image", "{out}/photo.png", "--image",
                       "{out}/photo.denoised.png", "--force"], "any", timeout=120,
                      files={"photo.png": photo, "photo.denoised.png": other},
                      keep=("{out}/photo.png", "{out}/photo.denoised.png")))
    cases.append(Case("inputs", "chat session outputs on its card, photos and transcript",
                      ["chat", "--json", "--card", "{out}/card.txt", "--transcript", "{out}/chat.md", "--force"], "ok",
                      stdin="\n".join(session) + "\n", timeout=120, json_lines=len(session),
                      files={**photos, "card.txt": card}, keep=("{out}/photo.png", "{out}/other.png", "{out}/card.txt")))
    return cases


def exit_cases(folder: Path) -> list[Case]:
    """Exit codes scripts can trust, and chat --json aligned with its input lines."""
    photo = _photo(folder / "photo.png")
    junk = folder / "junk.png"
    junk.write_text("not a photo\n", encoding="utf-8")
    chat_lines = ["Which model removes noise?", "", "/nope", f"/analyze {folder / 'missing.png'}", "/denoise",
                  f"/denoise {photo} -o /proc/x.png", "/report {out}/r.html", "quit", "\x00\xff\xfe binary",
                  "/card /dev/zero", f"/analyze {folder}", "/records", "/quit"]
    return [
        Case("exits", "ask denoise into /proc", ["ask", "please denoise this photo", "--image", str(photo),
                                                 "--output-dir", "/proc"], "error", timeout=90, code=1),
        Case("exits", "ask denoise into /proc --json", ["ask", "please denoise this photo", "--image", str(photo),
                                                        "--output-dir", "/proc", "--json"], "error", timeout=90, code=1,
             json_lines=1),
        Case("exits", "ask unreadable photo --json", ["ask", "what is wrong with this photo?", "--image", str(junk),
                                                      "--json"], "error", timeout=90, code=1, json_lines=1),
        Case("exits", "ask analyse only, /proc output", ["ask", "what is wrong with this photo?", "--image",
                                                         str(photo), "--output-dir", "/proc"], "ok", timeout=90),
        Case("exits", "chat --json one object per line", ["chat", "--json"], "ok", stdin="\n".join(chat_lines) + "\n",
             timeout=120, json_lines=len(chat_lines)),
        Case("exits", "chat --json blank lines only", ["chat", "--json"], "ok", stdin="\n\n  \n", json_lines=3),
    ]


def validate_cases(folder: Path) -> list[Case]:
    """One bad setting on every command: refused before any work (nothing left in the output folder)."""
    photo = _photo(folder / "photo.png")
    bad_job = folder / "bad-job.yaml"
    bad_job.write_text("jobs:\n- name: a\n  question: Which model removes noise?\n  colour: red\n", encoding="utf-8")
    runs = {
        "demo --weights unknown id": ["demo", "--image", str(photo), "-o", "{out}/demo", "--weights", "nope-id"],
        "demo --weights missing path": ["demo", "--image", str(photo), "-o", "{out}/demo", "--weights", "/nope.pth"],
        "demo --image missing": ["demo", "--image", str(folder / "nope.png"), "-o", "{out}/demo"],
        "demo --as-is --add-noise": ["demo", "--as-is", "--add-noise", "5", "--image", str(photo), "-o", "{out}/demo"],
        "denoise --weights unknown id": ["denoise", str(photo), "-o", "{out}/d.png", "--weights", "nope-id"],
        "denoise --reference missing": ["denoise", str(photo), "-o", "{out}/d.png", "--reference", "/nope.png"],
        "denoise -o bad extension": ["denoise", str(photo), "-o", "{out}/d.xyz"],
        "report --weights unknown id": ["report", "--image", str(photo), "-o", "{out}/r.html", "--weights", "nope-id"],
        "report second photo missing": ["report", "--image", str(photo), "--image", "/nope.png", "-o",
                                         "{out}/r.html"],
        "report --script unknown key": ["report", "--script", str(bad_job), "-o", "{out}/reports"],
        "batch --weights unknown id": ["batch", str(folder), "-o", "{out}/b", "--weights", "nope-id"],
        "batch --force-run --skip-clean": ["batch", str(folder), "-o", "{out}/b", "--force-run", "--skip-clean"],
        "analyze second photo missing": ["analyze", str(photo), "/nope.png"],
        "ask --output-dir missing": ["ask", "please denoise it", "--image", str(photo), "--output-dir", "/nope"],
        "chat --card missing with a transcript": ["chat", "--card", "/nope.yaml", "--transcript", "{out}/t.md"],
        "chat --output-dir missing with a transcript": ["chat", "--output-dir", "/nope", "--transcript",
                                                        "{out}/t.md"],
        "weights install --id unknown": ["weights", "install", str(photo), "--id", "nope-id"],
        "weights download unknown": ["weights", "download", "nope-id"],
    }
    return [Case("validate", label, argv, "error", stdin="" if argv[0] == "chat" else None, timeout=60, code=2)
            for label, argv in runs.items()]


def cli_cases(work: Path) -> list[Case]:
    """Make the files in ``work/cli`` and every case that uses them."""
    folder = work / "cli"
    return [*name_cases(folder / "names"), *input_cases(folder / "inputs"), *exit_cases(folder / "exits"),
            *validate_cases(folder / "validate")]
