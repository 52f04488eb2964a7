"""The package's shape (DESIGN.md, "one direction of flow"): no import cycle, no import against the
flow, no module over 500 lines. Walks ``src/llmtco`` with ``ast``; every import inside a function
counts too, so a cycle cannot hide in a deferred import."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "llmtco"
MAX_LINES = 500

# Which parts of the package each part may import (besides itself). Data flows down:
# cli/web -> report -> analysis/calibration -> engine -> sizing/costing -> perf; the catalog and
# scenario are read by the engine and above; foundations are importable from anywhere.
FOUNDATION = {"errors", "arrays", "files", "yamlio", "_version"}
ALLOWED: dict[str, set[str]] = {
    "perf": set(),
    "sizing": {"perf"},
    "costing": {"perf"},
    "catalog": set(),
    "scenario": {"catalog"},
    "result": set(),
    "engine": {"perf", "sizing", "costing", "catalog", "scenario", "result"},
    "calibration": {"perf", "sizing", "catalog", "scenario", "engine", "result", "measure"},
    "measure": {"perf", "catalog"},
    "analysis": {"perf", "sizing", "costing", "catalog", "scenario", "result", "engine", "calibration"},
    "report": {"costing", "catalog", "scenario", "result", "analysis", "calibration"},
    "cli": {"perf", "catalog", "scenario", "result", "engine", "analysis", "calibration", "measure", "report", "web"},
    "web": {"catalog", "scenario", "result", "engine", "analysis", "report"},
    "__main__": {"cli"},
}
PUBLIC_ROOT = "__init__"  # the package root: the curated API, importable by nobody inside the package


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(["llmtco", *parts])
        out[name] = path
    return out


def _part(module: str) -> str:
    """Top-level part of the package a module belongs to (``llmtco.engine.options.onprem`` -> ``engine``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else PUBLIC_ROOT


def _imports(name: str, path: Path, modules: dict[str, Path]) -> Iterator[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            # `from pkg import submodule` imports the submodule; `from pkg import name` imports pkg itself
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        for t in targets:
            if t == "llmtco" or t.startswith("llmtco."):
                # the longest module the import names
                while t not in modules and "." in t:
                    t = t.rsplit(".", 1)[0]
                if t in modules:
                    yield t, node.lineno


MODULES = _modules()
GRAPH = {name: sorted({t for t, _ in _imports(name, path, MODULES)} - {name}) for name, path in MODULES.items()}


def test_no_import_against_the_flow() -> None:
    bad: list[str] = []
    for name, path in MODULES.items():
        src = _part(name)
        for target, line in _imports(name, path, MODULES):
            dst = _part(target)
            if dst == src or dst in FOUNDATION:
                continue
            if src in FOUNDATION:
                bad.append(f"{path.relative_to(SRC)}:{line}: foundation module imports {target}")
            elif dst == PUBLIC_ROOT:
                bad.append(f"{path.relative_to(SRC)}:{line}: imports the package root (llmtco.__init__)")
            elif src != PUBLIC_ROOT and dst not in ALLOWED.get(src, set()):
                bad.append(f"{path.relative_to(SRC)}:{line}: {src} may not import {target} ({dst})")
    assert not bad, "imports against the flow:\n" + "\n".join(dict.fromkeys(bad))


def test_every_part_is_placed() -> None:
    parts = {_part(n) for n in MODULES} - {PUBLIC_ROOT}
    assert parts <= set(ALLOWED) | FOUNDATION, f"unplaced parts: {sorted(parts - set(ALLOWED) - FOUNDATION)}"


def test_no_import_cycle() -> None:
    # Tarjan-free: a module is in a cycle when it can reach itself; report one cycle path
    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, trail = stack.pop()
            for nxt in GRAPH.get(node, []):
                if nxt == start:
                    return [*trail, start]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
        return None

    cycles = {" -> ".join(c) for n in sorted(GRAPH) if (c := cycle_from(n)) is not None}
    assert not cycles, "import cycles:\n" + "\n".join(sorted(cycles)[:10])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name: str) -> None:
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(SRC)} has {lines} lines (at most {MAX_LINES})"
