"""Published MoE serving benchmarks predicted with the parallel layouts (issue 13 checks).

The bounds below guard against regressions at what the shipped factors reach in sample; they are not the
issue's 25 % target, which `llmtco perf moe-check` reports out of sample (README, "Parallel layouts").
"""

from dataclasses import replace

import pytest

from llmtco.analysis.moe_check import (
    fold_catalog,
    moe_check,
    moe_check_json,
    moe_check_out_of_sample,
    render_moe_check,
    split_key,
)
from llmtco.catalog import load_catalog
from llmtco.catalog.loader import Table


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
    evenly over the DP ranks, +35 % to +82 % with each prompt on one rank, -1 % to +53 % since the rows carry
    the shipped stack step time fitted on them (the rest is not modelled)."""
    rows = [r for r in check.rows if r.family == "trtllm-dsr1-blog"]
    assert len(rows) == 3
    assert all(-0.1 < r.error < 0.9 for r in rows)


def test_errors_and_ratios_are_reported(check) -> None:  # type: ignore[no-untyped-def]
    text = render_moe_check(check)
    assert "median \\|error\\|" in text and "ratios within 25 %" in text
    assert check.median_abs_error < 0.15  # 9 % in sample (20 % before the layout path followed prompt chunks)
    assert len(check.ratios) >= 12
    # the model ranks B200 above MI300X on every shared workload, as published
    assert all(r.predicted_ratio > 1 for r in check.ratios if r.accelerator == "b200")


def test_stack_step_time_left_on_top_is_small_in_sample(check) -> None:  # type: ignore[no-untyped-def]
    nodes = check.stack_step_ms()
    # the DeepSeek rows are in the fit corpus, so the serving layer's nodes already carry each stack's own
    # step time (ROCm SGLang's slower steps in mi300x@sglang): what is left for the stack step is small
    assert all(n.stack_step_ms < 10.0 for n in nodes.values())
    assert sum(abs(r.error) <= 0.25 for r in check.ratios) >= 15  # 16 of 16 with the shipped factors


@pytest.fixture(scope="module")
def fold():  # type: ignore[no-untyped-def]
    """One leave-one-accelerator-out fold: the whole shipped fit redone without any MI300X row (a refit takes
    most of a minute, so the tests share it)."""
    return fold_catalog(load_catalog(), "leave one accelerator out", "mi300x")


@pytest.fixture(scope="module")
def without_mi300x(fold):  # type: ignore[no-untyped-def]
    folds = []

    def refit(cat, split, group):  # type: ignore[no-untyped-def]
        folds.append((split, group))
        return fold

    out = moe_check_out_of_sample(load_catalog(), "leave one accelerator out", groups=["mi300x"], fold=refit)
    assert folds == [("leave one accelerator out", "mi300x")]
    return out


def test_an_out_of_sample_fold_refits_without_the_groups_rows(check, fold, without_mi300x) -> None:  # type: ignore[no-untyped-def]
    shipped = load_catalog()
    # shipped: MI300X's ROCm SGLang stack has a serving node fitted on its own rows; in the fold no node of
    # MI300X is fitted, so every MI300X record is answered by a parent fitted on other accelerators
    assert "serving: mi300x@sglang" in shipped.efficiency.get("mi300x@sglang").notes
    fold_records = [e for e in fold.efficiency if e.id.startswith("mi300x")]
    assert fold_records and not any("mi300x" in e.notes for e in fold_records)
    rows = without_mi300x.rows
    assert rows and {r.accelerator for r in rows} == {"mi300x"}
    in_sample = {r.id: r.predicted for r in check.rows}
    assert all(r.predicted != pytest.approx(in_sample[r.id], rel=1e-3) for r in rows)
    # ratios need both accelerators out of sample: a fold of one accelerator gives none
    assert without_mi300x.ratios == []


def test_out_of_sample_columns_in_the_table_and_json(check, without_mi300x) -> None:  # type: ignore[no-untyped-def]
    oos = {"leave one accelerator out": without_mi300x}
    text = render_moe_check(check, oos)
    assert "| in sample | leave one accelerator out |" in text
    assert "| leave one accelerator out | 4 |" in text and "| in sample (shipped factors) | 39 |" in text
    doc = moe_check_json(check, oos)
    errs = {r["id"]: r["error"] for r in doc["rows"]}
    assert all(set(e) == {"in sample", "leave one accelerator out"} for e in errs.values())
    assert errs["imx-deepseek-r1-b200-sglang-fp8-tp8-1k1k-c4"]["leave one accelerator out"] is None
    assert errs["imx-deepseek-r1-mi300x-sglang-fp8-tp8-1k1k-c4"]["leave one accelerator out"] is not None
    assert doc["summary"]["leave one accelerator out"]["rows"] == 4


def test_unknown_split_is_refused() -> None:
    with pytest.raises(ValueError, match="leave one source out"):
        split_key("leave two out")


def test_end_to_end_rows_carry_the_shipped_stack_step_as_the_plan_does(check) -> None:  # type: ignore[no-untyped-def]
    """The serving-layer rows run the engine as a plan runs it: the record's ``stack_step_ms`` on every step
    (DeepSeek is MLA MoE) and the MoE prompt share. 20 ms more per step on B200 slows its rows, no others."""
    cat = load_catalog()
    records = {
        k: e.model_copy(update={"stack_step_ms": 20.0}) if k.split("@")[0] == "b200" else e
        for k, e in cat.efficiency.records.items()
    }
    slow = {r.id: r for r in moe_check(replace(cat, efficiency=Table("efficiency", records))).rows}
    for r in check.rows:
        if r.family == "inferencemax" and r.accelerator == "b200":
            assert slow[r.id].predicted < 0.8 * r.predicted, r.id
        elif r.family == "inferencemax":
            assert slow[r.id].predicted == pytest.approx(r.predicted), r.id
