"""Disaggregated prefill/decode serving: separate pools, each sized for its phase (llm-d, Dynamo, SGLang PD).

A prefill instance (layout P) runs prompts in chunks of about
``PREFILL_TOKENS_PER_RANK`` tokens per DP rank and sends each prompt's KV cache
to a decode instance (layout D), which only decodes:

    prefill requests/s per instance  Xp = n_prompts / t_prefill(n_prompts, Lin) x pp
    decode requests/s per instance   Xd(B) = B / (Lout x t_step(B))       TPOT = t_step(B)
    KV transfer per request          t_kv = Lin x KV bytes/token / (senders x link GB/s)
    TTFT                             t_prefill + t_kv + t_step(B)

(the link is the scale-up fabric when both pools sit in one domain, else the
scale-out network; senders: the prefill GPUs that hold shards of the prompt's
KV cache). With n_p prefill and n_d decode instances the pools serve
min(n_p Xp, n_d Xd) requests/s on n_p gP + n_d gD GPUs; the ratio n_p : n_d
(each 1..``MAX_INSTANCES``) is the smallest unit within ``RATIO_TOLERANCE`` of
the most output tokens/s per GPU for the workload's input/output lengths. Decode no longer waits for prefills
(TPOT = t_step), which is why disaggregation wins at high interactivity and
long prompts; it pays with KV traffic and whole-instance granularity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmtco.perf.memory import kv_bytes_per_token, kv_shards
from llmtco.perf.parallel import SCALEOUT_LATENCY_US, Fabric, Layout, layout_memory, layout_prefill_step
from llmtco.perf.replica import LayoutReplica
from llmtco.perf.shapes import HardwareShape, ModelShape
from llmtco.sizing.fleet import fleet_gpus
from llmtco.sizing.layouts import BATCH_GRID, layout_curve
from llmtco.sizing.serving import EngineShape, Load, point_at_batch, prompt_hardware

PREFILL_TOKENS_PER_RANK = 16384.0
"""Prompt tokens one DP rank prefills per step (SGLang's large-scale EP post runs 16,384 tokens per device)."""
MAX_INSTANCES = 16
"""Largest instance count per pool searched for the pool ratio."""
RATIO_TOLERANCE = 0.05
"""Share of the best pool ratio's tokens/s per GPU a smaller unit may give up [1]."""


@dataclass(frozen=True)
class PrefillPool:
    """One prefill instance's capacity and latency."""

    layout: Layout
    prompts_per_step: float
    requests_per_s: float
    """Prompts per second one instance prefills [1/s]."""
    prefill_ms: float
    """Time of one prefill step (a prompt's share of TTFT) [ms]."""
    input_tokens_per_s_per_gpu: float


@dataclass(frozen=True)
class DisaggPoint:
    """A disaggregated deployment at one decode batch."""

    prefill: PrefillPool
    decode_layout: Layout
    prefill_instances: int
    decode_instances: int
    decode_batch: float
    """Concurrent sequences per decode instance."""
    gpus: int
    """GPUs of both pools [count]."""
    requests_per_s: float
    output_tokens_per_s_per_gpu: float
    tokens_per_s_per_user: float
    tpot_ms: float
    ttft_ms: float
    kv_transfer_ms: float
    """One prompt's KV cache from prefill to decode [ms]."""
    kv_transfer_gb_s: float
    """KV traffic between the pools at this rate [GB/s]."""
    fits: bool


@dataclass(frozen=True)
class PlanDemand:
    """What a plan buys a deployment for: its peak rate at a planned utilisation, in whole machines."""

    peak_rps: float
    utilisation: float
    machine_gpus: int

    def gpus(self, replica_rps: float, replica_gpus: int) -> int:
        """GPUs for the peak in units of ``replica_gpus`` GPUs serving ``replica_rps`` (``fleet_gpus``) [count]."""
        return fleet_gpus(self.peak_rps, replica_rps, replica_gpus, self.utilisation, self.machine_gpus)


def kv_link_gb_s(hw: HardwareShape, fabric: Fabric, prefill: Layout, decode: Layout) -> float:
    """Per-GPU bandwidth between the pools [GB/s]: scale-up if both fit one domain, else the network."""
    same_domain = prefill.gpus + decode.gpus <= fabric.domain_gpus
    up = float(np.asarray(hw.interconnect_gb_s, dtype=float).reshape(-1)[0])
    return up if same_domain else min(up, fabric.scaleout_gb_s)


def kv_transfer_ms(
    model: ModelShape, hw: HardwareShape, fabric: Fabric, kv_bytes: float, prefill: Layout, decode: Layout, lin: float
) -> float:
    """One prompt's KV cache over the link between the pools [ms] (latency + bytes / (senders x GB/s))."""
    gb_s = kv_link_gb_s(hw, fabric, prefill, decode)
    senders = kv_shards(model, prefill.tp) * prefill.pp
    same = prefill.gpus + decode.gpus <= fabric.domain_gpus
    latency_ms = (0.0 if same else SCALEOUT_LATENCY_US) * 1e-3
    return latency_ms + lin * kv_bytes_per_token(model, kv_bytes) / (senders * gb_s * 1e9) * 1e3


def prefill_pool(
    model: ModelShape,
    hw: HardwareShape,
    fabric: Fabric,
    bytes_per_weight: float,
    layout: Layout,
    lin: float,
    eng: EngineShape | None = None,
) -> PrefillPool:
    """A prefill instance running chunks of ``PREFILL_TOKENS_PER_RANK`` tokens per DP rank (at least one
    prompt). With ``eng`` its prompt FLOP/s are the engine's (``prompt_hardware``: for an MoE model, the
    experts see the step's prompt tokens over every DP rank); without it the step layer's."""
    prompts = max(1.0, np.floor(PREFILL_TOKENS_PER_RANK / max(lin, 1.0))) * layout.dp
    if eng is not None:
        hw = prompt_hardware(hw, eng, model, prompts * max(lin, 1.0))
    st = layout_prefill_step(model, hw, fabric, bytes_per_weight, layout, prompts, lin)
    step_ms = float(np.asarray(st.step_ms, dtype=float).reshape(-1)[0])
    # PP stages work on different chunks at once: one chunk leaves every step_ms / pp
    rps = prompts / (step_ms / 1e3) * layout.pp
    return PrefillPool(
        layout=layout,
        prompts_per_step=prompts,
        requests_per_s=rps,
        prefill_ms=step_ms,
        input_tokens_per_s_per_gpu=rps * lin / layout.gpus,
    )


def _ratio(xp: float, gp: int, xd: float, gd: int) -> tuple[int, int, float]:
    """Instance counts (n_p, n_d), and their requests/s per GPU: the fewest GPUs whose rate is within
    ``RATIO_TOLERANCE`` of the best ratio's (a fleet grows by whole units, so a small unit wastes less)."""
    rates = [
        (n_p, n_d, min(n_p * xp, n_d * xd) / (n_p * gp + n_d * gd))
        for n_p in range(1, MAX_INSTANCES + 1)
        for n_d in range(1, MAX_INSTANCES + 1)
    ]
    top = max(r for _, _, r in rates)
    ok = [t for t in rates if t[2] >= top * (1.0 - RATIO_TOLERANCE)]
    return min(ok, key=lambda t: (t[0] * gp + t[1] * gd, -t[2]))


DECODE_ONLY = Load(prefix_cache_hit=1.0)
"""A decode pool's load: every prompt token arrives in the KV cache from the prefill pool, so no prompt
token enters a decode step (the serving layer's steps are pure decode)."""


def decode_curve(
    model: ModelShape,
    hw: HardwareShape,
    fabric: Fabric,
    bytes_per_weight: float,
    kv_bytes: float,
    layout: Layout,
    input_tokens: float,
    output_tokens: float,
    eng: EngineShape | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batches, decode step times [ms] and fits (1.0/0.0) of a decode instance under ``layout``.

    With ``eng`` the serving layer (``point_at_batch`` on the layout's ``LayoutReplica``, no prompt tokens
    in a step: ``DECODE_ONLY``) gives the step, engine time included; without it the step physics of
    ``layout_curve``.
    """
    if eng is None:
        c = layout_curve(model, hw, fabric, bytes_per_weight, kv_bytes, layout, input_tokens, output_tokens)
        return c.batch, c.step_ms, c.fits
    rep = LayoutReplica(layout, fabric)
    top = float(
        np.asarray(rep.memory(model, hw, bytes_per_weight, kv_bytes, input_tokens + output_tokens).max_batch).min()
    )
    batches = np.unique(np.concatenate([BATCH_GRID[max(top, 1.0) >= BATCH_GRID], [max(top, 1.0)]]))
    steps, fits = [], []
    for b in batches:
        sp = point_at_batch(model, hw, bytes_per_weight, kv_bytes, layout.gpus, input_tokens, output_tokens,
                            float(b), eng, DECODE_ONLY, replica=rep)  # fmt: skip
        steps.append(float(sp.step_ms[0]))
        fits.append(float(sp.feasible[0]))
    return batches, np.asarray(steps), np.asarray(fits)


def disaggregated_points(
    model: ModelShape,
    hw: HardwareShape,
    fabric: Fabric,
    bytes_per_weight: float,
    kv_bytes: float,
    prefill: Layout,
    decode: Layout,
    input_tokens: float,
    output_tokens: float,
    eng: EngineShape | None = None,
    curve: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> list[DisaggPoint]:
    """The deployment at every decode batch of the grid, the pool ratio chosen per batch (``eng``: the
    decode pool through the serving layer, see ``decode_curve``)."""
    lout = max(float(output_tokens), 1.0)
    pool = prefill_pool(model, hw, fabric, bytes_per_weight, prefill, input_tokens, eng)
    batches, steps, fits = curve or decode_curve(
        model, hw, fabric, bytes_per_weight, kv_bytes, decode, input_tokens, lout, eng
    )
    t_kv = kv_transfer_ms(model, hw, fabric, kv_bytes, prefill, decode, input_tokens)
    kv_gb = input_tokens * kv_bytes_per_token(model, kv_bytes) / 1e9
    out: list[DisaggPoint] = []
    for i, b in enumerate(batches):
        step = float(steps[i])
        xd = float(b) / (lout * step) * 1e3
        n_p, n_d, per_gpu = _ratio(pool.requests_per_s, prefill.gpus, xd, decode.gpus)
        rps = per_gpu * (n_p * prefill.gpus + n_d * decode.gpus)
        out.append(
            DisaggPoint(
                prefill=pool,
                decode_layout=decode,
                prefill_instances=n_p,
                decode_instances=n_d,
                decode_batch=float(b),
                gpus=n_p * prefill.gpus + n_d * decode.gpus,
                requests_per_s=rps,
                output_tokens_per_s_per_gpu=per_gpu * lout,
                tokens_per_s_per_user=1e3 / step,
                tpot_ms=step,
                ttft_ms=pool.prefill_ms + t_kv + step,
                kv_transfer_ms=t_kv,
                kv_transfer_gb_s=rps * kv_gb,
                fits=bool(fits[i] > 0),
            )
        )
    return out


def best_disaggregated(
    points: list[DisaggPoint], tpot_target_ms: float | None, ttft_target_ms: float | None
) -> DisaggPoint | None:
    """The point with the most output tokens/s per GPU that fits and meets the SLO (None if none)."""
    ok = [p for p in points if _meets(p, tpot_target_ms, ttft_target_ms)]
    return max(ok, key=lambda p: p.output_tokens_per_s_per_gpu) if ok else None


def _meets(p: DisaggPoint, tpot_target_ms: float | None, ttft_target_ms: float | None) -> bool:
    """Whether ``p`` fits and meets the SLO."""
    return (
        p.fits
        and (tpot_target_ms is None or p.tpot_ms <= tpot_target_ms)
        and (ttft_target_ms is None or p.ttft_ms <= ttft_target_ms)
    )


def best_disaggregated_over(
    model: ModelShape,
    hw: HardwareShape,
    fabric: Fabric,
    bytes_per_weight: float,
    kv_bytes: float,
    layouts: list[Layout],
    input_tokens: float,
    output_tokens: float,
    tpot_target_ms: float | None,
    ttft_target_ms: float | None,
    prefill_pools: int = 3,
    eng: EngineShape | None = None,
    demand: PlanDemand | None = None,
) -> DisaggPoint | None:
    """The best disaggregated deployment under the SLO: the ``prefill_pools`` layouts with the most
    input tokens/s per GPU as prefill pools, every layout as the decode pool (None if none fits). Layouts
    whose weights and one request's KV cache do not fit are left out of both pools. Best is the most output
    tokens/s per GPU; for a ``demand``, the fewest GPUs it needs in whole units, then the most tokens/s per
    GPU (pools and deployments both: the fastest per GPU can be a unit larger than the demand)."""
    context = input_tokens + output_tokens
    layouts = [
        lay
        for lay in layouts
        if float(np.asarray(layout_memory(model, hw, bytes_per_weight, kv_bytes, lay, context).max_batch).min()) >= 1
    ]

    def pool_key(p: PrefillPool) -> tuple[float, float]:
        return (0.0 if demand is None else demand.gpus(p.requests_per_s, p.layout.gpus), -p.input_tokens_per_s_per_gpu)

    def key(p: DisaggPoint) -> tuple[float, float]:
        return (0.0 if demand is None else demand.gpus(p.requests_per_s, p.gpus), -p.output_tokens_per_s_per_gpu)

    pools = sorted(
        (prefill_pool(model, hw, fabric, bytes_per_weight, lay, input_tokens, eng) for lay in layouts), key=pool_key
    )[:prefill_pools]
    best: DisaggPoint | None = None
    lout = max(float(output_tokens), 1.0)
    curves = {
        dec: decode_curve(model, hw, fabric, bytes_per_weight, kv_bytes, dec, input_tokens, lout, eng)
        for dec in layouts
    }
    for pool in pools:
        for dec in layouts:
            pts = disaggregated_points(
                model, hw, fabric, bytes_per_weight, kv_bytes, pool.layout, dec, input_tokens, output_tokens, eng,
                curves[dec],
            )  # fmt: skip
            ok = [p for p in pts if _meets(p, tpot_target_ms, ttft_target_ms)]
            p = min(ok, key=key) if ok else None
            if p is not None and (best is None or key(p) < key(best)):
                best = p
    return best
