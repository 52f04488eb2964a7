"""YAML loading that keeps line and column numbers for error messages.

YAML 1.2 through ruamel.yaml: ``NO`` stays a string, ``5e9`` is a number.

Every parse is bounded, for files and for text that arrives over the network
alike: a document is at most ``MAX_YAML_BYTES`` long, nests at most
``MAX_YAML_DEPTH`` deep, and holds at most ``MAX_YAML_NODES`` nodes *counted
with aliases expanded* (an alias counts its target's nodes again each time it
is used), so a "billion laughs" alias bomb is refused after a bounded walk
instead of being expanded. Files are read with ``files.read_text_limited``:
a FIFO or a device is refused before it is opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from llmtco.errors import Issue, ScenarioError
from llmtco.files import read_text_limited

MAX_YAML_BYTES = 2 * 1024 * 1024
"""Largest YAML document (scenario, overlay, calibration profile) llmtco parses [bytes]."""
MAX_YAML_NODES = 100_000
"""Most mappings, sequences and scalars a document may hold, aliases expanded."""
MAX_YAML_DEPTH = 64
"""Deepest nesting of mappings and sequences a document may have."""


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def load_yaml_text(text: str, file: str = "<string>") -> Any:
    """Parse YAML text into ruamel round-trip nodes (which remember positions), within the bounds above."""
    size = len(text) if len(text) > MAX_YAML_BYTES else len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_YAML_BYTES:
        raise ScenarioError(
            [Issue(path="", message=f"document is over the limit of {MAX_YAML_BYTES:,} bytes", file=file)]
        )
    try:
        node = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError(
            [Issue(path="", message=f"YAML syntax error: {problem}", file=file, line=line, column=column)]
        ) from None
    except RecursionError:
        raise ScenarioError(
            [Issue(path="", message=f"document nests deeper than {MAX_YAML_DEPTH} levels", file=file)]
        ) from None
    except Exception as exc:  # ruamel raises a few unmarked errors (e.g. duplicate keys)
        raise ScenarioError([Issue(path="", message=f"YAML error: {exc}", file=file)]) from None
    problem = _too_big(node)
    if problem is not None:
        raise ScenarioError([Issue(path="", message=problem, file=file)])
    return node


def _too_big(node: Any) -> str | None:
    """Why ``node`` is over the node or depth limit (aliases expanded), or None; stops at the first excess."""
    count = 0
    stack: list[tuple[Any, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        count += 1
        if count > MAX_YAML_NODES:
            return (
                f"document has more than {MAX_YAML_NODES:,} nodes with aliases expanded "
                "(an alias bomb, or a file far larger than a scenario)"
            )
        if isinstance(current, dict | list):
            if depth > MAX_YAML_DEPTH:
                return f"document nests deeper than {MAX_YAML_DEPTH} levels"
            children = current.values() if isinstance(current, dict) else current
            stack.extend((child, depth + 1) for child in children)
    return None


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file; a missing, unreadable, non-regular or oversized file is a ScenarioError."""
    p = Path(path)
    try:
        text = read_text_limited(p, MAX_YAML_BYTES)
    except FileNotFoundError:
        raise ScenarioError([Issue(path="", message="file not found", file=str(p))]) from None
    except OSError as exc:
        raise ScenarioError([Issue(path="", message=f"cannot read file: {exc}", file=str(p))]) from None
    return load_yaml_text(text, file=str(p))


def position(node: Any, loc: tuple[int | str, ...]) -> tuple[int | None, int | None]:
    """1-based (line, column) of the value at ``loc`` inside ``node``, as deep as it exists.

    When the exact value does not exist (a missing field), the position of the
    deepest existing parent is returned, which is where the field belongs.
    """
    line: int | None = None
    col: int | None = None
    if isinstance(node, CommentedMap | CommentedSeq) and hasattr(node, "lc"):
        line, col = node.lc.line + 1, node.lc.col + 1
    current = node
    for key in loc:
        if isinstance(current, CommentedMap) and key in current:
            try:
                ln, cl = current.lc.value(key)
            except (KeyError, TypeError):
                ln, cl = current.lc.key(key)
            line, col = ln + 1, cl + 1
            current = current[key]
        elif isinstance(current, CommentedSeq) and isinstance(key, int) and 0 <= key < len(current):
            ln, cl = current.lc.item(key)
            line, col = ln + 1, cl + 1
            current = current[key]
        else:
            break
    return line, col


def to_plain(node: Any) -> Any:
    """Convert ruamel nodes to plain dicts, lists and scalars."""
    if isinstance(node, dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if hasattr(node, "real") and type(node).__name__ in {"ScalarFloat"}:
        return float(node)
    if type(node).__name__ in {"ScalarInt", "HexInt", "OctalInt", "BinaryInt"}:
        return int(node)
    if type(node).__name__ in {"ScalarBoolean"}:
        return bool(node)
    if isinstance(node, str):
        return str(node)
    return node
