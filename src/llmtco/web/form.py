"""The editor form, generated from the scenario schema (``llmtco.scenario.schema``), and its way back into the YAML.

``build_form`` walks the pydantic models along a round-trip YAML document and
gives one ``Control`` per leaf field (label, unit and help from the field's
description, allowed values and range from its type), nested ``Group``s for
sub-models and list entries. Nothing here lists fields by hand: a field added
to the schema appears in the form. ``apply_form`` writes the submitted
``f:<dotted path>`` values back into the same round-trip document, so YAML
comments and untouched values keep their text; only values that changed are
written, and a value that does not fit its field is not written but reported
beside the field, naming the allowed values.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from llmtco.catalog import Catalog
from llmtco.scenario.schema import Scenario

__all__ = ["Control", "FormResult", "Group", "apply_form", "build_form", "controls"]

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


@dataclass
class FormResult:
    """What ``apply_form`` did."""

    text: str
    errors: dict[str, str] = field(default_factory=dict)
    """Field path -> why the submitted value was not written."""
    typed: dict[str, str] = field(default_factory=dict)
    """Field path -> the text the user typed where it was refused (shown back in the field)."""
    error: str | None = None
    """A message for the whole form, if any."""


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
        for x in items:
            if isinstance(x, at.Ge):
                low = float(typing.cast(float, x.ge))
            elif isinstance(x, at.Gt):
                low, low_x = float(typing.cast(float, x.gt)), True
            elif isinstance(x, at.Le):
                high = float(typing.cast(float, x.le))
            elif isinstance(x, at.Lt):
                high, high_x = float(typing.cast(float, x.lt)), True
    return low, high, low_x, high_x


def _g(x: float) -> str:
    return f"{x:.0e}".replace("e+0", "e").replace("e+", "e") if abs(x) >= 1e6 and x == int(x) else f"{x:g}"


def _range_text(b: tuple[float | None, float | None, bool, bool]) -> str:
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
        c.allowed = ("a whole number, " if bare is int else "") + _range_text(c.bounds)
        if isinstance(value, dict):  # a distribution ({low, mode, high}, {p10, p90}, {min, max})
            c.allowed += "; or a distribution such as {p10: ..., p90: ...}"
    elif bare is str:
        c.kind = "longtext" if name == "description" else "text"
        c.picker = PICKERS.get(name)
    elif bare is dt.date:
        ge = [m.ge for m in meta if isinstance(m, at.Ge)]
        le = [m.le for m in meta if isinstance(m, at.Le)]
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
        c.allowed = _range_text(c.bounds)
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


# ------------------------------------------------------------------ applying


class _Refused(ValueError):
    pass


def _parse(c: Control, text: str) -> Any:
    """The document value for a control's submitted text (None removes the key); _Refused if it does not fit."""
    text = text.replace("\r\n", "\n")
    if c.kind not in ("longtext",):
        text = text.strip()
    if not text:
        if c.required:
            raise _Refused("required; give a value")
        return None
    if c.kind in ("number", "integer"):
        if text.startswith("{"):
            return _flow_value(text, dict)
        try:
            value = float(text)
        except ValueError:
            raise _Refused(f"{text[:40]!r} is not a number; allowed: {c.allowed}") from None
        if not math.isfinite(value):
            raise _Refused(f"{text[:40]!r} is not a finite number; allowed: {c.allowed}")
        low, high, low_x, high_x = c.bounds
        if (low is not None and (value < low or (low_x and value == low))) or (
            high is not None and (value > high or (high_x and value == high))
        ):
            raise _Refused(f"{text[:40]} is out of range; allowed: {c.allowed}")
        if c.kind == "integer":
            if not value.is_integer():
                raise _Refused(f"{text[:40]} is not a whole number; allowed: {c.allowed}")
            return int(value)
        return int(value) if value.is_integer() and re.fullmatch(r"[+-]?\d+", text) else value
    if c.kind in ("select", "bool"):
        if text not in c.choices:
            raise _Refused(f"{text[:40]!r} is not allowed; allowed: {c.allowed}")
        return {"true": True, "false": False}[text] if c.kind == "bool" else text
    if c.kind == "date":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise _Refused(f"{text[:40]!r} is not a date; allowed: {c.allowed}") from None
    if c.kind == "labels":
        seq = CommentedSeq([p.strip() for p in text.split(",") if p.strip()])
        seq.fa.set_flow_style()
        return seq
    if c.kind == "numbers":
        try:
            nums = [_num(p) for p in re.split(r"[,\s]+", text) if p]
        except ValueError:
            raise _Refused(f"{text[:40]!r}: allowed: {c.allowed}") from None
        seq = CommentedSeq(nums)
        seq.fa.set_flow_style()
        return seq
    if c.kind == "yaml":
        return _flow_value(text, object)
    return text


def _num(text: str) -> float | int:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return int(value) if re.fullmatch(r"[+-]?\d+", text) else value


def _flow_value(text: str, kind: type) -> Any:
    from ruamel.yaml import YAML

    from llmtco.web.worker import check_flow_depth

    try:
        check_flow_depth(text, "<form>")
        value = YAML(typ="rt").load(text)
    except Exception:
        raise _Refused(f"{text[:40]!r} is not valid YAML") from None
    if not isinstance(value, kind):
        raise _Refused(f"{text[:40]!r} must be a mapping such as {{p10: 1, p90: 2}}")
    if isinstance(value, CommentedMap | CommentedSeq):
        value.fa.set_flow_style()
    return value


def _set(doc: Any, path: str, value: Any) -> None:
    """Set (None: remove) a dotted path in a round-trip document, creating mappings on the way; empty ones go."""
    parts: list[Any] = [int(p) if p.isdigit() else p for p in path.split(".")]
    node, trail = doc, []
    for p in parts[:-1]:
        if isinstance(node, dict) and (p not in node or node[p] is None):
            if value is None:
                return
            node[p] = CommentedMap()
        trail.append((node, p))
        node = node[p]
    last = parts[-1]
    if value is not None:
        node[last] = value
        return
    if isinstance(node, dict) and last in node:
        del node[last]
    for parent, key in reversed(trail):  # drop mappings the removal left empty (staffing: {} and the like)
        child = parent[key]
        if isinstance(child, dict) and not child and isinstance(parent, dict):
            del parent[key]
        else:
            break


def _new_entry(kind: str, doc: Any, catalog: Catalog | None) -> tuple[str, CommentedMap]:
    def first(table: str, fallback: str) -> str:
        ids = list(getattr(catalog, table).records) if catalog is not None else []
        return ids[0] if ids else fallback

    workloads = doc.get("workloads") if isinstance(doc.get("workloads"), list) else []
    model = next((w.get("model") for w in workloads if isinstance(w, dict) and w.get("model")), None)
    model = model or first("models", "llama-3.3-70b")
    entries: dict[str, tuple[str, dict[str, Any]]] = {
        "inference": ("workloads", {"model": model, "requests_per_day": 1000}),
        "finetune": ("workloads", {"kind": "finetune", "model": model, "tokens_per_run": 100_000_000}),
        "onprem": ("options", {"kind": "onprem", "server": first("servers", "hgx-h100-8")}),
        "cloud_gpu": ("options", {"kind": "cloud_gpu", "instance": first("cloud_instances", "")}),
        "api": ("options", {"kind": "api", "offering": first("api_offerings", "")}),
        "hybrid": (
            "options",
            {
                "kind": "hybrid",
                "base": {"name": "base", "kind": "onprem", "server": first("servers", "hgx-h100-8")},
                "overflow": {"name": "overflow", "kind": "api", "offering": first("api_offerings", "")},
            },
        ),
    }
    if kind not in entries:
        raise _Refused(f"cannot add {kind!r}; allowed: {', '.join(entries)}")
    key, body = entries[kind]
    existing = doc.get(key) if isinstance(doc.get(key), list) else []
    names = {e.get("name") for e in existing if isinstance(e, dict)}
    n = len(existing) + 1
    while f"{kind}-{n}" in names:
        n += 1
    entry = CommentedMap({"name": f"{kind}-{n}"})
    for k, v in body.items():
        entry[k] = CommentedMap(v) if isinstance(v, dict) else v
    return key, entry


def _act(doc: Any, action: str, catalog: Catalog | None) -> None:
    """Add (``add:<kind>``) or remove (``remove:<list>.<index>``) a workload or an option."""
    verb, _, arg = action.partition(":")
    if verb == "add":
        key, entry = _new_entry(arg, doc, catalog)
        if not isinstance(doc.get(key), list):
            doc[key] = CommentedSeq()
        doc[key].append(entry)
    elif verb == "remove":
        key, _, index = arg.partition(".")
        items = doc.get(key)
        if key not in ("workloads", "options") or not index.isdigit() or not isinstance(items, list):
            raise _Refused(f"cannot remove {arg!r}")
        if int(index) >= len(items):
            raise _Refused(f"cannot remove {arg!r}: there is no such entry")
        del items[int(index)]
    elif verb not in ("", "apply"):
        raise _Refused(f"unknown action {verb!r}; allowed: add, remove, apply")


def apply_form(text: str, form: dict[str, str], catalog: Catalog | None = None) -> FormResult:
    """The YAML with the form's changed ``f:<path>`` fields written in, and any add/remove action done."""
    from llmtco.web.deps import round_trip_yaml
    from llmtco.web.worker import check_flow_depth

    try:
        check_flow_depth(text, "<editor>")
        doc = round_trip_yaml().load(text)
    except Exception:  # invalid YAML: keep it, the issues say why
        return FormResult(text)
    tree = build_form(doc, catalog)
    if tree is None:
        return FormResult(text)
    by_path = {c.path: c for c in controls(tree) if c.kind not in ("fixed", "addrate")}
    result = FormResult(text)
    unknown: list[str] = []
    changed = False
    for key, sent in form.items():
        if not key.startswith("f:"):
            continue
        path = key[2:]
        c = by_path.get(path)
        if c is None:
            unknown.append(path)
            continue
        if sent.replace("\r\n", "\n").strip() == c.value.strip():
            continue  # unchanged: keep the YAML's own text for it
        try:
            _set(doc, path, _parse(c, sent))
            changed = True
        except _Refused as exc:
            result.errors[path], result.typed[path] = str(exc), sent
    for key, rate_id in form.items():  # "add a rate override" rows
        if key.startswith("rate-id:") and rate_id:
            path = key.removeprefix("rate-id:")
            sent = form.get("rate-value:" + path, "")
            if path not in {g.path for g in groups(tree) if g.title == "rates"} or not RATE_ID.match(rate_id):
                unknown.append(f"{path}.{rate_id}")
                continue
            c = Control(path=f"{path}.{rate_id}", owner="", name="rates", kind="number")
            from llmtco.catalog.records import RATE_LIMITS

            if rate_id in RATE_LIMITS:
                c.bounds = (*RATE_LIMITS[rate_id], False, False)
            c.allowed = _range_text(c.bounds)
            if not sent.strip():  # a rate chosen, its value not typed yet: keep the choice for the next change
                result.typed["rate-id:" + path] = rate_id
                continue
            try:
                _set(doc, c.path, _parse(c, sent))
                changed = True
            except _Refused as exc:
                result.errors[path], result.typed[path] = f"{rate_id}: {exc}", sent
    action = form.get("action", "")
    try:
        if action:
            _act(doc, action, catalog)
            changed = True
    except _Refused as exc:
        result.error = f"cannot apply the form: {exc}"
    if unknown:
        names = ", ".join(repr(u[:80]) for u in unknown[:5])
        result.error = f"cannot apply the form: no field {names} in this scenario"
    elif result.errors and result.error is None:
        path, msg = next(iter(result.errors.items()))
        result.error = f"cannot apply the form: {path}: {msg}"
    if changed:
        buf = io.StringIO()
        round_trip_yaml().dump(doc, buf)
        result.text = buf.getvalue()
    return result
