"""YAML loading that keeps line and column numbers for error messages.

YAML 1.2 through ruamel.yaml: ``NO`` stays a string, ``5e9`` is a number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from llmtco.errors import Issue, ScenarioError


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def load_yaml_text(text: str, file: str = "<string>") -> Any:
    """Parse YAML text into ruamel round-trip nodes (which remember positions)."""
    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError(
            [Issue(path="", message=f"YAML syntax error: {problem}", file=file, line=line, column=column)]
        ) from None
    except Exception as exc:  # ruamel raises a few unmarked errors (e.g. duplicate keys)
        raise ScenarioError([Issue(path="", message=f"YAML error: {exc}", file=file)]) from None


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file; a missing or unreadable file is a ScenarioError."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Issue(path="", message="file not found", file=str(p))]) from None
    except (OSError, UnicodeDecodeError) as exc:
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
