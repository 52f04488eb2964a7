"""Interfaces to the GPU and their real implementations (NVML, PyTorch); the tests bring fakes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from llmtco.errors import UsageError


class Telemetry(Protocol):
    def device_name(self) -> str: ...
    def memory_total_gb(self) -> float: ...
    def power_w(self) -> float: ...


class Bench(Protocol):
    def copy_bandwidth_gb_s(self, size_gb: float) -> float:
        """Device-to-device copy rate, counting bytes read and written [GB/s]."""
        ...

    def matmul_tflops(self, n: int, dtype: str) -> float:
        """Dense n x n x n matrix product rate [TFLOP/s] (dtype bf16 or fp8)."""
        ...

    def run_matmul_for(self, seconds: float, n: int) -> None:
        """Keep the tensor cores busy for a while (to read loaded power)."""
        ...

    def decode_step_ms(
        self, layers: int, hidden: int, heads: int, kv_heads: int, ffn: int, batch: int, context: int
    ) -> float:
        """One decode step of a random-weight transformer layer stack in BF16 [ms]."""
        ...


class NvmlTelemetry:
    """Power and identity through NVML (nvidia-ml-py), imported lazily."""

    def __init__(self, index: int = 0) -> None:
        try:
            import pynvml
        except ImportError:
            raise UsageError("llmtco measure needs nvidia-ml-py: pip install 'llmtco[gpu]'") from None
        try:
            pynvml.nvmlInit()
        except Exception as exc:  # NVMLError has many subclasses; any means no usable GPU
            raise UsageError(
                f"no NVIDIA GPU found through NVML ({exc}); llmtco measure runs on a GPU machine"
            ) from None
        self._nvml = pynvml
        self._handle = pynvml.nvmlDeviceGetHandleByIndex(index)

    def device_name(self) -> str:
        name = self._nvml.nvmlDeviceGetName(self._handle)
        return name.decode() if isinstance(name, bytes) else str(name)

    def memory_total_gb(self) -> float:
        return float(self._nvml.nvmlDeviceGetMemoryInfo(self._handle).total) / 1e9

    def power_w(self) -> float:
        return float(self._nvml.nvmlDeviceGetPowerUsage(self._handle)) / 1000.0


class TorchBench:
    """Timed kernels with PyTorch and CUDA events, imported lazily."""

    def __init__(self) -> None:
        try:
            import torch
        except ImportError:
            raise UsageError("llmtco measure needs PyTorch with CUDA: pip install 'llmtco[gpu]'") from None
        if not torch.cuda.is_available():
            raise UsageError("PyTorch sees no CUDA GPU; llmtco measure runs on a GPU machine")
        self.torch = torch

    def _time_ms(self, fn: Callable[[], object], repeats: int = 10, warmup: int = 3) -> float:
        torch = self.torch
        for _ in range(warmup):
            fn()
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(repeats):
            fn()
        end.record()
        torch.cuda.synchronize()
        return float(start.elapsed_time(end)) / repeats

    def copy_bandwidth_gb_s(self, size_gb: float) -> float:
        torch = self.torch
        n = int(size_gb * 1e9 / 2)
        a = torch.empty(n, dtype=torch.bfloat16, device="cuda")
        b = torch.empty_like(a)
        ms = self._time_ms(lambda: b.copy_(a))
        return 2 * n * 2 / (ms / 1e3) / 1e9

    def matmul_tflops(self, n: int, dtype: str) -> float:
        torch = self.torch
        a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
        b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
        if dtype == "fp8":
            if not hasattr(torch, "float8_e4m3fn") or not hasattr(torch, "_scaled_mm"):
                return float("nan")
            a8 = a.to(torch.float8_e4m3fn)
            b8 = b.t().contiguous().to(torch.float8_e4m3fn).t()
            one = torch.tensor(1.0, device="cuda")
            try:
                ms = self._time_ms(lambda: torch._scaled_mm(a8, b8, scale_a=one, scale_b=one, out_dtype=torch.bfloat16))
            except RuntimeError:
                return float("nan")  # the GPU has no FP8 tensor cores
        else:
            ms = self._time_ms(lambda: a @ b)
        return 2 * n**3 / (ms / 1e3) / 1e12

    def run_matmul_for(self, seconds: float, n: int) -> None:
        torch = self.torch
        a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for _ in range(10):
                a = (a @ a).clamp_(-1, 1)
            torch.cuda.synchronize()

    def decode_step_ms(
        self, layers: int, hidden: int, heads: int, kv_heads: int, ffn: int, batch: int, context: int
    ) -> float:
        torch = self.torch
        dt = torch.bfloat16
        head_dim = hidden // heads
        dev = "cuda"
        w = []
        for _ in range(layers):
            w.append(
                {
                    "qkv": torch.randn(hidden, (heads + 2 * kv_heads) * head_dim, device=dev, dtype=dt) * 0.02,
                    "o": torch.randn(heads * head_dim, hidden, device=dev, dtype=dt) * 0.02,
                    "gate_up": torch.randn(hidden, 2 * ffn, device=dev, dtype=dt) * 0.02,
                    "down": torch.randn(ffn, hidden, device=dev, dtype=dt) * 0.02,
                    "k": torch.randn(batch, kv_heads, context, head_dim, device=dev, dtype=dt),
                    "v": torch.randn(batch, kv_heads, context, head_dim, device=dev, dtype=dt),
                }
            )
        x = torch.randn(batch, hidden, device=dev, dtype=dt)
        sdpa = torch.nn.functional.scaled_dot_product_attention

        def step() -> object:
            h = x
            for lw in w:
                qkv = h @ lw["qkv"]
                q = qkv[:, : heads * head_dim].view(batch, heads, 1, head_dim)
                attn = sdpa(q, lw["k"], lw["v"], enable_gqa=kv_heads != heads)
                h = h + attn.reshape(batch, heads * head_dim) @ lw["o"]
                g, u = (h @ lw["gate_up"]).chunk(2, dim=-1)
                h = h + (torch.nn.functional.silu(g) * u) @ lw["down"]
            return h

        with torch.inference_mode():
            return self._time_ms(step, repeats=20, warmup=5)


def sample_power(telemetry: Telemetry, work: Callable[[], None], interval_s: float = 0.05) -> list[float]:
    """Power readings taken on a thread while ``work`` runs."""
    readings: list[float] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            readings.append(telemetry.power_w())
            time.sleep(interval_s)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    try:
        work()
    finally:
        done.set()
        t.join()
    return readings
