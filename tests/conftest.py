from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

from llmtco.catalog import Catalog, load_catalog
from llmtco.perf.shapes import HardwareShape, ModelShape

# CI replays the same examples every run (no flaky discoveries at merge time); locally hypothesis explores.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    def _write(text: str, name: str = "scenario.yaml") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p

    return _write


def llama8b() -> ModelShape:
    """Llama 3.1 8B as in its config.json."""
    return ModelShape(
        params=8.03e9,
        active_params=8.03e9,
        layers=32,
        hidden=4096,
        heads=32,
        head_dim=128,
        kv_heads=8,
        kv_values_per_token_layer=2 * 8 * 128,
    )


def simple_hw(**overrides: float) -> HardwareShape:
    """An H100-like GPU with round efficiency factors, independent of the catalog's fitted values."""
    fields: dict[str, float] = dict(
        vram_gb=80.0,
        hbm_bandwidth_tb_s=3.35,
        peak_tflops=989.4,
        tdp_w=700.0,
        idle_w=70.0,
        interconnect_gb_s=450.0,
        decode_bandwidth_efficiency=0.5,
        decode_compute_efficiency=0.5,
        prefill_compute_efficiency=0.5,
        step_overhead_ms=1.0,
        allreduce_latency_us=10.0,
        power_activity_floor=0.5,
        per_sequence_overhead_us=0.0,
        ttft_queue_steps=1.0,
    )
    fields.update(overrides)
    return HardwareShape(**fields)  # type: ignore[arg-type]


MINIMAL = """\
name: minimal
assumptions: {horizon_months: 24, start_date: 2027-01-01, region: us-average}
workloads:
  - name: chat
    model: llama-3.1-8b
    precision: fp8
    requests_per_day: 100000
    input_tokens: 1000
    output_tokens: 200
options:
  - {name: onprem, kind: onprem, server: hgx-h100-8}
  - {name: cloud, kind: cloud_gpu, instance: lambda-8x-h100-sxm}
  - {name: api, kind: api, offering: together-llama-3.1-8b}
"""
