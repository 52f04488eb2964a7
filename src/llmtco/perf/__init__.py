"""Performance model: memory, step time and power of LLM serving on one accelerator type.

Pure functions over numbers and numpy arrays (a leading sample axis broadcasts
through). No I/O, no catalog, no pydantic: the engine builds the small shape
dataclasses below from catalog records.
"""

from llmtco.perf.memory import (
    BYTES_PER_WEIGHT,
    MemoryBreakdown,
    kv_bytes_per_token,
    memory_breakdown,
)
from llmtco.perf.power import gpu_power_w
from llmtco.perf.shapes import HardwareShape, ModelShape
from llmtco.perf.timing import StepTime, decode_step, prefill_step

__all__ = [
    "BYTES_PER_WEIGHT",
    "HardwareShape",
    "MemoryBreakdown",
    "ModelShape",
    "StepTime",
    "decode_step",
    "gpu_power_w",
    "kv_bytes_per_token",
    "memory_breakdown",
    "prefill_step",
]
