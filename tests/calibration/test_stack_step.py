"""The serving layer's per-stack step time of MoE stacks (``calibration.fit.fit_stack_step_ms``)."""

import pytest

from llmtco.calibration.fit import StepRow, fit_stack_step_ms, stack_step_for


def _row(acc: str, engine: str, prec: str, step_ms: float, extra_ms: float) -> StepRow:
    """A row whose measured throughput is the physics' with ``extra_ms`` on every step."""
    predicted = 1000.0 / step_ms
    return StepRow(acc, engine, prec, predicted * step_ms / (step_ms + extra_ms), predicted, step_ms)


def test_corrected_throughput_scales_as_one_over_tpot() -> None:
    r = StepRow("b200", "sglang", "fp8", published=100.0, predicted=200.0, predicted_step_ms=10.0)
    assert r.corrected(0.0) == 200.0
    assert r.corrected(10.0) == pytest.approx(100.0)


def test_each_stack_recovers_its_own_step_time() -> None:
    rows = [_row("b200", "sglang", "fp8", t, 5.0) for t in (4.0, 15.0, 25.0)]
    rows += [_row("mi300x", "sglang", "fp8", t, 25.0) for t in (5.0, 20.0, 30.0)]
    nodes = fit_stack_step_ms(rows)
    # the pull toward @sglang (about 13 ms) moves each by under a millisecond
    assert nodes["b200@sglang"].stack_step_ms == pytest.approx(5.0, abs=1.0)
    assert nodes["mi300x@sglang"].stack_step_ms == pytest.approx(25.0, abs=1.5)
    assert nodes["b200@sglang"].stack_step_ms > 5.0 and nodes["mi300x@sglang"].stack_step_ms < 25.0
    assert nodes["b200@sglang"].rows == 3 and nodes["b200@sglang"].answered == "b200@sglang"


def test_sparse_stack_inherits_its_parent() -> None:
    rows = [_row("b200", "sglang", "fp8", t, 5.0) for t in (4.0, 15.0, 25.0)]
    rows += [_row("h200", "sglang", "fp8", t, 9.0) for t in (5.0, 20.0)]  # two rows: below SERVING_MIN_ROWS
    nodes = fit_stack_step_ms(rows)
    h200 = stack_step_for(nodes, "h200", "sglang", "fp8")
    # @sglang holds the same rows as generic (one engine), so generic answers both
    assert h200.rows == 0 and h200.answered == "generic" and nodes["@sglang"].answered == "generic"
    assert h200.stack_step_ms == nodes["@sglang"].stack_step_ms
    # an engine never seen is answered by the generic node
    assert stack_step_for(nodes, "h200", "vllm", "fp8").answered == "generic"


def test_no_rows_means_pure_physics() -> None:
    nodes = fit_stack_step_ms([])
    assert nodes["generic"].stack_step_ms == 0.0 and nodes["generic"].answered == "prior"
