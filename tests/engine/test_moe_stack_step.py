"""The shipped stack step time of MoE serving stacks in a scenario's sizing (issue 13): DeepSeek-R1 on
8 x B200 against 8 x MI300X under SGLang."""

from __future__ import annotations

from dataclasses import replace

from llmtco import evaluate, parse_scenario_text
from llmtco.catalog import Catalog
from llmtco.catalog.loader import Table
from llmtco.engine.adapters import efficiency_for, engine_shape, model_shape, takes_stack_step

SCENARIO = """\
name: deepseek-r1 on 8 x B200 vs 8 x MI300X
assumptions: {horizon_months: 12, start_date: 2027-01-01, region: us-average}
workloads:
  - name: reasoning
    model: %s
    precision: fp8
    requests_per_day: 2000000
    input_tokens: 1024
    output_tokens: 1024
    slo: {ttft_ms: 5000, tpot_ms: 50}
options:
  - {name: b200, kind: onprem, server: dgx-b200-8, facility: colocation, engine: sglang, redundancy: none}
  - {name: mi300x, kind: onprem, server: mi300x-8, facility: colocation, engine: sglang, redundancy: none}
"""


def _physics(cat: Catalog) -> Catalog:
    """The catalog with every record's stack step time at 0 ms (the layout physics alone)."""
    records = {k: e.model_copy(update={"stack_step_ms": 0.0}) for k, e in cat.efficiency.records.items()}
    return replace(cat, efficiency=Table("efficiency", records))


def _gpus(model: str, physics: bool) -> dict[str, float]:
    sc, cat = parse_scenario_text(SCENARIO % model)
    r = evaluate(sc, _physics(cat) if physics else cat)
    assert all(not o.excluded for o in r.options)
    return {o.name: o.sizing.gpus for o in r.options}


def _with_stack(cat: Catalog, accelerator: str, ms: float) -> Catalog:
    """The catalog with ``ms`` of stack step time on every record of ``accelerator``."""
    records = {
        k: e.model_copy(update={"stack_step_ms": ms}) if k.split("@")[0] == accelerator else e
        for k, e in cat.efficiency.records.items()
    }
    return replace(cat, efficiency=Table("efficiency", records))


def test_the_moe_sizing_uses_the_shipped_stack_step_time() -> None:
    """The stack step time is part of every MoE engine step: 20 ms more per step on MI300X pushes its TPOT
    past the SLO at the batch it ran, so its fleet grows. With the 2026 collection in the fit corpus, the
    serving layer's own nodes (mi300x@sglang, b200@sglang) already carry ROCm SGLang's slower steps, so the
    shipped stack time is near 0 and the ratio comes from the fit: above 4x (published 8-13x at a fixed
    interactivity, 1.6x with pure physics)."""
    sc, cat = parse_scenario_text(SCENARIO % "deepseek-r1")
    base = {o.name: o.sizing.gpus for o in evaluate(sc, cat).options}
    slow = {o.name: o.sizing.gpus for o in evaluate(sc, _with_stack(cat, "mi300x", 20.0)).options}
    assert slow["mi300x"] > 1.5 * base["mi300x"] and slow["b200"] == base["b200"]
    assert base["mi300x"] / base["b200"] > 4.0


def test_a_dense_model_ignores_the_stack_step_time() -> None:
    assert _gpus("llama-3.1-70b", True) == _gpus("llama-3.1-70b", False)


def test_an_moe_model_without_mla_ignores_the_stack_step_time() -> None:
    """The stack step time was fitted on DeepSeek-V3-architecture rows only (MLA, 256 routed experts); other
    MoE models' rows are fitted in the serving layer without it, so their plans do not carry it."""
    for model in ("gpt-oss-120b", "qwen3-30b-a3b"):
        sc, cat = parse_scenario_text(SCENARIO % model)
        base = {o.name: o.sizing.gpus for o in evaluate(sc, cat).options}
        slow = {o.name: o.sizing.gpus for o in evaluate(sc, _with_stack(cat, "mi300x", 20.0)).options}
        assert slow == base, model


def test_the_stack_step_is_on_mla_moe_models_only() -> None:
    cat = parse_scenario_text(SCENARIO % "deepseek-r1")[1]
    on = {m: takes_stack_step(model_shape(cat.models.get(m))) for m in ("deepseek-r1", "gpt-oss-120b", "llama-3.1-70b")}
    assert on == {"deepseek-r1": True, "gpt-oss-120b": False, "llama-3.1-70b": False}
    eff = efficiency_for(cat, "b200", "sglang", "fp8").model_copy(update={"stack_step_ms": 5.0})
    base = engine_shape(eff, "sglang", 1, moe=True)
    stacked = engine_shape(eff, "sglang", 1, moe=True, stack_step=True)
    assert float(stacked.scheduler_ms_per_step[0]) == float(base.scheduler_ms_per_step[0]) + 5.0
    # the MoE prompt share is the model's, whether or not the stack step is on
    assert float(base.moe_half_tokens[0]) == float(stacked.moe_half_tokens[0]) > 0
