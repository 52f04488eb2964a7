"""The editor form's way back into the YAML: the submitted ``f:<dotted path>`` values, rate rows and add/remove.

Values are written into the same round-trip document the form was built from
(``llmtco.web.form.build_form``), so YAML comments and untouched values keep
their text; only values that changed are written, and a value that does not
fit its field is not written but reported beside the field, naming the
allowed values.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from llmtco.catalog import Catalog
from llmtco.web.form import RATE_ID, Control, build_form, controls, groups, range_text

__all__ = ["FormResult", "apply_form"]


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
            c.allowed = range_text(c.bounds)
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
