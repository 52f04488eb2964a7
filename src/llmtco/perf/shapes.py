"""Plain-number descriptions of a model and an accelerator for the perf functions."""

from __future__ import annotations

from dataclasses import dataclass

from llmtco.arrays import FloatArray, Num

__all__ = ["FloatArray", "HardwareShape", "ModelShape", "Num"]


@dataclass(frozen=True)
class ModelShape:
    """Transformer architecture in the units the formulas need."""

    params: float
    """All parameters [count]."""
    active_params: float
    """Parameters used per token (MoE: shared part + active experts) [count]."""
    layers: int
    hidden: int
    heads: int
    head_dim: int
    kv_heads: int
    """KV heads for GQA; 1 for MLA (one latent shared by all heads)."""
    kv_values_per_token_layer: int
    """Cached values per token per layer: 2 x kv_heads x head_dim (GQA) or
    kv_lora_rank + qk_rope_head_dim (MLA)."""
    experts: int = 1
    active_experts: int = 1
    sliding_window: int | None = None
    sliding_window_layers: int = 0
    mla_latent_dim: int = 0
    """MLA latent rank ``kv_lora_rank`` (512 in DeepSeek-V3); 0 for GQA/MHA models."""
    vocab: int = 0
    """Vocabulary size [tokens]; 0: unknown (no 16-bit embedding share, no logits in the reservation)."""
    ffn: int = 0
    """MLP intermediate size per expert (dense: the MLP's) [values]; 0: unknown."""
    tied_embeddings: bool = False
    """The LM head shares the input embedding matrix."""

    @property
    def embedding_params(self) -> float:
        """Input embedding plus LM head: vocab x hidden x (1 if tied else 2) [count]."""
        return float(self.vocab * self.hidden * (1 if self.tied_embeddings else 2))

    @property
    def expert_params(self) -> float:
        """Parameters of one routed expert (all layers) [count]; 0 for dense models."""
        if self.experts <= 1:
            return 0.0
        return (self.params - self.active_params) / (self.experts - self.active_experts)

    @property
    def shared_params(self) -> float:
        """Parameters every token uses (attention, embeddings, shared experts) [count]."""
        return self.active_params - self.active_experts * self.expert_params


@dataclass(frozen=True)
class HardwareShape:
    """One accelerator with the efficiency factors fitted for it.

    Fields may be floats or arrays with a leading sample axis.
    """

    vram_gb: Num
    """Memory per GPU [GB, decimal]: the catalog's binary figure converted (``Accelerator.memory_gb``)."""
    hbm_bandwidth_tb_s: Num
    peak_tflops: Num
    """Dense tensor throughput at the compute precision in use [TFLOP/s]."""
    tdp_w: Num
    idle_w: Num
    interconnect_gb_s: Num
    """Scale-up bandwidth per GPU, one direction [GB/s]."""
    decode_bandwidth_efficiency: Num
    decode_compute_efficiency: Num
    prefill_compute_efficiency: Num
    step_overhead_ms: Num
    allreduce_latency_us: Num
    power_activity_floor: Num
    per_sequence_overhead_us: Num = 10.0
    """Host-side time per running sequence per step [us]."""
    ttft_queue_steps: Num = 1.0
    """Decode steps a new request waits before its first token (scheduling, chunked prefill)."""
    usable_vram_fraction: Num = 0.9
    """Share of the total memory the engine may use: vLLM ``gpu_memory_utilization`` (default 0.9)."""
    kv_of_free_memory: bool = False
    """True: ``usable_vram_fraction`` is a share of the memory left after the weights and the reservation,
    as TensorRT-LLM's ``free_gpu_memory_fraction`` (default 0.9) is; False: a share of the total, as vLLM's
    ``gpu_memory_utilization`` and SGLang's ``mem_fraction_static`` are."""
    runtime_overhead_gb: Num | None = None
    """What the engine reserves inside that share besides weights and KV cache [GB]; None: derived from
    the model's shape (``perf.memory.engine_reservation_gb``)."""
    bf16_tflops: Num | None = None
    """Dense BF16 tensor throughput [TFLOP/s], for decode attention over a 16-bit KV cache; None: ``peak_tflops``."""
    fp8_tflops: Num | None = None
    """Dense FP8 tensor throughput [TFLOP/s], for decode attention over an FP8 KV cache; None: ``bf16_tflops``."""
