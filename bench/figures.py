"""Every figure a page quotes, traced to the results key that produced it, and rendered from it.

A page cites a figure with a marker right after the number: ``34.05<!--fig {denoise_quality:rows[set=McMaster,
sigma=15,role=baseline,method^=BM3D].psnr}--> dB``. The marker holds an expression over references in braces:

* ``{stem:path}``: a key of ``bench/results/stem.json``; ``{dir/file.json:path}`` or ``.jsonl`` (a list of
  records) anywhere in the repository;
* ``{py:module.name}``: a constant of the code, attributes allowed (called when a function of no arguments);
* ``{size:repo/path}``: a file's size in bytes.

A path is dot-separated keys; ``[3]`` indexes a list, ``[k=v,k2^=prefix,k3]`` selects its one element whose
fields match (values compared as text; a bare key: the field is present). The expression may use + - * /, abs,
min, max and round. The figure is rendered with as many decimals as the page quotes (and its sign or thousands
separators where it shows them).

Whole tables and outputs are blocks: ``<!--begin:NAME ARGS-->`` ... ``<!--end:NAME-->``, their text rendered by
the function ``NAME`` of ``bench/figure_blocks.py`` (or
``module.function`` of another module in ``bench/``). ``render`` rewrites a page from its keys; ``uncited``
lists figures (decimals, and numbers with a unit of measure) that carry no marker and sit in no block.

    python bench/figures.py            # check: exit 1 and list every figure that differs or is uncited
    python bench/figures.py --write    # re-render every page from bench/results
"""
from __future__ import annotations

import ast
import importlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import zip_longest
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PAGES = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md")),
         ROOT / "tools" / "swinir" / "weights" / "MODEL_CARD.md", ROOT / "tools" / "swinir" / "runs" / "README.md",
         ROOT / "training" / "README.md"]
NUMBER = r"[+\-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
MARKER = re.compile(rf"(?<![\w.])({NUMBER})<!--fig (.+?)-->")
BLOCK = re.compile(r"<!--begin:([\w.]+)((?: [^>]*?)?)-->\n(.*?)<!--end:\1-->", re.S)
REFERENCE = re.compile(r"\{([^{}]+)\}")
UNITS = r"(?:\s?(?:dB|s/MP|s per megapixel|seconds?|ms|s|min|minutes|hours?|h|GB|MB|GiB|MiB|GFLOP/s|%)|x|×)"
FIGURE = re.compile(rf"(?<![\w.+\-−])({NUMBER})(?:{UNITS}(?![\w/])|(?![\d.]|,\d))")
DECIMAL = re.compile(r"\d\.\d")
SEGMENT = re.compile(r"([^.\[\]]*)((?:\[[^\]]*\])*)")


class FigureError(ValueError):
    """A marker whose reference does not resolve to exactly one number."""


@lru_cache(maxsize=None)
def _load(name: str) -> Any:
    path = ROOT / name if "/" in name else RESULTS / f"{name}.json"
    if not path.is_file():
        raise FigureError(f"no results file {path.relative_to(ROOT)}")
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()] if path.suffix == ".jsonl" else json.loads(text)


def _select(items: list, selector: str, where: str) -> Any:
    if re.fullmatch(r"-?\d+", selector):
        return items[int(selector)]
    parts = re.split(r",(?=\s*[\w ]+?\s*(?:\^?=|,|$))", selector)  # a value may hold a comma: "(embedded, unmatched)"
    conditions = [re.fullmatch(r"\s*([\w ]+?)\s*(?:(\^?=)\s*(.*?))?\s*", part) for part in parts]
    if not all(conditions):
        raise FigureError(f"bad selector [{selector}] in {where}")

    def matches(item: Any) -> bool:
        return isinstance(item, dict) and all(
            key in item and (op is None or (str(item[key]).startswith(value) if op == "^=" else str(item[key]) == value))
            for key, op, value in (c.groups() for c in conditions))

    found = [item for item in items if matches(item)]
    if len(found) != 1:
        raise FigureError(f"[{selector}] selects {len(found)} elements in {where}, not one")
    return found[0]


def resolve(reference: str) -> float:
    """The number a reference names (see the module docstring)."""
    kind, _, path = reference.partition(":")
    if kind == "size":
        return float((ROOT / path).stat().st_size)
    if kind == "py":
        _bench_importable()  # bench/ modules may be cited too
        value = _attribute(path)
        value = value() if callable(value) else value
    else:
        value = _load(kind)
        for key, selectors in SEGMENT.findall(path):  # a path may start with a selector (a .jsonl's records)
            if key and (not isinstance(value, dict) or key not in value):
                raise FigureError(f"no key {key!r} in {reference}")
            value = value[key] if key else value
            for selector in re.findall(r"\[([^\]]*)\]", selectors):
                value = _select(value, selector, reference)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FigureError(f"{reference} is not a number: {value!r}")
    return float(value)


def _attribute(dotted: str) -> Any:
    """``package.module.NAME.attr``: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            value = getattr(value, name)
        return value
    raise FigureError(f"nothing importable in py:{dotted}")


_OPERATORS = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd,
              ast.Constant, ast.Name, ast.Load, ast.Call)
_FUNCTIONS = {"abs": abs, "min": min, "max": max, "round": round}


def evaluate(expression: str) -> float:
    """The value of a marker's expression: its references resolved, then the arithmetic."""
    values: dict[str, float] = {}

    def name(match: re.Match) -> str:
        values[f"_v{len(values)}"] = resolve(match.group(1))
        return f"_v{len(values) - 1}"

    tree = ast.parse(REFERENCE.sub(name, expression).strip(), mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _OPERATORS) or (isinstance(node, ast.Name) and node.id not in {**values, **_FUNCTIONS}):
            raise FigureError(f"not allowed in a figure expression: {expression}")
    return float(eval(compile(tree, "<figure>", "eval"), {"__builtins__": {}}, {**values, **_FUNCTIONS}))


def formatted(value: float, quoted: str) -> str:
    """``value`` written as ``quoted`` is: its decimals, its sign and its thousands separators."""
    digits = len(quoted.split(".")[1]) if "." in quoted else 0
    sign = "+" if quoted[0] in "+-−" else ""
    text = f"{value:{sign}{',' if ',' in quoted else ''}.{digits}f}"
    return text.replace("-", "−") if "−" in quoted else text


def _bench_importable() -> None:
    if str(ROOT / "bench") not in sys.path:
        sys.path.insert(0, str(ROOT / "bench"))


def block_renderer(name: str) -> Callable[..., str]:
    """The function that renders block ``name``: ``figure_blocks.NAME``, or ``module.NAME`` in ``bench/``."""
    _bench_importable()
    module, _, function = name.rpartition(".")
    return getattr(importlib.import_module(module or "figure_blocks"), function)


def render(text: str) -> str:
    """The page with every cited figure and every block re-rendered from its keys."""
    def block(match: re.Match) -> str:
        name, args = match.group(1), match.group(2).split()
        try:
            rendered = block_renderer(name)(*args).rstrip()
        except (OSError, LookupError, ValueError, AttributeError) as exc:
            raise FigureError(f"block {name}{match.group(2)} does not render: {exc!r}") from exc
        return f"<!--begin:{name}{match.group(2)}-->\n{rendered}\n<!--end:{name}-->"

    text = BLOCK.sub(block, text)
    return MARKER.sub(lambda m: f"{formatted(evaluate(m.group(2)), m.group(1))}<!--fig {m.group(2)}-->", text)


def differences(text: str) -> Iterator[str]:
    """One line for each figure or block line ``render`` would change."""
    for old, new in zip_longest(text.splitlines(), render(text).splitlines(), fillvalue=""):  # a longer block too
        if old != new:
            yield f"{old.strip()[:160]}\n    should read: {new.strip()[:160]}"


def _outside_citations(text: str) -> str:
    """The page without blocks, markers' figures, HTML comments, inline code, links' targets and URLs."""
    text = BLOCK.sub("", text)
    text = MARKER.sub("", text)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"```[^\n]*\n", "\n", text)  # fences go, the figures inside them stay checked
    text = re.sub(r"`(?:[^`\n]|\n(?!\n))*`", "", text)  # a code span may cross a line break
    text = re.sub(r"\]\([^)]*\)|https?://\S+", "", text)
    return re.sub(r"\d+(?:\.\d+){2,}", "", text)  # versions and addresses


def uncited(text: str) -> list[str]:
    """Figures in ``text`` (decimals, numbers with a unit) that no marker or block cites."""
    found = []
    for line in _outside_citations(text).splitlines():
        for match in FIGURE.finditer(line):
            number = match.group(0)
            if DECIMAL.search(match.group(1)) or number != match.group(1):
                found.append(f"{number.strip()!r} in: {line.strip()[:120]}")
    return found


def main(argv: list[str]) -> int:
    problems = 0
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(ROOT)
        try:
            if "--write" in argv:
                page.write_text(render(text), encoding="utf-8")
                text = page.read_text(encoding="utf-8")
            changed = list(differences(text))
        except FigureError as exc:
            problems += 1
            print(f"{name}: {exc}")
            continue
        for line in changed:
            problems += 1
            print(f"{name}: {line}")
        for figure in uncited(text):
            problems += 1
            print(f"{name}: uncited {figure}")
    print(f"{problems} figure problems" if problems else "every figure is cited and current")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
