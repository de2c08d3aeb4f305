"""The one link guard against every hostile spelling of a link or active content.

Each spelling goes through the guard alone, through the stream guard cut at every position, and (all at once)
through the real openai client against the scripted server, for ``ask`` in-process (streamed and not) and on the
command line. The checks do not use the guard's own detection: they look for the hostile host and the active
words in the decoded text, for control characters, and at what a Markdown renderer with raw HTML and every
link scheme allowed makes of the text.
"""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import time
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

import pytest
from markdown_it import MarkdownIt

from agent.core.backends import LLMSettings
from agent.core.grounding import allowed_links, ground_text
from agent.core.loop import ask
from agent.core.stream_guard import StreamGuard
from tests.openai_server import scripted_server, text
from tools.cards import load_records
from tools.safe_markdown import sanitize_markdown

ROOT = Path(__file__).resolve().parents[1]
RECORDS = load_records()
LINKS = allowed_links(RECORDS)
HAIR_PAPER = "http://arxiv.org/pdf/2408.08091v4.pdf"
HAIR_CODE = "https://github.com/toummHus/HAIR"
QUESTION = "Which model removes rain and haze from photos?"

# id: (hostile text, text of it that must stay or None). Every foreign host is an "evil" one.
HOSTILE = {
    "upper-scheme-link": ("[SwinIR](HTTPS://EVIL.EXAMPLE.COM/up)", "SwinIR"),
    "mixed-scheme-text": ("see Http://evil.example.com/a now", "now"),
    "mixed-scheme-link": ("[mixed](hTTpS://Evil.Example.com/b)", "mixed"),
    "entity-colon-link": ("[ent](https&#58;//evil.example.com/c)", "ent"),
    "entity-colon-text": ("https&#58;//evil.example.com/c2", None),
    "entity-hex-link": ("[hex](&#x68;ttps://evil.example.com/d)", "hex"),
    "entity-named-colon": ("[named](https&colon;//evil.example.com/e)", "named"),
    "percent-encoded": ("[pct](https%3A%2F%2Fevil.example.com/f)", "pct"),
    "percent-encoded-text": ("https%3A%2F%2Fevil.example.com%2Ff2", None),
    "protocol-relative-link": ("[rel](//evil.example.com/g)", "rel"),
    "protocol-relative-text": ("at //evil.example.com/g2 too", "too"),
    "escaped-colon": ("https\\://evil.example.com/e1", None),
    "escaped-dots": ("evil\\.example\\.com/e2", None),
    "emphasis-split": ("**evil**.example.com/e3 and [em](**https**://evil.example.com/e4)", "em"),
    "scheme-no-slash": ("https:evil.example.com/h", None),
    "scheme-one-slash": ("https:/evil.example.com/i", None),
    "scheme-backslashes": ("https:\\\\evil.example.com/j", None),
    "scheme-backslash-link": ("[bs](https:\\\\evil.example.com/j2)", "bs"),
    "ftp": ("ftp://evil.example.com/k", None),
    "mailto-link": ("[mail](mailto:someone@evil.example.com)", "mail"),
    "mailto-text": ("mailto:someone@evil.example.com", None),
    "email-text": ("write to someone@evil.example.com", "write to"),
    "bare-domain-path": ("evil.example.com/y", None),
    "bare-domain": ("visit evil.example.com today", "today"),
    "bare-domain-upper": ("EVIL.EXAMPLE.COM/Y", None),
    "www": ("www.evil.example.com", None),
    "ipv4-port": ("127.0.0.1:8080/evil", None),
    "reference-full": ("[full label][r1]\n\n[r1]: https://evil.example.com/ref\n\n", "full label"),
    "reference-shortcut": ("[short cut]\n\n[short cut]: <https://evil.example.com/ref2> 'title'\n\n", "short cut"),
    "reference-collapsed": ("[col lapsed][]\n\n[col lapsed]: //evil.example.com/ref3\n\n", "col lapsed"),
    "reference-in-quote": ("[quoted ref][q]\n\n> [q]: https://evil.example.com/ref4\n\n", "quoted ref"),
    "javascript": ("[js](javascript:alert(1))", "js"),
    "javascript-mixed-case": ("[jsm](JaVaScRiPt:alert(1))", "jsm"),
    "javascript-entity-tab": ("[jst](jav&#x09;ascript:alert(1))", "jst"),
    "javascript-text": ("javascript:alert(document.cookie)", None),
    "data": ("[dat](data:text/html;base64,PHNjcmlwdD4=)", "dat"),
    "vbscript": ("[vbs](vbscript:msgbox(1))", "vbs"),
    "autolink": ("<https://evil.example.com/auto>", None),
    "autolink-upper": ("<HTTPS://EVIL.EXAMPLE.COM/auto2>", None),
    "autolink-email": ("<someone@evil.example.com>", None),
    "autolink-javascript": ("<javascript:alert(1)>", None),
    "image": ("![pic](https://evil.example.com/p.png)", "pic"),
    "image-record-link": (f"![recpic]({HAIR_CODE})", "recpic"),
    "script": ("<script>alert(1)</script>", None),
    "img-onerror": ("<img src=x onerror=alert(1)>", None),
    "svg-onload": ("<svg onload=alert(1)>", None),
    "a-href": ("<a href='//evil.example.com/a'>click</a>", "click"),
    "a-href-record": (f'<a href="{HAIR_CODE}" onclick="alert(1)">code</a>', "code"),
    "iframe": ('<iframe src="https://evil.example.com/f"></iframe>', None),
    "html-block": ('<div onclick="alert(1)">\nblock text\n</div>', "block text"),
    "html-comment": ("<!-- <a href=https://evil.example.com/cm> -->", None),
    "tag-split-lines": ("<img\nsrc=x\nonerror=alert(1)>", None),
    "osc8-st": ("\x1b]8;;https://evil.example.com/o\x1b\\osc\x1b]8;;\x1b\\", "osc"),
    "osc8-bel": ("\x1b]8;;https://evil.example.com/o2\x07osc2\x1b]8;;\x07", "osc2"),
    "osc8-c1": ("\x9d8;;https://evil.example.com/o3\x9cosc3\x9d8;;\x9c", "osc3"),
    "dcs": ("\x1bPq#evil\x1b\\dcs", "dcs"),
    "csi-colour": ("\x1b[31mred\x1b[0m", "red"),
    "c1-csi": ("\x9b31mcsi", None),
    "c0-controls": ("ding\x07\x08\x0b\x0c\x7f\x00dong", "dong"),
    "bidi-override": ("\u202ereversed\u202c text", "reversed text"),
    "fullwidth": ("https\uff1a\uff0f\uff0fevil.example.com\uff0fw", None),
    "fullwidth-link": ("[fw](https\uff1a\uff0f\uff0fevil.example.com\uff0fw2)", "fw"),
    "ideographic-dots": ("https://evil\u3002example\u3002com/z", None),
    "zero-width": ("https://ev\u200bil.example.com/zw", None),
    "cyrillic-lookalike": ("[idn](https://evil.ex\u0430mple.com/c)", "idn"),
    "script-split": ("<scr<script>ipt>alert(1)</script>", None),
    "uppercase-tag": ("<IMG SRC=javascript:alert(1)>", None),
    "footnote-definition": ("[^1]\n\n[^1]: https://evil.example.com/fn\n\n", None),
    "unc-path": ("\\\\evil.example.com\\share", None),
    "userinfo": ("[user](https://github.com@evil.example.com/)", "user"),
    "record-link-attribute": (f'[attr]({HAIR_CODE}"onmouseover="alert(1))', "attr"),
    "record-link-attribute-text": (f'{HAIR_CODE}"onmouseover="alert(1)"', None),
    "record-link-longer": (f"{HAIR_CODE}.evil.example.com/x", None),
    "nested-link": ("[[nest ed](https://evil.example.com/n1)](https://evil.example.com/n2)", "nest ed"),
    "link-title": ('[titled](https://evil.example.com/t "a title")', "titled"),
    "angle-destination": ("[angle](<https://evil.example.com/a b>)", "angle"),
    "link-across-lines": ("[across\nlines](\nhttps://evil.example.com/l)", "lines"),
}
ACTIVE = ("evil", "javascript:", "vbscript:", "data:", "onerror", "onload", "onclick", "onmouseover", "alert(",
          "<script", "<img", "<svg", "<iframe", "<a ", "<div", "<!--", "31m")


@lru_cache(maxsize=1)
def renderer() -> MarkdownIt:
    """A renderer that lets every link scheme and raw HTML through, as a careless front end would."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.validateLink = lambda url: True
    return md


def problems(out: str) -> list[str]:
    """What a hostile reader could still use in ``out``."""
    view = unicodedata.normalize("NFKC", html.unescape(unquote(out))).replace("\u3002", ".").lower()
    view = re.sub("[\u200b-\u200d\u2060\ufeff]", "", view)
    found = [word for word in ACTIVE if word in view]
    found += [f"control {ch!r}" for ch in re.findall(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)]
    rendered = renderer().render(out)
    targets = re.findall(r'(?:href|src)="([^"]*)"', rendered)
    found += [f"link {target}" for target in targets if html.unescape(target) not in LINKS]
    found += [f"raw html {tag}" for tag in re.findall(r"<(?:script|img|svg|iframe|div|a |!--)", rendered)
              if not (tag == "<a " and all(t in LINKS for t in targets))]
    return found


def wrapped(payload: str) -> str:
    return f"Use HAIR [hair] ({HAIR_CODE}). Then {payload} end. Paper: {HAIR_PAPER}.\n"


def test_the_checks_see_every_hostile_spelling() -> None:
    """Without the guard, every spelling fails the checks (so the checks can fail)."""
    blind = [case for case, (payload, _) in HOSTILE.items() if not problems(wrapped(payload))]
    assert blind == []


@pytest.mark.parametrize("case", list(HOSTILE))
def test_guard_removes_the_hostile_spelling_and_keeps_the_rest(case: str) -> None:
    payload, keep = HOSTILE[case]
    grounded = ground_text(wrapped(payload), RECORDS)
    assert problems(grounded.text) == [], grounded.text
    assert not grounded.ok and grounded.removed
    assert HAIR_CODE in grounded.text and HAIR_PAPER in grounded.text and "[hair]" in grounded.text
    if keep:
        assert keep in grounded.text
    again = ground_text(grounded.text, RECORDS)
    assert again.ok and again.text == grounded.text  # a fixed point: nothing left to remove


@pytest.mark.parametrize("case", list(HOSTILE))
def test_stream_guard_cut_at_every_position(case: str) -> None:
    """Two pieces, cut at every position of the hostile text and around it (and at both ends)."""
    payload, _ = HOSTILE[case]
    answer = "First line.\n" + wrapped(payload) + "Last sentence. Done\n"
    start = answer.index(payload)
    for cut in [0, *range(start - 3, start + len(payload) + 8), len(answer)]:
        guard = StreamGuard(LINKS)
        shown = [guard.feed(answer[:cut])]
        assert problems(shown[0]) == [], (cut, shown)  # what is on screen mid-stream is already clean
        shown += [guard.feed(answer[cut:]), guard.finish()]
        out = "".join(shown)
        assert problems(out) == [], (cut, out)
        assert HAIR_CODE in out and guard.removed, (cut, out)
        assert sanitize_markdown(out, LINKS).text == out, (cut, out)  # the pieces add up to guarded text


def test_stream_guard_one_character_at_a_time_holds_back_unfinished_links() -> None:
    answer = "".join(wrapped(payload) for payload, _ in HOSTILE.values())
    guard = StreamGuard(LINKS)
    shown = ""
    for char in answer:
        piece = guard.feed(char)
        shown += piece
        assert not (piece and problems(shown)), shown[-200:]
    shown += guard.finish()
    assert problems(shown) == [] and shown.count(HAIR_CODE) == len(HOSTILE)


CLEAN = (f"## Task\n\nHAIR [hair] handles rain, see {HAIR_CODE} and [the paper]({HAIR_PAPER}).\n\n"
         "| step | tool |\n| --- | --- |\n| 1 | `train.py` with sigma < 15 |\n\n"
         "- e.g. 3x3 convolutions, README.md, C:\\photos\\a.png, 50% less noise.\n"
         f"- <{HAIR_CODE}>\n\n```\ncode block\n```\n")


def test_clean_text_passes_unchanged_final_and_streamed() -> None:
    grounded = ground_text(CLEAN, RECORDS)
    assert grounded.ok and grounded.text == CLEAN
    for size in (1, 7, 40):
        guard = StreamGuard(LINKS)
        out = "".join(guard.feed(CLEAN[i:i + size]) for i in range(0, len(CLEAN), size)) + guard.finish()
        assert out == CLEAN and guard.removed == []


def hostile_answer() -> str:
    lines = "\n\n".join(f"Line {n}: {payload} end." for n, (payload, _) in enumerate(HOSTILE.values()))
    return (f"## Task\n\nAll-in-one restoration of rain and haze [hair].\n\n{lines}\n\n## Workflow\n\n"
            f"Input: a rainy photo, model: HAIR [hair].\n\n## Papers and tools\n\n- HAIR [hair]: paper {HAIR_PAPER}, "
            f"code {HAIR_CODE}\n")


def settings(base_url: str, stream: bool) -> LLMSettings:
    return LLMSettings(backend="openai", model="scripted", base_url=base_url, api_key="test", timeout=20.0,
                       stream=stream)


@pytest.mark.parametrize("stream", [True, False], ids=["sse", "json"])
def test_ask_through_the_openai_client_final_and_streamed(stream: bool) -> None:
    with scripted_server(text(hostile_answer())) as server:
        guard = StreamGuard(LINKS)
        shown: list[str] = []
        reply = ask(QUESTION, settings=settings(server.base_url, stream),
                    on_token=lambda piece, _id: shown.append(guard.feed(piece)))
        shown.append(guard.finish())
    response = reply.response
    assert reply.failure is None and response["backend"] == "openai"
    for out in (response["answer"], *response["sections"].values()):
        assert problems(out) == [], out
    assert response["grounding"]["ok"] is False and len(response["grounding"]["removed"]) >= len(HOSTILE) - 5
    assert HAIR_CODE in response["answer"] and HAIR_PAPER in response["answer"] and response["citations"] == ["hair"]
    streamed = "".join(shown)
    if stream:
        assert problems(streamed) == [] and HAIR_CODE in streamed
        assert sanitize_markdown(streamed, LINKS).text == streamed


def test_ask_command_json_and_terminal_output(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OPENAI_API_KEY": "test", "RESTORE_AGENT_MODEL": "scripted",
           "COLUMNS": "4000"}
    with scripted_server(text(hostile_answer())) as server:
        runs = [subprocess.run([sys.executable, "-m", "agent", "ask", QUESTION, "--base-url", server.base_url, *extra],
                               cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=180)
                for extra in (["--json"], [])]
    as_json, on_terminal = runs
    assert as_json.returncode == 0, as_json.stderr
    response = json.loads(as_json.stdout)
    assert problems(response["answer"]) == [] and response["grounding"]["ok"] is False
    assert on_terminal.returncode == 0, on_terminal.stderr
    body = on_terminal.stdout.split("grounding: removed")[0]
    assert problems(body) == [] and HAIR_CODE in body


@pytest.mark.parametrize("bomb", ["[" * 45_000, "[a](" * 11_000, "<!--" * 11_000, "<?" * 22_000, "![" * 22_000],
                         ids=["brackets", "open-targets", "comments", "instructions", "images"])
def test_markup_bombs_are_guarded_in_linear_time(bomb: str) -> None:
    """Unclosed openers by the ten thousand: a quadratic parse takes many times longer here."""
    started = time.perf_counter()
    guarded = sanitize_markdown(bomb + f" see {HAIR_CODE} and https://evil.example.com/x", LINKS)
    assert time.perf_counter() - started < 10
    assert "evil" not in guarded.text and HAIR_CODE in guarded.text
    assert sanitize_markdown(guarded.text, LINKS).text == guarded.text


def test_text_the_guard_skips_is_text_it_would_leave_as_it_is() -> None:
    """The guard's fast path (plain words and punctuation) gives what the parser gives, on every sentence of the
    example cards; link-like or marked-up text never takes it."""
    import glob

    from tools.safe_markdown import _INERT, _LINK_LIKE, sanitize_markdown

    root = Path(__file__).resolve().parents[1]
    lines = [line.strip() for name in glob.glob(str(root / "examples" / "cards" / "*.txt"))
             for line in Path(name).read_text(encoding="utf-8").splitlines()]
    inert = [text for text in lines if _INERT.fullmatch(text) and not _LINK_LIKE.search(text)]
    assert len(inert) > 20
    assert all(" ".join(sanitize_markdown(text, []).text.split()) == " ".join(text.split()) for text in inert)
    for hostile in ("see evil.com now", "javascript:alert(1)", "www example", "a <b>x</b>", "[x](y)", "&#58;"):
        assert not (_INERT.fullmatch(hostile) and not _LINK_LIKE.search(hostile)), hostile
