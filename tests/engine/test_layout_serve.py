"""serve() picks layouts beyond TP <= 8 in one machine where the model needs more than one server
(issue 13, item 2): DeepSeek-R1 at FP8 (671 GB of weights) on 8 x 80 GB H100 machines."""

from __future__ import annotations

import re

from llmtco import evaluate, parse_scenario_text
from llmtco.sizing.fleet import fleet_gpus

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
        note = next(n for n in o.notes if n.startswith("Workload 'reasoning': best colocated layout "))
        w = o.sizing.workloads[0]
        assert w.layout is not None and not w.layout.disaggregated
        assert f"layout {w.layout.label}, {w.tensor_parallel} GPUs per replica" in note
        assert "(colocated kept)" in note
        assert "Disaggregated prefill/decode under the same SLO" in note and "KV transfer" in note
        # a prefill pool must hold the weights: no single-GPU pool for 671 GB of FP8 weights on 80 GB GPUs
        assert "x TP1 prefill" not in note


def test_replicas_per_instance_counts_whole_replicas_or_the_share_of_one() -> None:
    from llmtco.engine.options.cloud import replicas_per_instance

    assert replicas_per_instance(8, 2) == 4.0
    assert replicas_per_instance(8, 3) == 2.0  # whole replicas only
    assert replicas_per_instance(8, 16) == 0.5  # a 16-GPU replica rents two 8-GPU instances


DISAGG = """\
name: long prompts at scale on 8-GPU H100 servers
assumptions: {horizon_months: 12, start_date: 2027-01-01, region: us-average}
workloads:
  - name: long
    model: deepseek-r1
    precision: fp8
    requests_per_day: 10000000
    input_tokens: 8000
    output_tokens: 1000
    slo: {ttft_ms: 5000, tpot_ms: 30}
options:
  - {name: h100, kind: onprem, server: hgx-h100-8, facility: colocation}
"""


def test_disaggregated_serving_is_chosen_when_the_plan_needs_fewer_gpus() -> None:
    """8k-token prompts at a 30 ms TPOT on H100: prefill and decode pools beat every colocated layout."""
    r = evaluate(*parse_scenario_text(DISAGG))
    o = r.options[0]
    w = o.sizing.workloads[0]
    lay = w.layout
    assert lay is not None and lay.disaggregated
    pre, dec = lay.pools
    assert (pre.role, dec.role) == ("prefill", "decode")
    assert (
        lay.gpus_per_replica
        == w.tensor_parallel
        == pre.instances * pre.gpus_per_instance + dec.instances * (dec.gpus_per_instance)
    )
    assert (lay.tp, lay.ep, lay.pp, lay.dp) == (dec.tp, dec.ep, dec.pp, dec.dp)
    assert lay.kv_transfer_ms is not None and lay.kv_transfer_ms > 0
    assert lay.label == f"{pre.instances} x {pre.label} prefill : {dec.instances} x {dec.label} decode"
    assert w.tpot_ms <= 30 and w.ttft_ms <= 5000
    note = next(n for n in o.notes if "Disaggregated prefill/decode" in n)
    m = re.search(r"([0-9,]+) GPUs at peak against ([0-9,]+) colocated \(chosen: cheaper per token\)", note)
    assert m is not None, note
    dis_gpus, colo_gpus = (int(g.replace(",", "")) for g in m.groups())
    assert dis_gpus < colo_gpus
    # the comparison and the plan count one spare replica (n+1) on the same replica throughput, engine time
    # included (the plan's point used to drop the engine time and so planned one replica fewer)
    assert o.sizing.gpus == dis_gpus
    doc = r.to_dict()
    assert doc["schema_version"] == "2.1"
    pools = doc["options"][0]["sizing"]["workloads"][0]["layout"]["pools"]
    assert [p["role"] for p in pools] == ["prefill", "decode"]


def test_fleet_gpus_counts_whole_machines_and_one_spare_replica() -> None:
    # 10 req/s at 70 % of 3 req/s per replica: ceil(4.76) = 5 replicas + 1 spare = 6 x 16 GPUs = 96 -> 2 racks
    assert fleet_gpus(10.0, 3.0, 16, 0.7, 72) == 144
    # 8-GPU machines: 6 x 16 = 96 GPUs exactly
    assert fleet_gpus(10.0, 3.0, 16, 0.7, 8) == 96
