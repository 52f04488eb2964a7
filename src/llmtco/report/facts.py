"""The facts a reader sees about a result, in words, built once for the HTML report and the web app.

Why one module: the report (``report.html``) and the web results panel
(``web/templates/results.html``) must say the same thing in the same words.
Both render the ``Facts`` built here and format numbers with the filters
here (``money``, ``number``), so a wording or a rounding cannot drift between
them. Money is always written with its currency (``$1.23M``, ``€45.6k``);
amounts in a result are USD and are converted with the result's explicit rate.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from llmtco.costing.ledger import ITEMS
from llmtco.report.table import currency_symbol
from llmtco.report.table import money as _money
from llmtco.result import LineItemResult, OptionResult, Result

_DATE = re.compile(r"\((\d{4}-\d{2}-\d{2})\)\s*$")
_RATE_NAMES = re.compile(r"[a-z][a-z0-9_]+")


def money(value_usd: float | None, result: Result, missing: str = "–") -> str:
    """A USD amount in the result's currency, with its symbol, shortened to k or M (``$1.23M``, ``-$266.2k``)."""
    return signed_money(value_usd, result.usd_per_currency_unit, result.currency, missing)


def signed_money(value_usd: float | None, fx: float, currency: str, missing: str = "–") -> str:
    """``money`` from the parts of a result: ``fx`` USD per unit of ``currency``; the sign before the symbol."""
    if value_usd is not None and value_usd < 0:
        return "-" + _money(-value_usd, fx, currency_symbol(currency))
    return _money(value_usd, fx, currency_symbol(currency), missing=missing)


def money_full(value_usd: float | None, result: Result, missing: str = "–") -> str:
    """A USD amount in the result's currency to the unit, with its symbol (``$1,244,725``), for live what-ifs."""
    if value_usd is None:
        return missing
    v = value_usd / result.usd_per_currency_unit
    sign, sym = ("-" if v < 0 else ""), currency_symbol(result.currency)
    return f"{sign}{sym}{abs(v):,.0f}"


def quantity(value: float) -> str:
    """A quantity with thousands separators: whole units from 1,000 up, 4 significant digits below."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def number(value: float | None, fmt: str = ",.0f", unit: str = "", missing: str = "–") -> str:
    """A number with thousands separators and its unit after a space (``1,585 tok/s``); ``missing`` for None."""
    if value is None:
        return missing
    text = format(value, fmt)
    return f"{text} {unit}" if unit else text


@dataclass(frozen=True)
class LineFact:
    """One line item of one option, as the reader sees it."""

    option: str
    category: str
    """capex or opex."""
    item: str
    amount: str
    """Total over the horizon, with its currency."""
    amount_value: float
    """The same in the result's currency [currency units] (for charts)."""
    quantity: str
    """Quantity and unit (``2 servers bought``), or – for amount-only items."""
    unit_price: str
    """Price per unit with its currency, or –."""
    source: str
    """Where the unit price came from."""
    as_of: str
    """Date of that source (ISO), or – when the source carries none."""
    notes: str


@dataclass(frozen=True)
class SizingFact:
    """How one self-hosted option serves one workload."""

    option: str
    workload: str
    hardware: str
    layout: str
    gpus_per_replica: int
    batch: str
    replicas_peak: int
    output_tokens_per_s: str
    """Output tokens per second per replica."""
    ttft: str
    """Time to first token against its SLO (``209 ms of 2,000 ms``)."""
    tpot: str
    """Time per output token against its SLO (``40.4 ms of 50 ms``)."""
    within_slo: bool
    """Both times meet their SLO (True where the scenario sets none)."""
    busy_power: str
    """Power of one GPU while serving (``630 W``)."""
    utilisation: str
    """The option's GPU utilisation over the horizon (``41 %``)."""
    peak_it_power: str
    """The option's peak IT power (``20.4 kW``), – where not on-prem."""


@dataclass(frozen=True)
class OptionFacts:
    """One included option's headline figures."""

    name: str
    kind: str
    total: str
    npv: str
    capex: str
    opex: str
    per_mtok: str
    """Cost per million tokens, input + output, in the result's currency (3 decimals)."""
    per_output_mtok: str
    gpus: str
    """GPUs / servers or instances, – for an API."""
    breakeven: dict[str, str]
    """Other option → ``month 21``, ``from start``, ``never`` (not itself)."""


@dataclass(frozen=True)
class Recommendation:
    """The cheapest option and the reasons a reader needs (caveats included)."""

    name: str
    kind: str
    total: str
    per_mtok: str
    reasons: list[str]


@dataclass(frozen=True)
class Facts:
    """Everything both the report and the web app say about a result."""

    currency: str
    horizon: str
    """``36 months from 2027-01-01, discount rate 8 %, amounts in USD``."""
    recommendation: Recommendation
    options: list[OptionFacts]
    line_items: list[LineFact]
    """Per included option, CapEx first then OpEx, in ledger order."""
    sizing: list[SizingFact]
    excluded: list[tuple[str, str, str]]
    """(name, kind, reason) of each excluded option."""
    warnings: list[str] = field(default_factory=list)


def breakeven_text(o: OptionResult, other: str) -> str:
    """When ``o`` becomes no dearer than ``other``: ``month 21``, ``from start``, ``never`` ('' for itself)."""
    if o.name == other:
        return ""
    month = o.breakeven_month.get(other)
    return "never" if month is None else "from start" if month == 0 else f"month {month:.0f}"


def _driver_label(li: LineItemResult, option: OptionResult) -> str:
    """A line item's name, with its unit where the option has several items of that name (``api_tokens (M output
    tokens)``, not ``api_tokens`` twice)."""
    repeated = sum(1 for other in option.line_items if other.item == li.item) > 1
    return f"{li.item} ({li.unit})" if repeated and li.unit else li.item


def recommendation(result: Result) -> Recommendation:
    """The cheapest option and the reasons a reader needs."""
    included = sorted((o for o in result.options if not o.excluded), key=lambda o: o.total_cost_usd or 0.0)
    fx = result.usd_per_currency_unit
    if not included:
        return Recommendation("none", "-", money(0.0, result), "0.000", ["every option is excluded by the constraints"])
    best = included[0]
    reasons = []
    if len(included) > 1:
        second = included[1]
        gap = (second.total_cost_usd or 0.0) - (best.total_cost_usd or 0.0)
        reasons.append(
            f"{money(gap, result)} ({gap / max(second.total_cost_usd or 1.0, 1e-9) * 100:.0f} %) "
            f"cheaper than the runner-up, {second.name}."
        )
        month = best.breakeven_month.get(second.name)
        if month:
            reasons.append(f"It breaks even with {second.name} in month {month:.0f}.")
    drivers = sorted(best.line_items, key=lambda li: -abs(li.total_usd))[:3]
    named = [f"{_driver_label(li, best)} {money(li.total_usd, result)}" for li in drivers]
    reasons.append("Largest cost items: " + ", ".join(named) + ".")
    for o in result.options:
        if o.excluded:
            reasons.append(f"{o.name} is excluded: {o.reason}.")
    for note in best.notes:
        if "not like for like" in note or "proprietary" in note:
            reasons.append(f"Caution: {note}")
    return Recommendation(
        best.name, best.kind, money(best.total_cost_usd, result), f"{(best.cost_per_mtok_usd or 0.0) / fx:.3f}", reasons
    )


ITEM_DATES = {
    "energy_it": ".electricity_usd_per_kwh",
    "energy_cooling": ".electricity_usd_per_kwh",
    "api_tokens": ".token_prices",
}
"""Items whose source names no date or rate: the assumption (by name ending) whose date stands behind them."""


def _as_of(result: Result, option: str, item: str, source: str) -> str:
    """The date behind a line item's source: its own ``(YYYY-MM-DD)``, else the oldest rate it names, else the
    date of the record it is priced from (``ITEM_DATES``); – for a derived item such as the residual value."""
    m = _DATE.search(source)
    if m:
        return m.group(1)
    scoped = [a for a in result.assumptions if a.as_of and a.scope == option]
    names = set(_RATE_NAMES.findall(source))
    dates = sorted(str(a.as_of) for a in scoped if a.name in names)
    if not dates and item in ITEM_DATES:
        dates = sorted(str(a.as_of) for a in scoped if a.name.endswith(ITEM_DATES[item]))
    return dates[0] if dates else "–"


def _line_items(result: Result, o: OptionResult) -> list[LineFact]:
    order = {item: i for i, item in enumerate(ITEMS)}
    items = sorted(o.line_items, key=lambda li: (li.category != "capex", order.get(li.item, len(order))))
    out = []
    for li in items:
        amount_of = "–" if li.quantity is None else f"{quantity(li.quantity)} {li.unit or ''}".strip()
        out.append(
            LineFact(
                option=o.name,
                category=li.category,
                item=li.item,
                amount=money(li.total_usd, result),
                amount_value=li.total_usd / result.usd_per_currency_unit,
                quantity=amount_of,
                unit_price=_unit_price(li.unit_price_usd, result),
                source=li.source,
                as_of=_as_of(result, o.name, li.item, li.source),
                notes=li.notes,
            )
        )
    return out


def _unit_price(value_usd: float | None, result: Result) -> str:
    if value_usd is None:
        return "–"
    v = value_usd / result.usd_per_currency_unit
    sym = currency_symbol(result.currency)
    return f"{sym}{v:,.4g}" if abs(v) < 1000 else money(value_usd, result)


def _slo(result: Result, workload: str, key: str) -> float | None:
    for a in result.assumptions:
        if a.scope == "scenario" and a.name == f"{workload}.slo.{key}" and isinstance(a.value, int | float):
            return float(a.value)
    return None


def _against(value_ms: float, slo_ms: float | None, fmt: str) -> str:
    text = number(value_ms, fmt, "ms")
    return text if slo_ms is None else f"{text} of {number(slo_ms, ',.4g', 'ms')}"


def _sizing(result: Result, o: OptionResult) -> list[SizingFact]:
    if o.sizing is None:
        return []
    out = []
    for w in o.sizing.workloads:
        ttft_slo, tpot_slo = _slo(result, w.workload, "ttft_ms"), _slo(result, w.workload, "tpot_ms")
        out.append(
            SizingFact(
                option=o.name,
                workload=w.workload,
                hardware=o.sizing.hardware or o.sizing.accelerator or "–",
                layout=w.layout.label if w.layout else f"TP{w.tensor_parallel}",
                gpus_per_replica=w.tensor_parallel,
                batch=number(w.batch, "g"),
                replicas_peak=w.replicas_peak,
                output_tokens_per_s=number(w.output_tokens_per_s_per_replica, ",.0f", "tok/s"),
                ttft=_against(w.ttft_ms, ttft_slo, ",.0f"),
                tpot=_against(w.tpot_ms, tpot_slo, ",.1f"),
                within_slo=(ttft_slo is None or w.ttft_ms <= ttft_slo) and (tpot_slo is None or w.tpot_ms <= tpot_slo),
                busy_power=number(w.busy_power_w_per_gpu, ",.0f", "W"),
                utilisation=number(o.avg_utilisation_pct, ".0f", "%"),
                peak_it_power=number(o.sizing.peak_it_power_kw, ",.1f", "kW"),
            )
        )
    return out


def _in(value_usd: float | None, fx: float) -> float | None:
    return None if value_usd is None else value_usd / fx


def build_facts(result: Result) -> Facts:
    """The facts of a result, every amount in its currency and every number formatted once."""
    fx = result.usd_per_currency_unit
    included = [o for o in result.options if not o.excluded]
    options = [
        OptionFacts(
            name=o.name,
            kind=o.kind,
            total=money(o.total_cost_usd, result),
            npv=money(o.npv_usd, result),
            capex=money(o.capex_usd, result),
            opex=money(o.opex_usd, result),
            per_mtok=number(_in(o.cost_per_mtok_usd, fx), ",.3f"),
            per_output_mtok=number(_in(o.cost_per_output_mtok_usd, fx), ",.2f"),
            gpus=f"{o.sizing.gpus} / {o.sizing.servers}" if o.sizing else "–",
            breakeven={p.name: breakeven_text(o, p.name) for p in included if p.name != o.name},
        )
        for o in included
    ]
    return Facts(
        currency=result.currency,
        horizon=(
            f"{result.horizon_months} months from {result.start_date}, discount rate "
            f"{result.discount_rate_pct:g} %, amounts in {result.currency}"
        ),
        recommendation=recommendation(result),
        options=options,
        line_items=[f for o in included for f in _line_items(result, o)],
        sizing=[f for o in included for f in _sizing(result, o)],
        excluded=[(o.name, o.kind, o.reason or "") for o in result.options if o.excluded],
        warnings=list(result.warnings),
    )


FACT_SECTIONS = ("recommendation", "line_items", "sizing", "excluded")
"""The HTML fragments ``facts_html`` renders, in reading order."""


@functools.cache
def _macros() -> Any:
    """The compiled macros of ``templates/facts.html.j2`` (compiled once per process)."""
    from importlib import resources

    from jinja2 import Environment, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(
        resources.files("llmtco.report").joinpath("templates", "facts.html.j2").read_text(encoding="utf-8")
    ).module


def facts_html(facts: Facts) -> dict[str, str]:
    """Each of ``FACT_SECTIONS`` as an HTML fragment (user strings escaped), the same bytes in report and web."""
    module = _macros()
    return {
        "recommendation": str(module.recommendation(facts.recommendation, facts.currency)),
        "line_items": str(module.line_items(facts)),
        "sizing": str(module.sizing(facts)),
        "excluded": str(module.excluded(facts)) if facts.excluded else "",
    }
