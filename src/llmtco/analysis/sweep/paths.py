"""Grid paths: ``workloads[0].requests_per_day``, ``options[onprem].server``, ``options[*].rates.X``.

A path names a scenario field. ``[N]`` picks a list element by index, ``[NAME]``
by its ``name`` field, ``[*]`` every element. A path is resolved against the
plain scenario document into concrete locations (tuples of keys and indices),
checked against the scenario schema (unknown fields get a did-you-mean), and
values are written into a copy of the document along those locations only.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from llmtco.catalog import Catalog
from llmtco.errors import did_you_mean
from llmtco.scenario.schema import Scenario

Loc = tuple[str | int, ...]
"""A concrete location in the plain scenario document, e.g. ``("options", 0, "server")``."""

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\]]*)\])?")


class PathError(ValueError):
    """A grid path that does not name a scenario field (the message says why)."""


@dataclass(frozen=True)
class Leaf:
    """What the schema says about the field at a location."""

    kind: str
    """number | text | flag | any: the JSON type its values must have."""
    model: type[BaseModel]
    """The pydantic model that owns the field."""


def parse(path: str) -> list[tuple[str, str | None]]:
    """Split a path into (field, selector) segments; selector None when absent."""
    out: list[tuple[str, str | None]] = []
    pos = 0
    while pos < len(path):
        if out:
            if path[pos] != ".":
                raise PathError(f"expected '.' at character {pos + 1}")
            pos += 1
        m = _SEGMENT.match(path, pos)
        if m is None:
            raise PathError(f"expected a field name at character {pos + 1}")
        out.append((m.group(1), m.group(2)))
        pos = m.end()
    if not out:
        raise PathError("empty path")
    return out


def resolve(path: str, doc: dict[str, Any]) -> list[Loc]:
    """Every concrete location ``path`` names in ``doc``."""
    locs: list[Loc] = [()]
    for name, sel in parse(path):
        nxt: list[Loc] = []
        for loc in locs:
            node = _get(doc, loc)
            if sel is None:
                nxt.append((*loc, name))
                continue
            items = node.get(name) if isinstance(node, dict) else None
            if not isinstance(items, list):
                raise PathError(f"{name!r} is not a list in the scenario")
            if sel == "*":
                nxt += [(*loc, name, i) for i in range(len(items))]
            elif re.fullmatch(r"-?\d+", sel):
                i = int(sel)
                if not 0 <= i < len(items):
                    raise PathError(f"{name}[{i}]: the scenario has {len(items)} {name} (0 to {len(items) - 1})")
                nxt.append((*loc, name, i))
            else:
                names = [str(x.get("name")) for x in items if isinstance(x, dict)]
                if sel not in names:
                    raise PathError(f"{name}[{sel}]: no {name[:-1]} named {sel!r}.{did_you_mean(sel, names)}")
                nxt.append((*loc, name, names.index(sel)))
        locs = nxt
    return locs


def _get(doc: Any, loc: Loc) -> Any:
    node = doc
    for key in loc:
        if isinstance(node, dict) and isinstance(key, str):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return None
    return node


def get(doc: Any, loc: Loc) -> Any:
    """The value at ``loc`` (None where absent)."""
    return _get(doc, loc)


def put(doc: dict[str, Any], loc: Loc, value: Any) -> dict[str, Any]:
    """A copy of ``doc`` with ``value`` at ``loc``: only the containers along the way are copied."""

    def go(node: Any, i: int) -> Any:
        key = loc[i]
        if isinstance(key, int):
            out_list = list(node)
            out_list[key] = value if i == len(loc) - 1 else go(out_list[key], i + 1)
            return out_list
        out = dict(node) if isinstance(node, dict) else {}
        out[key] = value if i == len(loc) - 1 else go(out.get(key), i + 1)
        return out

    result: dict[str, Any] = go(doc, 0)
    return result


def _unwrap(ann: Any, node: Any) -> Any:
    """The pydantic model (or leaf type) of an annotation, choosing union members by the node's ``kind``."""
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Annotated:
        return _unwrap(args[0], node)
    if origin in (list, tuple):
        return _unwrap(args[0], node)
    if origin is dict:
        return ann
    if args and origin is not typing.Literal:  # a union (incl. Optional)
        members = [_unwrap(a, node) for a in args if a is not type(None)]
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        if models:
            kind = node.get("kind") if isinstance(node, dict) else None
            for m in models:
                default = m.model_fields.get("kind")
                if default is not None and (default.default == kind or (kind is None and m is models[0])):
                    return m
            return models[0]
        return members[0] if len(members) == 1 else ann
    return ann


def _leaf_kind(ann: Any) -> str:
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Annotated:
        return _leaf_kind(args[0])
    if origin is typing.Literal:
        return "text" if all(isinstance(a, str) for a in args) else "any"
    if origin in (list, tuple, dict):
        return "any"
    if args:
        kinds = {_leaf_kind(a) for a in args if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else "any"
    if ann in (float, int):
        return "number"
    if ann is str:
        return "text"
    if ann is bool:
        return "flag"
    return "any"


def leaf(doc: dict[str, Any], loc: Loc, catalog: Catalog) -> Leaf:
    """Check ``loc`` against the scenario schema; say which JSON type its values need."""
    cls: type[BaseModel] = Scenario
    node: Any = doc
    i = 0
    while i < len(loc):
        key = loc[i]
        assert isinstance(key, str)
        field = cls.model_fields.get(key)
        if field is None or key == "catalog":
            allowed = [k for k in cls.model_fields if k != "catalog"]
            raise PathError(f"unknown field {key!r} of {cls.__name__}.{did_you_mean(key, allowed)}")
        node = node.get(key) if isinstance(node, dict) else None
        ann = field.annotation
        if i + 1 < len(loc) and isinstance(loc[i + 1], int):
            i += 1
            idx = loc[i]
            node = node[idx] if isinstance(node, list) and isinstance(idx, int) else None
        target = _unwrap(ann, node)
        if i == len(loc) - 1:
            if isinstance(target, type) and issubclass(target, BaseModel):
                raise PathError(f"{key!r} is a section; name one of its fields: {', '.join(target.model_fields)}")
            return Leaf(kind=_leaf_kind(ann), model=cls)
        if typing.get_origin(target) is dict:
            if key != "rates" or i + 2 != len(loc):
                raise PathError(f"{key!r}: only rates.<rate id> may be swept inside a mapping")
            rate = str(loc[i + 1])
            if rate not in catalog.rates:
                raise PathError(f"unknown rate id {rate!r}.{did_you_mean(rate, catalog.rates.records)}")
            return Leaf(kind="number", model=cls)
        if not (isinstance(target, type) and issubclass(target, BaseModel)):
            raise PathError(f"{key!r} has no fields to name")
        cls = target
        i += 1
    raise PathError("the path names no field")


def type_ok(kind: str, value: Any) -> bool:
    """Whether ``value`` has the JSON type a field of ``kind`` takes (range checks are the loader's)."""
    if value is None or kind == "any":
        return True
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "text":
        return isinstance(value, str)
    if kind == "flag":
        return isinstance(value, bool)
    return True
