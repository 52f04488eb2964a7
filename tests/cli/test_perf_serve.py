"""`llmtco perf serve`: both layers at one configuration and load, fixed configurations, clear errors."""

import json

import pytest

from llmtco.arrays import first
from llmtco.catalog import load_catalog
from llmtco.cli import main
from llmtco.engine.adapters import efficiency_for, engine_shape

BASE = ["perf", "serve", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--engine", "vllm"]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main([*BASE, *args, "--format", "json"]) == 0
    doc: dict[str, object] = json.loads(capsys.readouterr().out)
    return doc


def test_serve_exposes_step_and_serving_layers(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run(capsys, "--input-p50", "500", "--input-p90", "3000", "--output-tokens", "300")
    step, serving = doc["step_layer"], doc["serving_layer"]
    assert isinstance(step, dict) and isinstance(serving, dict)
    assert step["kernel_ms"] > 0 and step["memory_ms"] > 0
    # the engine step is the kernel step slowed by mixing, plus host time
    assert serving["step_ms"] == pytest.approx(
        step["kernel_ms"] / serving["mixed_step_efficiency"] + serving["host_ms"]
    )
    assert serving["ttft_p50_ms"] <= serving["ttft_p90_ms"] <= serving["ttft_p99_ms"]
    assert serving["output_tokens_per_s_per_replica"] == pytest.approx(serving["batch"] / serving["step_ms"] * 1e3)


def test_fixed_configuration_reports_what_it_delivers(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run(capsys, "--batch", "16", "--tp", "2", "--rate", "200", "--replicas", "2", "--tpot-ms", "5")
    serving, fleet = doc["serving_layer"], doc["fleet"]
    assert isinstance(serving, dict) and isinstance(fleet, dict)
    assert doc["tensor_parallel"] == 2 and serving["batch"] == 16 and serving["batch_fixed"] is True
    assert doc["meets_slo"] is False  # 16 sequences at TP 2 cannot reach 5 ms per token
    assert fleet["meets_load"] is False and fleet["delivered_rps"] < 200


def test_fp8_kv_cache_doubles_the_memory_batch(capsys: pytest.CaptureFixture[str]) -> None:
    bf16 = _run(capsys, "--input-tokens", "8000", "--output-tokens", "1000", "--kv-cache", "bf16")
    fp8 = _run(capsys, "--input-tokens", "8000", "--output-tokens", "1000", "--kv-cache", "fp8")
    assert fp8["kv_cache_bytes_per_value"] == 1.0 and bf16["kv_cache_bytes_per_value"] == 2.0
    b16, b8 = bf16["serving_layer"], fp8["serving_layer"]
    assert isinstance(b16, dict) and isinstance(b8, dict)
    assert b8["max_batch_memory"] > 1.9 * b16["max_batch_memory"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--percentile", "p95"], "--percentile"),
        (["--kv-cache", "int4"], "--kv-cache"),
        (["--input-p50", "900", "--input-p90", "100"], "--input-p50"),
        (["--rate", "0"], "--rate"),
    ],
)
def test_bad_options_name_the_field(capsys: pytest.CaptureFixture[str], args: list[str], field: str) -> None:
    assert main([*BASE, *args]) == 2
    assert field in capsys.readouterr().err


def test_rate_shows_the_operating_point_below_saturation(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--input-p50", "500", "--input-p90", "3000", "--output-tokens", "300", "--tp", "1"]
    doc = _run(capsys, *base, "--rate", "4")
    op, serving = doc["operating_point"], doc["serving_layer"]
    assert isinstance(op, dict) and isinstance(serving, dict)
    assert op["mode"].startswith("open loop") and op["replicas"] == 1 and op["saturated"] is False
    assert op["requests_per_s_per_replica"] == pytest.approx(4.0)
    assert op["output_tokens_per_s_per_replica"] == pytest.approx(4.0 * 300)
    # Little's law: the batch the rate sustains, far below the saturated batch, and so a shorter TPOT
    assert op["batch"] == pytest.approx(4.0 * 300 * op["tpot_ms"] / 1e3, rel=0.01)
    assert op["batch"] < serving["batch"] and op["tpot_ms"] < serving["tpot_ms"]
    assert op["ttft_p50_ms"] <= op["ttft_p90_ms"] <= op["ttft_p99_ms"]
    assert op["utilisation"] == pytest.approx(4.0 / op["capacity_rps_per_replica"])
    split = _run(capsys, *base, "--rate", "8", "--replicas", "2")["operating_point"]
    assert isinstance(split, dict) and split["rate_rps_per_replica"] == pytest.approx(4.0)
    assert split["tpot_ms"] == pytest.approx(op["tpot_ms"])


def test_rate_above_capacity_is_saturated(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run(capsys, "--tp", "1", "--rate", "10000", "--replicas", "1", "--ttft-ms", "500")
    op = doc["operating_point"]
    assert isinstance(op, dict) and op["saturated"] is True
    assert op["ttft_p50_ms"] is None and op["meets_slo"] is False  # the queue grows without bound
    assert op["requests_per_s_per_replica"] == pytest.approx(op["capacity_rps_per_replica"])


def test_concurrency_shows_the_closed_loop_point(capsys: pytest.CaptureFixture[str]) -> None:
    one = _run(capsys, "--tp", "1", "--concurrency", "1")["operating_point"]
    many = _run(capsys, "--tp", "1", "--concurrency", "32")["operating_point"]
    assert isinstance(one, dict) and isinstance(many, dict)
    assert one["mode"].startswith("closed loop") and one["batch"] == 1.0 and many["batch"] == 32.0
    for op, clients in ((one, 1.0), (many, 32.0)):
        # X = C / (TTFT + Lout x TPOT), with the default 250 output tokens
        x = clients / (op["ttft_p50_ms"] + 250 * op["tpot_ms"]) * 1e3
        assert op["requests_per_s_per_replica"] == pytest.approx(x)
    assert many["tpot_ms"] > one["tpot_ms"] and many["requests_per_s_per_replica"] > one["requests_per_s_per_replica"]
    capped = _run(capsys, "--tp", "1", "--concurrency", "32", "--batch", "8")["operating_point"]
    assert isinstance(capped, dict) and capped["batch"] == 8.0 and capped["saturated"] is True


def test_rate_and_concurrency_are_one_or_the_other(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*BASE, "--rate", "2", "--concurrency", "4"]) == 2
    err = capsys.readouterr().err
    assert "--rate" in err and "--concurrency" in err


def test_moe_host_time_is_the_engines_own(capsys: pytest.CaptureFixture[str]) -> None:
    """For an MoE model the step-layer kernel carries the same tokens-per-expert share of the prompt FLOP/s
    as the serving layer's step, so ``host_ms`` is the engine's scheduler and per-sequence time only."""
    argv = ["perf", "serve", "--model", "gpt-oss-120b", "--accelerator", "h100-sxm", "--engine", "vllm"]
    assert main([*argv, "--precision", "fp8", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    serving = doc["serving_layer"]
    cat = load_catalog()
    eff = efficiency_for(cat, "h100-sxm", "vllm", "fp8")
    eng = engine_shape(eff, "vllm", 1, accelerator=cat.accelerators.get("h100-sxm"), moe=True)
    host = first(eng.scheduler_ms_per_step) + serving["batch"] * first(eng.per_sequence_us) * 1e-3
    assert serving["host_ms"] == pytest.approx(host, rel=1e-6)
