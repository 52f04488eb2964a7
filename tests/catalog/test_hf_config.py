"""Model import from a Hugging Face config.json: shapes, parameter counts, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmtco.catalog import load_catalog
from llmtco.catalog.hf_config import shape_from_config
from llmtco.catalog.model_import import model_from_config, overlay_yaml
from llmtco.engine.adapters import efficiency_for
from llmtco.errors import CatalogError

CONFIGS = Path(__file__).parent / "configs"
ALL_CONFIGS = sorted(CONFIGS.glob("*.json"))

# Published parameter counts [billions] (total, active or None) and where they are published.
PUBLISHED: dict[str, tuple[float, float | None, str]] = {
    "Qwen--Qwen3-0.6B": (0.6, None, "Qwen3-0.6B model card"),
    "Qwen--Qwen3-1.7B": (1.7, None, "Qwen3-1.7B model card"),
    "Qwen--Qwen3-4B": (4.0, None, "Qwen3-4B model card"),
    "Qwen--Qwen3-8B": (8.2, None, "Qwen3-8B model card"),
    "Qwen--Qwen3-14B": (14.8, None, "Qwen3-14B model card"),
    "Qwen--Qwen3-32B": (32.8, None, "Qwen3-32B model card"),
    "Qwen--Qwen3-30B-A3B": (30.5, 3.3, "Qwen3-30B-A3B model card"),
    "Qwen--Qwen3-235B-A22B": (235.0, 22.0, "Qwen3-235B-A22B model card"),
    "deepseek-ai--DeepSeek-V3": (
        671.0,
        37.0,
        "DeepSeek-V3 technical report (arXiv:2412.19437), without the MTP module",
    ),
    "deepseek-ai--DeepSeek-R1": (671.0, 37.0, "DeepSeek-R1 model card"),
    "moonshotai--Kimi-K2-Instruct": (1040.0, 32.6, "Kimi K2 technical report (arXiv:2507.20534)"),
    "meta-llama--Llama-3.2-1B-Instruct": (1.23, None, "Llama 3.2 model card"),
    "meta-llama--Llama-3.2-3B-Instruct": (3.21, None, "Llama 3.2 model card"),
    "meta-llama--Meta-Llama-3.1-8B": (8.03, None, "Hugging Face safetensors count"),
    "meta-llama--Meta-Llama-3.1-70B": (70.6, None, "Hugging Face safetensors count"),
    "meta-llama--Meta-Llama-3.1-405B": (405.9, None, "Hugging Face safetensors count"),
    "meta-llama--Llama-4-Scout-17B-16E-Instruct": (109.0, 17.0, "Llama 4 model card (incl. the vision encoder)"),
    "meta-llama--Llama-4-Maverick-17B-128E-Instruct": (400.0, 17.0, "Llama 4 model card"),
    "mistralai--Mistral-Small-24B-Instruct-2501": (23.6, None, "Hugging Face safetensors count (24B on the card)"),
    "mistralai--Mistral-Large-Instruct-2411": (123.0, None, "Mistral Large 2411 model card"),
    "mistralai--Mixtral-8x7B-v0.1": (46.7, 12.9, "https://mistral.ai/news/mixtral-of-experts"),
    "mistralai--Mixtral-8x22B-v0.1": (141.0, 39.0, "https://mistral.ai/news/mixtral-8x22b"),
    "google--gemma-3-1b-it": (
        1.000,
        None,
        "Gemma 3 technical report (arXiv:2503.19786) Table 1, embedding + non-embedding",
    ),
    "google--gemma-3-4b-it": (3.884, None, "Gemma 3 technical report Table 1, language model only"),
    "google--gemma-3-12b-it": (11.771, None, "Gemma 3 technical report Table 1, language model only"),
    "google--gemma-3-27b-it": (27.016, None, "Gemma 3 technical report Table 1, language model only"),
    # The gpt-oss model card counts active parameters without the input embedding table
    # (a lookup, 201088 x 2880 = 0.579B); the importer counts it, as the other publishers do.
    "openai--gpt-oss-120b": (116.83, 5.13 + 0.579, "gpt-oss model card (active + input embedding)"),
    "openai--gpt-oss-20b": (20.91, 3.61 + 0.579, "gpt-oss model card (active + input embedding)"),
    "meta-llama--Llama-3.3-70B-Instruct": (70.6, None, "Hugging Face safetensors count (as Llama 3.1 70B)"),
    "meta-llama--Llama-2-70b-hf": (70.0, None, "Llama 2 paper (arXiv:2307.09288) Table 1: 70B"),
    "Qwen--Qwen2.5-7B-Instruct": (7.61, None, "Qwen2.5-7B-Instruct model card"),
    "Qwen--Qwen2.5-14B-Instruct": (14.7, None, "Qwen2.5-14B-Instruct model card"),
    "Qwen--Qwen2.5-32B-Instruct": (32.5, None, "Qwen2.5-32B-Instruct model card (the shapes give 32.76B)"),
    "Qwen--Qwen2.5-72B-Instruct": (72.7, None, "Qwen2.5-72B-Instruct model card"),
    "mistralai--Mistral-7B-Instruct-v0.3": (7.3, None, "docs.mistral.ai models/weights: Mistral-7B-v0.3 7.3B"),
    # Import-only configs (no catalog record). DeepSeek-V2's paper also leaves the input embedding
    # (102400 x 2048 = 0.210B) out of its activated count.
    "deepseek-ai--DeepSeek-V2-Lite-Chat": (15.7, 2.4 + 0.210, "DeepSeek-V2 paper (arXiv:2405.04434), Lite"),
    "Qwen--Qwen1.5-MoE-A2.7B": (14.3, 2.7, "Qwen1.5-MoE-A2.7B model card"),
}

# Bundled catalog record each config must reproduce.
CATALOG_ID = {
    "Qwen--Qwen3-0.6B": "qwen3-0.6b",
    "Qwen--Qwen3-1.7B": "qwen3-1.7b",
    "Qwen--Qwen3-4B": "qwen3-4b",
    "Qwen--Qwen3-8B": "qwen3-8b",
    "Qwen--Qwen3-14B": "qwen3-14b",
    "Qwen--Qwen3-32B": "qwen3-32b",
    "Qwen--Qwen3-30B-A3B": "qwen3-30b-a3b",
    "Qwen--Qwen3-235B-A22B": "qwen3-235b-a22b",
    "deepseek-ai--DeepSeek-V3": "deepseek-v3",
    "deepseek-ai--DeepSeek-R1": "deepseek-r1",
    "moonshotai--Kimi-K2-Instruct": "kimi-k2",
    "meta-llama--Llama-3.2-1B-Instruct": "llama-3.2-1b",
    "meta-llama--Llama-3.2-3B-Instruct": "llama-3.2-3b",
    "meta-llama--Meta-Llama-3.1-8B": "llama-3.1-8b",
    "meta-llama--Meta-Llama-3.1-70B": "llama-3.1-70b",
    "meta-llama--Meta-Llama-3.1-405B": "llama-3.1-405b",
    "meta-llama--Llama-4-Scout-17B-16E-Instruct": "llama-4-scout",
    "meta-llama--Llama-4-Maverick-17B-128E-Instruct": "llama-4-maverick",
    "mistralai--Mistral-Small-24B-Instruct-2501": "mistral-small-24b",
    "mistralai--Mistral-Large-Instruct-2411": "mistral-large-2411",
    "mistralai--Mixtral-8x7B-v0.1": "mixtral-8x7b",
    "mistralai--Mixtral-8x22B-v0.1": "mixtral-8x22b",
    "google--gemma-3-1b-it": "gemma-3-1b",
    "google--gemma-3-4b-it": "gemma-3-4b",
    "google--gemma-3-12b-it": "gemma-3-12b",
    "google--gemma-3-27b-it": "gemma-3-27b",
    "openai--gpt-oss-120b": "gpt-oss-120b",
    "openai--gpt-oss-20b": "gpt-oss-20b",
    "meta-llama--Llama-3.3-70B-Instruct": "llama-3.3-70b",
    # The base model's file: Llama 2 70B Chat is a fine-tune with the same architecture (see SOURCES.md).
    "meta-llama--Llama-2-70b-hf": "llama-2-70b",
    "Qwen--Qwen2.5-7B-Instruct": "qwen2.5-7b",
    "Qwen--Qwen2.5-14B-Instruct": "qwen2.5-14b",
    "Qwen--Qwen2.5-32B-Instruct": "qwen2.5-32b",
    "Qwen--Qwen2.5-72B-Instruct": "qwen2.5-72b",
    "mistralai--Mistral-7B-Instruct-v0.3": "mistral-7b",
}
# Records whose bundled active count follows its publisher's convention (no input embedding).
ACTIVE_WITHOUT_INPUT_EMBEDDING = {"gpt-oss-120b", "gpt-oss-20b"}

SHAPE_FIELDS = (
    "layers",
    "hidden",
    "heads",
    "kv_heads",
    "head_dim",
    "ffn",
    "vocab",
    "experts",
    "active_experts",
    "shared_experts",
    "attention",
    "kv_lora_rank",
    "qk_rope_head_dim",
    "sliding_window",
    "sliding_window_layers",
    "context_max",
    "default_precision",
)


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CONFIGS / f"{name}.json").read_text())
    return data


def test_every_bundled_config_has_a_published_count() -> None:
    names = {p.stem for p in ALL_CONFIGS}
    assert names == set(PUBLISHED) and set(CATALOG_ID) <= names
    assert len(CATALOG_ID) == 35


def test_every_bundled_model_has_its_config_fixture() -> None:
    """A new bundled model must come with its published config.json here."""
    bundled = {m.id for m in load_catalog().models}
    assert bundled == set(CATALOG_ID.values())


@pytest.mark.parametrize("path", ALL_CONFIGS, ids=lambda p: p.stem)
def test_config_imports_with_published_parameter_counts(path: Path) -> None:
    total_b, active_b, where = PUBLISHED[path.stem]
    s = shape_from_config(json.loads(path.read_text()), path.name)
    assert s.params_b == pytest.approx(total_b, rel=0.02), where
    if active_b is not None:
        assert s.experts > 1
        assert s.active_params_b == pytest.approx(active_b, rel=0.02), where
    else:
        assert s.experts == 1 and s.active_params == s.params
    assert 0 < s.active_params <= s.params


@pytest.mark.parametrize("path", [p for p in ALL_CONFIGS if p.stem in CATALOG_ID], ids=lambda p: p.stem)
def test_imported_config_reproduces_the_bundled_record(path: Path) -> None:
    bundled = load_catalog().models.get(CATALOG_ID[path.stem])
    imported = model_from_config(path, bundled.id)
    for field in SHAPE_FIELDS:
        assert getattr(imported, field) == getattr(bundled, field), field
    moe_layers = (
        bundled.moe_layers if bundled.moe_layers is not None else (bundled.layers if bundled.experts > 1 else None)
    )
    assert imported.moe_layers == moe_layers
    assert imported.params_b == pytest.approx(bundled.params_b, rel=0.02)
    active = imported.active_b
    if bundled.id in ACTIVE_WITHOUT_INPUT_EMBEDDING:
        active -= imported.vocab * imported.hidden / 1e9
    assert active == pytest.approx(bundled.active_b, rel=0.02)


def test_llama2_float16_default_takes_the_16_bit_fits() -> None:
    """Llama 2's config.json says float16; FP16 runs at the BF16 rate, so the bf16 fits answer for it."""
    cat = load_catalog()
    assert cat.models.get("llama-2-70b").default_precision == "fp16"
    assert efficiency_for(cat, "b200", "vllm", "fp16").id == "b200@vllm@bf16"
    assert efficiency_for(cat, "b200", "vllm", "fp16") == efficiency_for(cat, "b200", "vllm", "bf16")


def test_mixtral_count_by_hand() -> None:
    """Mixtral 8x7B: 32 layers of GQA attention, 8 SwiGLU experts (2 per token), router, norms, untied head."""
    h, ffn, layers, vocab = 4096, 14336, 32, 32000
    attn = h * 4096 + 2 * h * 1024 + 4096 * h
    expert = 3 * h * ffn
    per_layer_norms = 2 * h
    total = layers * (attn + 8 * expert + h * 8 + per_layer_norms) + 2 * vocab * h + h
    active = layers * (attn + 2 * expert + h * 8 + per_layer_norms) + 2 * vocab * h + h
    s = shape_from_config(_load("mistralai--Mixtral-8x7B-v0.1"))
    assert (s.params, s.active_params) == (total, active)


def test_mla_kv_cache_and_dense_layers_of_deepseek() -> None:
    s = shape_from_config(_load("deepseek-ai--DeepSeek-V3"))
    assert s.attention == "mla" and (s.kv_lora_rank, s.qk_rope_head_dim) == (512, 64)
    assert s.moe_layers == 61 - 3  # first_k_dense_replace = 3
    assert s.shared_experts == 1 and s.default_precision == "fp8"


def test_sliding_window_layers_from_layer_types_and_pattern() -> None:
    oss = shape_from_config(_load("openai--gpt-oss-120b"))
    assert (oss.sliding_window, oss.sliding_window_layers) == (128, 18)
    gemma = shape_from_config(_load("google--gemma-3-27b-it"))
    assert (gemma.sliding_window, gemma.sliding_window_layers) == (1024, 62 - 62 // 6)
    qwen = shape_from_config(_load("Qwen--Qwen3-8B"))
    assert qwen.sliding_window is None


def test_gemma3_text_config_takes_the_transformers_defaults() -> None:
    raw = _load("google--gemma-3-4b-it")
    assert "num_attention_heads" not in raw["text_config"] and "vocab_size" not in raw["text_config"]
    s = shape_from_config(raw)
    assert (s.heads, s.kv_heads, s.head_dim, s.vocab, s.tied_embeddings) == (8, 4, 256, 262208, True)
    assert (s.sliding_window, s.sliding_window_layers) == (1024, 34 - 34 // 6)


def test_llama4_interleaved_moe_reads_text_config() -> None:
    mav = shape_from_config(_load("meta-llama--Llama-4-Maverick-17B-128E-Instruct"))
    scout = shape_from_config(_load("meta-llama--Llama-4-Scout-17B-16E-Instruct"))
    assert (mav.moe_layers, scout.moe_layers) == (24, 48)
    assert mav.experts == 128 and mav.shared_experts == 1 and mav.active_experts == 1


def test_mla_without_query_lora_and_a_gated_shared_expert() -> None:
    lite = shape_from_config(_load("deepseek-ai--DeepSeek-V2-Lite-Chat"))
    assert (lite.attention, lite.moe_layers, lite.shared_experts, lite.active_experts) == ("mla", 26, 2, 6)
    qwen = shape_from_config(_load("Qwen--Qwen1.5-MoE-A2.7B"))
    assert (qwen.experts, qwen.shared_experts, qwen.sliding_window) == (60, 1, None)


def test_unknown_architecture_names_model_type() -> None:
    raw = {**_load("Qwen--Qwen3-8B"), "model_type": "falcon"}
    with pytest.raises(CatalogError, match=r"'model_type' is 'falcon'.*Supported: llama"):
        shape_from_config(raw, "x.json")


@pytest.mark.parametrize(
    ("name", "key", "shown"),
    [
        ("Qwen--Qwen3-8B", "hidden_size", "'hidden_size'"),
        ("deepseek-ai--DeepSeek-V3", "n_routed_experts", "'n_routed_experts'"),
        ("deepseek-ai--DeepSeek-V3", "qk_nope_head_dim", "'qk_nope_head_dim'"),
        ("meta-llama--Llama-4-Scout-17B-16E-Instruct", "num_hidden_layers", "'text_config.num_hidden_layers'"),
    ],
)
def test_missing_key_is_named(name: str, key: str, shown: str) -> None:
    raw = _load(name)
    target = raw.get("text_config", raw)
    del target[key]
    with pytest.raises(CatalogError, match=f"config key {shown} is missing"):
        shape_from_config(raw, f"{name}.json")


def test_bad_json_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "config.json"
    bad.write_text('{"model_type": "llama",')
    with pytest.raises(CatalogError, match=r"config.json:1:\d+: not valid JSON"):
        model_from_config(bad, "x")
    with pytest.raises(CatalogError, match="cannot read the model config"):
        model_from_config(tmp_path / "nope.json", "x")


def test_overlay_round_trip_carries_the_file_hash(tmp_path: Path) -> None:
    src = CONFIGS / "Qwen--Qwen3-30B-A3B.json"
    rec = model_from_config(src, "my-moe")
    assert rec.source.startswith("config.json sha256:") and len(rec.source) == len("config.json sha256:") + 64
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(overlay_yaml(rec))
    loaded = load_catalog([overlay]).models.get("my-moe")
    assert loaded.overlay and loaded.model_dump(exclude={"overlay"}) == rec.model_dump(exclude={"overlay"})
