"""The layers of chalicelib, read from the source: imports only go downwards and never in a cycle.

Every import counts, also those inside functions (a lazy import is still a dependency).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"

# What each layer may import from chalicelib (itself included). Listed top to bottom.
ALLOWED = {
    "web": {"web", "services", "schemas", "formats", "storage", "domain", "config", "logs"},
    "services": {"services", "schemas", "formats", "storage", "domain", "config"},
    "schemas": {"schemas", "domain"},
    "formats": {"formats", "domain"},
    "storage": {"storage", "domain", "config"},
    "domain": {"domain"},
    "config": set(),
    "logs": set(),
}
# Third-party packages that belong to one layer only.
OWNED = {"chalice": {"web"}, "boto3": {"storage"}, "botocore": {"storage"}, "jinja2": {"web"},
         "markupsafe": {"web"}, "apispec": {"web"}, "marshmallow": {"schemas"}, "qrcode": {"formats"},
         "xlsxwriter": {"formats"}, "openpyxl": {"formats"}}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def graph() -> dict[str, set[str]]:
    """chalicelib module → the chalicelib modules it imports (names that are modules only)."""
    return {name: {target for target in imports_of(path) if target in MODULES and target != name}
            for name, path in MODULES.items()}


def layer(module: str) -> str:
    return module.split(".")[1] if "." in module else "package"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_only_downwards(module):
    if module == "chalicelib":
        return
    allowed = ALLOWED[layer(module)]
    upward = sorted(target for target in graph()[module]
                    if target != "chalicelib" and layer(target) not in allowed)
    assert not upward, f"{module} imports from a higher layer: {upward}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_third_party_packages_stay_in_their_layer(module):
    top_level = {name.split(".")[0] for name in imports_of(MODULES[module])}
    misplaced = sorted(package for package, layers in OWNED.items()
                       if package in top_level and layer(module) not in layers)
    assert not misplaced, f"{module} imports {misplaced}"


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle in the graph as the path that closes it, or None (depth-first search)."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_import_graph_has_no_cycle():
    assert find_cycle(graph()) is None


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_only_the_web_layer_and_app_import_chalice():
    assert "chalice" in {name.split(".")[0] for name in imports_of(ROOT / "app.py")}
    importers = sorted(name for name, path in MODULES.items()
                       if "chalice" in {n.split(".")[0] for n in imports_of(path)})
    assert importers and all(layer(name) == "web" for name in importers), importers
