"""Derive a catalog ``Model`` from a Hugging Face ``config.json`` (a local file, never a download).

Reads dense, GQA, MLA (DeepSeek-V2/V3, Kimi K2), sliding-window (Gemma 2/3,
gpt-oss, Mistral) and MoE (Mixtral, Qwen-MoE, DeepSeek, Llama 4, gpt-oss)
configs, including multimodal configs whose language model sits under
``text_config`` (Gemma 3, Llama 4). Parameter counts are computed from the
shapes, matrix by matrix:

- embeddings ``vocab x hidden``, plus an lm_head of the same size unless tied;
- attention: GQA ``q, o = hidden x heads x head_dim``, ``k, v = hidden x kv_heads x head_dim``
  (+ biases where the model has them); MLA ``q_a, q_b, kv_a, kv_b, o`` projections and their norms;
- a gated (SwiGLU / GeGLU) FFN has three matrices: ``3 x hidden x ffn``;
- MoE layers: routed experts (+ shared experts) of ``3 x hidden x expert_ffn`` each and a
  router ``hidden x experts``; dense layers in MoE models (DeepSeek ``first_k_dense_replace``,
  Llama 4 ``interleave_moe_layer_step``, Qwen ``mlp_only_layers``) keep a dense FFN;
- RMSNorm weights (2 per layer + final; QK-norm where present).

Active parameters per token are the same sum with only the shared and
``experts per token`` routed experts of each MoE layer, embeddings included.
Multi-token-prediction heads (DeepSeek ``num_nextn_predict_layers``) and vision
towers are not counted: published totals leave them out (DeepSeek-V3 671B) or
the text model is what is served. Unknown architectures and missing keys raise
``CatalogError`` naming the key. Reading the file and building the catalog record
is ``catalog.model_import``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from llmtco.errors import CatalogError

SUPPORTED_MODEL_TYPES = (
    "llama",
    "mistral",
    "mixtral",
    "qwen2",
    "qwen3",
    "qwen2_moe",
    "qwen3_moe",
    "gemma",
    "gemma2",
    "gemma3",
    "gemma3_text",
    "deepseek_v2",
    "deepseek_v3",
    "kimi_k2",
    "llama4",
    "llama4_text",
    "gpt_oss",
)
"""``model_type`` values the importer knows (gated-FFN decoder-only transformers)."""

_TIED_BY_DEFAULT = ("gemma", "gemma2", "gemma3", "gemma3_text")
"""Model types whose transformers config class ties lm_head to the embeddings by default."""

_NESTED_DEFAULTS: dict[str, dict[str, Any]] = {
    # transformers' Gemma3TextConfig defaults: Gemma 3 multimodal config.json files write only the
    # text_config keys that differ from these (gemma-3-4b-it gives 6 keys).
    "gemma3_text": {
        "vocab_size": 262208,
        "hidden_size": 2304,
        "intermediate_size": 9216,
        "num_hidden_layers": 26,
        "num_attention_heads": 8,
        "num_key_value_heads": 4,
        "head_dim": 256,
        "max_position_embeddings": 131072,
        "sliding_window": 4096,
        "sliding_window_pattern": 6,
        "tie_word_embeddings": True,
    },
}
"""Defaults of the transformers config class for a ``text_config`` that leaves keys out."""

_PRECISION_BY_QUANT = {"fp8": "fp8", "mxfp4": "mxfp4", "awq": "int4", "gptq": "int4", "modelopt": "fp8"}
_PRECISION_BY_DTYPE = {"bfloat16": "bf16", "float16": "fp16", "float32": "bf16"}


@dataclass(frozen=True)
class ConfigShape:
    """A transformer's shape and parameter counts, derived from its config.json."""

    model_type: str
    architecture: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    """KV heads (GQA); for MLA the query heads (each reads the shared latent)."""
    head_dim: int
    """Query/key head width [values]; MLA: qk_nope_head_dim + qk_rope_head_dim."""
    ffn: int
    """FFN width [values]: the routed expert width for MoE models, else the dense width."""
    vocab: int
    context_max: int
    """max_position_embeddings [tokens]."""
    experts: int
    """Routed experts per MoE layer (1 for dense models)."""
    active_experts: int
    """Routed experts per token (1 for dense models)."""
    shared_experts: int
    """Shared experts every token uses, per MoE layer (0 when none)."""
    moe_layers: int
    """Layers with a MoE FFN (0 for dense models)."""
    attention: str
    """``gqa`` or ``mla``."""
    kv_lora_rank: int | None
    qk_rope_head_dim: int | None
    sliding_window: int | None
    """Window of the sliding-window (or chunked local) attention layers [tokens]."""
    sliding_window_layers: int
    tied_embeddings: bool
    params: int
    """All parameters [count]."""
    active_params: int
    """Parameters used per token, embeddings included [count]."""
    default_precision: str

    @property
    def params_b(self) -> float:
        return self.params / 1e9

    @property
    def active_params_b(self) -> float:
        return self.active_params / 1e9


class _Cfg:
    """A config mapping that names the missing key (with its path) in its errors."""

    def __init__(self, data: dict[str, Any], file: str, prefix: str = "") -> None:
        self.data = data
        self.file = file
        self.prefix = prefix

    def need(self, *keys: str) -> Any:
        for key in keys:
            value = self.data.get(key)
            if value is not None:
                return value
        names = " or ".join(repr(self.prefix + k) for k in keys)
        raise CatalogError(f"{self.file}: config key {names} is missing; cannot derive the model shape")

    def int(self, *keys: str) -> int:
        value = self.need(*keys)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CatalogError(
                f"{self.file}: config key {self.prefix + keys[0]!r} must be a whole number, got {value!r}"
            )
        return value

    def get(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key)
        return default if value is None else value


def _text_part(raw: dict[str, Any], file: str) -> tuple[_Cfg, str, str]:
    """The language-model part of a config (``text_config`` for multimodal ones), its model_type, architecture."""
    archs = raw.get("architectures") or [""]
    arch = str(archs[0]) if isinstance(archs, list) and archs else ""
    outer_type = str(raw.get("model_type", ""))
    if isinstance(raw.get("text_config"), dict):
        inner = raw["text_config"]
        model_type = str(inner.get("model_type") or outer_type)
        defaults = _NESTED_DEFAULTS.get(model_type, {})
        cfg = _Cfg({**defaults, **inner}, file, "text_config.")
    else:
        cfg = _Cfg(raw, file)
        model_type = outer_type
    if not model_type:
        raise CatalogError(f"{file}: config key 'model_type' is missing; cannot tell the architecture")
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise CatalogError(
            f"{file}: config key 'model_type' is {model_type!r}, an architecture the importer does not know. "
            f"Supported: {', '.join(SUPPORTED_MODEL_TYPES)}."
        )
    return cfg, model_type, arch


@dataclass(frozen=True)
class _Moe:
    experts: int
    active: int
    shared: int
    expert_ffn: int
    shared_ffn: int
    moe_layer: Callable[[int], bool]
    expert_bias: bool = False
    shared_gate: bool = False
    router_bias: bool = False


def _moe(cfg: _Cfg, model_type: str, layers: int) -> _Moe | None:
    """The MoE layout of a config, or None for a dense model."""
    if model_type in ("deepseek_v2", "deepseek_v3", "kimi_k2"):
        first_dense = int(cfg.get("first_k_dense_replace", 0))
        freq = int(cfg.get("moe_layer_freq", 1))
        ffn = cfg.int("moe_intermediate_size")
        return _Moe(
            experts=cfg.int("n_routed_experts"),
            active=cfg.int("num_experts_per_tok"),
            shared=int(cfg.get("n_shared_experts", 0)),
            expert_ffn=ffn,
            shared_ffn=ffn,
            moe_layer=lambda i: i >= first_dense and i % freq == 0,
            router_bias=model_type != "deepseek_v2",  # V3's e_score_correction_bias
        )
    if model_type in ("qwen2_moe", "qwen3_moe"):
        step = int(cfg.get("decoder_sparse_step", 1))
        dense_only = set(cfg.get("mlp_only_layers", []))
        shared_ffn = int(cfg.get("shared_expert_intermediate_size", 0))
        return _Moe(
            experts=cfg.int("num_experts"),
            active=cfg.int("num_experts_per_tok"),
            shared=1 if shared_ffn else 0,
            expert_ffn=cfg.int("moe_intermediate_size"),
            shared_ffn=shared_ffn,
            moe_layer=lambda i: i not in dense_only and (i + 1) % step == 0,
            shared_gate=bool(shared_ffn),
        )
    if model_type in ("llama4", "llama4_text"):
        step = int(cfg.get("interleave_moe_layer_step", 1))
        moe_idx = cfg.get("moe_layers")
        chosen = set(moe_idx) if isinstance(moe_idx, list) else {i for i in range(layers) if (i + 1) % step == 0}
        ffn = cfg.int("intermediate_size")
        return _Moe(
            experts=cfg.int("num_local_experts"),
            active=cfg.int("num_experts_per_tok"),
            shared=1,
            expert_ffn=ffn,
            shared_ffn=ffn,
            moe_layer=lambda i: i in chosen,
        )
    if model_type in ("mixtral", "gpt_oss"):
        return _Moe(
            experts=cfg.int("num_local_experts"),
            active=cfg.int("num_experts_per_tok", "experts_per_token"),
            shared=0,
            expert_ffn=cfg.int("intermediate_size"),
            shared_ffn=0,
            moe_layer=lambda i: True,
            expert_bias=model_type == "gpt_oss",
            router_bias=model_type == "gpt_oss",
        )
    return None


def _sliding(cfg: _Cfg, model_type: str, layers: int) -> tuple[int | None, int]:
    """(window, layers using it); (None, 0) when every layer attends to the full context."""
    layer_types = cfg.get("layer_types")
    window = cfg.get("sliding_window")
    if model_type in ("llama4", "llama4_text") and cfg.get("attention_chunk_size"):
        # iRoPE: 3 of 4 layers attend within chunks of attention_chunk_size (at most that many
        # tokens of KV); the NoPE layers (no_rope_layers == 0) attend globally.
        nope = cfg.get("no_rope_layers")
        local = sum(1 for x in nope if x) if isinstance(nope, list) and nope else layers - layers // 4
        return int(cfg.get("attention_chunk_size")), local
    if isinstance(layer_types, list) and layer_types:
        local = sum(1 for t in layer_types if t == "sliding_attention")
        return (int(window), local) if window and local else (None, 0)
    if not window or cfg.get("use_sliding_window") is False:
        return None, 0
    if model_type in ("gemma3", "gemma3_text"):
        pattern = int(cfg.get("sliding_window_pattern", 6))  # every pattern-th layer is global
        return int(window), layers - layers // pattern
    if model_type == "gemma2":
        return int(window), layers - layers // 2  # even layers slide, odd layers are global
    if model_type in ("qwen2", "qwen3", "qwen2_moe", "qwen3_moe"):
        return None, 0  # Qwen writes sliding_window but uses it only with use_sliding_window
    return int(window), layers


def _precision(raw: dict[str, Any], cfg: _Cfg) -> str:
    quant = raw.get("quantization_config")
    if isinstance(quant, dict):
        method = str(quant.get("quant_method", "")).lower()
        if method in _PRECISION_BY_QUANT:
            return _PRECISION_BY_QUANT[method]
    dtype = str(cfg.get("torch_dtype") or cfg.get("dtype") or raw.get("torch_dtype") or "bfloat16")
    return _PRECISION_BY_DTYPE.get(dtype, "bf16")


def shape_from_config(raw: dict[str, Any], file: str = "config.json") -> ConfigShape:
    """Shape and parameter counts of the model a config.json describes."""
    if not isinstance(raw, dict):
        raise CatalogError(f"{file}: a config.json is a JSON object with the model's hyperparameters")
    cfg, model_type, arch = _text_part(raw, file)
    layers = cfg.int("num_hidden_layers")
    hidden = cfg.int("hidden_size")
    heads = cfg.int("num_attention_heads")
    vocab = cfg.int("vocab_size")
    context = cfg.int("max_position_embeddings")
    tied = bool(cfg.get("tie_word_embeddings", raw.get("tie_word_embeddings", model_type in _TIED_BY_DEFAULT)))
    mla = cfg.get("kv_lora_rank") is not None

    # attention, per layer
    if mla:
        rank = cfg.int("kv_lora_rank")
        rope = cfg.int("qk_rope_head_dim")
        nope = cfg.int("qk_nope_head_dim")
        v_dim = cfg.int("v_head_dim")
        q_rank = cfg.get("q_lora_rank")
        q_proj = (
            (hidden * q_rank + q_rank + q_rank * heads * (nope + rope)) if q_rank else hidden * heads * (nope + rope)
        )
        attn = q_proj + hidden * (rank + rope) + rank + rank * heads * (nope + v_dim) + heads * v_dim * hidden
        kv_heads, head_dim = heads, nope + rope
    else:
        kv_heads = cfg.int("num_key_value_heads") if "num_key_value_heads" in cfg.data else heads
        head_dim = int(cfg.get("head_dim") or hidden // heads)
        q_out, kv_out = heads * head_dim, kv_heads * head_dim
        attn = hidden * q_out + 2 * hidden * kv_out + q_out * hidden
        if cfg.get("attention_bias") or model_type in ("qwen2", "qwen2_moe"):
            attn += q_out + 2 * kv_out + (hidden if model_type == "gpt_oss" else 0)
        if model_type in ("qwen3", "qwen3_moe", "gemma3", "gemma3_text"):
            attn += 2 * head_dim  # q_norm, k_norm
        if model_type == "gpt_oss":
            attn += heads  # attention sinks
    norms = (4 if model_type.startswith("gemma") and model_type != "gemma" else 2) * hidden

    moe = _moe(cfg, model_type, layers)
    dense_ffn = (
        int(cfg.get("intermediate_size_mlp") or cfg.get("intermediate_size") or 0)
        if moe is not None
        else cfg.int("intermediate_size")
    )
    total = active = 0
    moe_layers = 0
    for i in range(layers):
        total += attn + norms
        active += attn + norms
        if moe is not None and moe.moe_layer(i):
            moe_layers += 1
            expert = 3 * hidden * moe.expert_ffn + ((2 * moe.expert_ffn + hidden) if moe.expert_bias else 0)
            shared = moe.shared * 3 * hidden * moe.shared_ffn + (hidden if moe.shared_gate else 0)
            router = hidden * moe.experts + (moe.experts if moe.router_bias else 0)
            total += moe.experts * expert + shared + router
            active += moe.active * expert + shared + router
        else:
            if not dense_ffn:
                raise CatalogError(f"{file}: config key {cfg.prefix + 'intermediate_size'!r} is missing")
            total += 3 * hidden * dense_ffn
            active += 3 * hidden * dense_ffn
    embed = vocab * hidden * (1 if tied else 2) + hidden  # + final norm
    total += embed
    active += embed

    window, window_layers = _sliding(cfg, model_type, layers)
    return ConfigShape(
        model_type=model_type,
        architecture=arch,
        layers=layers,
        hidden=hidden,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        ffn=moe.expert_ffn if moe is not None else dense_ffn,
        vocab=vocab,
        context_max=context,
        experts=moe.experts if moe is not None else 1,
        active_experts=moe.active if moe is not None else 1,
        shared_experts=moe.shared if moe is not None else 0,
        moe_layers=moe_layers,
        attention="mla" if mla else "gqa",
        kv_lora_rank=cfg.int("kv_lora_rank") if mla else None,
        qk_rope_head_dim=cfg.int("qk_rope_head_dim") if mla else None,
        sliding_window=window,
        sliding_window_layers=window_layers,
        tied_embeddings=tied,
        params=total,
        active_params=active,
        default_precision=_precision(raw, cfg),
    )
