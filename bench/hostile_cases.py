"""The hostile inputs of ``bench/hostile_sweep.py``: files made in a scratch folder, and the cases built from them.

Each :class:`Case` is one ``restore-agent`` command line with what it should do: ``error`` (a clean one-line
error, non-zero exit), ``ok`` (exit 0) or ``any`` (either, as long as it is clean); optionally the exact exit
code, the number of JSON lines on stdout and the inputs it must leave unchanged. Cases are generated from
combinations: every bad photo through every photo command, every bad card through every card command, every
edge value through every numeric option, every broken server and URL through the LLM commands.
"""
from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

import numpy as np
from PIL import Image

from tests.openai_server import Step, call, text

QUESTION = "How do I remove noise from a photo?"
EVIL_ANSWER = ("## Task\n\nDenoising [swinir].\n\n## Workflow\n\nRun SwinIR [swinir], see "
               "[x](HTTPS://EVIL.EXAMPLE.COM/up), <a href='//evil.example.com/a'>a</a>, "
               "[y](https&#58;//evil.example.com/b), Http://evil.example.com/c and evil.example.com/d\n\n"
               "## Papers and tools\n\n- SwinIR [swinir]\n\n[ref]: https://evil.example.com/ref\n")


@dataclass
class Case:
    """One command line: ``argv`` after ``restore-agent`` (``{url}``: the case's server), what it should do."""

    group: str
    name: str
    argv: list[str]
    expect: str = "error"  # error | ok | any
    stdin: str | None = None
    timeout: float = 60.0
    server: list[Step] | None = None  # a scripted OpenAI-compatible server for this case
    raw_server: bytes | None = None  # a TCP server that answers every connection with these bytes (b"": never)
    env: dict[str, str] = field(default_factory=dict)
    code: int | None = None  # the exact exit code it must end with, where the kind of ending is not enough
    json_lines: int | None = None  # how many JSON objects stdout must hold, one a line (chat --json: one per line)
    files: dict[str, Path] = field(default_factory=dict)  # copied into the case's folder ({out}/NAME) first
    keep: tuple[str, ...] = ()  # inputs ({out} allowed) that must be byte for byte the same afterwards


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (no pixel data): a decompression-bomb stand-in."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))


def make_photos(folder: Path) -> dict[str, Path]:
    """Good and bad photo files (and things that are no file at all)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    pixels = np.clip(128 + rng.normal(0, 25, (40, 48, 3)), 0, 255).astype(np.uint8)
    good = folder / "ok.png"
    Image.fromarray(pixels).save(good)
    photos = {"ok": good}

    def write(name: str, data: bytes) -> None:
        (folder / name).write_bytes(data)
        photos[name] = folder / name

    Image.fromarray(pixels).save(folder / "ok.jpg", quality=60)
    photos["jpg"] = folder / "ok.jpg"
    write("empty.png", b"")
    write("text.png", b"hello, I am not a photo\n")
    write("truncated.png", good.read_bytes()[:120])
    write("postscript.png", b"%!PS-Adobe-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    write("bomb.png", _png_header(100_000, 100_000))
    write("huge-header.png", _png_header(20_000, 20_000))
    write("zero-size.png", _png_header(0, 0))
    write("svg.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>")
    Image.fromarray((pixels[..., 0].astype(np.uint16) * 257)).save(folder / "deep16.png")
    photos["deep16.png"] = folder / "deep16.png"
    Image.new("RGB", (1, 1)).save(folder / "one-pixel.png")
    photos["one-pixel.png"] = folder / "one-pixel.png"
    Image.fromarray(np.zeros((1, 3000, 3), np.uint8)).save(folder / "line.png")
    photos["line.png"] = folder / "line.png"
    frames = [Image.fromarray(pixels), Image.fromarray(255 - pixels)]
    frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:])
    photos["anim.gif"] = folder / "anim.gif"
    Image.fromarray(pixels).convert("CMYK").save(folder / "cmyk.jpg")
    photos["cmyk.jpg"] = folder / "cmyk.jpg"
    (folder / "folder.png").mkdir(exist_ok=True)
    photos["folder.png"] = folder / "folder.png"
    os.mkfifo(folder / "fifo.png")
    photos["fifo.png"] = folder / "fifo.png"
    os.symlink("loop.png", folder / "loop.png")
    photos["loop.png"] = folder / "loop.png"
    os.symlink("missing.png", folder / "dangling.png")
    photos["dangling.png"] = folder / "dangling.png"
    escape = folder / "\x1b[31mred\x07.png"
    escape.write_bytes(good.read_bytes())
    photos["escape-name"] = escape
    photos["missing"] = folder / "nope.png"
    photos["dev-zero"] = Path("/dev/zero")
    photos["dev-null"] = Path("/dev/null")
    photos["proc-status"] = Path("/proc/self/status")
    return photos


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def make_cards(folder: Path) -> dict[str, Path]:
    """Malformed cards: wrong types, deep nesting, alias bombs, tags, junk."""
    folder.mkdir(parents=True, exist_ok=True)
    record = {"id": "a", "title": "A", "kind": "related paper", "paper": "https://x.org/a.pdf"}
    laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    texts = {
        "empty.yaml": "",
        "null.yaml": "~\n",
        "scalar.json": "42",
        "binary.yaml": None,
        "deep.yaml": _deep(5000),
        "deep.json": _deep(100_000),
        "deep-map.yaml": "a:\n" + "".join("  " * i + " b:\n" for i in range(1, 400)),
        "laughs.yaml": laughs,
        "python-tag.yaml": "- !!python/object/apply:os.system ['echo pwned']\n",
        "int-id.yaml": json.dumps([{**record, "id": 5}]),
        "int-title.json": json.dumps([{**record, "title": 7}]),
        "list-kind.yaml": json.dumps([{**record, "kind": ["related paper"]}]),
        "dict-paper.json": json.dumps([{**record, "paper": {"url": "x"}}]),
        "nan-id.json": '[{"id": NaN, "title": "A", "kind": "related paper", "paper": "https://x.org/a.pdf"}]',
        "long-title.json": json.dumps([{**record, "title": "T" * 1_000_000}]),
        "many.json": json.dumps([{**record, "id": f"r{i}"} for i in range(20_000)]),
        "script-title.yaml": json.dumps([{**record, "title": "<script>alert(1)</script><img src=x onerror=y>"}]),
        "js-link.yaml": json.dumps([{**record, "paper": "javascript:alert(1)"}]),
        "text-junk.txt": "### Related Papers:\nModel: \x1b]8;;https://evil.example.com\x07A\x1b]8;;\x07\n",
        "text-no-records.txt": "just some words\n",
        "bom.json": "\ufeff" + json.dumps([record]),
    }
    cards = {}
    for name, content in texts.items():
        path = folder / name
        if content is None:
            path.write_bytes(bytes(range(256)) * 8)
        else:
            path.write_text(content, encoding="utf-8")
        cards[name] = path
    (folder / "folder.yaml").mkdir(exist_ok=True)
    cards["folder.yaml"] = folder / "folder.yaml"
    os.mkfifo(folder / "fifo.yaml")
    cards["fifo.yaml"] = folder / "fifo.yaml"
    os.symlink("loop.yaml", folder / "loop.yaml")
    cards["loop.yaml"] = folder / "loop.yaml"
    cards["missing.yaml"] = folder / "missing.yaml"
    cards["dev-zero.txt"] = Path("/dev/zero")
    return cards


def make_job_files(folder: Path, photo: Path) -> dict[str, Path]:
    """``report --script`` job files: deep, aliased, mistyped."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = {
        "deep.yaml": "jobs: " + _deep(5000),
        "deep-map.yaml": "jobs:\n- images:\n" + "".join("  " * i + "   x:\n" for i in range(1, 300)),
        "laughs.yaml": "a: &a [1,1,1,1,1,1,1,1,1]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)) + "jobs: *i\n",
        "images-int.yaml": "jobs:\n- images: 5\n",
        "not-list.yaml": "jobs: 5\n",
        "bad-name.yaml": "jobs:\n- name: ../../evil\n",
        "unknown-key.yaml": "jobs:\n- rm: -rf\n",
        "binary.yaml": None,
        "python-tag.yaml": "jobs: !!python/object/apply:os.system ['echo pwned']\n",
        "traversal.yaml": f"jobs:\n- images: [{photo}]\n  card: ../../../../etc/passwd\n",
    }
    jobs = {}
    for name, content in texts.items():
        path = folder / name
        path.write_bytes(bytes(range(256)) * 4) if content is None else path.write_text(content, encoding="utf-8")
        jobs[name] = path
    return jobs


def make_batch_inputs(folder: Path, photo: Path) -> dict[str, Path]:
    """Batch input folders and output folders holding a hostile manifest."""
    inputs = folder / "in"
    inputs.mkdir(parents=True, exist_ok=True)
    (inputs / "a.png").write_bytes(photo.read_bytes())
    (inputs / "broken.png").write_bytes(b"junk")
    made = {"in": inputs}
    for name, manifest in (("deep-manifest", _deep(100_000) + "\n"), ("junk-manifest", "\x00\xff{]\n" * 3),
                           ("typed-manifest", json.dumps({"input": {"path": 5}, "status": ["restored"]}) + "\n")):
        out = folder / name
        out.mkdir(exist_ok=True)
        (out / "manifest.jsonl").write_text(manifest, encoding="utf-8", errors="surrogateescape")
        made[name] = out
    return made


NUMERIC_VALUES = ("-5", "0", "99999999999999999999", "nan", "inf", "-inf", "1e308", "abc", "")


def option_cases(photo: Path, out: Path) -> list[Case]:
    """Every edge value through every numeric option (``0`` is valid for some: ``any``)."""
    commands = {
        ("ask", "--timeout"): ["ask", QUESTION],
        ("denoise", "--noise"): ["denoise", str(photo), "-o", "{out}/d.png"],
        ("denoise", "--tile"): ["denoise", str(photo), "-o", "{out}/d.png"],
        ("denoise", "--overlap"): ["denoise", str(photo), "-o", "{out}/d.png"],
        ("demo", "--add-noise"): ["demo", "--image", str(photo), "-o", "{out}/demo"],
        ("demo", "--seed"): ["demo", "--image", str(photo), "-o", "{out}/demo"],
        ("batch", "--jobs"): ["batch", str(photo.parent / "batch" / "in"), "-o", "{out}/batch", "--analyze-only"],
        ("batch", "--noise"): ["batch", str(photo.parent / "batch" / "in"), "-o", "{out}/batch", "--analyze-only"],
        ("report", "--timeout"): ["report", "-o", "{out}/r.md"],
    }
    cases = []
    for (command, flag), value in product(commands, NUMERIC_VALUES):
        expect = "any" if value == "0" else "error"
        cases.append(Case("options", f"{command} {flag} {value!r}", [*commands[command, flag], flag, value], expect))
    cases += [
        Case("options", "denoise --overlap 300 (tile 256)", ["denoise", str(photo), "-o", "{out}/d.png", "--tile", "256",
                                                             "--overlap", "300"]),
        Case("options", "denoise --tile 8", ["denoise", str(photo), "-o", "{out}/d.png", "--tile", "8"]),
        Case("options", "demo --noise (renamed)", ["demo", "--image", str(photo), "--noise", "15", "-o", "{out}/demo"]),
        Case("options", "report --noise (renamed)", ["report", "--noise", "15", "-o", "{out}/r.md"]),
        Case("options", "unknown option", ["ask", "--nope"]),
        Case("options", "--json true", ["records", "--json", "true"]),
        Case("options", "unknown command", ["frobnicate"]),
        Case("options", "batch --engine bogus", ["batch", str(photo.parent / "batch" / "in"), "-o", "{out}/b",
                                                 "--engine", "bogus"]),
        Case("options", "batch --pattern '['", ["batch", str(photo.parent / "batch" / "in"), "-o", "{out}/b",
                                                "--pattern", "[", "--analyze-only"]),
        Case("options", "--llm bogus", ["ask", QUESTION, "--llm", "bogus"]),
    ]
    return cases


def photo_cases(photos: dict[str, Path]) -> list[Case]:
    """Every bad photo through every photo command (the good ones must work)."""
    good = {"ok", "jpg", "deep16.png", "one-pixel.png", "line.png", "anim.gif", "cmyk.jpg", "escape-name"}
    answered = "ask --image"  # the answer stands; the photo's error is in the tool trace
    commands = {
        "analyze": lambda p: ["analyze", str(p)],
        "denoise": lambda p: ["denoise", str(p), "-o", "{out}/d.png"],
        "ask --image": lambda p: ["ask", "please clean this photo", "--image", str(p), "--output-dir", "{out}"],
        "demo --as-is": lambda p: ["demo", "--as-is", "--image", str(p), "-o", "{out}/demo"],
    }
    return [Case("photos", f"{command} {name}", build(path),
                 "any" if name in good or (command == answered and name != "missing") else "error", timeout=45)
            for (command, build), (name, path) in product(commands.items(), photos.items())]


def card_cases(cards: dict[str, Path], photo: Path) -> list[Case]:
    """Every bad card through every card command."""
    commands = {
        "records": lambda c: ["records", "--card", str(c)],
        "ask": lambda c: ["ask", QUESTION, "--card", str(c)],
        "analyze": lambda c: ["analyze", str(photo), "--card", str(c)],
    }
    fine = {"bom.json", "script-title.yaml", "text-junk.txt"}  # loadable once cleaned
    return [Case("cards", f"{command} --card {name}", build(path), "any" if name in fine else "error", timeout=45)
            for (command, build), (name, path) in product(commands.items(), cards.items())]


def output_cases(photo: Path, work: Path) -> list[Case]:
    """Outputs nobody can or should write: /proc, folders, loops, overlong names, the input itself."""
    for suffix in (".png", ".md"):
        (work / f"exists{suffix}").write_bytes(photo.read_bytes())
        (work / f"out-dir{suffix}").mkdir(exist_ok=True)
        os.symlink(f"out-loop{suffix}", work / f"out-loop{suffix}")

    def targets(suffix: str) -> dict[str, str]:
        return {"proc": f"/proc/restore-agent{suffix}", "proc-self": f"/proc/self/x{suffix}",
                "folder": str(work / f"out-dir{suffix}"), "existing": str(work / f"exists{suffix}"),
                "loop": str(work / f"out-loop{suffix}"), "no-dir": f"{{out}}/no/dir/x{suffix}",
                "long-name": str(work / ("n" * 300 + suffix)), "sys": f"/sys/kernel/x{suffix}"}

    png, md = targets(".png"), targets(".md")
    cases = [Case("outputs", f"denoise -o {name}", ["denoise", str(photo), "-o", target]) for name, target in
             {**png, "input": str(photo), "bad-ext": str(work / "x.xyz"), "no-ext": str(work / "x")}.items()]
    for name in ("proc", "existing", "loop", "long-name", "folder", "no-dir"):
        cases.append(Case("outputs", f"report -o {name}", ["report", "-o", md[name]]))
        cases.append(Case("outputs", f"chat --transcript {name}", ["chat", "--transcript", md[name]], stdin=""))
        if name != "folder":  # demo writes into a folder: an empty one is fine, and it makes a missing one
            cases.append(Case("outputs", f"demo -o {name}", ["demo", "--image", str(photo), "-o", png[name]],
                              "any" if name == "no-dir" else "error"))
    return cases


def llm_cases(photo: Path) -> list[Case]:
    """Broken servers and URLs, with and without fallback, streamed and not."""
    servers: dict[str, tuple[list[Step] | None, bytes | None, str]] = {
        "http-500": ([Step(status=500)], None, "2"), "http-401": ([Step(status=401)], None, "2"),
        "garbage": ([Step(garbage=True)], None, "2"), "hang": ([Step(hang=60)], None, "2"),
        "trickle": ([Step(text=EVIL_ANSWER * 4, trickle=1.0)], None, "3"),
        "truncated-args": ([call("denoise_image", '{"path": "' + str(photo) + '", "output": ')], None, "5"),
        "truncated-then-answer": ([call("search_records", '{"query": "noi'), text(EVIL_ANSWER)], None, "10"),
        "unknown-tool": ([call("rm_rf", {})], None, "5"), "tool-loop": ([call("search_records", {"query": "x"})], None, "10"),
        "escape-output": ([call("denoise_image", {"path": str(photo), "output": "../escaped.png"}),
                           text(EVIL_ANSWER)], None, "10"),
        "foreign-links": ([text(EVIL_ANSWER)], None, "10"),
        "not-http": (None, b"\x00\xffNOT HTTP AT ALL\r\n\r\n", "3"), "silent-tcp": (None, b"", "3"),
    }
    answers = {"truncated-then-answer", "foreign-links"}  # the model ends with an answer
    refused = {"escape-output"}  # it answers, but the denoise it called was refused: the answer, and exit 1
    cases = []
    for (name, (steps, raw, timeout)), fallback, stream in product(servers.items(), (True, False), (True, False)):
        argv = ["ask", QUESTION, "--image", str(photo), "--llm", "openai", "--base-url", "{url}", "--timeout", timeout,
                "--output-dir", "{out}"]
        argv += [] if fallback else ["--no-fallback"]
        argv += [] if stream else ["--no-stream"]
        label = f"ask server {name}{'' if fallback else ' --no-fallback'}{'' if stream else ' --no-stream'}"
        expect = "ok" if name in answers else "error" if name in refused or not fallback else "any"
        cases.append(Case("llm", label, argv, expect, timeout=40, server=steps, raw_server=raw,
                          env={"OPENAI_API_KEY": "sk-test"}, code=1 if name in refused else None))
    for url in ("ftp://x/v1", "http://", "http://[::1", "http://127.0.0.1:99999/v1", "http://127.0.0.1:1/v1",
                "file:///etc/passwd", "javascript:alert(1)", "http://user:pw@127.0.0.1:1/v1", "   ",
                "http://\u2603.invalid/v1", "http://127.0.0.1:1/v1\n", "HTTP://127.0.0.1:1/V1"):
        for fallback in (True, False):
            argv = ["ask", QUESTION, "--llm", "openai", "--base-url", url, "--timeout", "3"]
            cases.append(Case("llm", f"ask --base-url {url!r}{'' if fallback else ' --no-fallback'}",
                              argv + ([] if fallback else ["--no-fallback"]), "any" if fallback else "error",
                              timeout=40))
    return cases


def other_cases(photos: dict[str, Path], jobs: dict[str, Path], batch: dict[str, Path], work: Path) -> list[Case]:
    """Job files, batch folders and manifests, chat input, weights files, the MCP server."""
    cases = [Case("jobs", f"report --script {name}", ["report", "--script", str(path), "-o", "{out}/reports"])
             for name, path in jobs.items()]  # traversal.yaml: its job fails, reported in the summary (exit 1)
    cases.append(Case("jobs", "report --script missing", ["report", "--script", str(work / "none.yaml"), "-o", "{out}"]))
    for name in ("deep-manifest", "junk-manifest", "typed-manifest"):  # a copy each: batch appends to its manifest
        cases.append(Case("batch", f"batch into {name}", ["batch", str(batch["in"]), "-o", f"{{out}}/{name}",
                                                          "--analyze-only"],  # broken.png fails: exit 1
                          files={f"{name}/manifest.jsonl": batch[name] / "manifest.jsonl"}))
    for name, argv in {"missing input": [str(work / "none"), "-o", "{out}/b"],
                       "input is a file": [str(photos["ok"]), "-o", "{out}/b"],
                       "input is a fifo": [str(photos["fifo.png"]), "-o", "{out}/b"],
                       "output inside input": [str(batch["in"]), "-o", str(batch["in"] / "out")],
                       "output is /proc": [str(batch["in"]), "-o", "/proc/batch-out"]}.items():
        cases.append(Case("batch", f"batch {name}", ["batch", *argv]))
    lines = {"empty /denoise": "/denoise\n", "/denoise missing": "/denoise nope.png\n",
             "/analyze fifo": f"/analyze {photos['fifo.png']}\n", "/card deep": f"/card {work / 'cards' / 'deep.json'}\n",
             "/denoise to /proc": f"/denoise {photos['ok']} -o /proc/x.png\n", "/unknown": "/frobnicate\n",
             "control bytes": "\x1b[31m\x07hello\x1b]8;;https://evil.example.com\x07\n", "/report to /proc":
             "/report -o /proc/r.md\n", "/denoise --noise x": f"/denoise {photos['ok']} --noise x\n",
             "binary junk": "\x00\xff\xfe" * 50 + "\n"}
    cases += [Case("chat", f"chat {name}", ["chat", "--output-dir", "{out}"], "any", stdin=line, timeout=45)
              for name, line in lines.items()]
    for name in ("empty.png", "text.png", "folder.png", "fifo.png", "loop.png", "dev-zero"):
        cases.append(Case("weights", f"weights install {name}", ["weights", "install", str(photos[name])], timeout=30))
    cases.append(Case("weights", "weights download bogus", ["weights", "download", "no-such-weights"]))
    cases.append(Case("mcp", "mcp --root missing", ["mcp", "--root", str(work / "none")], "any", stdin=""))
    cases.append(Case("mcp", "mcp junk on stdin", ["mcp"], "any", stdin="\x00not json\n{}\n", timeout=30))
    return cases


def build_cases(work: Path) -> list[Case]:
    """Make the hostile files in ``work`` and every case that uses them."""
    photos = make_photos(work / "photos")
    cards = make_cards(work / "cards")
    jobs = make_job_files(work / "jobs", photos["ok"])
    batch = make_batch_inputs(work / "photos" / "batch", photos["ok"])
    return [*option_cases(photos["ok"], work), *photo_cases(photos), *card_cases(cards, photos["ok"]),
            *output_cases(photos["ok"], work), *llm_cases(photos["ok"]), *other_cases(photos, jobs, batch, work)]
