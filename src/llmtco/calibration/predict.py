"""Predict corpus measurements with the performance model and given efficiency factors."""

from __future__ import annotations

from llmtco.arrays import first
from llmtco.calibration.corpus import Case
from llmtco.catalog import Catalog
from llmtco.catalog.records import Efficiency
from llmtco.engine.adapters import compute_precision, hardware_shape, kv_bytes_for, model_shape
from llmtco.engine.serve import TP_CANDIDATES, pick_tensor_parallel
from llmtco.perf.memory import BYTES_PER_WEIGHT
from llmtco.perf.training import training_rate
from llmtco.sizing.serving import point_at_batch, serving_point

MLPERF_TTFT_LIMIT_MS = 2000.0


def predict(case: Case, catalog: Catalog, eff: Efficiency) -> dict[str, float]:
    """Predicted values of the metrics the case measured (keys as in ``Case.measured``)."""
    acc = catalog.accelerators.get(case.accelerator)
    if case.kind == "train":
        rate = training_rate(
            case.params_b * 1e9, case.method or "full", case.precision, acc.tflops_dense, eff.train_compute_efficiency
        )
        return {"train_tok_s_per_gpu": rate}

    assert case.model is not None and case.input_tokens is not None and case.output_tokens is not None
    model = catalog.models.get(case.model)
    compute = compute_precision(case.precision, acc)
    shape = model_shape(model)
    hw = hardware_shape(acc, eff, compute, 1)
    bpw, kvb = BYTES_PER_WEIGHT[case.precision], kv_bytes_for(compute)
    lin, lout = case.input_tokens, case.output_tokens
    tps = [case.tp] if case.tp else [t for t in TP_CANDIDATES if t <= case.gpus]
    out: dict[str, float] = {}
    if case.kind == "batch":
        at = point_at_batch(shape, hw, bpw, kvb, tps[0], lin, lout, case.batch or 1.0)
        return {
            "tpot_ms": first(at.tpot_ms),
            "output_tok_s_per_gpu": first(at.output_tokens_per_s) / at.tp,
            "power_w_per_gpu": first(at.busy_power_w),
            "energy_j_per_token": first(at.energy_j_per_output_token),
            "ttft_ms": first(at.ttft_ms),
        }
    tpot_target = case.measured.get("tpot_ms") if case.kind == "server" else None
    ttft_target = MLPERF_TTFT_LIMIT_MS if case.kind == "server" else None
    points = [serving_point(shape, hw, bpw, kvb, tp, lin, lout, tpot_target, ttft_target, 1) for tp in tps]
    sp = pick_tensor_parallel(points)
    out["output_tok_s_per_gpu"] = float(sp.output_tokens_per_s[0]) / sp.tp
    if case.kind == "server":
        out["ttft_ms"] = float(sp.ttft_ms[0])
    return out
