"""Fine-tuning workloads in the engine: plan a run on an accelerator, and schedule runs per option.

Part of the engine layer (it reads catalog records and scenario workloads);
the formulas themselves are in ``perf.training``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from llmtco.arrays import FloatArray
from llmtco.catalog import Catalog
from llmtco.catalog.records import Accelerator, Efficiency, Model
from llmtco.engine.adapters import efficiency_for
from llmtco.errors import InfeasibleError
from llmtco.perf.memory import BYTES_PER_WEIGHT
from llmtco.perf.power import power_at_activity_w
from llmtco.perf.training import lora_params, train_memory_gb, training_rate
from llmtco.result import FinetuneResult
from llmtco.scenario.schema import FinetuneWorkload, Scenario

GPU_COUNTS = (1, 2, 4, 8, 16, 32, 64)
TRAIN_ACTIVITY = 0.95
"""Share of the idle-to-TDP power range drawn while training (estimate: 0.99 measured on an H100 under
BF16 matrix products, examples/calibration/h100-sxm-measured.json, less time in communication and I/O)."""
RUNTIME_GB = 2.0
USABLE_FRACTION = 0.9


@dataclass(frozen=True)
class TrainPlan:
    workload: str
    method: str
    accelerator: str
    gpus: int
    fits: bool
    reason: str | None
    tokens_per_s_per_gpu: float
    tokens_per_run: float
    gpu_hours_per_run: float
    wall_hours_per_run: float
    step_ms: float
    """One step of ``micro_batch`` sequences per GPU [ms]."""
    memory_gb: dict[str, float]
    power_w_per_gpu: float


def memory_for(w: FinetuneWorkload, model: Model, gpus: int) -> dict[str, float]:
    head_dim = model.head_dim if model.attention == "gqa" else model.hidden // model.heads
    trainable = lora_params(model.layers, model.hidden, model.heads, model.kv_heads, head_dim, model.ffn, w.lora_rank)
    weight_bytes = BYTES_PER_WEIGHT["int4"] if w.method == "qlora" else 2.0
    mem = train_memory_gb(
        params=model.params_b * 1e9,
        trainable=trainable,
        method=w.method,
        weight_bytes=weight_bytes,
        optimizer=w.optimizer,
        gpus=gpus,
        layers=model.layers,
        hidden=model.hidden,
        vocab=model.vocab,
        seq=w.seq_len,
        micro_batch=w.micro_batch,
        checkpointing=w.gradient_checkpointing,
    )
    mem["runtime_overhead"] = RUNTIME_GB
    mem["total"] = sum(mem.values())
    return mem


def plan(
    w: FinetuneWorkload, model: Model, acc: Accelerator, eff: Efficiency, gpus: int | None = None, max_gpus: int = 64
) -> TrainPlan:
    """The run on ``gpus`` GPUs, or on the fewest GPUs (1, 2, 4, ... max_gpus) where it fits in memory."""
    usable = USABLE_FRACTION * acc.memory_gb
    counts = [gpus] if gpus else [n for n in GPU_COUNTS if n <= max_gpus]
    chosen, mem = counts[-1], memory_for(w, model, counts[-1])
    for n in counts:
        m = memory_for(w, model, n)
        if m["total"] <= usable:
            chosen, mem = n, m
            break
    fits = mem["total"] <= usable
    reason = (
        None
        if fits
        else (
            f"{w.method} fine-tuning of {model.id} needs {mem['total']:.1f} GB per GPU on {chosen} x {acc.id} "
            f"(weights {mem['weights']:.1f}, gradients {mem['gradients']:.1f}, optimizer {mem['optimizer']:.1f}, "
            f"activations {mem['activations']:.1f}) but {usable:.1f} GB are usable"
        )
    )
    rate = training_rate(
        model.active_b * 1e9,
        w.method,
        w.precision,
        acc.tflops_dense,
        eff.train_compute_efficiency,
        layers=model.layers,
        attention_dim=model.heads * model.head_dim,
        seq_len=w.seq_len,
        recompute="full" if w.gradient_checkpointing else "none",
        hbm_bandwidth_tb_s=acc.hbm_bandwidth_tb_s,
        hidden=model.hidden,
    )
    tokens = w.tokens_per_run_value
    step_tokens = chosen * w.micro_batch * w.seq_len
    if fits and gpus and tokens < step_tokens:
        # data parallelism needs a sequence per GPU per step: a run shorter than one step cannot use them all
        fits = False
        reason = (
            f"a run of {tokens:,.0f} tokens is less than one step on {chosen:,} GPUs "
            f"({chosen:,} x micro_batch {w.micro_batch} x seq {w.seq_len} = {step_tokens:,} tokens); "
            "use fewer GPUs or more tokens per run"
        )
    gpu_hours = tokens / rate / 3600.0
    return TrainPlan(
        workload=w.name,
        method=w.method,
        accelerator=acc.id,
        gpus=chosen,
        fits=fits,
        reason=reason,
        tokens_per_s_per_gpu=rate,
        tokens_per_run=tokens,
        gpu_hours_per_run=gpu_hours,
        wall_hours_per_run=gpu_hours / chosen,
        step_ms=w.seq_len * w.micro_batch / rate * 1e3,
        memory_gb=mem,
        power_w_per_gpu=float(power_at_activity_w(acc.idle_w.value, acc.tdp_w, TRAIN_ACTIVITY)),
    )


def plan_or_fail(
    w: FinetuneWorkload, model: Model, acc: Accelerator, eff: Efficiency, max_gpus: int, field_path: str
) -> TrainPlan:
    p = plan(w, model, acc, eff, max_gpus=max_gpus)
    if not p.fits:
        raise InfeasibleError(
            f"{field_path}: workload {w.name!r}: {p.reason}. Use QLoRA/LoRA, more GPUs, "
            "8-bit optimizer states, or a larger accelerator."
        )
    return p


def runs_per_month(runs_per_year: float, months: int) -> FloatArray:
    """Whole runs per month, spread evenly, the first in the first month.

    Runs done by the end of month m = ceil((m + 1) x rate / 12): 12/yr → 1 a month,
    4/yr → months 1, 4, 7, ..., 24/yr → 2 a month.
    """
    done = np.ceil(np.arange(1, months + 1) * runs_per_year / 12.0 - 1e-9)
    out: FloatArray = np.diff(np.concatenate([[0.0], done]))
    return out


def idle_schedule(
    free_gpus: FloatArray,
    gpus: int,
    wall_hours: float,
    runs: FloatArray,
    deadline_hours: float | None,
    days: FloatArray,
    hour_weights: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Whether each month's runs fit in the hours with at least ``gpus`` idle GPUs.

    ``free_gpus`` is (S, M, H) over hour classes of ``hour_weights`` hours each (default: 24 single
    hours). Returns (fits per sample and month, usable hours per day).
    A run uses the idle window day after day; it must finish within the deadline
    (hours from its start), and all of the month's runs within the month.
    """
    weights = np.ones(free_gpus.shape[-1]) if hour_weights is None else np.asarray(hour_weights, dtype=float)
    usable = (free_gpus >= gpus).astype(float) @ weights  # hours per day
    days_per_run = np.where(usable > 0, wall_hours / np.maximum(usable, 1e-9), np.inf)
    limit_days = (
        np.full_like(days_per_run, np.inf)
        if deadline_hours is None
        else np.full_like(days_per_run, deadline_hours / 24.0)
    )
    # a run that starts at the window's opening needs (days_per_run - 1) full days plus the last window
    windows = np.ceil(np.where(usable > 0, days_per_run, 1e9) - 1e-9)  # daily windows the run needs
    elapsed_h = np.where(usable > 0, (windows - 1) * 24 + (wall_hours - (windows - 1) * usable), np.inf)
    within_deadline = elapsed_h <= limit_days * 24 + 1e-9
    within_month = runs * days_per_run <= days[None, :]
    fits = (runs == 0) | (within_deadline & within_month & (usable > 0))
    return fits.astype(float), usable


def finetune_result(w: FinetuneWorkload, p: TrainPlan, runs: FloatArray, schedule: str, note: str) -> FinetuneResult:
    """What a fine-tuning workload's runs amount to on one option (``schedule``: idle_hours, dedicated,
    cloud)."""
    n_runs = float(runs.sum())
    return FinetuneResult(
        workload=w.name,
        method=w.method,
        accelerator=p.accelerator,
        gpus=p.gpus,
        runs=n_runs,
        tokens_per_run=p.tokens_per_run,
        tokens_trained=p.tokens_per_run * n_runs,
        gpu_hours_per_run=p.gpu_hours_per_run,
        wall_hours_per_run=p.wall_hours_per_run,
        gpu_hours=p.gpu_hours_per_run * n_runs,
        schedule=schedule,
        note=note,
    )


def planned_runs(
    sc: Scenario, cat: Catalog, acc: Accelerator, option_index: int, months: int
) -> Iterator[tuple[FinetuneWorkload, TrainPlan, FloatArray]]:
    """Each fine-tuning workload of the scenario with its plan on ``acc`` and its runs per month
    (raises InfeasibleError, naming the option and workload, when a run cannot be planned)."""
    for i, w in enumerate(sc.workloads):
        if isinstance(w, FinetuneWorkload):
            eff = efficiency_for(cat, acc.id, w.engine)
            plan = plan_or_fail(w, cat.models.get(w.model), acc, eff, 64, f"options.{option_index} (workloads.{i})")
            yield w, plan, runs_per_month(w.runs_per_year, months)
