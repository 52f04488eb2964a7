"""Catalog records → the plain shapes the perf and sizing functions take.

The only place that reads an accelerator, model or efficiency record for the
physics; calibration uses the same adapters, so a fitted factor means the same
thing when it is fitted and when it is used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, replace
from typing import Any

import numpy as np

from llmtco.arrays import FloatArray
from llmtco.catalog import Catalog
from llmtco.catalog.records import Accelerator, CloudInstance, CloudPrice, Efficiency, Model, Server
from llmtco.engine.context import Ctx
from llmtco.perf.power import nameplate_power_kw
from llmtco.perf.shapes import HardwareShape, ModelShape
from llmtco.scenario.schema import InferenceWorkload
from llmtco.scenario.schema import LengthSpread as LengthSpreadSpec
from llmtco.sizing.lengths import FIXED, LengthSpread, from_histogram, from_percentiles
from llmtco.sizing.serving import CHUNK_TOKENS, EngineShape, Load


def model_shape(m: Model) -> ModelShape:
    """The perf model's view of a catalog model."""
    if m.attention == "mla":
        assert m.kv_lora_rank is not None and m.qk_rope_head_dim is not None
        kv_values, kv_heads = m.kv_lora_rank + m.qk_rope_head_dim, 1
    else:
        kv_values, kv_heads = 2 * m.kv_heads * m.head_dim, m.kv_heads
    return ModelShape(
        params=m.params_b * 1e9,
        active_params=m.active_b * 1e9,
        layers=m.layers,
        hidden=m.hidden,
        heads=m.heads,
        head_dim=m.head_dim,
        kv_heads=kv_heads,
        kv_values_per_token_layer=kv_values,
        experts=m.experts,
        active_experts=m.active_experts,
        sliding_window=m.sliding_window,
        sliding_window_layers=m.sliding_window_layers,
        mla_latent_dim=m.kv_lora_rank if m.attention == "mla" and m.kv_lora_rank else 0,
        vocab=m.vocab,
        ffn=m.ffn,
        tied_embeddings=m.tie_word_embeddings,
    )


def efficiency_for(cat: Catalog, accelerator: str, engine: str | None, precision: str | None = None) -> Efficiency:
    """The most specific fitted factors: ``h100-sxm@vllm@bf16``, ``h100-sxm@vllm``, then ``h100-sxm``."""
    if precision == "fp16":
        # FP16 runs on the same 16-bit tensor cores at the BF16 rate and moves the same bytes:
        # the 16-bit fit covers it (Llama 2 publishes float16 weights).
        precision = "bf16"
    if engine:
        for key in (f"{accelerator}@{engine}@{precision}" if precision else None, f"{accelerator}@{engine}"):
            if key and key in cat.efficiency:
                return cat.efficiency.get(key)
    return cat.efficiency.get(accelerator, "efficiency")


def compute_precision(weight_precision: str, acc: Accelerator) -> str:
    """Tensor-core precision used with these weights on this accelerator.

    FP8/FP4 weights run on FP8/FP4 tensor cores where the chip has them;
    otherwise (and for int4/int8/mxfp4 weight-only formats) activations stay BF16.
    """
    if weight_precision in ("fp4", "mxfp4") and "fp4" in acc.tflops_dense:
        return "fp4"
    if weight_precision in ("fp8", "fp4") and "fp8" in acc.tflops_dense:
        return "fp8"
    return "bf16"


def kv_bytes_for(compute: str, kv_cache: str | None = None) -> float:
    """KV-cache bytes per value: the workload's ``kv_cache`` choice, else FP8 alongside FP8/FP4 compute, else BF16."""
    if kv_cache is not None:
        return KV_CACHE_BYTES[kv_cache]
    return 1.0 if compute in ("fp8", "fp4") else 2.0


KV_CACHE_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0}
"""Bytes per cached K or V value by KV-cache precision (an FP8 cache keeps per-tensor scales: negligible)."""


VLLM_LARGE_GPU_GIB = 70.0
"""vLLM's ``EngineArgs.get_batch_defaults``: on a GPU of at least 70 GiB whose name is not an A100 the
OpenAI server defaults to ``max_num_seqs`` 1024 and ``max_num_batched_tokens`` 8192, elsewhere to 256 and
2048 (vllm/engine/arg_utils.py, V1 engine; the A100 exception is vLLM PR #17885)."""


def engine_defaults(engine: str | None, acc: Accelerator | None) -> tuple[float | None, float]:
    """The engine's default cap on running sequences and its token budget per step on ``acc``: vLLM's
    by GPU memory (``VLLM_LARGE_GPU_GIB``); other engines: no cap beyond memory, ``CHUNK_TOKENS``."""
    name = engine if engine in CHUNK_TOKENS else "generic"
    if name == "vllm" and acc is not None:
        large = acc.vram_gb >= VLLM_LARGE_GPU_GIB and not acc.id.startswith("a100")
        return (1024.0, 8192.0) if large else (256.0, 2048.0)
    return None, CHUNK_TOKENS[name]


def takes_stack_step(model: ModelShape) -> bool:
    """Whether the stack's fitted ``stack_step_ms`` is on ``model``'s steps: MoE models with MLA attention,
    the DeepSeek-V3 architecture every row of that fit measures (``calibration.stack_step``). Other MoE
    models' rows are fitted in the serving layer without it, and predicted better without it (in sample,
    2026-12-04: gpt-oss-120b TPOT on TensorRT-LLM +3 % without, +61 % with; on ATOM +25 % / +64 %; on
    vLLM +3 % / +19 %; Mixtral and Qwen3 MoE alike)."""
    return model.experts > 1 and model.mla_latent_dim > 0


def engine_shape(
    eff: Efficiency,
    engine: str | None,
    samples: int,
    ctx: Ctx | None = None,
    moe: bool = False,
    accelerator: Accelerator | None = None,
    stack_step: bool = False,
) -> EngineShape:
    """The serving layer's view of an engine's fitted factors (``sizing.serving.EngineShape``); for an MoE
    model (``moe``) its prompts follow the engine's ``moe_prefill_half_tokens``, and with ``stack_step``
    (``takes_stack_step``) the stack's own ``stack_step_ms`` adds to the scheduler's time of every step;
    with the ``accelerator``, the engine's default batch cap and token budget there (``engine_defaults``)."""

    def e(name: str) -> FloatArray:
        value = float(getattr(eff, name))
        key = f"efficiency:{eff.id.split('@')[0]}:{name}"  # the same keys as hardware_shape draws
        return ctx.draw(key, value) if ctx is not None else np.full(samples, value)

    name = engine if engine in CHUNK_TOKENS else "generic"
    max_num_seqs, chunk = engine_defaults(engine, accelerator)
    return EngineShape(
        name=name,
        scheduler_ms_per_step=e("scheduler_ms_per_step") + (float(eff.stack_step_ms) if stack_step else 0.0),
        per_sequence_us=e("per_sequence_overhead_us"),
        mixed_step_efficiency=e("mixed_step_efficiency"),
        chunk_tokens=chunk,
        ttft_queue_steps=e("ttft_queue_steps"),
        prefill_efficiency=e("engine_prefill_efficiency"),
        moe_half_tokens=e("moe_prefill_half_tokens") if moe else 0.0,
        max_num_seqs=max_num_seqs,
    )


def load_shape(w: InferenceWorkload, utilisation: float = 0.7) -> Load:
    """How the workload's requests arrive at a replica (length spreads, SLO percentile, fixed batch)."""
    return Load(
        input_spread=spread_of(w.input_length),
        output_spread=spread_of(w.output_length),
        utilisation=utilisation,
        percentile=w.slo.percentile,
        prefix_cache_hit=w.prefix_cache_hit_fraction,
        max_batch=float(w.batch) if w.batch is not None else None,
        arrival_cv2=w.arrival_cv2,
    )


def spread_of(spec: LengthSpreadSpec | None) -> LengthSpread:
    """A workload's length spread (``{p50, p90}`` or a histogram), or fixed lengths."""
    if spec is None:
        return FIXED
    if spec.histogram is not None:
        return from_histogram(list(spec.histogram))
    assert spec.p50 is not None and spec.p90 is not None
    return from_percentiles(spec.p50, spec.p90)


KV_OF_FREE_MEMORY_ENGINES = frozenset({"trtllm"})
"""Engines whose memory fraction is a share of the memory free after the weights (``perf.memory.engine_share_gb``)."""


def hardware_shape(
    acc: Accelerator,
    eff: Efficiency,
    compute: str,
    samples: int,
    ctx: Ctx | None = None,
    engine: str | None = None,
) -> HardwareShape:
    """The accelerator with its efficiency factors as the perf functions take it; ``engine`` sets how the
    engine budgets memory (TensorRT-LLM: a share of the free memory; others: of the total)."""

    def a(x: float) -> FloatArray:
        return np.full(samples, float(x))

    def e(name: str) -> FloatArray:
        value = float(getattr(eff, name))
        return ctx.draw(f"efficiency:{acc.id}:{name}", value) if ctx is not None else a(value)

    return HardwareShape(
        vram_gb=a(acc.memory_gb),
        hbm_bandwidth_tb_s=a(acc.hbm_bandwidth_tb_s),
        peak_tflops=a(acc.tflops_dense[compute]),
        tdp_w=a(acc.tdp_w),
        idle_w=a(acc.idle_w.value),
        interconnect_gb_s=a(acc.interconnect_gb_s),
        decode_bandwidth_efficiency=e("decode_bandwidth_efficiency"),
        decode_compute_efficiency=e("decode_compute_efficiency"),
        prefill_compute_efficiency=e("prefill_compute_efficiency"),
        step_overhead_ms=e("step_overhead_ms"),
        allreduce_latency_us=a(eff.allreduce_latency_us),
        power_activity_floor=e("power_activity_floor"),
        ttft_queue_steps=e("ttft_queue_steps"),
        # host time per sequence is the serving layer's (engine_shape); the step layer is GPU kernels only
        per_sequence_overhead_us=a(0.0),
        bf16_tflops=a(acc.tflops_dense["bf16"]) if "bf16" in acc.tflops_dense else None,
        fp8_tflops=a(acc.tflops_dense["fp8"]) if "fp8" in acc.tflops_dense else None,
        kv_of_free_memory=engine in KV_OF_FREE_MEMORY_ENGINES,
    )


def first_sample(hw: HardwareShape) -> HardwareShape:
    """The hardware of sample 0 only (fields as one-element arrays)."""
    changes: dict[str, Any] = {
        f.name: np.asarray(getattr(hw, f.name)).reshape(-1)[:1]
        for f in fields(hw)
        if isinstance(getattr(hw, f.name), np.ndarray)
    }
    return replace(hw, **changes)


def first_engine_sample(eng: EngineShape) -> EngineShape:
    """The engine factors of sample 0 only."""
    changes: dict[str, Any] = {
        f.name: np.asarray(getattr(eng, f.name)).reshape(-1)[:1]
        for f in fields(eng)
        if isinstance(getattr(eng, f.name), np.ndarray)
    }
    return replace(eng, **changes)


def resolve_server(cat: Catalog, server: str | None, accelerator: str | None) -> Server:
    """The server an on-prem option names, or the first catalog server carrying its accelerator
    (the loader has checked that one exists)."""
    if server is not None:
        return cat.servers.get(server)
    found: Server = next(s for s in cat.servers if s.accelerator == accelerator)
    return found


def server_max_power_kw(server: Server, acc: Accelerator) -> float:
    """A server's nameplate draw: every GPU at TDP plus the host [kW] (sizes colocation and facility)."""
    return nameplate_power_kw(server.gpus, acc.tdp_w, server.non_gpu_power_w)


def server_price(server: Server, acc: Accelerator, negotiated_usd: float | None) -> tuple[float, str]:
    """Price of one server [USD] and where it comes from: a negotiated price, the catalog's, or
    chassis + GPUs for servers the catalog prices from parts."""
    if negotiated_usd is not None:
        return negotiated_usd, "scenario: server_price_usd"
    if server.price_usd is not None:
        return server.price_usd, f"catalog servers/{server.id}: {server.source} ({server.as_of.isoformat()})"
    price = (server.chassis_usd or 0.0) + server.gpus * acc.unit_price_usd.value
    source = (
        f"priced from parts: chassis {server.chassis_usd:,.0f} ({server.source}) + "
        f"{server.gpus} x {acc.unit_price_usd.value:,.0f} ({acc.unit_price_usd.source})"
    )
    return price, source


def price_in_force(inst: CloudInstance, pricing: str, on: dt.date) -> CloudPrice | None:
    """The instance's price under ``pricing`` in force on ``on`` (the scenario's start date; catalog price
    history), or None where the provider does not publish that pricing model."""
    return inst.price(pricing, on=on)
