"""llmtco measure, with fake telemetry and a fake roofline GPU (no hardware needed)."""

from __future__ import annotations

import time

import pytest

from llmtco.catalog import Catalog
from llmtco.cli import main
from llmtco.measure.core import StackShape, profile_records, run_measure


class FakeTelemetry:
    """Deterministic telemetry for tests: idle power until ``busy`` is set."""

    def __init__(self, name: str = "NVIDIA H100 80GB HBM3", idle_w: float = 70.0, busy_w: float = 690.0) -> None:
        self.name, self.idle, self.busy_w, self.busy = name, idle_w, busy_w, False

    def device_name(self) -> str:
        return self.name

    def memory_total_gb(self) -> float:
        return 85.5

    def power_w(self) -> float:
        return self.busy_w if self.busy else self.idle


class FakeBench:
    """A GPU that follows the roofline exactly, for tests."""

    def __init__(
        self, telemetry: FakeTelemetry, bw_gb_s: float = 2500.0, tflops: float = 700.0, overhead_ms: float = 0.5
    ) -> None:
        self.telemetry, self.bw, self.tf, self.overhead = telemetry, bw_gb_s, tflops, overhead_ms

    def copy_bandwidth_gb_s(self, size_gb: float) -> float:
        return self.bw

    def matmul_tflops(self, n: int, dtype: str) -> float:
        return self.tf * (2 if dtype == "fp8" else 1)

    def run_matmul_for(self, seconds: float, n: int) -> None:
        self.telemetry.busy = True
        time.sleep(min(seconds, 0.2))
        self.telemetry.busy = False

    def decode_step_ms(
        self, layers: int, hidden: int, heads: int, kv_heads: int, ffn: int, batch: int, context: int
    ) -> float:
        head_dim = hidden // heads
        params = layers * (hidden * (heads + 2 * kv_heads) * head_dim + heads * head_dim * hidden + 3 * hidden * ffn)
        kv = layers * 2 * kv_heads * head_dim * 2 * context * batch
        mem_ms = (params * 2 + kv) / (self.bw * 1e9) * 1e3
        comp_ms = 2 * params * batch / (self.tf * 1e12) * 1e3
        return max(mem_ms, comp_ms) + self.overhead


def test_measure_logic_with_fakes(catalog: Catalog) -> None:
    acc = catalog.accelerators.get("h100-sxm")
    tel = FakeTelemetry(idle_w=65.0, busy_w=680.0)
    bench = FakeBench(tel, bw_gb_s=0.6 * 3350, tflops=0.5 * 989.4, overhead_ms=0.8)
    result = run_measure(tel, bench, acc, stack=StackShape(layers=4), seconds=0.3)
    assert result.idle_power_w == pytest.approx(65.0)
    assert result.matmul_power_w == pytest.approx(680.0)
    assert result.bf16_tflops == pytest.approx(0.5 * 989.4)
    # the fake GPU is an exact roofline: the fit recovers its bandwidth efficiency and overhead
    assert result.fitted["decode_bandwidth_efficiency"] == pytest.approx(0.6, rel=0.05)
    # step_overhead_ms is quoted per 32 layers (perf.timing.launch_ms): the fake's 0.8 ms for 4 layers
    assert result.fitted["step_overhead_ms"] == pytest.approx(0.8 * 32 / 4, rel=0.1)
    for b, ms in result.decode_ms.items():
        assert result.predicted_ms[b] == pytest.approx(ms, rel=0.05)
    accel, eff = profile_records(acc, catalog.efficiency.get("h100-sxm"), result)
    assert accel.idle_w.value == pytest.approx(65.0) and "measured" in accel.idle_w.source
    assert eff.id == "h100-sxm@torch-eager" and not eff.estimate


def test_measure_without_gpu_exits_2(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("typer")
    try:
        import pynvml  # noqa: F401

        pytest.skip("nvidia-ml-py is installed; the no-GPU path is covered where it is not")
    except ImportError:
        pass
    code = main(["measure", "-o", str(tmp_path / "p.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert "nvidia-ml-py" in err or "GPU" in err
    assert "Traceback" not in err
