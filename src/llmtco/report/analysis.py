"""Text and JSON renderings of the analysis results (simulate, sensitivity, optimize).

The analyses return documented dataclasses (``llmtco.analysis``); these turn
them into the fixed-width tables the CLI prints and the JSON documents
(``to_dict``), so no formatting lives in the CLI.
"""

from __future__ import annotations

import json
from typing import Any

from llmtco.analysis.montecarlo import SimulationResult
from llmtco.analysis.optimize import FleetPlanResult, HybridCurveResult
from llmtco.analysis.sensitivity import SobolResult, TornadoResult
from llmtco.report.text import escape_controls as plain


def _usd(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v / 1e6:,.2f}M" if abs(v) >= 1e6 else f"{v / 1e3:,.1f}k"


def _num(v: float | None, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def render_json_doc(doc: dict[str, Any]) -> str:
    """A JSON document as every command writes it (indented, standard JSON: no NaN or Infinity)."""
    return json.dumps(doc, indent=2, allow_nan=False, default=lambda x: None) + "\n"


def simulation_table(sim: SimulationResult) -> str:
    lines = [
        f"{plain(sim.scenario)}: {sim.samples:,} samples, seed {sim.seed}, {len(sim.inputs)} uncertain input(s)",
        "",
        f"{'option':30} {'P10':>10} {'P50':>10} {'P90':>10} {'P(cheapest)':>12}   (total cost, USD)",
    ]
    for name, o in sim.options.items():
        t = o.total_cost_usd
        lines.append(
            f"{plain(name)[:30]:30} {_usd(t.p10):>10} {_usd(t.p50):>10} {_usd(t.p90):>10} "
            f"{o.probability_cheapest * 100:11.1f}%"
        )
    lines += ["", f"{'option':30} {'P10':>10} {'P50':>10} {'P90':>10}   (USD per M tokens)"]
    for name, o in sim.options.items():
        m = o.cost_per_mtok_usd
        lines.append(f"{plain(name)[:30]:30} {_num(m.p10, '10.3f')} {_num(m.p50, '10.3f')} {_num(m.p90, '10.3f')}")
    lines.append("")
    for pair, b in sim.breakeven_month.items():
        p = b.months
        if p.p50 is not None and p.p50 > 0 and p.p10 is not None and p.p90 is not None:
            lines.append(
                f"break-even {plain(pair)}: P50 month {p.p50:.0f} (P10 {p.p10:.0f}, P90 {p.p90:.0f}), "
                f"never within the horizon in {b.probability_never * 100:.0f} % of samples"
            )
    for name, reason in sim.excluded.items():
        lines.append(f"excluded {plain(name)}: {plain(reason)}")
    lines += ["", "inputs: " + "; ".join(f"{plain(i.source)} ({i.distribution})" for i in sim.inputs)]
    return "\n".join(lines) + "\n"


def tornado_table(t: TornadoResult, scenario: str) -> str:
    first, second = t.leaders
    lines = [f"{plain(scenario)}: tornado sensitivity; leaders {first} and {second}", ""]
    lines.append(f"{'input':48} {'P10':>12} {'P90':>12} {'swing of ' + str(second) + ' - ' + str(first):>30}")
    for row in t.inputs:
        d = row.leading_difference
        swing = f"{_usd(d.at_low)} .. {_usd(d.at_high)}" if d else "-"
        lines.append(f"{plain(row.input)[:48]:48} {row.low:12.4g} {row.high:12.4g} {swing:>30}")
    return "\n".join(lines) + "\n"


def sobol_table(s: SobolResult, scenario: str) -> str:
    first, second = s.leaders
    lines = [f"{plain(scenario)}: sobol sensitivity; leaders {first} and {second}", ""]
    target = "leading_difference" if first and second else next(iter(s.inputs[0].total_order))
    lines.append(f"{'input':48} {'first order':>12} {'total order':>12}   ({target})")
    for row in s.inputs:
        lines.append(f"{plain(row.input)[:48]:48} {row.first_order[target]:12.3f} {row.total_order[target]:12.3f}")
    lines.append(f"\n{s.evaluations:,} engine evaluations (n = {s.base_samples})")
    return "\n".join(lines) + "\n"


def optimize_table(fleet: FleetPlanResult, hybrid: HybridCurveResult | None, scenario: str) -> str:
    lines = [f"{plain(scenario)}: {fleet.candidates} candidates", plain(fleet.explanation), ""]
    lines.append(f"{'option':44} {'NPV':>12}")
    for row in fleet.ranking:
        lines.append(f"{plain(row.option)[:44]:44} {_usd(row.npv_usd):>12}")
    for name, h in (hybrid.hybrids if hybrid else {}).items():
        lines.append("")
        lines.append(
            f"hybrid {plain(name)}: best base percentile P{h.best.base_percentile:g} "
            f"(NPV {_usd(h.best.npv_usd)}; now P{h.current:g})"
        )
        top = max(p.npv_usd for p in h.curve)
        for p in h.curve:
            bar = "#" * max(1, int(40 * p.npv_usd / top)) if top > 0 else "#"
            lines.append(f"  P{p.base_percentile:>5.0f} {_usd(p.npv_usd):>10} {bar}")
    return "\n".join(lines) + "\n"


def optimize_doc(fleet: FleetPlanResult, hybrid: HybridCurveResult | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"fleet": fleet.to_dict()}
    if hybrid is not None:
        doc["hybrid"] = hybrid.to_dict()
    return doc
