"""serve() picks layouts beyond TP <= 8 in one machine where the model needs more than one server
(issue 13, item 2): DeepSeek-R1 at FP8 (671 GB of weights) on 8 x 80 GB H100 machines."""

from __future__ import annotations

from llmtco import evaluate, parse_scenario_text

SCENARIO = """\
name: big moe on 8-GPU machines
assumptions: {{horizon_months: 12, start_date: 2027-01-01, region: us-average}}
workloads:
  - name: reasoning
    model: deepseek-r1
    precision: fp8
    requests_per_day: 200000
    input_tokens: 1000
    output_tokens: 1000
    slo: {{ttft_ms: 5000, tpot_ms: 80}}
options:
  - {{name: onprem, kind: onprem, server: hgx-h100-8, facility: colocation{tp}}}
  - {{name: cloud, kind: cloud_gpu, instance: azure-nd96isr-h100-v5-eastus, pricing: on_demand{tp}}}
"""


def test_a_model_larger_than_one_server_is_served_over_several() -> None:
    r = evaluate(*parse_scenario_text(SCENARIO.format(tp="")))
    for o in r.options:
        assert not o.excluded, o.reason
        w = o.sizing.workloads[0]
        # a replica spans whole 8-GPU machines; weights per GPU fit in 80 GB
        assert w.tensor_parallel > 8 and w.tensor_parallel % 8 == 0
        assert w.weights_gb_per_gpu < 0.9 * 80
        assert w.tpot_ms <= 80 and w.ttft_ms <= 5000
        assert o.sizing.gpus >= w.tensor_parallel * w.replicas_peak
        assert o.sizing.gpus % 8 == 0


def test_a_forced_tensor_parallel_degree_still_refuses_what_does_not_fit() -> None:
    r = evaluate(*parse_scenario_text(SCENARIO.format(tp=", tensor_parallel: 8")))
    for o in r.options:
        # TP8 on 8 x 80 GB cannot hold 671 GB of FP8 weights: excluded, with the numbers
        assert o.excluded and o.reason is not None and "does not fit" in o.reason


def test_the_plan_names_the_layout_and_compares_disaggregated_serving() -> None:
    r = evaluate(*parse_scenario_text(SCENARIO.format(tp="")))
    for o in r.options:
        note = next(n for n in o.notes if n.startswith("Workload 'reasoning': layout "))
        assert f"{o.sizing.workloads[0].tensor_parallel} GPUs per replica" in note
        assert "Disaggregated prefill/decode under the same SLO" in note and "KV transfer" in note
        # a prefill pool must hold the weights: no single-GPU pool for 671 GB of FP8 weights on 80 GB GPUs
        assert "x TP1 prefill" not in note


def test_replicas_per_instance_counts_whole_replicas_or_the_share_of_one() -> None:
    from llmtco.engine.options.cloud import replicas_per_instance

    assert replicas_per_instance(8, 2) == 4.0
    assert replicas_per_instance(8, 3) == 2.0  # whole replicas only
    assert replicas_per_instance(8, 16) == 0.5  # a 16-GPU replica rents two 8-GPU instances
