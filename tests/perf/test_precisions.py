"""Precisions of 2026: bytes per weight with block scales, and the tensor cores each format runs on."""

import pytest

from llmtco.catalog import Catalog
from llmtco.engine.adapters import compute_precision
from llmtco.perf.memory import BYTES_PER_WEIGHT
from llmtco.perf.timing import decode_step
from tests.conftest import llama8b, simple_hw


def test_block_scaled_formats_carry_their_scales() -> None:
    assert BYTES_PER_WEIGHT["fp4"] == pytest.approx(0.5 + 1 / 16)  # NVFP4: FP8 scale per 16 values
    assert BYTES_PER_WEIGHT["mxfp4"] == pytest.approx(0.5 + 1 / 32)  # MXFP4: E8M0 scale per 32 values
    assert BYTES_PER_WEIGHT["int4"] == pytest.approx(0.5 + 4 / 128)  # AWQ/GPTQ: FP16 scale + zero per 128


def test_fp4_runs_on_blackwell_fp4_cores_and_weight_only_formats_in_bf16(catalog: Catalog) -> None:
    b200, h100 = catalog.accelerators.get("b200"), catalog.accelerators.get("h100-sxm")
    assert compute_precision("fp4", b200) == "fp4" and compute_precision("mxfp4", b200) == "fp4"
    assert compute_precision("fp4", h100) == "fp8"  # no FP4 tensor cores on Hopper
    assert compute_precision("int4", b200) == compute_precision("int8", h100) == "bf16"
    assert b200.tflops_dense["fp4"] == 2 * b200.tflops_dense["fp8"]


def test_fp4_weights_halve_the_memory_bound_step_against_fp8() -> None:
    hw = simple_hw()
    fp8 = decode_step(llama8b(), hw, BYTES_PER_WEIGHT["fp8"], 1.0, 1, 1, 100)
    fp4 = decode_step(llama8b(), hw, BYTES_PER_WEIGHT["fp4"], 1.0, 1, 1, 100)
    assert float(fp4.memory_ms) / float(fp8.memory_ms) == pytest.approx(0.5625, rel=0.02)
