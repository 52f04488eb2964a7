"""Predict corpus measurements with the two layers of the model and given efficiency factors."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from llmtco.arrays import first
from llmtco.calibration.corpus import Case
from llmtco.catalog import Catalog
from llmtco.catalog.records import Accelerator, Efficiency
from llmtco.engine.adapters import (
    compute_precision,
    engine_shape,
    hardware_shape,
    kv_bytes_for,
    model_shape,
    resolve_server,
    takes_stack_step,
)
from llmtco.engine.serve import TP_CANDIDATES, pick_tensor_parallel
from llmtco.measure.core import StackShape
from llmtco.perf.memory import BYTES_PER_WEIGHT, memory_breakdown
from llmtco.perf.power import host_max_w, host_power_w, wall_power_w
from llmtco.perf.shapes import HardwareShape, ModelShape
from llmtco.perf.timing import decode_step, prefill_step
from llmtco.perf.training import training_rate
from llmtco.sizing.operating import at_concurrency, at_rate, rate_within_limits
from llmtco.sizing.serving import EngineShape, Load, point_at_batch, serving_point

SATURATED_UTILISATION = 0.85
"""Utilisation at which the TTFT of an open-loop row above the model's capacity is taken, at the capacity
point's batch (estimate: a steady open loop above capacity has no finite TTFT, but a finite run of a few
hundred requests measures one, set by prefill at a nearly full batch rather than by an unbounded queue)."""
TPOT_P99_OVER_MEAN = 1.2
"""p99 over requests of an MLPerf Server run's TPOT, as a multiple of its mean (estimate: the median of the
28 MLPerf v5.1 Server rows of ``measurements-2026.csv`` that quote both, range 0.93-2.0). The model's
TPOT is the mean step time at the running batch; a request's TPOT varies with the prefills and lengths
that share its steps, which the model does not resolve per request."""


@dataclass(frozen=True)
class _Stack:
    """What a serving row runs on: the model, the hardware, the engine, bytes per weight and per KV value,
    and the tensor-parallel degrees its replica may have."""

    shape: ModelShape
    hw: HardwareShape
    eng: EngineShape
    bpw: float
    kvb: float
    tps: list[int]

    def weights(self, tp: int) -> tuple[ModelShape, HardwareShape, float, float, int]:
        """The leading arguments of the serving layer's functions at degree ``tp``."""
        return self.shape, self.hw, self.bpw, self.kvb, tp


def predict(case: Case, catalog: Catalog, eff: Efficiency) -> dict[str, float]:
    """Predicted values of the metrics the case measured (keys as in ``Case.measured``)."""
    acc = catalog.accelerators.get(case.accelerator)
    if case.kind == "train":
        return {"train_tok_s_per_gpu": _training(case, catalog, acc, eff.train_compute_efficiency)}
    if case.kind == "step" and case.stack is not None:
        assert case.batch is not None
        stack = StackShape(**case.stack)
        hw = hardware_shape(acc, eff, "bf16", 1)
        step = decode_step(stack.model_shape(), hw, 2.0, 2.0, 1, case.batch, stack.context)
        return {"decode_step_ms": first(step.step_ms)}
    if case.kind == "step":  # a published step time of a catalog model
        assert case.model is not None and case.batch is not None and case.input_tokens is not None
        compute = compute_precision(case.precision, acc)
        shape, hw = model_shape(catalog.models.get(case.model)), hardware_shape(acc, eff, compute, 1)
        bpw, kvb, tp = BYTES_PER_WEIGHT[case.precision], kv_bytes_for(compute), case.tp or 1
        dec = decode_step(shape, hw, bpw, kvb, tp, case.batch, case.input_tokens)
        pf = prefill_step(shape, hw, bpw, tp, case.batch, case.input_tokens)
        return {"decode_step_ms": first(dec.step_ms), "prefill_step_ms": first(pf.step_ms)}

    assert case.model is not None and case.input_tokens is not None and case.output_tokens is not None
    model = catalog.models.get(case.model)
    compute = compute_precision(case.precision, acc)
    shape = model_shape(model)
    hw = hardware_shape(acc, eff, compute, 1, engine=case.engine)
    eng = engine_shape(eff, case.engine, 1, accelerator=acc, moe=shape.experts > 1, stack_step=takes_stack_step(shape))
    if (run := case.engine_settings) is not None:
        eng = replace(eng, chunk_tokens=run.chunk_tokens, poll_steps=run.poll_steps)
    bpw, kvb = BYTES_PER_WEIGHT[case.precision], kv_bytes_for(compute, case.kv_cache)
    lin, lout = case.input_tokens, case.output_tokens
    stated = replica_gpus(case, shape, hw, bpw, kvb)
    tps = [stated] if stated else [t for t in TP_CANDIDATES if t <= case.gpus]
    st = _Stack(shape, hw, eng, bpw, kvb, tps)
    if case.load.limits_ms is not None:
        return _under_limits(case, catalog, st)
    if case.load.kind != "saturation":
        return _at_load(case, catalog, st)
    if case.kind == "batch":
        # the row's batch runs on one replica: the stated one, else the smallest degree that holds it
        tp = tps[0] if stated else _smallest_fitting(shape, hw, bpw, kvb, tps, case.batch or 1.0, lin + lout)
        at = point_at_batch(shape, hw, bpw, kvb, tp, lin, lout, case.batch or 1.0, eng)
        tput = first(at.output_tokens_per_s) / at.tp
        return {
            "tpot_ms": first(at.tpot_ms),
            "output_tok_s_per_gpu": tput,
            "ttft_ms": first(at.ttft_ms),
            **_power(case, catalog, first(at.busy_power_w), tput, 1.0),
        }
    load = Load(max_batch=_batch_cap(case, eng, 1))
    points = [serving_point(shape, hw, bpw, kvb, tp, lin, lout, None, None, 1, eng, load) for tp in tps]
    sp = pick_tensor_parallel(points)
    out = {
        "output_tok_s_per_gpu": float(sp.output_tokens_per_s[0]) / sp.tp,
        "tpot_ms": first(sp.tpot_ms),
        "ttft_ms": first(sp.ttft_ms),
    }
    if "power_w_per_gpu" in case.measured or "energy_j_per_token" in case.measured:
        out.update(_power(case, catalog, float(sp.busy_power_w[0]), out["output_tok_s_per_gpu"], 1.0))
    return out


def replica_gpus(case: Case, shape: ModelShape, hw: HardwareShape, bpw: float, kvb: float) -> int | None:
    """GPUs of one replica of a row that states its tensor-parallel degree (None: not stated).

    The stated degree, unless the weights do not fit that many GPUs of the row: then one replica spans all
    the row's GPUs. An MoE row run with expert parallelism states the experts' TP (vLLM's
    ``FusedMoEParallelConfig``: "TP1 EP4 DP1" on 4 GPUs is one TP4 replica whose experts are EP4-sharded);
    read as four one-GPU replicas, a 235B model's batch ran on one GPU's bandwidth and its throughput was
    divided by one GPU instead of four, so throughput and TPOT disagreed with the batch.
    """
    if case.tp is None or case.tp >= case.gpus or case.input_tokens is None or case.output_tokens is None:
        return case.tp
    mem = memory_breakdown(shape, hw, bpw, kvb, case.tp, 1.0, case.input_tokens + case.output_tokens)
    return case.tp if first(mem.max_batch) >= 1 else case.gpus


def _smallest_fitting(
    shape: ModelShape, hw: HardwareShape, bpw: float, kvb: float, tps: list[int], batch: float, context: float
) -> int:
    """The smallest degree of ``tps`` whose memory holds ``batch`` sequences of ``context`` tokens (else the
    largest)."""
    for tp in tps:
        if first(memory_breakdown(shape, hw, bpw, kvb, tp, batch, context).max_batch) >= batch:
            return tp
    return tps[-1]


def _at_load(case: Case, catalog: Catalog, st: _Stack) -> dict[str, float]:
    """A row measured at an offered rate or a fixed concurrency, through ``sizing.operating`` at that load.

    The system's rate (or clients) is split evenly over its ``gpu_count / tp`` replicas. Above the
    model's capacity an open loop has no steady TTFT: throughput and TPOT are the capacity point's, TTFT
    is taken at that point's batch and ``SATURATED_UTILISATION``, and ``saturated`` says so.
    """
    assert case.input_tokens is not None and case.output_tokens is not None and case.load.value is not None
    lin, lout = case.input_tokens, case.output_tokens
    tp = _tp_at_load(st, lin, lout, Load(percentile=case.latency_stat))
    replicas = max(1, case.gpus // tp)
    per_replica = case.load.value / replicas
    load = Load(percentile=case.latency_stat, max_batch=_batch_cap(case, st.eng, replicas))
    if case.load.kind == "rate":
        op = at_rate(*st.weights(tp), lin, lout, per_replica, st.eng, load)
    else:
        op = at_concurrency(*st.weights(tp), lin, lout, per_replica, st.eng, load)
    tput = first(op.output_tokens_per_s) * replicas / case.gpus
    out = {
        "output_tok_s_per_gpu": tput,
        "tpot_ms": first(op.tpot_ms),
        "ttft_ms": first(op.ttft_ms),
        "saturated": first(op.saturated),
        "utilisation": first(op.utilisation),
    }
    if not math.isfinite(out["ttft_ms"]):  # above capacity: the finite run's TTFT near its capacity point
        busy = Load(utilisation=SATURATED_UTILISATION, percentile=case.latency_stat, max_batch=first(op.batch))
        at_cap = serving_point(*st.weights(tp), lin, lout, None, None, 1, st.eng, busy)
        out["ttft_ms"] = first(at_cap.ttft_ms)
    if "power_w_per_gpu" in case.measured or "energy_j_per_token" in case.measured:
        out.update(_power(case, catalog, first(op.busy_power_w), tput, first(op.utilisation)))
    return out


def _batch_cap(case: Case, eng: EngineShape, replicas: int) -> float | None:
    """Most sequences one replica of the row can run: the engine's default cap, the cap the row states
    (``RowLoad.engine_cap``) and, in a finite run, its requests per replica; None: memory alone bounds."""
    caps = [float(c) for c in (eng.max_num_seqs, case.load.engine_cap) if c is not None]
    if case.load.requests is not None:
        caps.append(math.ceil(case.load.requests / replicas))
    return min(caps) if caps else None


def _tp_at_load(st: _Stack, lin: float, lout: float, load: Load) -> int:
    """The replica's degree: the one the row states (``replica_gpus``), else the smallest degree whose
    saturated point the serving layer picks."""
    if len(st.tps) == 1:
        return st.tps[0]
    points = [serving_point(*st.weights(t), lin, lout, None, None, 1, st.eng, load) for t in st.tps]
    return pick_tensor_parallel(points).tp


def _under_limits(case: Case, catalog: Catalog, st: _Stack) -> dict[str, float]:
    """An MLPerf Server row, as its submitter ran it: the highest Poisson rate at which the model's p99
    TTFT and TPOT stay within the run's limits (``RowLoad.limits_ms``) gives the throughput, and the mean
    TTFT and TPOT at that rate are the latencies. The measured ``target_qps`` is an outcome of the run
    (the rate that met the limits), so it is not given to the model.

    The rate is ``sizing.operating.rate_within_limits``: TTFT is the p99 of its queueing model, TPOT's p99
    the mean step time at the running batch times ``TPOT_P99_OVER_MEAN``.
    """
    assert case.input_tokens is not None and case.output_tokens is not None and case.load.limits_ms is not None
    lin, lout = case.input_tokens, case.output_tokens
    ttft_limit, tpot_limit = case.load.limits_ms
    tp = _tp_at_load(st, lin, lout, Load(max_batch=_batch_cap(case, st.eng, 1)))
    replicas = max(1, case.gpus // tp)
    cap = _batch_cap(case, st.eng, replicas)
    p99 = Load(percentile="p99", max_batch=cap)
    rate = rate_within_limits(*st.weights(tp), lin, lout, ttft_limit, tpot_limit, st.eng, p99, TPOT_P99_OVER_MEAN)
    op = at_rate(*st.weights(tp), lin, lout, rate, st.eng, Load(percentile="mean", max_batch=cap))
    tput = rate * lout * replicas / case.gpus
    out = {"output_tok_s_per_gpu": tput, "tpot_ms": first(op.tpot_ms), "ttft_ms": first(op.ttft_ms)}
    if "power_w_per_gpu" in case.measured or "energy_j_per_token" in case.measured:
        out.update(_power(case, catalog, first(op.busy_power_w), tput, first(op.utilisation)))
    return out


def _power(case: Case, catalog: Catalog, gpu_w: float, tput_per_gpu: float, load_share: float) -> dict[str, float]:
    """Power per GPU on the row's basis and energy per output token, from the GPU power and throughput the
    plan uses: board power for ``gpu`` rows; for ``system_wall_ac`` rows the server's wall power
    (``perf.power.wall_power_w``: GPUs through the power supplies plus ``host_power_w`` of the catalog server
    for the accelerator) per GPU."""
    watts = gpu_w
    if case.power_basis == "system_wall_ac":
        server = resolve_server(catalog, None, case.accelerator)
        tdp_w = catalog.accelerators.get(server.accelerator).tdp_w
        host_w_per_gpu = host_max_w(server.non_gpu_power_w, server.gpus, tdp_w) / server.gpus
        host_w = host_power_w(host_w_per_gpu * case.gpus, load_share)
        watts = float(wall_power_w(gpu_w * case.gpus, host_w)) / case.gpus
    return {"power_w_per_gpu": watts, "energy_j_per_token": watts / max(tput_per_gpu, 1e-12)}


ASPECT_D_MODEL_PER_LAYER = 128.0
"""d_model / layers of a dense transformer whose shape a source does not give (estimate: Llama 2 7B and
13B, MPT-7B and MPT-13B have exactly 128; MPT-30B 149, Llama 2 70B 102)."""


def _training(case: Case, catalog: Catalog, acc: Accelerator, efficiency: float) -> float:
    """Tokens/s per GPU of a training row: a catalog model's active parameters, layers and attention width;
    otherwise a dense transformer of the row's size with N = 12 L d^2 and d = 128 L."""
    if case.model is not None:
        m = catalog.models.get(case.model)
        params, layers, attention_dim, hidden = m.active_b * 1e9, m.layers, m.heads * m.head_dim, m.hidden
    else:
        params = case.params_b * 1e9
        d_model = (ASPECT_D_MODEL_PER_LAYER * params / 12.0) ** (1.0 / 3.0)
        layers, attention_dim = max(1, round(d_model / ASPECT_D_MODEL_PER_LAYER)), round(d_model)
        hidden = attention_dim
    return training_rate(
        params,
        case.method or "full",
        case.precision,
        acc.tflops_dense,
        efficiency,
        layers=layers,
        attention_dim=attention_dim,
        seq_len=case.input_tokens or 0.0,
        recompute=case.recompute,
        hbm_bandwidth_tb_s=acc.hbm_bandwidth_tb_s,
        hidden=hidden,
        tp=case.tp or 1,
        interconnect_gb_s=acc.interconnect_gb_s,
        bubble=case.pipeline_bubble,
    )
