import numpy as np
import pytest

from llmtco.sizing.fleet import business_hours_profile, normalise_profile, replicas_needed
from llmtco.sizing.serving import point_at_batch, serving_point
from tests.conftest import llama8b, simple_hw


def test_tighter_tpot_gives_smaller_batch_and_less_throughput() -> None:
    hw = simple_hw(vram_gb=np.array([80.0]))
    loose = serving_point(llama8b(), hw, 1.0, 1.0, 1, 1000, 200, 100.0, 5000.0, 1)
    tight = serving_point(llama8b(), hw, 1.0, 1.0, 1, 1000, 200, 15.0, 5000.0, 1)
    assert loose.feasible[0] == tight.feasible[0] == 1.0
    assert tight.batch[0] < loose.batch[0]
    assert tight.requests_per_s[0] < loose.requests_per_s[0]
    assert tight.tpot_ms[0] <= 15.0


def test_throughput_formula_at_chosen_batch() -> None:
    hw = simple_hw()
    p = serving_point(llama8b(), hw, 2.0, 2.0, 1, 500, 100, None, None, 1)
    # X = B / (Lout x t_step + B x t_pf); output tok/s = X x Lout
    assert p.output_tokens_per_s[0] == pytest.approx(p.requests_per_s[0] * 100)
    assert p.batch[0] <= p.max_batch_memory[0]


def test_unreachable_slo_is_infeasible() -> None:
    p = serving_point(llama8b(), simple_hw(), 2.0, 2.0, 1, 1000, 200, 1.0, None, 1)
    assert p.feasible[0] == 0.0
    assert p.requests_per_s[0] == 0.0


def test_point_at_batch_reproduces_the_chosen_operating_point() -> None:
    hw = simple_hw(vram_gb=np.array([80.0]))
    best = serving_point(llama8b(), hw, 2.0, 2.0, 1, 1000, 200, 40.0, None, 1)
    at = point_at_batch(llama8b(), hw, 2.0, 2.0, 1, 1000, 200, float(best.batch[0]))
    for name in ("requests_per_s", "tpot_ms", "ttft_ms", "busy_power_w", "energy_j_per_output_token"):
        assert getattr(at, name)[0] == pytest.approx(getattr(best, name)[0]), name
    assert at.feasible[0] == 1.0


def test_point_at_batch_reports_rates_beyond_memory_but_flags_them() -> None:
    hw = simple_hw(vram_gb=np.array([24.0]))
    at = point_at_batch(llama8b(), hw, 2.0, 2.0, 1, 4000, 1000, 4096.0)
    assert at.feasible[0] == 0.0
    assert at.output_tokens_per_s[0] > 0.0


def test_business_hours_profile_keeps_mean_and_peak() -> None:
    for ratio in (1.0, 1.5, 2.0, 3.0, 6.0):
        prof = business_hours_profile(ratio)
        assert prof.mean() == pytest.approx(1.0)
        assert prof.max() == pytest.approx(ratio, rel=0.05)
        assert (prof >= 0).all()


def test_normalise_profile() -> None:
    assert normalise_profile([2.0] * 24).tolist() == [1.0] * 24


def test_replicas_needed_rounds_up_and_adds_redundancy() -> None:
    need = replicas_needed(np.array([10.0, 0.0]), np.array([3.0]), np.array([1.0]), 1)
    assert need.tolist() == [5.0, 0.0]  # ceil(10/3) = 4, + 1 spare; no load needs nothing
    need = replicas_needed(np.array([10.0]), np.array([3.0]), np.array([0.5]), 0)
    assert need.tolist() == [7.0]  # ceil(10 / 1.5)
