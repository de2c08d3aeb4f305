"""Malformed and hostile cards: each gives one clean line naming the field (or its text is guarded), quickly and
in bounded memory, and nothing active reaches an answer."""
from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest

from agent.core.loop import ask
from tests.cli_run import run_cli
from tools.card_schema import MAX_CARD_BYTES, MAX_DEPTH, MAX_LIST_ITEMS, MAX_RECORDS, MAX_TITLE_CHARS
from tools.cards import load_card
from tools.errors import UserError

RECORD = {"id": "mine", "title": "Mine", "kind": "related paper", "paper": "https://x.org/m.pdf",
          "summary": "Removes rain streaks from photos."}


def card_file(folder: Path, name: str, body: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    return path


def json_card(folder: Path, **changes: object) -> Path:
    record = {key: value for key, value in {**RECORD, **changes}.items() if value is not ...}
    return card_file(folder, "card.json", json.dumps({"question": "rain?", "records": [record]}))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("id", 42, "'id' must be text, got a number (42)"),
    ("kind", 7, "'kind' must be text, got a number (7)"),
    ("title", 3.5, "'title' must be text, got a number (3.5)"),
    ("title", True, "'title' must be text, got true/false"),
    ("title", ["a", "b"], "'title' must be text, got a list"),
    ("summary", {"a": 1}, "'summary' must be text, got a mapping"),
    ("paper", ["https://x.org/a"], "'paper' must be text, got a list"),
    ("key_facts", "one fact", "'key_facts' must be a list of text, got str"),
    ("key_facts", ["ok", {"x": 1}], "'key_facts' item 2 must be text, got a mapping"),
    ("handles", [1], "'handles' item 1 must be text, got a number"),
    ("runnable", "yes", "'runnable' must be true or false, got str"),
    ("name", 12, "'name' must be text, got a number"),
    ("title", "t" * (MAX_TITLE_CHARS + 1), f"'title' is longer than {MAX_TITLE_CHARS} characters"),
    ("key_facts", ["f"] * (MAX_LIST_ITEMS + 1), f"'key_facts' has {MAX_LIST_ITEMS + 1} items, more than"),
    ("id", "has space", "'id' must be up to 64 letters, digits"),
])
def test_wrong_types_and_lengths_name_the_field(tmp_path: Path, field: str, value: object, message: str) -> None:
    with pytest.raises(UserError, match="^card record 1: " + message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[")):
        load_card(json_card(tmp_path, **{field: value}))


def test_yaml_scalars_that_are_not_text_name_the_field_and_line(tmp_path: Path) -> None:
    for line, expected in [("id: 42", "line 1: 'id' must be text, got a number (42) (put it in quotes)"),
                           ("id: 2024-01-02", "line 1: 'id' must be text, got a date (2024-01-02)"),
                           ("id: yes", "line 1: 'id' must be text, got true/false (true)")]:
        path = card_file(tmp_path, "c.yaml", f"- {line}\n  title: T\n  kind: k\n  paper: https://x.org/a\n")
        with pytest.raises(UserError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            load_card(path)


def test_question_must_be_text(tmp_path: Path) -> None:
    path = card_file(tmp_path, "q.json", json.dumps({"question": ["x"], "records": [RECORD]}))
    with pytest.raises(UserError, match="card 'question' must be text, got a list"):
        load_card(path)


@pytest.mark.parametrize("link", [
    'https://x.org/"onmouseover="alert(1)', "https://x.org/a b", "javascript:alert(1)", "data:text/html,x",
    "HTTPS://X.ORG/a", "//x.org/a", "https:x.org/a", "https:\\\\x.org", "ftp://x.org/a", "https://user@x.org/a",
    "https://x.org/<script>", "https://ex\u0430mple.org/", "https://x.org/a&#34;b", "https://x.org:99999/",
    "https://-x.org/", "https://x.org/\x1b]8;;https://e.org\x07",
])
def test_a_card_link_that_is_not_a_plain_http_link_is_refused(tmp_path: Path, link: str) -> None:
    with pytest.raises(UserError, match=r"^card record 1: 'paper' needs one http\(s\) link, got '"):
        load_card(json_card(tmp_path, paper=link))
    text_card = card_file(tmp_path, "c.txt", f"### Related Papers:\nModel: M\nPaper: {link}\n")
    if "\n" not in link and link.strip() == link:
        with pytest.raises(UserError, match=r"card line 3: 'Paper:' needs one http\(s\) link"):
            load_card(text_card)


def test_active_content_in_card_fields_is_stripped(tmp_path: Path) -> None:
    hostile = {"title": "SwinIR <img src=x onerror=alert(1)><script>alert(2)</script> [go](https://evil.example.com)",
               "summary": "Removes rain \x1b]8;;https://evil.example.com\x07here\x1b]8;;\x07, see HTTPS://EVIL.EXAMPLE.COM/s "
                          "or evil.example.com/y; paper https://x.org/m.pdf.",
               "key_facts": ["<svg onload=alert(1)>", "Fact [x](javascript:alert(1)) two."],
               "technique": "<a href='//evil.example.com'>click</a>", "best_for": "rain", "name": "<b>Mine</b>"}
    (record,) = load_card(json_card(tmp_path, **hostile)).records
    fields = [record.title, record.summary, *record.key_facts, record.technique, record.best_for,
              record.extra["name"]]
    text = " ".join(fields).lower()
    for word in ("evil", "<", "onerror", "onload", "alert(", "javascript", "\x1b", "\x07"):
        assert word not in text, (word, fields)
    assert record.title == "SwinIR go" and record.technique == "click" and record.extra["name"] == "Mine"
    assert "https://x.org/m.pdf" in record.summary and record.key_facts == ("Fact x two.",)


def test_a_title_of_markup_only_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="'title' has no text once markup and foreign links are removed"):
        load_card(json_card(tmp_path, title="<img src=x onerror=alert(1)>"))


def test_hostile_text_card_is_guarded(tmp_path: Path) -> None:
    path = card_file(tmp_path, "c.txt", '"Which <script>alert(1)</script> model? https://evil.example.com"\n\n'
                     "### Related Papers:\nModel: Rain<img src=x onerror=alert(1)>Net\nPaper: https://x.org/r.pdf\n"
                     "Summary: We propose RainNet [x](//evil.example.com). It removes rain.\n")
    card = load_card(path)
    (record,) = card.records
    assert card.question == "Which model?" and record.title == "RainNet"
    assert "evil" not in record.summary and record.summary.startswith("We propose RainNet x.")


def test_active_card_content_never_reaches_the_offline_answer(tmp_path: Path) -> None:
    path = json_card(tmp_path, title="RainNet <img src=x onerror=alert(1)> <script>alert(2)</script>",
                     summary="RainNet removes rain streaks, see [here](https://evil.example.com/r).")
    response = ask("Which model removes rain streaks?", card=path).response
    everything = json.dumps(response).lower()
    assert "rainnet" in everything
    for word in ("evil", "<img", "<script", "onerror", "alert("):
        assert word not in everything, word


@pytest.mark.parametrize(("name", "body"), [
    ("deep-block.yaml", "".join(f"{'  ' * n}k{n}:\n" for n in range(400)) + "  " * 400 + "v\n"),
    ("deep-flow.yaml", "- id: a\n  title: " + "[" * 20000 + "]" * 20000 + "\n"),
    ("deep.json", "[" * 200000 + "]" * 200000),
    ("deep-objects.json", '{"a":' * 50000 + "1" + "}" * 50000),
    ("just-deep.json", json.dumps({"records": [{**RECORD, "key_facts": [[[[[[[["x"]]]]]]]]}]})),
])
def test_deep_nesting_is_a_clean_error(tmp_path: Path, name: str, body: str) -> None:
    started = time.perf_counter()
    with pytest.raises(UserError, match=f"nested deeper than {MAX_DEPTH} levels"):
        load_card(card_file(tmp_path, name, body))
    assert time.perf_counter() - started < 10


def billion_laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\nrecords:\n  - id: x\n    title: *i\n    kind: k\n    paper: https://x.org/a\n"


@pytest.mark.parametrize("body", [billion_laughs(),
                                  "base: &b {kind: k, paper: 'https://x.org/a'}\nrecords:\n  - <<: *b\n    id: x\n    title: T\n"],
                         ids=["billion-laughs", "merge-key"])
def test_yaml_aliases_are_refused_fast_in_bounded_memory(tmp_path: Path, body: str) -> None:
    path = card_file(tmp_path, "lol.yaml", body)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(UserError, match=r"card line \d+: YAML aliases \(\*[a-i]\) are not allowed"):
            load_card(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5 and peak < 20_000_000


def test_yaml_tags_stay_refused(tmp_path: Path) -> None:
    path = card_file(tmp_path, "tag.yaml", '- !!python/object/apply:os.system ["touch pwned"]\n')
    with pytest.raises(UserError, match="invalid YAML"):
        load_card(path)
    assert not Path("pwned").exists()


def test_oversize_card_and_too_many_records(tmp_path: Path) -> None:
    big = card_file(tmp_path, "big.yaml", b"# " + b"x" * MAX_CARD_BYTES + b"\n")
    with pytest.raises(UserError, match="card is larger than 1 MB"):
        load_card(big)
    many = [{**RECORD, "id": f"r{n}"} for n in range(MAX_RECORDS + 1)]
    with pytest.raises(UserError, match=f"card has {MAX_RECORDS + 1} records, more than {MAX_RECORDS}"):
        load_card(card_file(tmp_path, "many.json", json.dumps(many)))


def test_command_line_gives_one_line_and_exit_2(tmp_path: Path) -> None:
    cases = {"int.yaml": "- id: 1\n  title: 2\n  kind: 3\n  paper: https://x.org/a\n",
             "lol.yaml": billion_laughs(), "deep.json": "[" * 100000 + "]" * 100000}
    for name, body in cases.items():
        run = run_cli("records", "--card", card_file(tmp_path, name, body))
        assert run.code == 2 and run.err.startswith("error: card") and run.err.count("\n") == 1, (name, run.err)
        assert "Traceback" not in run.err
