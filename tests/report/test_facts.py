"""report.facts: the words the HTML report and the web app share, built once."""

from __future__ import annotations

import re

import pytest

from llmtco.analysis.breakeven import compare
from llmtco.report.facts import FACT_SECTIONS, build_facts, facts_html, money, number
from llmtco.report.html import render_html
from llmtco.result import Result
from llmtco.scenario import parse_scenario_text
from tests.conftest import MINIMAL
from tests.web.conftest import EXAMPLE


@pytest.fixture(scope="module")
def result() -> Result:
    sc, cat = parse_scenario_text(EXAMPLE)
    return compare(sc, cat)


def test_every_line_item_has_its_amount_source_and_date(result: Result) -> None:
    facts = build_facts(result)
    included = [o for o in result.options if not o.excluded]
    assert len(facts.line_items) == sum(len(o.line_items) for o in included)
    for f in facts.line_items:
        assert f.amount.startswith(("$", "-$")), f  # money always with its currency, the sign first
        assert f.source
        if f.item != "residual_value":  # derived from the items above: no date of its own
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", f.as_of), (f.item, f.source, f.as_of)
    onprem = [f for f in facts.line_items if f.option == "onprem-h100"]
    # CapEx first, then OpEx
    assert [f.category for f in onprem] == sorted((f.category for f in onprem), key=lambda c: c != "capex")
    servers = next(f for f in onprem if f.item == "gpu_servers")
    assert servers.as_of == "2025-01-31" and servers.quantity == "2 servers bought (incl. refresh)"
    energy = next(f for f in onprem if f.item == "energy_it")
    assert energy.as_of == "2024-07-01"  # the region's electricity tariff


def test_line_items_in_words_sum_to_the_total(result: Result) -> None:
    facts = build_facts(result)
    for o in result.options:
        if o.excluded:
            continue
        total = sum(f.amount_value for f in facts.line_items if f.option == o.name)
        assert total == pytest.approx((o.total_cost_usd or 0) / result.usd_per_currency_unit, rel=1e-9)


def test_sizing_states_the_slo_it_is_held_to(result: Result) -> None:
    s = next(f for f in build_facts(result).sizing if f.option == "onprem-h100")
    assert s.ttft.endswith("of 2,000 ms") and s.tpot.endswith("of 50 ms")
    assert s.within_slo and s.layout == "TP2" and s.busy_power.endswith(" W") and s.peak_it_power == "20.4 kW"


def test_recommendation_names_the_runner_up_with_money_in_its_currency(result: Result) -> None:
    rec = build_facts(result).recommendation
    assert rec.name == result.cheapest
    assert rec.total.startswith("$") and "cheaper than the runner-up" in rec.reasons[0]


def test_euro_scenario_writes_euros() -> None:
    sc, cat = parse_scenario_text(MINIMAL.replace("region: us-average}", "region: us-average, currency: EUR}"))
    r = compare(sc, cat)
    facts = build_facts(r)
    assert all("€" in f.amount and "$" not in f.amount for f in facts.line_items)
    assert facts.recommendation.total.startswith("€")
    assert money(2_500_000 * r.usd_per_currency_unit, r) == "€2.50M"


def test_number_filter() -> None:
    assert number(1585.4, ",.0f", "tok/s") == "1,585 tok/s"
    assert number(None) == "–"


def test_the_report_embeds_the_fragments_verbatim(result: Result) -> None:
    page = render_html(result)
    fragments = facts_html(build_facts(result))
    for name in FACT_SECTIONS:
        if fragments[name]:
            assert fragments[name] in page, name


def test_hostile_strings_stay_escaped_in_the_fragments() -> None:
    sc, cat = parse_scenario_text(MINIMAL.replace("name: onprem,", 'name: "<img src=x onerror=alert(1)>",'))
    fragments = facts_html(build_facts(compare(sc, cat)))
    joined = "".join(fragments.values())
    assert "<img" not in joined and "&lt;img src=x onerror=alert(1)&gt;" in joined


def test_largest_cost_items_tell_items_of_the_same_name_apart(result: Result) -> None:
    # an API option bills input, cached input and output tokens as three api_tokens items: each says which
    reasons = " ".join(build_facts(result).recommendation.reasons)
    found = re.search(r"Largest cost items: (.*?)\.(?: |$)", reasons)
    assert found, reasons
    drivers = found.group(1)
    assert "api_tokens (M output tokens) $" in drivers and "api_tokens (M input tokens) $" in drivers, drivers
    names = [part.rsplit(" ", 1)[0] for part in drivers.split(", ")]
    assert len(names) == len(set(names)), drivers
