"""Prior efficiency factors, before any fit.

Step layer. Published ranges (DESIGN.md): decode bandwidth efficiency 0.45-0.75, prefill
compute efficiency 0.45-0.7, training MFU 0.35-0.46 on H100 BF16; all-reduce
latency typical of an NVLink (8 us) or PCIe (20 us) ring; ML.ENERGY decode
power readings at 45-100 % of TDP give the activity floor.

The step layer is GPU kernels only, so its bandwidth prior is the kernel-level
one, 0.80: coalesced weight loads reach 78-84 % of 3.35 TB/s on an H100 SXM
under Nsight Compute (mikamirai.com/blog/gpu-memory-bandwidth, 2026-03-28);
the 0.45-0.75 range above is end-to-end and includes serving overheads. Step
overhead 0.5 ms per 32 layers (the launch time scales with depth): estimate,
about a hundred kernel launches of ~5 us (CUDA C++ Best Practices Guide,
launch latency) for a 32-layer model. Both were revised after
the committed H100 profile had been seen; the sources are independent of it.

Serving layer (estimates, to be fitted): scheduler and sampling time per
step 0.5 ms and 10 us per running sequence (the order vLLM reported for its
V0 CPU overhead before the V1 rewrite, vLLM blog 2025-01-27 "vLLM V1"; SGLang
v0.4 overlaps scheduling with the GPU, lmsys blog 2024-12-04); mixed-step
efficiency 0.9 (Sarathi-Serve, Agrawal et al., OSDI 2024: chunked prefill
costs a few to ~10 % over unchunked kernels).
"""

from __future__ import annotations

import datetime as dt

from llmtco.catalog.records import Accelerator, Efficiency

GENERATIONS = {
    "h100-sxm": "hopper",
    "h100-pcie": "hopper",
    "h100-nvl": "hopper",
    "h100-96gb": "hopper",
    "h200": "hopper",
    "b200": "blackwell",
    "rtx-5090": "blackwell-client",
    "a100-40gb": "ampere",
    "a100-80gb": "ampere",
    "l40s": "ada",
    "l4": "ada",
    "rtx-4090": "ada",
    "mi300x": "cdna3",
    "mi325x": "cdna3",
    "gaudi3": "gaudi3",
}
"""Architecture generation of each catalog accelerator (vendor architecture names: NVIDIA Hopper, Blackwell,
Ampere, Ada Lovelace; AMD CDNA 3; Intel Gaudi 3): the step layer's parent level."""


def generation(accelerator: str) -> str:
    """The accelerator's generation (its own id when unlisted)."""
    return GENERATIONS.get(accelerator, accelerator)


PRIOR_SOURCE = (
    "estimate (prior, not fitted): kernel-level decode bandwidth efficiency 0.80 (H100 SXM coalesced weight "
    "loads at 78-84 % of peak, mikamirai.com/blog/gpu-memory-bandwidth 2026-03-28), step overhead 0.5 ms per 32 layers "
    "(~100 launches of ~5 us); DESIGN.md published ranges (end-to-end decode bandwidth efficiency 0.45-0.75, "
    "prefill compute efficiency 0.45-0.7, training MFU 0.35-0.46 on H100 BF16); all-reduce latency typical "
    "of NVLink (8 us) or PCIe (20 us) rings; training GEMM efficiency 0.60 (the FLOP term of perf.training, "
    "which models attention, recomputation, memory-bound kernels and tensor-parallel traffic apart: between "
    "the 52 % of peak Megatron-LM sustains end to end, Narayanan et al. 2021, and the 0.80 one large BF16 "
    "matmul reaches in the committed H100 profile); power floor from ML.ENERGY decode readings at 45-100 % of TDP; "
    "serving layer: scheduler 0.5 ms/step and 10 us/sequence (vLLM V1 blog 2025-01-27, CPU overhead of V0), "
    "mixed-step efficiency 0.9 (Sarathi-Serve, OSDI 2024); MoE prompt half length 256 tokens per routed expert "
    "(estimate: an FP8 expert GEMM of m tokens does about 2m FLOP per weight byte and leaves the memory bound "
    "at the H100/B200 ridge points of about 590/560 FLOP/byte, m near 280-300)"
)


def prior(acc: Accelerator) -> Efficiency:
    pcie = acc.form_factor == "pcie"
    return Efficiency(
        id=acc.id,
        decode_bandwidth_efficiency=0.80,
        decode_compute_efficiency=0.50,
        prefill_compute_efficiency=0.55,
        train_compute_efficiency=0.60,
        step_overhead_ms=0.5,
        per_sequence_overhead_us=10.0,
        allreduce_latency_us=20.0 if pcie else 8.0,
        power_activity_floor=0.60,
        ttft_queue_steps=1.0,
        scheduler_ms_per_step=0.5,
        mixed_step_efficiency=0.9,
        engine_prefill_efficiency=1.0,
        moe_prefill_half_tokens=256.0,
        fitted_on=0,
        estimate=True,
        source=PRIOR_SOURCE,
        as_of=dt.date(2026, 11, 1),
    )
