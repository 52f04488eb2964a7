"""Measure an NVIDIA GPU on this machine and write a calibration profile (``llmtco measure``).

Hardware access sits behind two small interfaces so the logic is tested with
fakes and runs without a GPU: ``Telemetry`` (power and identity, NVML) and
``Bench`` (timed kernels, PyTorch). NVML and torch are imported only inside the
real implementations, when ``llmtco measure`` runs (extra ``llmtco[gpu]``).
"""

from llmtco.measure.core import MeasureResult, StackShape, run_measure
from llmtco.measure.devices import Bench, Telemetry

__all__ = ["Bench", "MeasureResult", "StackShape", "Telemetry", "run_measure"]
