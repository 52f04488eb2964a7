"""The editor form, generated from the scenario schema (``llmtco.scenario.schema``), and its way back into the YAML.

``build_form`` walks the pydantic models along a round-trip YAML document and
gives one ``Control`` per leaf field (label, unit and help from the field's
description, allowed values and range from its type), nested ``Group``s for
sub-models and list entries. Nothing here lists fields by hand: a field added
to the schema appears in the form. ``llmtco.web.form_apply`` writes the
submitted values back into the YAML.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from llmtco.catalog import Catalog
from llmtco.scenario.schema import Scenario

__all__ = ["Control", "Group", "build_form", "controls", "groups", "range_text"]

PICKERS = {
    "model": "models",
    "server": "servers",
    "accelerator": "accelerators",
    "region": "regions",
    "instance": "cloud_instances",
    "offering": "api_offerings",
}
"""Text fields (by name) that hold a catalog id, and the catalog table their picker searches."""

RATE_ID = re.compile(r"^\w+$")
"""A rate id the form can address by path (the catalog's are all of this form)."""
_UNIT = re.compile(r"\[([^\[\],]{1,24})\]")

ControlKind = Literal[
    "number", "integer", "text", "longtext", "select", "bool", "date", "labels", "numbers", "yaml", "addrate", "fixed"
]


@dataclass
class Control:
    """One leaf field of the scenario as a form control."""

    path: str
    """Dotted path in the document (``options.0.server``); the form field is ``f:<path>``."""
    owner: str
    """Schema model the field belongs to (``OnPremOption``)."""
    name: str
    """Field name in that model."""
    kind: ControlKind
    help: str = ""
    unit: str = ""
    allowed: str = ""
    """The allowed values or range, in words, for messages and help."""
    choices: tuple[str, ...] = ()
    value: str = ""
    """The document's value as the form shows it ('' when absent)."""
    default: str = ""
    required: bool = False
    picker: str | None = None
    """Catalog table searched by this field's picker, if it holds a catalog id."""
    bounds: tuple[float | None, float | None, bool, bool] = (None, None, False, False)
    """(low, high, low exclusive, high exclusive) for numbers."""
    label: str = ""
    """What the form calls it where that is not the field name (a rate override shows its rate id)."""

    @property
    def id(self) -> str:
        return "f-" + self.path.replace(".", "-")


@dataclass
class Group:
    """A sub-model, a list entry or a list: a fieldset in the form."""

    path: str
    title: str
    help: str = ""
    items: list[Control | Group] = field(default_factory=list)
    kind: str = ""
    """The entry's kind (``onprem``) where the model has one, shown read-only."""
    removable: bool = False
    """A list entry: the form offers to remove it."""
    addable: tuple[str, ...] = ()
    """A list: the kinds of entry the form offers to add."""
    rates: tuple[str, ...] = ()
    """A rates map: the rate ids that can be added (those not yet overridden)."""

    @property
    def id(self) -> str:
        return "g-" + (self.path.replace(".", "-") or "scenario")

    def has_issue(self, issues: dict[str, str]) -> bool:
        """Whether ``issues`` (path -> message) has one for this group or a field in it."""
        return any(k == self.path or k.startswith(self.path + ".") for k in issues)

    @property
    def filled(self) -> bool:
        """Whether any field in it has a value in the document (the form folds empty sub-models away)."""
        return any(i.filled if isinstance(i, Group) else bool(i.value) and i.kind != "fixed" for i in self.items)


# ------------------------------------------------------------------ types


def _unwrap(ann: Any) -> tuple[Any, list[Any], bool]:
    """(bare type, Annotated metadata, optional) of an annotation."""
    meta: list[Any] = []
    optional = False
    while True:
        if get_origin(ann) is typing.Annotated:
            args = get_args(ann)
            ann, meta = args[0], [*meta, *args[1:]]
            continue
        if get_origin(ann) in (Union, types.UnionType):
            members = [a for a in get_args(ann) if a is not type(None)]
            if len(members) < len(get_args(ann)):
                optional = True
            if len(members) == 1:
                ann = members[0]
                continue
        return ann, meta, optional


def _models(ann: Any) -> list[type[BaseModel]]:
    """The models of a (possibly tagged, annotated) union, or [] if it is not a union of models."""
    bare, _, _ = _unwrap(ann)
    members = get_args(bare) if get_origin(bare) in (Union, types.UnionType) else (bare,)
    out = []
    for m in members:
        m, _, _ = _unwrap(m)
        if not (isinstance(m, type) and issubclass(m, BaseModel)):
            return []
        out.append(m)
    return out


def _tag(model: type[BaseModel]) -> str:
    kind = model.model_fields.get("kind")
    return str(kind.default) if kind is not None else model.__name__


def _bounds(meta: list[Any]) -> tuple[float | None, float | None, bool, bool]:
    low = high = None
    low_x = high_x = False
    for m in meta:
        items = m.metadata if isinstance(m, FieldInfo) else [m]
        for x in items:  # annotated_types' Ge, Gt, Le, Lt (pydantic's constraint metadata), by attribute
            if getattr(x, "ge", None) is not None:
                low = float(x.ge)
            elif getattr(x, "gt", None) is not None:
                low, low_x = float(x.gt), True
            elif getattr(x, "le", None) is not None:
                high = float(x.le)
            elif getattr(x, "lt", None) is not None:
                high, high_x = float(x.lt), True
    return low, high, low_x, high_x


def _g(x: float) -> str:
    return f"{x:.0e}".replace("e+0", "e").replace("e+", "e") if abs(x) >= 1e6 and x == int(x) else f"{x:g}"


def range_text(b: tuple[float | None, float | None, bool, bool]) -> str:
    low, high, low_x, high_x = b
    if low is None and high is None:
        return "any number"
    if high is None and low is not None:
        return f"{'above' if low_x else 'at least'} {_g(low)}"
    if low is None and high is not None:
        return f"{'below' if high_x else 'at most'} {_g(high)}"
    assert low is not None and high is not None
    return f"{_g(low)}{' (exclusive)' if low_x else ''} to {_g(high)}{' (exclusive)' if high_x else ''}"


def _text(value: Any) -> str:
    """How the form shows a document value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.15g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return _flow(value)
    return str(value)


def _flow(value: Any) -> str:
    from ruamel.yaml import YAML

    y = YAML(typ="safe", pure=True)
    y.default_flow_style = True
    y.width = 10_000
    buf = io.StringIO()
    y.dump(_plain(value), buf)
    return buf.getvalue().strip().removesuffix("...").strip()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    for t in (bool, int, float, str):  # ruamel's round-trip scalars are subclasses the safe dumper refuses
        if isinstance(value, t):
            return t(value)
    return value if isinstance(value, dt.date) or value is None else str(value)


def _unit(description: str) -> str:
    m = _UNIT.search(description)
    return m.group(1) if m else ""


def _leaf(path: str, owner: type[BaseModel], name: str, info: FieldInfo, value: Any) -> Control:
    bare, meta, _ = _unwrap(info.annotation)
    meta = [*info.metadata, *meta]
    desc = info.description or ""
    required = info.is_required()
    default = info.get_default(call_default_factory=True) if not required else None
    c = Control(
        path=path,
        owner=owner.__name__,
        name=name,
        kind="yaml",
        help=desc,
        unit=_unit(desc),
        value=_text(value),
        default=_text(default) if default not in (None, [], {}) else "",
        required=required,
    )
    origin = get_origin(bare)
    if get_origin(bare) is Literal:
        c.kind, c.choices = "select", tuple(str(a) for a in get_args(bare))
        c.allowed = ", ".join(c.choices)
    elif bare is bool:
        c.kind, c.choices, c.allowed = "bool", ("true", "false"), "true, false"
    elif bare is int or bare is float:
        c.kind = "integer" if bare is int else "number"
        c.bounds = _bounds(meta)
        c.allowed = ("a whole number, " if bare is int else "") + range_text(c.bounds)
        if isinstance(value, dict):  # a distribution ({low, mode, high}, {p10, p90}, {min, max})
            c.allowed += "; or a distribution such as {p10: ..., p90: ...}"
    elif bare is str:
        c.kind = "longtext" if name == "description" else "text"
        c.picker = PICKERS.get(name)
    elif bare is dt.date:
        ge = [m.ge for m in meta if getattr(m, "ge", None) is not None]
        le = [m.le for m in meta if getattr(m, "le", None) is not None]
        c.kind, c.allowed = "date", "a date YYYY-MM-DD" + (f" from {ge[0]} to {le[0]}" if ge and le else "")
    elif origin is list:
        (item,) = get_args(bare)
        item_bare, _, _ = _unwrap(item)
        if item_bare is str:
            c.kind, c.allowed = "labels", "names separated by commas"
        elif item_bare is float:
            c.kind, c.allowed = "numbers", "numbers separated by commas"
    if c.kind in ("labels", "numbers") and isinstance(value, list):
        c.value = ", ".join(_text(v) for v in value)
    if c.kind == "yaml":
        c.allowed = "YAML (flow style), e.g. [[100, 1], [200, 3]] or {key: value}"
    return c


# ------------------------------------------------------------------ building


def _group(model: type[BaseModel], data: Any, path: str, title: str, catalog: Catalog | None) -> Group:
    data = data if isinstance(data, dict) else {}
    g = Group(path=path, title=title, help=(model.__doc__ or "").strip().split("\n\n")[0])
    if "kind" in model.model_fields:
        g.kind = _tag(model)
    for name, info in model.model_fields.items():
        sub = f"{path}.{name}" if path else name
        value = data.get(name)
        if name == "kind":
            g.items.append(Control(path=sub, owner=model.__name__, name=name, kind="fixed", value=g.kind))
            continue
        items = _models(info.annotation)
        bare, _, _ = _unwrap(info.annotation)
        if items and get_origin(bare) is not list:  # a sub-model, or a union of models chosen by kind
            chosen = _choose(items, value)
            sg = _group(chosen, value, sub, name, catalog)
            sg.help = info.description or sg.help
            g.items.append(sg)
        elif get_origin(bare) is list and _models(get_args(bare)[0]):
            members = _models(get_args(bare)[0])
            lg = Group(path=sub, title=name, help=info.description or "", addable=tuple(_tag(m) for m in members))
            for i, entry in enumerate(value if isinstance(value, list) else []):
                eg = _group(_choose(members, entry), entry, f"{sub}.{i}", _entry_title(entry, i), catalog)
                eg.removable = True
                lg.items.append(eg)
            g.items.append(lg)
        elif get_origin(bare) is dict and name == "rates" and _rate_map(value):
            g.items.append(_rates(model, info, value, sub, catalog))
        else:
            g.items.append(_leaf(sub, model, name, info, value))
    return g


def _rate_map(value: Any) -> bool:
    return value is None or (isinstance(value, dict) and all(isinstance(k, str) and RATE_ID.match(k) for k in value))


def _rates(model: type[BaseModel], info: FieldInfo, value: Any, path: str, catalog: Catalog | None) -> Group:
    from llmtco.catalog.records import RATE_LIMITS

    value = value if isinstance(value, dict) else {}
    known = list(catalog.rates.records) if catalog is not None else list(RATE_LIMITS)
    g = Group(path=path, title="rates", help=info.description or "", rates=tuple(r for r in known if r not in value))
    for rate_id, v in value.items():
        c = Control(
            path=f"{path}.{rate_id}", owner=model.__name__, name="rates", kind="number", value=_text(v), label=rate_id
        )
        rec = catalog.rates.records.get(rate_id) if catalog is not None else None
        if rec is not None:
            c.unit, c.default, c.help = rec.unit, _text(rec.value), rec.notes or rec.source
        if rate_id in RATE_LIMITS:
            low, high = RATE_LIMITS[rate_id]
            c.bounds = (low, high, False, False)
        c.allowed = range_text(c.bounds)
        g.items.append(c)
    # the map itself is a field: its control is the "add a rate" row
    g.items.append(Control(path=path, owner=model.__name__, name="rates", kind="addrate", help=g.help, choices=g.rates))
    return g


def _choose(models: list[type[BaseModel]], value: Any) -> type[BaseModel]:
    kind = value.get("kind") if isinstance(value, dict) else None
    for m in models:
        if _tag(m) == kind:
            return m
    return models[0]


def _entry_title(entry: Any, i: int) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    return str(name) if name else f"entry {i + 1}"


def build_form(doc: Any, catalog: Catalog | None = None) -> Group | None:
    """The form for a round-trip YAML document (None when it is not a mapping)."""
    if not isinstance(doc, dict):
        return None
    return _group(Scenario, doc, "", "Scenario", catalog)


def controls(group: Group) -> list[Control]:
    """Every control in a form, depth first."""
    out: list[Control] = []
    for item in group.items:
        out.extend(controls(item) if isinstance(item, Group) else [item])
    return out


def groups(group: Group) -> list[Group]:
    out = [group]
    for item in group.items:
        if isinstance(item, Group):
            out.extend(groups(item))
    return out
