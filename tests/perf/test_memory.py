from dataclasses import replace

import pytest

from llmtco.perf.memory import (
    BYTES_PER_WEIGHT,
    engine_reservation_gb,
    kv_bytes_per_token,
    kv_shards,
    kv_tokens_effective,
    memory_breakdown,
    model_weights_gb,
    weights_bytes,
)
from llmtco.perf.shapes import ModelShape
from tests.conftest import llama8b, simple_hw


def test_kv_bytes_per_token_gqa_llama8b() -> None:
    # 2 (K and V) x 32 layers x 8 KV heads x 128 dims x 2 bytes = 131,072 B
    assert kv_bytes_per_token(llama8b(), 2.0) == 131_072


def test_kv_bytes_per_token_mla_deepseek_v3() -> None:
    # MLA caches one latent (512) + rope key (64) per layer: 61 x 576 x 1 byte (fp8)
    ds = ModelShape(
        params=671e9,
        active_params=37e9,
        layers=61,
        hidden=7168,
        heads=128,
        head_dim=192,
        kv_heads=1,
        kv_values_per_token_layer=512 + 64,
        experts=256,
        active_experts=8,
    )
    assert kv_bytes_per_token(ds, 1.0) == 61 * 576
    assert kv_shards(ds, 8) == 1  # the latent is replicated, not split over TP


def test_kv_shards_limited_by_kv_heads() -> None:
    assert kv_shards(llama8b(), 4) == 4
    assert kv_shards(llama8b(), 16) == 8


def test_sliding_window_caps_cached_tokens() -> None:
    m = ModelShape(
        params=1e9,
        active_params=1e9,
        layers=4,
        hidden=64,
        heads=1,
        head_dim=64,
        kv_heads=1,
        kv_values_per_token_layer=128,
        sliding_window=128,
        sliding_window_layers=2,
    )
    # half the layers keep 10,000 tokens, half keep 128
    assert kv_tokens_effective(m, 10_000) == pytest.approx((2 * 10_000 + 2 * 128) / 4)


def test_memory_breakdown_hand_worked() -> None:
    hw = simple_hw(runtime_overhead_gb=2.0)
    mem = memory_breakdown(llama8b(), hw, BYTES_PER_WEIGHT["bf16"], 2.0, tp=1, batch=10, context=1000)
    assert mem.weights_gb == pytest.approx(16.06)
    assert mem.kv_cache_gb == pytest.approx(10 * 1000 * 131_072 / 1e9)
    # 0.9 of the 79.22 GB CUDA reports of 80 (CUDA_TOTAL_FRACTION)
    assert mem.usable_gb == pytest.approx(0.9 * 79.22)
    # room = 71.298 - 16.06 - 2 = 53.238 GB; per sequence 0.131072 GB -> 406 sequences
    assert mem.max_batch == 406
    assert mem.fits


def test_quantized_checkpoint_keeps_16_bit_embeddings() -> None:
    # Llama 3.1 8B, untied: 2 x 128,256 x 4,096 = 1.0507e9 parameters stay at 2 B under FP8
    m = replace(llama8b(), vocab=128_256, ffn=14_336)
    embed = 2 * 128_256 * 4096
    assert m.embedding_params == embed
    assert weights_bytes(m.params, m.embedding_params, 1.0) == pytest.approx(8.03e9 - embed + 2 * embed)
    assert model_weights_gb(m, 2.0) == pytest.approx(16.06)  # 16-bit checkpoints are unchanged
    tied = replace(m, tied_embeddings=True)
    assert tied.embedding_params == embed / 2
    assert model_weights_gb(tied, 0.5, shards=2) == pytest.approx(((8.03e9 - embed / 2) * 0.5 + embed) / 2 / 1e9)


def test_engine_reservation_hand_worked_llama8b() -> None:
    m = replace(llama8b(), vocab=128_256, ffn=14_336)
    hidden = 4 * 8192 * 4096 * 2  # four [tokens, hidden] BF16 buffers
    mlp = 8192 * 3 * 14_336 * 2  # gate/up output and activation
    logits = 2 * 256 * 128_256 * 4  # FP32 logits and probabilities of 256 requests
    activations = hidden + mlp + logits
    # 1.15 GiB, against 1.26 GiB in vLLM PR #10511's log for Llama-3-8B on an H100
    assert activations / 2**30 == pytest.approx(1.151, abs=1e-3)
    assert engine_reservation_gb(m, 1) == pytest.approx(activations / 1e9 + 0.16 * 2**30 / 1e9)
    tp2 = (hidden + mlp / 2 + logits) / 1e9 + (0.16 + 1.79) * 2**30 / 1e9
    assert engine_reservation_gb(m, 2) == pytest.approx(tp2)


def test_derived_reservation_is_used_and_reported() -> None:
    m = replace(llama8b(), vocab=128_256, ffn=14_336)
    mem = memory_breakdown(m, simple_hw(), 2.0, 2.0, tp=1, batch=1, context=1000)
    assert mem.runtime_overhead_gb == pytest.approx(engine_reservation_gb(m, 1))
    fixed = memory_breakdown(m, simple_hw(runtime_overhead_gb=3.0), 2.0, 2.0, tp=1, batch=1, context=1000)
    assert fixed.runtime_overhead_gb == 3.0
    assert float(fixed.max_batch) < float(mem.max_batch)


def test_does_not_fit_when_weights_exceed_memory() -> None:
    big = ModelShape(
        params=405e9,
        active_params=405e9,
        layers=126,
        hidden=16384,
        heads=128,
        head_dim=128,
        kv_heads=8,
        kv_values_per_token_layer=2 * 8 * 128,
    )
    mem = memory_breakdown(big, simple_hw(), 2.0, 2.0, tp=8, batch=1, context=1000)
    assert not mem.fits  # 101 GB of weights per GPU > 72 GB usable
    assert mem.max_batch == 0


def test_four_bit_formats_include_scales() -> None:
    assert BYTES_PER_WEIGHT["fp4"] == pytest.approx(0.5625)
    assert BYTES_PER_WEIGHT["mxfp4"] == pytest.approx(0.53125)
    assert 0.5 < BYTES_PER_WEIGHT["int4"] < 0.6


def test_catalog_memory_is_binary_and_shapes_carry_embeddings() -> None:
    from llmtco.catalog import load_catalog
    from llmtco.engine.adapters import model_shape

    cat = load_catalog()
    h100 = cat.accelerators.get("h100-sxm")
    assert h100.memory_gb == pytest.approx(80 * 2**30 / 1e9)  # 85.90 GB
    # NVML read 85.52e9 B on one (examples/calibration/h100-sxm-measured.json): within 0.5 %
    assert h100.memory_gb == pytest.approx(85.52, rel=0.005)
    # Llama 3.2 1B ties its LM head to the embeddings (config.json), Llama 3.1 8B does not
    assert model_shape(cat.models.get("llama-3.2-1b")).tied_embeddings
    big = model_shape(cat.models.get("llama-3.1-8b"))
    assert not big.tied_embeddings
    assert big.embedding_params == 2 * 128_256 * 4096
