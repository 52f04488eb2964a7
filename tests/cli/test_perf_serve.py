"""`llmtco perf serve`: both layers at one configuration and load, fixed configurations, clear errors."""

import json

import pytest

from llmtco.cli import main

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
    ],
)
def test_bad_options_name_the_field(capsys: pytest.CaptureFixture[str], args: list[str], field: str) -> None:
    assert main([*BASE, *args]) == 2
    assert field in capsys.readouterr().err
