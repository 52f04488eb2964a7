"""Published MoE serving benchmarks predicted with the parallel layouts (issue 13 checks).

The bounds below are what the uncalibrated layouts reach today (docs/model.md lists the
figures); they guard against regressions, they are not the issue's 25 % target.
"""

import pytest

from llmtco.analysis.moe_check import moe_check, render_moe_check, step_row
from llmtco.calibration.fit import fit_stack_step_ms, stack_step_for
from llmtco.catalog import load_catalog


@pytest.fixture(scope="module")
def check():  # type: ignore[no-untyped-def]
    return moe_check(load_catalog())


def test_every_deepseek_row_is_predicted_or_skipped_with_a_reason(check) -> None:  # type: ignore[no-untyped-def]
    assert len(check.rows) + len(check.skipped) == 42
    assert all(why for _, why in check.skipped)
    assert {r.family for r in check.rows} == {"inferencemax", "trtllm-dsr1-blog", "sglang-blog"}


def test_wide_ep_decode_on_72_h100_within_30_percent(check) -> None:  # type: ignore[no-untyped-def]
    """Out of sample (nothing is fitted to this row): +26 % with the two-layer step factors (+4 % with the
    previous ones); the bound holds the figure reached with a small margin."""
    row = next(r for r in check.rows if r.id == "sgl-ep-dsv3-h100-decode-b256")
    assert row.layout == "EP72 (DP72 attention)"
    assert abs(row.error) <= 0.30


def test_large_scale_ep_prefill_within_10_percent(check) -> None:  # type: ignore[no-untyped-def]
    """Out of sample (nothing is fitted to these rows): EP32 prefill on 32 H100 over InfiniBand, -39 % to -33 %
    while every prompt token crossed the network once per remote expert, -2 % to +6 % with DeepEP's
    forwarding once per remote node."""
    rows = [r for r in check.rows if "prefill" in r.id]
    assert len(rows) == 3
    assert all(abs(r.error) <= 0.10 for r in rows)


def test_dp_attention_prompt_imbalance_lowers_the_trtllm_max_throughput_rows(check) -> None:  # type: ignore[no-untyped-def]
    """TensorRT-LLM's EP8 DP8 max-throughput rows, in-flight batching: +95 % to +122 % with prompts spread
    evenly over the DP ranks, +35 % to +82 % with each prompt on one rank (the rest is not modelled)."""
    rows = [r for r in check.rows if r.family == "trtllm-dsr1-blog"]
    assert len(rows) == 3
    assert all(0.0 < r.error < 0.9 for r in rows)


def test_errors_and_ratios_are_reported(check) -> None:  # type: ignore[no-untyped-def]
    text = render_moe_check(check)
    assert "median |error|" in text and "within 25 %" in text
    assert check.median_abs_error < 0.6  # 42 % on the serving layer (128 % with the older formula): reported
    assert len(check.ratios) >= 12
    # the model ranks B200 above MI300X on every shared workload, as published
    assert all(r.predicted_ratio > 1 for r in check.ratios if r.accelerator == "b200")


def test_stack_step_time_in_sample_and_leave_one_row_out(check) -> None:  # type: ignore[no-untyped-def]
    fitted = check.fitted("leave one row out")
    assert len(fitted) >= 30
    assert all(f.row.predicted_tpot_ms is not None for f in fitted)
    errors = sorted(abs(f.error) for f in fitted)
    assert errors[len(errors) // 2] < 0.3  # 23 % measured on the serving layer
    ratios = check.fitted_ratios("leave one row out")
    assert sum(abs(r.error) <= 0.25 for r in ratios) >= 0.8 * len(ratios)  # 13 of 16 measured
    nodes = check.stack_step_ms()
    # the DeepSeek rows are in the fit corpus, so the serving layer's nodes already carry each stack's own
    # step time (ROCm SGLang's slower steps in mi300x@sglang): what is left for the stack step is small
    assert all(n.stack_step_ms < 10.0 for n in nodes.values())
    assert sum(abs(r.error) <= 0.25 for r in check.ratios) >= 12  # 13 of 16 with the shipped factors


def test_leave_one_source_out_never_sees_the_rows_family(check) -> None:  # type: ignore[no-untyped-def]
    """The headline fit: each row's stack step time comes from a fit on the other families' rows only."""
    loso = check.fitted("leave one source out")
    for f in loso[:: max(1, len(loso) // 6)]:
        train = [sr for o in check.rows if o.family != f.row.family and (sr := step_row(o)) is not None]
        node = stack_step_for(fit_stack_step_ms(train), f.row.accelerator, f.row.engine, f.row.precision)
        assert node.stack_step_ms == pytest.approx(f.stack_step_ms)
        assert node.answered == f.answered
    # InferenceMAX holds every row of its stacks: without it they fall back to the generic node
    imx = [f for f in loso if f.row.family == "inferencemax"]
    assert imx and all(f.answered == "generic" for f in imx)
    text = render_moe_check(check)
    assert "leave one source out" in text


def test_unknown_fit_is_refused(check) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="leave one source out"):
        check.fitted("leave two out")
