import pytest

from llmtco.perf.memory import BYTES_PER_WEIGHT, kv_bytes_per_token, kv_shards, kv_tokens_effective, memory_breakdown
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
    hw = simple_hw()
    mem = memory_breakdown(llama8b(), hw, BYTES_PER_WEIGHT["bf16"], 2.0, tp=1, batch=10, context=1000)
    assert mem.weights_gb == pytest.approx(16.06)
    assert mem.kv_cache_gb == pytest.approx(10 * 1000 * 131_072 / 1e9)
    assert mem.usable_gb == pytest.approx(72.0)
    # room = 72 - 16.06 - 2 = 53.94 GB; per sequence 0.131072 GB → 411 sequences
    assert mem.max_batch == 411
    assert mem.fits


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
