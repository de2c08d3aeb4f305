"""The shape of the code: imports go one way (cli -> products -> core -> tools), no cycles, small modules.

Every import counts: at module level, inside functions, and under ``TYPE_CHECKING``.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "tools", "knowledge", "prompts")
MAX_LINES = 400
# Which room may import which. A room imports itself and the rooms listed; anything else is the wrong way.
LAYERS = {
    "agent.cli": {"agent.mcp", "agent.products", "agent.core", "tools", "knowledge", "prompts"},
    "agent.mcp": {"agent.products", "agent.core", "tools", "knowledge", "prompts"},
    "agent.products": {"agent.core", "tools", "knowledge", "prompts"},
    "agent.core": {"tools", "knowledge", "prompts"},
    "tools": {"knowledge"},
    "knowledge": set(),
    "prompts": set(),
}
TOP_LEVEL = {"agent", "agent.__main__"}  # the package itself and ``python -m agent``


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}


def imported(path: Path, name: str, modules: dict[str, Path]) -> Iterator[str]:
    """Project modules that ``path`` imports, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def room(name: str) -> str | None:
    return next((layer for layer in sorted(LAYERS, key=len, reverse=True)
                 if name == layer or name.startswith(layer + ".")), None)


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: set(imported(path, name, modules)) for name, path in modules.items()}


def wrong_way(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for name, targets in graph.items():
        if name in TOP_LEVEL:
            continue
        source = room(name)
        assert source is not None, f"{name} is in no room: add it to LAYERS"
        for target in targets:
            if target in TOP_LEVEL and target != "agent":
                found.append(f"{name} -> {target}")
                continue
            to = room(target) if target != "agent" else "agent.cli"
            if to != source and to not in LAYERS[source]:
                found.append(f"{name} -> {target}")
    return sorted(found)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), as sorted names."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_imports_go_one_way(graph: dict[str, set[str]]) -> None:
    assert wrong_way(graph) == []


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_the_checks_catch_a_wrong_way_import_and_a_cycle(graph: dict[str, set[str]]) -> None:
    broken = {**graph, "tools.restore": graph["tools.restore"] | {"agent.core.turn"}}
    assert wrong_way(broken) == ["tools.restore -> agent.core.turn"]
    assert cycles(broken), "tools.restore -> agent.core.turn -> ... -> tools.restore is a cycle"


def test_no_module_over_the_line_limit() -> None:
    long = {name: count for name, path in project_modules().items()
            if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


def test_the_decision_rule_lives_in_one_place() -> None:
    """Only the pipeline picks the checkpoint level from an analysis (``suggested_noise_level`` feeds ``decide``)."""
    users = sorted(module_name(path) for package in ("agent", "tools") for path in (ROOT / package).rglob("*.py")
                   if "noise_sigma=" in path.read_text(encoding="utf-8") and "denoise_file(" in
                   path.read_text(encoding="utf-8"))
    assert users == ["tools.restore"]
