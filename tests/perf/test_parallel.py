"""perf.parallel: layouts, fabric, all-to-all, pipeline — checked against hand-worked numbers."""

import numpy as np
import pytest

from llmtco.perf.parallel import (
    Fabric,
    Layout,
    alltoall_ms,
    busiest_rank_tokens,
    ep_mixed_step,
    layout_decode_step,
    layout_memory,
    layout_prefill_step,
    moe_alltoall_ms,
    remote_nodes_per_token,
    weights_gb_per_gpu,
)
from llmtco.perf.shapes import ModelShape
from llmtco.perf.timing import decode_step, prefill_step
from tests.conftest import llama8b, simple_hw


def toy_moe() -> ModelShape:
    """8 experts of 2e9 params (all layers), 2 per token, 4e9 shared: 20e9 total, 8e9 active."""
    return ModelShape(
        params=20e9,
        active_params=8e9,
        layers=10,
        hidden=1000,
        heads=8,
        head_dim=128,
        kv_heads=8,
        kv_values_per_token_layer=2 * 8 * 128,
        experts=8,
        active_experts=2,
    )


HGX = Fabric(domain_gpus=8, scaleout_gb_s=50.0)


def test_toy_moe_splits_into_shared_and_experts() -> None:
    m = toy_moe()
    assert m.expert_params == pytest.approx(2e9)
    assert m.shared_params == pytest.approx(4e9)


def test_weights_per_gpu_by_layout() -> None:
    m = toy_moe()
    assert weights_gb_per_gpu(m, 1.0, Layout(tp=4)) == pytest.approx(5.0)  # 20 GB / 4
    assert weights_gb_per_gpu(m, 1.0, Layout(tp=1, ep=4)) == pytest.approx(8.0)  # 4 shared + 8 x 2 / 4
    assert weights_gb_per_gpu(m, 1.0, Layout(tp=4, ep=4)) == pytest.approx(5.0)  # 4 / 4 + 4
    assert weights_gb_per_gpu(m, 1.0, Layout(tp=2, pp=2)) == pytest.approx(5.0)  # 10 GB per stage / 2


def test_dp_attention_holds_kv_per_rank() -> None:
    m = toy_moe()
    hw = simple_hw(runtime_overhead_gb=2.0)
    ep = layout_memory(m, hw, 1.0, 1.0, Layout(tp=1, ep=4), 1000)
    # per sequence: 1000 tokens x 10 layers x 2048 values x 1 B on one GPU
    assert float(ep.kv_gb_per_sequence) == pytest.approx(1000 * 10 * 2048 / 1e9)
    room = 0.9 * 79.22 - 8.0 - 2.0  # CUDA reports 79.22 of 80 (perf.memory.CUDA_TOTAL_FRACTION)
    assert float(ep.max_batch) == pytest.approx(np.floor(room / (1000 * 10 * 2048 / 1e9)) * 4)


def test_plain_tp_is_exactly_the_timing_module() -> None:
    hw = simple_hw()
    a = layout_decode_step(llama8b(), hw, HGX, 2.0, 2.0, Layout(tp=4), 32.0, 1500.0)
    b = decode_step(llama8b(), hw, 2.0, 2.0, 4, 32.0, 1500.0)
    assert float(a.step_ms) == float(b.step_ms)
    c = layout_prefill_step(llama8b(), hw, HGX, 2.0, Layout(tp=2), 1.0, 1024.0)
    d = prefill_step(llama8b(), hw, 2.0, 2, 1.0, 1024.0)
    assert float(c.step_ms) == float(d.step_ms)


def test_alltoall_takes_the_slower_of_scaleup_and_network() -> None:
    hw = simple_hw(interconnect_gb_s=100.0, allreduce_latency_us=0.0)
    fab = Fabric(domain_gpus=8, scaleout_gb_s=10.0)
    # 16 GPUs over 2 domains: 7/16 of 1.6 GB over 100 GB/s = 7 ms, 8/16 over 10 GB/s = 80 ms; + 10 us network latency
    assert float(alltoall_ms(hw, fab, 16, 1.6e9)) == pytest.approx(80.01)
    # inside one domain only the scale-up links: 7/8 x 1.6 GB / 100 GB/s = 14 ms
    assert float(alltoall_ms(hw, fab, 8, 1.6e9)) == pytest.approx(14.0)


def test_moe_alltoall_is_k_hidden_dispatch_plus_combine_per_layer() -> None:
    hw = simple_hw(interconnect_gb_s=100.0, allreduce_latency_us=0.0)
    m = toy_moe()
    # 100 tokens x k 2 x hidden 1000 = 2e5 values; dispatch 1 B + combine 2 B; 3/4 cross the links of an EP4 group
    per_layer_ms = (2e5 * 3 * 3 / 4 / 100e9) * 1e3
    assert float(moe_alltoall_ms(m, hw, HGX, 4, 100.0)) == pytest.approx(10 * per_layer_ms)


def test_remote_nodes_a_token_reaches() -> None:
    m = toy_moe()  # k = 2
    # EP32 over 4 domains of 8: 3 x (1 - (3/4)^2) = 1.3125 remote nodes (k (g - d)/g = 1.5 remote copies)
    assert remote_nodes_per_token(m, HGX, 32) == pytest.approx(1.3125)
    assert remote_nodes_per_token(m, HGX, 8) == 0.0


def test_prompt_tokens_cross_the_network_once_per_node() -> None:
    hw = simple_hw(interconnect_gb_s=1e6, allreduce_latency_us=0.0)  # the network decides
    m = toy_moe()
    # 100 tokens x hidden 1000 x 3 B per layer: per expert copy 1.5 remote copies, per node 1.3125
    per_copy = float(moe_alltoall_ms(m, hw, HGX, 32, 100.0))
    forwarded = float(moe_alltoall_ms(m, hw, HGX, 32, 100.0, 100.0))
    network_ms = 10 * 100 * 1000 * 3 / 50e9 * 1e3
    assert per_copy == pytest.approx(10 * 2e-2 + 1.5 * network_ms)  # + 2 x 10 us network latency per layer
    assert forwarded == pytest.approx(10 * 2e-2 + 1.3125 * network_ms)
    # inside one domain forwarding changes nothing
    assert float(moe_alltoall_ms(m, hw, HGX, 8, 100.0, 100.0)) == float(moe_alltoall_ms(m, hw, HGX, 8, 100.0))


def test_the_busiest_dp_rank_holds_a_whole_prompt() -> None:
    # 8 ranks, prompts of 1,000 tokens: half a prompt per step -> all on one rank; 3.5 prompts -> one whole
    # prompt on the busiest rank; 16 prompts -> an even share
    assert busiest_rank_tokens(500.0, 8, 1000.0) == pytest.approx(500.0)
    assert busiest_rank_tokens(3500.0, 8, 1000.0) == pytest.approx(1000.0)
    assert busiest_rank_tokens(16000.0, 8, 1000.0) == pytest.approx(2000.0)
    assert busiest_rank_tokens(3500.0, 8, None) == pytest.approx(437.5)
    assert busiest_rank_tokens(3500.0, 1, 1000.0) == pytest.approx(3500.0)


def test_a_prompt_on_one_rank_slows_the_mixed_step() -> None:
    m, hw, lay = toy_moe(), simple_hw(), Layout(tp=1, ep=8)
    even = ep_mixed_step(m, hw, HGX, 1.0, 1.0, lay, 512.0, 1000.0, 2000.0, 500.0)
    one_rank = ep_mixed_step(m, hw, HGX, 1.0, 1.0, lay, 512.0, 1000.0, 2000.0, 500.0, 1000.0)
    assert float(one_rank.step_ms) > float(even.step_ms)
    assert float(one_rank.comm_ms) > float(even.comm_ms)
    # enough prompts to give every rank its own: the even spread
    many = ep_mixed_step(m, hw, HGX, 1.0, 1.0, lay, 512.0, 1000.0, 16000.0, 500.0, 1000.0)
    assert float(many.step_ms) == pytest.approx(float(ep_mixed_step(m, hw, HGX, 1.0, 1.0, lay, 512.0, 1000.0,
                                                                     16000.0, 500.0).step_ms))  # fmt: skip


def test_wide_ep_reads_fewer_expert_bytes_per_gpu() -> None:
    m = toy_moe()
    hw = simple_hw()
    ep2 = layout_decode_step(m, hw, HGX, 1.0, 1.0, Layout(tp=1, ep=2), 64.0, 100.0)
    ep8 = layout_decode_step(m, hw, HGX, 1.0, 1.0, Layout(tp=1, ep=8), 64.0, 100.0)
    assert float(ep8.memory_ms) < float(ep2.memory_ms)


def test_nvl72_domain_keeps_wide_ep_off_the_network() -> None:
    m = toy_moe()
    hw = simple_hw()
    rack = Fabric(domain_gpus=72, scaleout_gb_s=50.0)
    on_rack = layout_decode_step(m, hw, rack, 1.0, 1.0, Layout(tp=1, ep=64), 65536.0, 100.0)
    on_hgx = layout_decode_step(m, hw, HGX, 1.0, 1.0, Layout(tp=1, ep=64), 65536.0, 100.0)
    assert float(on_rack.comm_ms) < float(on_hgx.comm_ms) / 4


def test_pipeline_bubble_at_batch_one() -> None:
    hw = simple_hw()
    lay = Layout(tp=8, pp=2)
    step = layout_decode_step(llama8b(), hw, HGX, 2.0, 2.0, lay, 1.0, 1000.0)
    # stage = 16 layers (half the model) at TP8; one micro-batch crosses both stages: 2 x (stage + send)
    half = ModelShape(**{**llama8b().__dict__, "params": 8.03e9 / 2, "active_params": 8.03e9 / 2, "layers": 16})
    stage = decode_step(half, hw, 2.0, 2.0, 8, 1.0, 1000.0)
    send_ms = (10.0 + 10.0) * 1e-3 + 4096 * 2 / 50e9 * 1e3  # latencies (scale-up + network) + 8 KB at 50 GB/s
    assert float(step.step_ms) == pytest.approx(2 * (float(stage.step_ms) + send_ms))
    # at batch >= pp both stages are busy: throughput per step rises more than the step time
    big = layout_decode_step(llama8b(), hw, HGX, 2.0, 2.0, lay, 64.0, 1000.0)
    assert 64 / float(big.step_ms) > 10 / float(step.step_ms)


def test_layout_rejects_bad_degrees() -> None:
    with pytest.raises(ValueError, match="multiple"):
        Layout(tp=3, ep=8)
    assert Layout(tp=1, ep=32).label == "EP32 (DP32 attention)"
    assert Layout(tp=8, pp=2).gpus == 16
