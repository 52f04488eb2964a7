"""Predict corpus measurements with the performance model and given efficiency factors."""

from __future__ import annotations

import numpy as np

from llmtco.calibration.corpus import Case
from llmtco.catalog import Catalog
from llmtco.catalog.records import Efficiency
from llmtco.engine import (
    TP_CANDIDATES,
    compute_precision,
    hardware_shape,
    kv_bytes_for,
    model_shape,
    pick_tensor_parallel,
)
from llmtco.perf.memory import BYTES_PER_WEIGHT
from llmtco.perf.power import gpu_power_w
from llmtco.perf.timing import decode_step, prefill_step
from llmtco.perf.training import training_rate
from llmtco.sizing.serving import serving_point

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
        tp = tps[0]
        b = case.batch or 1.0
        step = decode_step(shape, hw, bpw, kvb, tp, b, lin + lout / 2)
        pf = prefill_step(shape, hw, bpw, tp, 1.0, lin)
        tpot = float(
            np.asarray(step.step_ms).reshape(-1)[0] + b * np.asarray(pf.compute_ms + pf.comm_ms).reshape(-1)[0] / lout
        )
        per_replica = b * 1e3 / tpot
        power = float(np.asarray(gpu_power_w(hw, step.compute_share)).reshape(-1)[0])
        ttft = float(np.asarray(pf.step_ms + step.step_ms * hw.ttft_queue_steps).reshape(-1)[0])
        out = {
            "tpot_ms": tpot,
            "output_tok_s_per_gpu": per_replica / tp,
            "power_w_per_gpu": power,
            "energy_j_per_token": power * tp / per_replica,
            "ttft_ms": ttft,
        }
        return out
    tpot_target = case.measured.get("tpot_ms") if case.kind == "server" else None
    ttft_target = MLPERF_TTFT_LIMIT_MS if case.kind == "server" else None
    points = [serving_point(shape, hw, bpw, kvb, tp, lin, lout, tpot_target, ttft_target, 1) for tp in tps]
    sp = pick_tensor_parallel(points)
    out["output_tok_s_per_gpu"] = float(sp.output_tokens_per_s[0]) / sp.tp
    if case.kind == "server":
        out["ttft_ms"] = float(sp.ttft_ms[0])
    return out
