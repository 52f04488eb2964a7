"""The operating point at an offered rate (open loop) and at a fixed concurrency (closed loop): limits,
Little's law, the closed-loop identity, monotonicity and the batch bound."""

import numpy as np
import pytest

from llmtco.sizing.lengths import from_percentiles
from llmtco.sizing.operating import at_concurrency, at_rate
from llmtco.sizing.serving import EngineShape, Load, point_at_batch, serving_point
from tests.conftest import llama8b, simple_hw

ENGINE = EngineShape(scheduler_ms_per_step=0.5, per_sequence_us=10.0, mixed_step_efficiency=0.9)
HW = simple_hw(vram_gb=np.array([80.0]))
LIN, LOUT = 1000.0, 200.0
IDLE = Load(utilisation=0.0, percentile="mean")
"""The serving layer's load with no queueing wait, for comparison with batch-1 figures."""


def _capacity(load: Load = IDLE) -> float:
    return float(at_rate(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, 1.0, ENGINE, load).capacity_rps[0])


def test_rate_to_zero_gives_the_batch_1_figures() -> None:
    one = point_at_batch(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, 1.0, ENGINE, IDLE)
    p = at_rate(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, 1e-9, ENGINE, IDLE)
    assert p.batch[0] == 1.0 and p.saturated[0] == 0.0
    assert p.tpot_ms[0] == pytest.approx(one.tpot_ms[0])
    assert p.ttft_ms[0] == pytest.approx(one.ttft_ms[0])
    assert p.queue_wait_ms[0] == pytest.approx(0.0, abs=1e-6)
    assert p.requests_per_s[0] == pytest.approx(1e-9)


def test_concurrency_1_equals_the_batch_1_figures() -> None:
    one = point_at_batch(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, 1.0, ENGINE, IDLE)
    p = at_concurrency(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, 1.0, ENGINE, IDLE)
    assert p.batch[0] == 1.0 and p.queue_wait_ms[0] == 0.0 and p.saturated[0] == 0.0
    assert p.tpot_ms[0] == pytest.approx(one.tpot_ms[0])
    assert p.ttft_ms[0] == pytest.approx(one.ttft_ms[0])
    # one client: one request per TTFT + Lout x TPOT
    assert p.requests_per_s[0] == pytest.approx(1e3 / (one.ttft_ms[0] + LOUT * one.tpot_ms[0]))


def test_rate_to_capacity_gives_saturation() -> None:
    sat = serving_point(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, None, None, 1, ENGINE, IDLE)
    below = at_rate(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, 0.5, ENGINE, IDLE)
    cap = below.capacity_rps[0]
    assert cap == pytest.approx(sat.requests_per_s[0], rel=1e-9)
    near = at_rate(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, 0.999 * cap, ENGINE, IDLE)
    assert near.saturated[0] == 0.0 and near.batch[0] > 0.8 * sat.batch[0]
    over = at_rate(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, 2.0 * cap, ENGINE, IDLE)
    assert over.saturated[0] == 1.0 and np.isinf(over.ttft_ms[0])
    assert over.requests_per_s[0] == pytest.approx(cap) and over.utilisation[0] == pytest.approx(1.0)
    assert over.batch[0] == pytest.approx(sat.batch[0]) and over.tpot_ms[0] == pytest.approx(sat.tpot_ms[0])


def test_open_loop_follows_littles_law_below_capacity() -> None:
    cap = _capacity()
    rates = np.array([0.05, 0.3, 0.9]) * cap
    p = at_rate(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, rates, ENGINE, IDLE)
    assert np.all(p.saturated == 0.0)
    np.testing.assert_allclose(p.requests_per_s, rates)
    np.testing.assert_allclose(p.output_tokens_per_s, rates * LOUT)
    # B = lambda x E[Lout] x TPOT, within the grid's linear interpolation
    np.testing.assert_allclose(p.batch, np.maximum(1.0, rates * LOUT * p.tpot_ms / 1e3), rtol=0.01)
    np.testing.assert_allclose(p.utilisation, rates / p.capacity_rps)


def test_open_loop_rises_with_the_rate() -> None:
    load = Load(percentile="p90", input_spread=from_percentiles(500, 3000))
    rates = np.linspace(0.2, 0.98, 12) * _capacity(load)
    p = at_rate(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, rates, ENGINE, load)
    for field in (p.batch, p.tpot_ms, p.ttft_ms, p.queue_wait_ms):
        assert np.all(np.diff(field) >= -1e-9)
    assert p.ttft_ms[-1] > p.ttft_ms[0] and p.tpot_ms[-1] > p.tpot_ms[0]


def test_closed_loop_rises_with_the_clients_and_keeps_its_identity() -> None:
    clients = np.array([1.0, 2.0, 8.0, 32.0, 128.0, 512.0, 4096.0])
    p = at_concurrency(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, clients, ENGINE, IDLE)
    for field in (p.batch, p.tpot_ms, p.ttft_ms, p.requests_per_s):
        assert np.all(np.diff(field) >= -1e-9)
    # X = C / (TTFT + Lout x TPOT), also where clients wait for a slot
    np.testing.assert_allclose(p.requests_per_s, clients / (p.ttft_ms + LOUT * p.tpot_ms) * 1e3)
    assert p.saturated[-1] == 1.0 and p.batch[-1] == pytest.approx(p.batch_bound[-1])
    assert p.queue_wait_ms[-1] > 0.0 and p.requests_per_s[-1] <= p.capacity_rps[-1] * (1 + 1e-9)


def test_max_num_seqs_bounds_both_loops() -> None:
    bounded = Load(utilisation=0.0, percentile="mean", max_batch=16.0)
    closed = at_concurrency(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, 64.0, ENGINE, bounded)
    at16 = point_at_batch(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, 16.0, ENGINE, bounded)
    assert closed.batch[0] == 16.0 and closed.saturated[0] == 1.0
    assert closed.tpot_ms[0] == pytest.approx(at16.tpot_ms[0])
    # 48 clients wait: Little's law over the waiting room, on top of the running prompts' wait for the budget
    assert closed.ttft_ms[0] == pytest.approx(at16.ttft_ms[0] + closed.queue_wait_ms[0], rel=1e-3)
    assert closed.queue_wait_ms[0] >= 48.0 / closed.requests_per_s[0] * 1e3
    cap = closed.capacity_rps[0]
    over = at_rate(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, 1.5 * cap, ENGINE, bounded)
    assert over.saturated[0] == 1.0 and over.batch[0] == 16.0


def test_vectorised_equals_one_by_one() -> None:
    rates = np.array([0.5, 3.0, 12.0])
    many = at_rate(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, rates, ENGINE, IDLE)
    for k, r in enumerate(rates):
        one = at_rate(llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT, float(r), ENGINE, IDLE)
        assert many.tpot_ms[k] == pytest.approx(one.tpot_ms[0])
        assert many.ttft_ms[k] == pytest.approx(one.ttft_ms[0])


def test_the_rate_within_limits_is_where_the_first_limit_binds() -> None:
    from llmtco.sizing.operating import LIMIT_GRID, rate_within_limits

    p99 = Load(percentile="p99")
    args = (llama8b(), HW, 2.0, 2.0, 1, LIN, LOUT)
    cap = float(at_rate(*args, 1e-6, ENGINE, p99).capacity_rps[0])
    assert rate_within_limits(*args, 1e9, 1e9, ENGINE, p99) == pytest.approx(LIMIT_GRID[-1] * cap)
    assert rate_within_limits(*args, 1e-3, 1e9, ENGINE, p99) == pytest.approx(LIMIT_GRID[0] * cap)
    light = at_rate(*args, 0.3 * cap, ENGINE, p99)
    tpot_limit = float(light.tpot_ms[0]) * 1.5
    rate = rate_within_limits(*args, 1e9, tpot_limit, ENGINE, p99)
    assert 0.3 * cap < rate < cap
    assert float(at_rate(*args, rate, ENGINE, p99).tpot_ms[0]) == pytest.approx(tpot_limit, rel=0.02)
    # a request's TPOT tail above its mean binds earlier
    assert rate_within_limits(*args, 1e9, tpot_limit, ENGINE, p99, tpot_tail=1.2) < rate


def test_closed_loop_prompts_queue_for_the_prefill_budget() -> None:
    """Long prompts from many clients queue for the prefill budget: TTFT at 16 clients is above the
    wait-free TTFT at the same batch, the wait is in ``queue_wait_ms``; one client
    never queues behind itself."""
    lin, lout = 8000.0, 200.0
    many = at_concurrency(llama8b(), HW, 2.0, 2.0, 1, lin, lout, 16.0, ENGINE, IDLE)
    free = point_at_batch(llama8b(), HW, 2.0, 2.0, 1, lin, lout, float(many.batch[0]), ENGINE, IDLE)
    assert many.saturated[0] == 0.0 and many.queue_wait_ms[0] > 0.2 * many.ttft_ms[0]
    assert many.ttft_ms[0] == pytest.approx(free.ttft_ms[0] + many.queue_wait_ms[0], rel=0.02)
    np.testing.assert_allclose(many.requests_per_s, 16.0 / (many.ttft_ms + lout * many.tpot_ms) * 1e3)
    one = at_concurrency(llama8b(), HW, 2.0, 2.0, 1, lin, lout, 1.0, ENGINE, IDLE)
    assert one.queue_wait_ms[0] == 0.0
