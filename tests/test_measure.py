"""llmtco measure, with fake telemetry and a fake roofline GPU (no hardware needed)."""

from __future__ import annotations

import pytest

from llmtco.catalog import Catalog
from llmtco.cli import main
from llmtco.measure.core import StackShape, profile_records, run_measure
from llmtco.measure.devices import FakeBench, FakeTelemetry


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
    assert result.fitted["step_overhead_ms"] == pytest.approx(0.8, rel=0.1)
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
