"""What ``llmtco measure`` measures and how it turns readings into a profile."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from llmtco.catalog.records import Accelerator, Efficiency, Sourced
from llmtco.measure.devices import Bench, Telemetry, sample_power
from llmtco.perf.shapes import HardwareShape, ModelShape
from llmtco.perf.timing import decode_step


@dataclass(frozen=True)
class StackShape:
    """Random-weight transformer layers timed for decode (Llama-3.1-8B layer dimensions by default)."""

    layers: int = 8
    hidden: int = 4096
    heads: int = 32
    kv_heads: int = 8
    ffn: int = 14336
    context: int = 1024

    def model_shape(self) -> ModelShape:
        head_dim = self.hidden // self.heads
        per_layer = (
            self.hidden * (self.heads + 2 * self.kv_heads) * head_dim
            + self.heads * head_dim * self.hidden
            + 3 * self.hidden * self.ffn
        )
        params = float(self.layers * per_layer)
        return ModelShape(
            params=params,
            active_params=params,
            layers=self.layers,
            hidden=self.hidden,
            heads=self.heads,
            head_dim=head_dim,
            kv_heads=self.kv_heads,
            kv_values_per_token_layer=2 * self.kv_heads * head_dim,
        )


@dataclass
class MeasureResult:
    device: str
    memory_total_gb: float
    measured_at: str
    idle_power_w: float
    matmul_power_w: float
    decode_power_w: float
    copy_bandwidth_gb_s: float
    """Device-to-device copy, counting bytes read and written."""
    bf16_tflops: float
    fp8_tflops: float | None
    stack: dict[str, int]
    decode_ms: dict[int, float] = field(default_factory=dict)
    """Measured decode step per batch size [ms]."""
    fitted: dict[str, float] = field(default_factory=dict)
    """Efficiency factors fitted to the decode steps against the catalog peaks."""
    predicted_ms: dict[int, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _median_power(telemetry: Telemetry, seconds: float) -> float:
    readings = sample_power(telemetry, lambda: time.sleep(seconds))
    return float(statistics.median(readings)) if readings else float("nan")


def fit_decode(acc: Accelerator, stack: StackShape, decode_ms: dict[int, float]) -> dict[str, float]:
    """Fit bandwidth efficiency, compute efficiency and per-step overhead to measured decode steps."""
    shape = stack.model_shape()
    batches = sorted(decode_ms)
    measured = np.array([decode_ms[b] for b in batches])

    def predict(x: np.ndarray) -> np.ndarray:
        mbu, mcu, ovh = np.exp(x)
        hw = HardwareShape(
            vram_gb=acc.memory_gb,
            hbm_bandwidth_tb_s=acc.hbm_bandwidth_tb_s,
            peak_tflops=acc.tflops_dense["bf16"],
            tdp_w=acc.tdp_w,
            idle_w=acc.idle_w.value,
            interconnect_gb_s=acc.interconnect_gb_s,
            decode_bandwidth_efficiency=mbu,
            decode_compute_efficiency=mcu,
            prefill_compute_efficiency=0.5,
            step_overhead_ms=ovh,
            allreduce_latency_us=0.0,
            power_activity_floor=0.5,
            per_sequence_overhead_us=0.0,
        )
        return np.array(
            [float(np.asarray(decode_step(shape, hw, 2.0, 2.0, 1, b, stack.context).step_ms)) for b in batches]
        )

    x0 = np.log([0.7, 0.5, 1.0])
    lo, hi = np.log([0.05, 0.01, 0.001]), np.log([1.0, 1.0, 100.0])
    sol = least_squares(lambda x: np.log(predict(x) / measured), x0, bounds=(lo, hi))
    mbu, mcu, ovh = (float(v) for v in np.exp(sol.x))
    pred = predict(sol.x)
    return {
        "decode_bandwidth_efficiency": round(mbu, 4),
        "decode_compute_efficiency": round(mcu, 4),
        "step_overhead_ms": round(ovh, 4),
        **{f"predicted_{b}": float(p) for b, p in zip(batches, pred, strict=True)},
    }


def run_measure(
    telemetry: Telemetry,
    bench: Bench,
    acc: Accelerator,
    stack: StackShape | None = None,
    batches: tuple[int, ...] = (1, 8, 32, 128),
    seconds: float = 3.0,
    matmul_n: int = 8192,
) -> MeasureResult:
    """Measure idle/loaded power, bandwidth, matmul rate and decode steps; fit decode efficiency."""
    stack = stack or StackShape()
    idle = _median_power(telemetry, seconds)
    matmul_power = sample_power(telemetry, lambda: bench.run_matmul_for(seconds, matmul_n))
    bw = bench.copy_bandwidth_gb_s(2.0)
    bf16 = bench.matmul_tflops(matmul_n, "bf16")
    fp8 = bench.matmul_tflops(matmul_n, "fp8") if "fp8" in acc.tflops_dense else None
    decode = {
        b: bench.decode_step_ms(stack.layers, stack.hidden, stack.heads, stack.kv_heads, stack.ffn, b, stack.context)
        for b in batches
    }
    end = time.monotonic() + seconds

    def decode_loop() -> None:
        while time.monotonic() < end:
            bench.decode_step_ms(stack.layers, stack.hidden, stack.heads, stack.kv_heads, stack.ffn, 1, stack.context)

    decode_power = sample_power(telemetry, decode_loop)
    fit = fit_decode(acc, stack, decode)
    predicted = {b: fit.pop(f"predicted_{b}") for b in batches}
    return MeasureResult(
        device=telemetry.device_name(),
        memory_total_gb=telemetry.memory_total_gb(),
        measured_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        idle_power_w=idle,
        matmul_power_w=float(statistics.median(matmul_power)) if matmul_power else float("nan"),
        decode_power_w=float(statistics.median(decode_power)) if decode_power else float("nan"),
        copy_bandwidth_gb_s=bw,
        bf16_tflops=bf16,
        fp8_tflops=None if fp8 is None or np.isnan(fp8) else fp8,
        stack=asdict(stack),
        decode_ms=decode,
        fitted=fit,
        predicted_ms=predicted,
    )


def profile_records(acc: Accelerator, base: Efficiency, m: MeasureResult) -> tuple[Accelerator, Efficiency]:
    """Catalog overlay records from a measurement: the accelerator with measured idle power, and
    engine ``torch-eager`` efficiency factors fitted to the decode steps."""
    when = dt.date.fromisoformat(m.measured_at[:10])
    where = f"measured by `llmtco measure` on {m.device} at {m.measured_at}"
    accel = acc.model_copy(
        update={"idle_w": Sourced(value=round(m.idle_power_w, 1), source=where, as_of=when, unit="W")}
    )
    floor = (m.decode_power_w - m.idle_power_w) / max(acc.tdp_w - m.idle_power_w, 1.0)
    eff = base.model_copy(
        update={
            "id": f"{acc.id}@torch-eager",
            **m.fitted,
            "power_activity_floor": round(float(np.clip(floor, 0.0, 1.0)), 4),
            "per_sequence_overhead_us": 0.0,
            "fitted_on": len(m.decode_ms),
            "estimate": False,
            "as_of": when,
            "source": f"{where}: decode steps of {m.stack['layers']} random-weight layers "
            f"(hidden {m.stack['hidden']}, context {m.stack['context']}) in eager PyTorch at batches "
            f"{', '.join(str(b) for b in m.decode_ms)}; power floor from NVML during batch-1 decode; "
            "other factors from the bundled fit",
        }
    )
    return accel, eff
