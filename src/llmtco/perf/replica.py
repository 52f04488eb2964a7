"""A replica under a parallel layout as the serving layer sees it: one mixed step of decode and chunked
prefill (``layout_mixed_step``) and ``LayoutReplica``, the object ``sizing.serving`` runs on.

Plain TP inside a domain is ``perf.timing.mixed_step`` itself; EP with DP attention, TP beyond the
domain and PP reuse it term by term (``perf.parallel``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from llmtco.perf.parallel import (
    Fabric,
    Layout,
    LayoutMemory,
    ep_mixed_step,
    layout_memory,
    layout_prefill_step,
    pipeline_send_ms,
    stage_model,
    with_fabric,
)
from llmtco.perf.shapes import HardwareShape, ModelShape, Num
from llmtco.perf.timing import StepTime, mixed_step


def layout_mixed_step(
    model: ModelShape,
    hw: HardwareShape,
    fabric: Fabric,
    bytes_per_weight: float,
    kv_bytes: float,
    layout: Layout,
    batch: Num,
    context: Num,
    prefill_tokens: Num = 0.0,
    prefill_context: Num = 0.0,
    prefill_chunk: Num = 0.0,
) -> StepTime:
    """``perf.timing.mixed_step`` of one replica under ``layout``: ``batch`` decoding sequences and
    ``prefill_tokens`` prompt tokens of chunked prefill in one step, on average; a step that carries
    prefill carries a chunk of ``prefill_chunk`` prompt tokens (0: the mean every step) [ms].

    Plain TP is ``mixed_step`` itself (over the scale-out network when the group leaves the domain); EP
    is ``ep_mixed_step``, each prompt prefilled on one DP rank; with PP the step runs as m = min(pp, B)
    micro-batches, each carrying 1/m of the decode and prompt tokens: max(m x t_stage, pp x (t_stage + t_send)).
    """
    if layout.pp > 1:
        b = np.asarray(batch, dtype=float)
        micro = np.minimum(float(layout.pp), np.maximum(b, 1.0))
        sm = stage_model(model, layout.pp)
        flat = replace(layout, pp=1)
        pf = np.asarray(prefill_tokens, dtype=float)
        stage = layout_mixed_step(
            sm, hw, fabric, bytes_per_weight, kv_bytes, flat, b / micro, context, pf / micro, prefill_context,
            prefill_chunk,
        )  # fmt: skip
        send = pipeline_send_ms(model, hw, fabric, layout, (b + pf) / micro)
        return StepTime(
            step_ms=np.maximum(micro * stage.step_ms, layout.pp * (stage.step_ms + send)),
            compute_ms=stage.compute_ms * layout.pp,
            memory_ms=stage.memory_ms * layout.pp,
            overhead_ms=stage.overhead_ms * layout.pp,
            comm_ms=(stage.comm_ms + send) * layout.pp,
            tokens=b,
        )
    if layout.ep <= 1 or model.experts <= 1:
        hw_tp = with_fabric(hw, fabric, layout.stage_gpus)
        return mixed_step(
            model, hw_tp, bytes_per_weight, kv_bytes, layout.stage_gpus, batch, context, prefill_tokens,
            prefill_context, prefill_chunk,
        )  # fmt: skip
    # a prompt token attends to half its prompt on average (causal): the prompt is twice that long
    # (``sizing.serving`` passes lin x E[L^2]/E[L]^2 / 2, so this is the length-weighted prompt)
    prompt_len = 2.0 * np.asarray(prefill_context, dtype=float)
    return ep_mixed_step(
        model, hw, fabric, bytes_per_weight, kv_bytes, layout, batch, context, prefill_tokens, prefill_context,
        prompt_len, prefill_chunk,
    )  # fmt: skip


@dataclass(frozen=True)
class LayoutReplica:
    """One replica under ``layout`` over ``fabric``: the step physics ``sizing.serving`` runs its serving
    layer on (``serving_point(..., replica=...)``), so plain TP and the wide layouts share one path."""

    layout: Layout
    fabric: Fabric

    @property
    def gpus(self) -> int:
        """GPUs of the replica [count]."""
        return self.layout.gpus

    @property
    def ranks(self) -> int:
        """Schedulers of the replica: each DP-attention rank batches its own sequences and has its own
        token budget per step (1 without EP) [count]."""
        return self.layout.dp

    def mixed_step(
        self,
        model: ModelShape,
        hw: HardwareShape,
        bytes_per_weight: float,
        kv_bytes: float,
        batch: Num,
        context: Num,
        prefill_tokens: Num,
        prefill_context: Num,
        prefill_chunk: Num = 0.0,
    ) -> StepTime:
        """``layout_mixed_step`` of the replica."""
        return layout_mixed_step(
            model, hw, self.fabric, bytes_per_weight, kv_bytes, self.layout, batch, context, prefill_tokens,
            prefill_context, prefill_chunk,
        )  # fmt: skip

    def prefill_step(self, model: ModelShape, hw: HardwareShape, bytes_per_weight: float, seq: Num) -> StepTime:
        """One prompt of ``seq`` tokens on its DP rank, the other ranks each prefilling one too (a step's
        time is its slowest rank's) [ms]."""
        return layout_prefill_step(model, hw, self.fabric, bytes_per_weight, self.layout, float(self.ranks), seq)

    def memory(
        self, model: ModelShape, hw: HardwareShape, bytes_per_weight: float, kv_bytes: float, context: Num
    ) -> LayoutMemory:
        """``layout_memory`` of the replica at ``context`` tokens per sequence."""
        return layout_memory(model, hw, bytes_per_weight, kv_bytes, self.layout, context)
