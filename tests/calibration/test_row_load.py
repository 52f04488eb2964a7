"""Corpus rows carry the load their source states, and are predicted at it (``sizing.operating``)."""

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from llmtco.calibration.corpus import Case, map_row
from llmtco.calibration.fit import lookup, predictions
from llmtco.calibration.predict import predict
from llmtco.calibration.row_load import SATURATION, latency_statistic, row_load
from llmtco.catalog import Catalog
from llmtco.catalog.records import Efficiency
from llmtco.engine.adapters import compute_precision, engine_shape, hardware_shape, kv_bytes_for, model_shape
from llmtco.perf.shapes import HardwareShape, ModelShape
from llmtco.sizing.operating import at_concurrency, at_rate
from llmtco.sizing.serving import EngineShape, Load

HOLDOUT = Path(__file__).resolve().parents[2] / "src/llmtco/calibration/data/measurements-2026.csv"


@pytest.mark.parametrize(
    ("batch_text", "notes", "kind", "value"),
    [
        ("TP1 x 8; gpu_batch_size 896; target_qps 102.5 (Poisson)", "", "rate", 102.5),
        (
            "TP1 x 8; gpu_batch_size 2048",
            "Server: Poisson arrivals at target_qps 364; TTFT/TPOT are means",
            "rate",
            364,
        ),
        ("offered 16 QPS (achieved 12 req/s)", "", "rate", 16.0),
        ("vllm bench serve --request-rate 4", "", "rate", 4.0),
        ("concurrency 8 (150 requests)", "", "concurrency", 8.0),
        ("--max-concurrency 64", "", "concurrency", 64.0),
        # an engine's cap is not a load, and a batch size is not a concurrency
        ("TP8; max_concurrency 5120", "", "saturation", None),
        ("max_num_seqs 256 (avg running batch 255.2)", "", "saturation", None),
        ("max-load offline (all requests queued at infinite rate)", "", "saturation", None),
    ],
)
def test_the_load_is_read_from_the_row_text(batch_text: str, notes: str, kind: str, value: float | None) -> None:
    load = row_load(batch_text, notes)
    assert (load.kind, load.value) == (kind, value)
    assert (load.label() == "saturation (no load stated)") == (kind == "saturation")


def test_latency_statistic_follows_the_notes() -> None:
    assert latency_statistic("ttft_ms = median TTFT, tpot_ms = median ITL") == "p50"
    assert latency_statistic("TTFT/TPOT are means") == "mean"


def _holdout(catalog: Catalog) -> dict[str, Case]:
    rows = list(csv.DictReader(HOLDOUT.read_text(encoding="utf-8").splitlines()))
    return {c.id: c for r in rows if isinstance(c := map_row(r, catalog), Case)}


def test_holdout_rows_carry_their_load(catalog: Catalog) -> None:
    cases = _holdout(catalog)
    online = cases["trt14-serve-l31-8b-h100-tp1-467-256-qps2"]
    assert (online.load.kind, online.load.value) == ("rate", 2.0)
    assert any("Poisson arrivals assumed" in a for a in online.assumptions)  # the doc does not say
    mlperf = cases["mlperf51-h200-l2-70b-srv"]
    assert (mlperf.load.kind, mlperf.load.value) == ("rate", 116.6)
    assert not any("Poisson" in a for a in mlperf.assumptions)  # MLPerf states Poisson arrivals
    assert cases["mlperf51-h200-l2-70b-off"].load == SATURATION
    blog_bf16, blog_fp8 = cases["vllmblog-fp8kv-l31-8b-h100-bf16kv"], cases["vllmblog-fp8kv-l31-8b-h100-fp8kv"]
    assert (blog_bf16.load.kind, blog_bf16.load.value) == ("concurrency", 8.0) and blog_bf16.latency_stat == "p50"
    # '~20000' is the source's approximate mean, said per row; BF16 weights keep their stated KV cache
    assert blog_bf16.input_tokens == 20000.0 and any("approximate mean" in a for a in blog_bf16.assumptions)
    assert blog_bf16.precision == blog_fp8.precision == "bf16"
    assert (blog_bf16.kv_cache, blog_fp8.kv_cache) == ("bf16", "fp8")


def _shapes(case: Case, catalog: Catalog) -> tuple[ModelShape, HardwareShape, float, float, EngineShape, Efficiency]:
    acc = catalog.accelerators.get(case.accelerator)
    eff = lookup({e.id: e for e in catalog.efficiency}, case.accelerator, case.engine, case.precision)
    compute = compute_precision(case.precision, acc)
    return (
        model_shape(catalog.models.get(str(case.model))),
        hardware_shape(acc, eff, compute, 1),
        2.0 if case.precision == "bf16" else 1.0,
        kv_bytes_for(compute, case.kv_cache),
        engine_shape(eff, case.engine, 1),
        eff,
    )


def test_a_row_at_an_offered_rate_is_predicted_at_it(catalog: Catalog) -> None:
    case = _holdout(catalog)["trt14-serve-l31-8b-h100-tp1-467-256-qps2"]
    shape, hw, bpw, kvb, eng, eff = _shapes(case, catalog)
    op = at_rate(shape, hw, bpw, kvb, 1, 467.0, 256.0, 2.0, eng, Load(percentile="mean"))
    pred = predict(case, catalog, eff)
    assert pred["tpot_ms"] == pytest.approx(op.tpot_ms[0]) and pred["ttft_ms"] == pytest.approx(op.ttft_ms[0])
    assert pred["output_tok_s_per_gpu"] == pytest.approx(2.0 * 256.0) and pred["saturated"] == 0.0
    # the same row at saturation (how it was compared before) is far slower per token
    at_saturation = predict(replace(case, load=SATURATION), catalog, eff)
    assert at_saturation["tpot_ms"] > 3.0 * pred["tpot_ms"]


def test_a_row_at_a_fixed_concurrency_is_predicted_at_it(catalog: Catalog) -> None:
    case = _holdout(catalog)["vllmblog-fp8kv-l31-8b-h100-fp8kv"]
    shape, hw, bpw, kvb, eng, eff = _shapes(case, catalog)
    assert kvb == 1.0  # the FP8 KV cache of the row, on BF16 weights
    op = at_concurrency(shape, hw, bpw, kvb, 1, 20000.0, 2000.0, 8.0, eng, Load(percentile="p50"))
    pred = predict(case, catalog, eff)
    assert pred["tpot_ms"] == pytest.approx(op.tpot_ms[0]) and pred["ttft_ms"] == pytest.approx(op.ttft_ms[0])
    assert pred["output_tok_s_per_gpu"] == pytest.approx(op.output_tokens_per_s[0])


def test_a_rate_above_capacity_is_flagged_and_stays_finite(catalog: Catalog) -> None:
    case = _holdout(catalog)["trt14-serve-l31-70b-h100-tp4-467-256-qps32"]
    effs = {e.id: e for e in catalog.efficiency}
    over = predictions([case], catalog, effs)
    assert {p.metric for p in over} == {"output_tok_s_per_gpu", "tpot_ms", "ttft_ms"}
    assert all("above the model's capacity: saturated" in p.evaluated_at for p in over)
    assert all(p.predicted < float("inf") for p in over)
    light = predictions([replace(case, load=replace(case.load, value=0.5))], catalog, effs)
    assert all(p.evaluated_at.startswith("rate 0.5 req/s") and "saturated" not in p.evaluated_at for p in light)


def test_a_vllm_bench_result_is_predicted_at_its_load(tmp_path: Path, catalog: Catalog) -> None:
    """``vllm bench serve --save-result``: max_concurrency (closed loop) or a finite request_rate (open loop)."""
    import json

    from llmtco.calibration.imports import read_result_file

    base = {
        "completed": 200,
        "total_input_tokens": 200 * 1000,
        "total_output_tokens": 200 * 200,
        "request_throughput": 12.0,
        "output_throughput": 2400.0,
        "mean_ttft_ms": 80.0,
        "mean_tpot_ms": 11.0,
    }
    kw = {"model": "llama-3.1-8b", "accelerator": "h100-sxm", "gpus": 1, "tp": 1, "precision": "bf16"}
    loads = {}
    for name, extra in (
        ("closed", {"max_concurrency": 32, "request_rate": "inf"}),
        ("open", {"request_rate": 4.0, "mean_e2el_ms": 2300.0}),
    ):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({**base, **extra}))
        (case,) = read_result_file(path, **kw)
        loads[name] = case
    assert (loads["closed"].load.kind, loads["closed"].load.value) == ("concurrency", 32.0)
    assert (loads["open"].load.kind, loads["open"].load.value) == ("rate", 4.0)
    effs = {e.id: e for e in catalog.efficiency}
    open_pred = predict(loads["open"], catalog, lookup(effs, "h100-sxm", "vllm", "bf16"))
    assert open_pred["output_tok_s_per_gpu"] == pytest.approx(4.0 * 200)  # below capacity: the offered rate
    assert all(p.evaluated_at.startswith("concurrency 32") for p in predictions([loads["closed"]], catalog, effs))


def test_the_holdout_report_says_where_each_row_was_evaluated(catalog: Catalog) -> None:
    from llmtco.calibration.api import accuracy
    from llmtco.calibration.report import render_table

    doc = accuracy(catalog, HOLDOUT, loso=False)
    at = {(r["id"], r["metric"]): r["evaluated_at"] for r in doc["rows"]}
    assert at[("trt14-serve-l31-8b-h100-tp1-467-256-qps2", "tpot_ms")] == "rate 2 req/s (offered 2 QPS)"
    assert at[("vllmblog-fp8kv-l31-8b-h100-bf16kv", "ttft_ms")] == "concurrency 8 (concurrency 8)"
    assert at[("mlperf51-h200-l2-70b-off", "output_tok_s_per_gpu")] == "saturation (no load stated)"
    table = render_table(doc)
    assert "[at rate 2 req/s (offered 2 QPS)]" in table and "[at saturation" not in table


def test_the_run_limits_requests_and_engine_cap_are_read_from_the_row_text() -> None:
    load = row_load(
        "TP1 x 8; gpu_batch_size 768; max_num_tokens 768",
        "Interactive: Poisson arrivals at target_qps 220; constraints p99 TTFT<=450 ms, p99 TPOT<=40 ms",
    )
    assert (load.kind, load.value, load.limits_ms, load.engine_cap) == ("rate", 220.0, (450.0, 40.0), 768)
    assert load.label().startswith("the highest rate meeting p99 TTFT <= 450 ms and TPOT <= 40 ms")
    finite = row_load("concurrency 8 (150 requests); max_batch_size 64 per rank", "")
    assert (finite.requests, finite.engine_cap, finite.limits_ms) == (150, None, None)  # a per-rank cap is not one


def test_an_mlperf_server_row_gets_its_benchmarks_limits(catalog: Catalog) -> None:
    from llmtco.calibration.row_load import MLPERF_SERVER_LIMITS_MS, with_server_limits

    cases = _holdout(catalog)
    assert cases["mlperf51-h200-l2-70b-srv"].load.limits_ms == MLPERF_SERVER_LIMITS_MS["llama-2-70b"]
    assert cases["mlperf51-b200-l2-70b-int"].load.limits_ms == (450.0, 40.0)  # quoted: the interactive class
    rate = row_load("target_qps 3", "")
    assert with_server_limits(rate, "vllm-bench-serve", "llama-2-70b") == rate
    assert with_server_limits(rate, "MLPerf-Server", "unknown-model") == rate


def test_an_open_loop_row_that_carried_its_load_does_not_test_throughput(catalog: Catalog) -> None:
    from llmtco.calibration.row_load import carried_offered_load

    rate = row_load("offered 2 QPS", "")
    assert carried_offered_load(rate, 2.0 * 256, 256.0)  # achieved = offered: throughput is an input
    assert not carried_offered_load(rate, 1.0 * 256, 256.0)  # fell short: it measured a capacity
    assert not carried_offered_load(row_load("concurrency 8", ""), 2.0 * 256, 256.0)
    served = _holdout(catalog)["trt14-serve-l31-8b-h100-tp1-467-256-qps2"]
    assert "output_tok_s_per_gpu" not in served.measured and "tpot_ms" in served.measured
    assert any("offered load the run carried" in a for a in served.assumptions)


def test_an_mlperf_server_row_is_predicted_at_the_highest_rate_under_its_limits(catalog: Catalog) -> None:
    from llmtco.calibration.predict import TPOT_P99_OVER_MEAN

    case = _holdout(catalog)["mlperf51-b200-l2-70b-int"]
    shape, hw, bpw, kvb, _, eff = _shapes(case, catalog)
    eng = engine_shape(eff, case.engine, 1, accelerator=catalog.accelerators.get(case.accelerator))
    assert case.input_tokens is not None and case.output_tokens is not None and case.load.limits_ms is not None
    pred = predict(case, catalog, eff)
    # the measured target_qps is the run's outcome, not an input: another value changes nothing
    assert predict(replace(case, load=replace(case.load, value=1.0)), catalog, eff) == pred
    rate = pred["output_tok_s_per_gpu"] * case.gpus / case.output_tokens  # TP1 x 8 replicas
    p99 = Load(percentile="p99", max_batch=min(float(case.load.engine_cap or 1e9), eng.max_num_seqs or 1e9))
    ttft_limit, tpot_limit = case.load.limits_ms
    lin, lout = case.input_tokens, case.output_tokens

    def worst(r: float) -> float:
        op = at_rate(shape, hw, bpw, kvb, 1, lin, lout, r / 8, eng, p99)
        return max(float(op.ttft_ms[0]) / ttft_limit, TPOT_P99_OVER_MEAN * float(op.tpot_ms[0]) / tpot_limit)

    assert worst(rate) == pytest.approx(1.0, abs=0.03)  # one limit binds at the predicted rate
    assert worst(0.9 * rate) < 1.0 < worst(1.1 * rate)


def test_a_published_median_ttft_is_compared_instead_of_the_mean(catalog: Catalog) -> None:
    from llmtco.calibration.row_load import published_median_ttft

    notes = "ttft_ms = mean TTFT (median 582.7, p99 7.296e+04 ms); tpot_ms = mean TPOT (median 23.08, p99 101.1 ms)"
    assert published_median_ttft(notes) == 582.7 and latency_statistic(notes) == "p50"
    assert published_median_ttft("TTFT/TPOT are means; p50/p90/p99 TTFT 109.26/129.17/270.46 ms") is None
    case = _holdout(catalog)["imx-deepseek-r1-b200-sglang-fp8-tp8-1k1k-c64"]
    assert case.measured["ttft_ms"] == 582.7 and case.latency_stat == "p50"
    assert case.measured["tpot_ms"] == 25.805  # TPOT stays the mean: throughput follows from mean TPOT
    assert any("published median, 582.7 ms, not its mean (5445.3 ms)" in a for a in case.assumptions)
