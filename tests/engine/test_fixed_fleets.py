"""A fixed fleet (``servers:`` / ``instances:``) is a hard capacity limit (issue 10, item 2): load above it
is reported as unmet and the option is excluded with the reason, never served at a utilisation above
100 % or a cost per token that falls as the overload grows; a hybrid sends the excess to its overflow."""

from __future__ import annotations

import pytest

from llmtco import evaluate, parse_scenario_text

SCENARIO = """\
name: fixed
assumptions: {{horizon_months: 12, start_date: 2027-01-01, region: us-average}}
workloads:
  - name: chat
    model: llama-3.1-8b
    precision: fp8
    requests_per_day: {rpd}
    input_tokens: 1000
    output_tokens: 200
    growth_pct_per_year: 0
options:
  - {{name: onprem, kind: onprem, server: hgx-h100-8, servers: 1}}
  - {{name: cloud, kind: cloud_gpu, instance: lambda-8x-h100-sxm, instances: 1}}
  - {{name: api, kind: api, offering: together-llama-3.1-8b}}
  - name: mix
    kind: hybrid
    base_percentile: 100
    base: {{name: base, kind: onprem, server: hgx-h100-8, servers: 1}}
    overflow: {{name: overflow, kind: api, offering: together-llama-3.1-8b}}
"""


def _result(rpd: float):  # type: ignore[no-untyped-def]
    return evaluate(*parse_scenario_text(SCENARIO.format(rpd=rpd)))


def test_overloaded_fixed_fleets_are_excluded_with_the_unmet_demand() -> None:
    r = _result(60_000_000)  # ~700 requests/s on average: far beyond one 8-GPU server
    for name, field in (("onprem", "servers: 1"), ("cloud", "instances: 1")):
        o = r.option(name)
        assert o.excluded and o.reason is not None and field in o.reason and "not be served" in o.reason
        assert o.unmet_demand is not None
        assert len(o.unmet_demand.requests) == 12 and min(o.unmet_demand.requests) > 0
        assert 0 < o.unmet_demand.share_pct < 100
        assert sum(o.unmet_demand.tokens) == pytest.approx(sum(o.unmet_demand.requests) * 1200, rel=1e-9)
    assert r.cheapest in {"api", "mix"}


def test_more_overload_means_more_unmet_demand_not_a_cheaper_token() -> None:
    light, heavy = _result(30_000_000), _result(90_000_000)
    assert heavy.option("onprem").unmet_demand.share_pct > light.option("onprem").unmet_demand.share_pct  # type: ignore[union-attr]


def test_a_fixed_fleet_that_carries_the_load_serves_it_below_full_utilisation() -> None:
    r = _result(100_000)
    for name in ("onprem", "cloud"):
        o = r.option(name)
        assert not o.excluded and o.unmet_demand is None
        assert o.avg_utilisation_pct is not None and 0 < o.avg_utilisation_pct <= 100
        assert o.sizing is not None and o.sizing.servers == 1


def test_a_hybrid_with_a_fixed_base_sends_the_excess_to_its_overflow() -> None:
    r = _result(60_000_000)
    mix, api = r.option("mix"), r.option("api")
    assert not mix.excluded and mix.total_cost_usd is not None and api.total_cost_usd is not None
    tokens = sum(li.total_usd for li in mix.line_items if li.item == "api_tokens")
    api_tokens = sum(li.total_usd for li in api.line_items if li.item == "api_tokens")
    assert 0 < tokens < api_tokens  # the base carries part of the load, the API the rest
    assert mix.avg_utilisation_pct is not None and mix.avg_utilisation_pct <= 100
    assert mix.sizing is not None and mix.sizing.servers == 1
