"""sizing.layouts and sizing.disaggregated: candidate layouts, SLO batch, pick by cost, pool ratio."""

import pytest

from llmtco.perf.memory import kv_bytes_per_token
from llmtco.perf.parallel import Fabric, Layout
from llmtco.sizing.disaggregated import _ratio, best_disaggregated, disaggregated_points, kv_transfer_ms
from llmtco.sizing.layouts import candidate_layouts, layout_curve
from llmtco.sizing.serving import serving_point
from tests.conftest import llama8b, simple_hw
from tests.perf.test_parallel import toy_moe

HGX = Fabric(domain_gpus=8, scaleout_gb_s=50.0)


def test_candidates_stay_in_the_domain_for_tp_and_add_ep_and_pp() -> None:
    hgx = candidate_layouts(toy_moe(), 8, 32)
    assert max(lay.tp for lay in hgx if lay.ep == 1 and lay.pp == 1) == 8
    assert Layout(tp=1, ep=8) in hgx and Layout(tp=8, ep=8) in hgx
    assert Layout(tp=8, pp=2) in hgx and Layout(tp=8, pp=4) in hgx
    assert all(lay.gpus <= 32 for lay in hgx)
    rack = candidate_layouts(llama8b(), 72, 72)
    assert Layout(tp=32) in rack  # multi-node TP inside an NVL72 domain
    assert all(lay.ep == 1 for lay in rack)  # dense: no EP


def test_layout_curve_of_plain_tp_runs_on_the_step_layer() -> None:
    """For plain TP inside one domain a layout's decode step is the step layer's own (perf.timing); the layout
    search adds the older continuous-batching formula on top (prefill steps between decode steps), not yet the
    serving layer's chunked prefill and engine time, so the two agree only to within 10 % at the same batch."""
    import numpy as np

    from llmtco.perf.timing import decode_step

    hw = simple_hw()
    sp = serving_point(llama8b(), hw, 2.0, 2.0, 2, 1000.0, 200.0, None, None, 1)
    b = np.array([float(sp.batch[0])])
    c = layout_curve(llama8b(), hw, HGX, 2.0, 2.0, Layout(tp=2), 1000.0, 200.0, b)
    step = decode_step(llama8b(), hw, 2.0, 2.0, 2, b, 1000.0 + 100.0)
    assert float(c.step_ms[0]) == pytest.approx(float(np.asarray(step.step_ms).reshape(-1)[0]))
    assert float(c.requests_per_s[0]) == pytest.approx(float(sp.requests_per_s[0]), rel=0.10)


def test_pool_ratio_balances_prefill_and_decode() -> None:
    # prefill instance 3 req/s, decode instance 1 req/s, 8 GPUs each: 1 : 3 serves 3 req/s on 32 GPUs
    n_p, n_d, rate = _ratio(3.0, 8, 1.0, 8)
    assert (n_p, n_d) == (1, 3)
    assert rate == pytest.approx(3.0 / 32)


def test_kv_transfer_is_prompt_kv_over_the_link() -> None:
    hw = simple_hw(interconnect_gb_s=450.0)
    m = llama8b()
    ms = kv_transfer_ms(m, hw, HGX, 2.0, Layout(tp=8), Layout(tp=8), 1000.0)
    # pools on two servers: 1000 x 131,072 B over 8 senders x 50 GB/s, + 10 us
    assert ms == pytest.approx(0.01 + 1000 * kv_bytes_per_token(m, 2.0) / (8 * 50e9) * 1e3)
    # inside one 72-GPU domain the KV moves over NVLink
    rack = Fabric(domain_gpus=72, scaleout_gb_s=50.0)
    assert kv_transfer_ms(m, hw, rack, 2.0, Layout(tp=8), Layout(tp=8), 1000.0) < ms / 8


def test_disaggregated_tpot_is_the_decode_step_alone() -> None:
    hw = simple_hw()
    pts = disaggregated_points(llama8b(), hw, HGX, 2.0, 2.0, Layout(tp=1), Layout(tp=1), 2000.0, 200.0)
    colo = layout_curve(llama8b(), hw, HGX, 2.0, 2.0, Layout(tp=1), 2000.0, 200.0)
    # no prefill interleaved: TPOT below the colocated one at the same batch
    for p in pts:
        i = list(colo.batch).index(p.decode_batch)
        assert p.tpot_ms < float(colo.tpot_ms[i])
    best = best_disaggregated(pts, 20.0, None)
    assert best is not None and best.tpot_ms <= 20.0 and best.fits
