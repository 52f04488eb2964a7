"""Compare two evaluations (scenarios or saved JSON results): inputs that changed, and cost per option and item."""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from llmtco.report.markdown import _cell


@dataclass
class Change:
    path: str
    base: Any
    head: Any


@dataclass
class CostChange:
    option: str
    item: str
    """'total' or a line item."""
    base_usd: float | None
    head_usd: float | None

    @property
    def delta_usd(self) -> float | None:
        if self.base_usd is None or self.head_usd is None:
            return None
        return self.head_usd - self.base_usd

    @property
    def delta_pct(self) -> float | None:
        d = self.delta_usd
        if d is None or not self.base_usd:
            return None
        return d / abs(self.base_usd) * 100.0


@dataclass
class Diff:
    base: str
    head: str
    inputs: list[Change] = field(default_factory=list)
    costs: list[CostChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "inputs": [asdict(c) for c in self.inputs],
            "costs": [{**asdict(c), "delta_usd": c.delta_usd, "delta_pct": c.delta_pct} for c in self.costs],
        }


def _flatten(x: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(x, dict):
        for k, v in x.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(x, list) and x and all(isinstance(v, dict) and "name" in v for v in x):
        for v in x:
            out.update(_flatten(v, f"{prefix}[{v['name']}]"))
    elif isinstance(x, list) and x and all(isinstance(v, dict) and "id" in v for v in x):
        for v in x:
            out.update(_flatten(v, f"{prefix}[{v['id']}]"))
    else:
        out[prefix] = x
    return out


def diff_inputs(base: dict[str, Any], head: dict[str, Any]) -> list[Change]:
    a, b = _flatten(base), _flatten(head)
    return [Change(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def diff_results(
    base: dict[str, Any],
    head: dict[str, Any],
    base_name: str,
    head_name: str,
    base_inputs: dict[str, Any] | None = None,
    head_inputs: dict[str, Any] | None = None,
) -> Diff:
    """Diff two breakdown JSON documents (and, when given, the scenario inputs behind them)."""
    d = Diff(base=base_name, head=head_name)
    if base_inputs is not None and head_inputs is not None:
        d.inputs = diff_inputs(base_inputs, head_inputs)
    else:

        def table(doc: dict[str, Any]) -> dict[str, Any]:
            return {f"{a['scope']}.{a['name']}": a["value"] for a in doc.get("assumptions", [])}

        d.inputs = diff_inputs(table(base), table(head))
    b_opts = {o["name"]: o for o in base.get("options", [])}
    h_opts = {o["name"]: o for o in head.get("options", [])}
    for name in list(b_opts) + [n for n in h_opts if n not in b_opts]:
        bo, ho = b_opts.get(name), h_opts.get(name)
        d.costs.append(CostChange(name, "total", bo and bo.get("total_cost_usd"), ho and ho.get("total_cost_usd")))
        b_items = {li["item"]: li["total_usd"] for li in (bo or {}).get("line_items", [])}
        h_items = {li["item"]: li["total_usd"] for li in (ho or {}).get("line_items", [])}
        for item in list(b_items) + [i for i in h_items if i not in b_items]:
            if b_items.get(item) != h_items.get(item):
                d.costs.append(CostChange(name, item, b_items.get(item), h_items.get(item)))
    return d


def _money(v: float | None) -> str:
    return "–" if v is None else f"${v:,.0f}"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:+.1f} %"


def render_diff_table(d: Diff) -> str:
    buf = io.StringIO()
    buf.write(f"llmtco diff: {d.base} → {d.head}\n\nInputs changed ({len(d.inputs)}):\n")
    for ch in d.inputs:
        buf.write(f"  {ch.path}: {ch.base!r} → {ch.head!r}\n")
    buf.write(f"\n{'option':28} {'item':22} {'base':>14} {'head':>14} {'change':>14} {'%':>9}\n")
    for c in d.costs:
        d_usd = c.delta_usd
        buf.write(
            f"{c.option[:28]:28} {c.item[:22]:22} {_money(c.base_usd):>14} {_money(c.head_usd):>14} "
            f"{('–' if d_usd is None else f'{d_usd:+,.0f}'):>14} {_pct(c.delta_pct):>9}\n"
        )
    return buf.getvalue()


def render_diff_markdown(d: Diff) -> str:
    lines = [f"### LLM TCO diff: {_cell(d.base)} → {_cell(d.head)}", ""]
    totals = [c for c in d.costs if c.item == "total"]
    lines += ["| option | base | head | change |", "|---|---:|---:|---:|"]
    lines += [
        f"| {_cell(c.option)} | {_money(c.base_usd)} | {_money(c.head_usd)} | {_pct(c.delta_pct)} |" for c in totals
    ]
    if d.inputs:
        lines += ["", f"<details><summary>{len(d.inputs)} input(s) changed</summary>", ""]
        lines += [f"- `{_cell(c.path)}`: {_cell(repr(c.base))} → {_cell(repr(c.head))}" for c in d.inputs[:200]]
        lines += ["", "</details>"]
    items = [c for c in d.costs if c.item != "total"]
    if items:
        lines += ["", "| option | item | base | head | change |", "|---|---|---:|---:|---:|"]
        lines += [
            f"| {_cell(c.option)} | {c.item} | {_money(c.base_usd)} | {_money(c.head_usd)} | {_pct(c.delta_pct)} |"
            for c in items[:300]
        ]
    return "\n".join(lines)[:65_000] + "\n"


def render_diff_json(d: Diff) -> str:
    return json.dumps(d.to_dict(), indent=2, allow_nan=False) + "\n"
