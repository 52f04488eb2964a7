"""Terminal table: options side by side (rich)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from llmtco.costing.ledger import ITEMS
from llmtco.report.text import escaped
from llmtco.result import OptionResult, Result


def currency_symbol(currency: str) -> str:
    return "$" if currency == "USD" else "€"


def money(value: float | None, fx: float, symbol: str, missing: str = "-") -> str:
    """A USD amount in the report currency (``fx`` USD per unit), shortened to k or M."""
    if value is None:
        return missing
    v = value / fx
    if abs(v) >= 1e6:
        return f"{symbol}{v / 1e6:,.2f}M"
    if abs(v) >= 1e3:
        return f"{symbol}{v / 1e3:,.1f}k"
    return f"{symbol}{v:,.0f}"


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def render_table(result: Result, width: int = 160) -> str:
    result = escaped(result)  # no control character from a scenario string reaches the reader
    fx = result.usd_per_currency_unit
    sym = currency_symbol(result.currency)
    included = [o for o in result.options if not o.excluded]
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, force_terminal=False, highlight=False, markup=False)
    console.print(
        f"{result.scenario} — {result.horizon_months} months from {result.start_date}, "
        f"discount rate {result.discount_rate_pct:g} %, amounts in {result.currency}"
    )
    for w in result.workloads:
        console.print(
            f"  workload {w.name}: {w.model}, {w.requests_per_day_start:,.0f} requests/day at start, "
            f"{(w.input_tokens_total + w.output_tokens_total) / 1e9:,.2f} B tokens over the horizon"
        )
    if included:
        table = Table(show_lines=False, header_style="bold")
        table.add_column("", no_wrap=True)
        for o in included:
            mark = " *" if o.name == result.cheapest else ""
            table.add_column(f"{o.name}{mark}\n({o.kind})", justify="right")

        def row(label: str, values: list[str], style: str | None = None) -> None:
            table.add_row(label, *values, style=style)

        row("Total cost", [money(o.total_cost_usd, fx, sym) for o in included], "bold")
        row(f"NPV @ {result.discount_rate_pct:g} %", [money(o.npv_usd, fx, sym) for o in included])
        row(
            "Cost per M tokens (input + output)",
            [_num(o.cost_per_mtok_usd and o.cost_per_mtok_usd / fx, ",.3f") for o in included],
        )
        row(
            "Cost per M output tokens",
            [_num(o.cost_per_output_mtok_usd and o.cost_per_output_mtok_usd / fx, ",.2f") for o in included],
        )
        for category in ("capex", "opex"):
            row(
                category.upper(),
                [money(o.capex_usd if category == "capex" else o.opex_usd, fx, sym) for o in included],
                "bold",
            )
            for item in ITEMS:
                values = [_item(o, item, category) for o in included]
                if any(v is not None for v in values):
                    row(f"  {item}", [money(v, fx, sym) if v is not None else "" for v in values])
        row("GPUs (peak)", [str(o.sizing.gpus) if o.sizing else "-" for o in included])
        row("Servers / instances", [str(o.sizing.servers) if o.sizing else "-" for o in included])
        row("GPU utilisation %", [_num(o.avg_utilisation_pct, ".0f") for o in included])
        row("Energy MWh", [_num(o.energy_mwh, ",.0f") for o in included])
        row("Emissions tCO2e", [_num(o.emissions_tco2e, ",.1f") for o in included])
        for other in included:
            row(f"Break-even vs {other.name}", [_breakeven(o, other.name) for o in included])
        console.print(table)
        if result.cheapest:
            console.print(f"* cheapest over the horizon: {result.cheapest}")
    for o in result.options:
        if o.excluded:
            console.print(f"excluded {o.name} ({o.kind}): {o.reason}")
    for o in included:
        if o.sizing:
            for ws in o.sizing.workloads:
                console.print(
                    f"{o.name}: {ws.workload} on {o.sizing.hardware} — "
                    f"{ws.layout.label if ws.layout else f'TP {ws.tensor_parallel}'} ({ws.tensor_parallel} GPUs), "
                    f"batch {ws.batch:g}, {ws.replicas_peak} replicas at peak, "
                    f"{ws.output_tokens_per_s_per_replica:,.0f} output tok/s per replica, "
                    f"TTFT {ws.ttft_ms:,.0f} ms, TPOT {ws.tpot_ms:.1f} ms, {ws.precision}"
                )
    for o in included:
        for other_name, v in o.breakeven_volume.items():
            if v is None:
                console.print(f"break-even volume {o.name} vs {other_name}: none between 1 % and 100 x today's volume")
            else:
                console.print(
                    f"break-even volume {o.name} vs {other_name}: {v['tokens_per_month'] / 1e9:,.2f} B tokens/month "
                    f"({v['scale']:.2f} x today, {v['requests_per_day']:,.0f} requests/day)"
                )
    for o in included:
        for ft in o.finetune:
            where = f"{ft.gpus} x {ft.accelerator}, " if ft.gpus else ""
            console.print(
                f"{o.name}: fine-tune {ft.workload} ({ft.method}) — {ft.runs:g} runs, "
                f"{ft.tokens_trained / 1e9:,.2f} B tokens, {where}{ft.gpu_hours:,.0f} GPU-h "
                f"[{ft.schedule}]: {ft.note}"
            )
    for o in included:
        for note in o.notes:
            console.print(f"note {o.name}: {note}")
    for warning in result.warnings:
        console.print(f"warning: {warning}")
    return out.getvalue()


def _item(o: OptionResult, item: str, category: str) -> float | None:
    values = [li.total_usd for li in o.line_items if li.item == item and li.category == category]
    return sum(values) if values else None


def _breakeven(o: OptionResult, other: str) -> str:
    if o.name == other:
        return ""
    month = o.breakeven_month.get(other)
    if month is None:
        return "never"
    if month == 0:
        return "from start"
    return f"month {month:.0f}"
