"""Single-step probes behind ``llmtco perf``: one decode or prefill step, one fine-tuning job.

Each returns a plain dict (the command's JSON) with what ran, the step time and
its parts, power, energy per token and the memory breakdown.
"""

from __future__ import annotations

from typing import Any

from llmtco.arrays import first
from llmtco.catalog import Catalog
from llmtco.catalog.records import Accelerator, Efficiency, Model
from llmtco.engine import finetune
from llmtco.engine.adapters import compute_precision, efficiency_for, hardware_shape, kv_bytes_for, model_shape
from llmtco.errors import InfeasibleError
from llmtco.perf.memory import BYTES_PER_WEIGHT, MemoryBreakdown, memory_breakdown
from llmtco.perf.power import gpu_power_w
from llmtco.perf.shapes import HardwareShape, ModelShape
from llmtco.perf.timing import StepTime, decode_step, prefill_step
from llmtco.scenario.schema import FinetuneWorkload


def _probe_setup(
    cat: Catalog, model_id: str, accelerator_id: str, precision: str | None, engine: str | None = None
) -> tuple[Model, Accelerator, Efficiency, str, str, ModelShape, HardwareShape]:
    model = cat.models.get(model_id, "--model")
    acc = cat.accelerators.get(accelerator_id, "--accelerator")
    eff = efficiency_for(cat, acc.id, engine)
    prec = precision or model.default_precision
    if prec not in BYTES_PER_WEIGHT:
        raise InfeasibleError(f"--precision: unknown precision {prec!r}. Allowed: {', '.join(BYTES_PER_WEIGHT)}.")
    compute = compute_precision(prec, acc)
    return model, acc, eff, prec, compute, model_shape(model), hardware_shape(acc, eff, compute, 1, engine=engine)


def _efficiency_used(eff: Efficiency) -> dict[str, object]:
    return {
        k: getattr(eff, k)
        for k in (
            "decode_bandwidth_efficiency",
            "decode_compute_efficiency",
            "prefill_compute_efficiency",
            "step_overhead_ms",
            "allreduce_latency_us",
            "power_activity_floor",
            "fitted_on",
            "source",
        )
    }


def _parts_ms(step: StepTime) -> dict[str, float]:
    return {
        "compute": first(step.compute_ms),
        "memory": first(step.memory_ms),
        "overhead": first(step.overhead_ms),
        "allreduce": first(step.comm_ms),
    }


def _memory_gb(mem: MemoryBreakdown) -> dict[str, float]:
    return {
        "weights": first(mem.weights_gb),
        "kv_cache": first(mem.kv_cache_gb),
        "runtime_overhead": first(mem.runtime_overhead_gb),
        "total": first(mem.total_gb),
        "usable": first(mem.usable_gb),
    }


def _probe_identity(
    model: Model, acc: Accelerator, eff: Efficiency, prec: str, compute: str, tp: int
) -> dict[str, object]:
    """What a probe ran: model, accelerator, precisions, parallelism and the efficiency record used."""
    return {
        "model": model.id,
        "accelerator": acc.id,
        "precision": prec,
        "compute_precision": compute,
        "tensor_parallel": tp,
        "efficiency": {"id": eff.id, **_efficiency_used(eff)},
    }


def _step_figures(step: StepTime, hw: HardwareShape, tp: int, tokens_per_step: float) -> dict[str, Any]:
    """Time, token rate, power and energy per token of one step on ``tp`` GPUs."""
    power = first(gpu_power_w(hw, step.compute_share))
    step_ms = first(step.step_ms)
    tokens_per_s = tokens_per_step / (step_ms / 1e3)
    return {
        "step_ms": step_ms,
        "tokens_per_s": tokens_per_s,
        "power_w": power,
        "power_w_total": power * tp,
        "energy_j_per_token": power * tp / tokens_per_s,
        "parts_ms": _parts_ms(step),
    }


def probe_decode(
    cat: Catalog,
    model_id: str,
    accelerator_id: str,
    batch: int,
    context: int,
    tp: int = 1,
    precision: str | None = None,
    engine: str | None = None,
) -> dict[str, object]:
    """One decode step of ``batch`` sequences at ``context`` cached tokens (``llmtco perf decode``)."""
    model, acc, eff, prec, compute, shape, hw = _probe_setup(cat, model_id, accelerator_id, precision, engine)
    kvb = kv_bytes_for(compute)
    mem = memory_breakdown(shape, hw, BYTES_PER_WEIGHT[prec], kvb, tp, batch, context)
    step = decode_step(shape, hw, BYTES_PER_WEIGHT[prec], kvb, tp, batch, context)
    figures = _step_figures(step, hw, tp, tokens_per_step=batch)
    fits = mem.fits
    reason = (
        None
        if fits
        else (
            f"needs {first(mem.total_gb):.1f} GB per GPU (weights {first(mem.weights_gb):.1f}, KV cache "
            f"{first(mem.kv_cache_gb):.1f}, runtime {first(mem.runtime_overhead_gb):.1f}) but {acc.id} has "
            f"{first(mem.usable_gb):.1f} GB usable; largest batch at this context: {int(first(mem.max_batch))}"
        )
    )
    return {
        **_probe_identity(model, acc, eff, prec, compute, tp),
        "kv_cache_bytes_per_value": kvb,
        "batch": batch,
        "context": context,
        "fits": fits,
        "reason": reason,
        **figures,
        "tokens_per_s_per_gpu": figures["tokens_per_s"] / tp,
        "power_w_per_gpu": figures["power_w"],
        "memory_gb": {**_memory_gb(mem), "max_batch_at_context": int(first(mem.max_batch))},
    }


def probe_prefill(
    cat: Catalog,
    model_id: str,
    accelerator_id: str,
    batch: int,
    seq: int,
    tp: int = 1,
    precision: str | None = None,
    engine: str | None = None,
) -> dict[str, object]:
    """One prefill step of ``batch`` sequences of ``seq`` tokens (``llmtco perf prefill``)."""
    model, acc, eff, prec, compute, shape, hw = _probe_setup(cat, model_id, accelerator_id, precision, engine)
    kvb = kv_bytes_for(compute)
    mem = memory_breakdown(shape, hw, BYTES_PER_WEIGHT[prec], kvb, tp, batch, seq)
    step = prefill_step(shape, hw, BYTES_PER_WEIGHT[prec], tp, batch, seq)
    fits = mem.fits
    return {
        **_probe_identity(model, acc, eff, prec, compute, tp),
        "batch": batch,
        "seq": seq,
        "fits": fits,
        "reason": None if fits else f"needs {first(mem.total_gb):.1f} GB per GPU, {first(mem.usable_gb):.1f} GB usable",
        **_step_figures(step, hw, tp, tokens_per_step=batch * seq),
        "memory_gb": _memory_gb(mem),
    }


def probe_train(
    cat: Catalog,
    model_id: str,
    accelerator_id: str,
    gpus: int | None,
    method: str,
    seq: int,
    micro_batch: int = 1,
    lora_rank: int = 16,
    optimizer: str = "adamw",
    checkpointing: bool = True,
    precision: str = "bf16",
    tokens_per_run: float | None = None,
    engine: str | None = None,
) -> dict[str, object]:
    """Speed and memory of a fine-tuning job (``llmtco perf train``)."""
    model = cat.models.get(model_id, "--model")
    acc = cat.accelerators.get(accelerator_id, "--accelerator")
    eff = efficiency_for(cat, acc.id, engine)
    w = FinetuneWorkload(
        name="probe",
        model=model.id,
        method=method,
        lora_rank=lora_rank,
        tokens_per_run=tokens_per_run or 1e9,
        seq_len=seq,
        micro_batch=micro_batch,
        optimizer=optimizer,
        gradient_checkpointing=checkpointing,
        precision=precision,
    )
    p = finetune.plan(w, model, acc, eff, gpus=gpus)
    smallest = None
    for cand in sorted(cat.accelerators, key=lambda a: a.vram_gb):
        if finetune.plan(w, model, cand, efficiency_for(cat, cand.id, engine), gpus=p.gpus).fits:
            smallest = cand.id
            break
    min_gpus = finetune.plan(w, model, acc, eff, gpus=None)
    return {
        "model": model.id,
        "accelerator": acc.id,
        "method": method,
        "gpus": p.gpus,
        "seq": seq,
        "micro_batch": micro_batch,
        "fits": p.fits,
        "reason": p.reason,
        "tokens_per_s": p.tokens_per_s_per_gpu * p.gpus,
        "tokens_per_s_per_gpu": p.tokens_per_s_per_gpu,
        "step_ms": p.step_ms,
        "mfu": eff.train_compute_efficiency,
        "gpu_hours_per_run": p.gpu_hours_per_run if tokens_per_run else None,
        "wall_hours_per_run": p.wall_hours_per_run if tokens_per_run else None,
        "memory_gb_per_gpu": {**p.memory_gb, "usable": finetune.USABLE_FRACTION * acc.memory_gb},
        "min_gpus": min_gpus.gpus if min_gpus.fits else None,
        "smallest_accelerator_at_these_gpus": smallest,
        "efficiency": {
            "id": eff.id,
            "train_compute_efficiency": eff.train_compute_efficiency,
            "fitted_on": eff.fitted_on,
            "source": eff.source,
        },
    }
