"""Rows whose serving layout the corpus cannot predict stay unmapped with the condition they state;
precisions are read from the row's own words (FP16 as BF16, MXFP4 apart from NVFP4)."""

import csv
from pathlib import Path

import pytest

from llmtco.calibration.corpus import Case, Unmapped, map_row
from llmtco.calibration.row_layout import row_layout
from llmtco.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2] / "src/llmtco/calibration"
HOLDOUT = {r["id"]: r for r in csv.DictReader((ROOT / "data/measurements-2026.csv").read_text("utf-8").splitlines())}
PUBLISHED = {
    r["id"]: r for r in csv.DictReader((ROOT / "data/published-measurements.csv").read_text("utf-8").splitlines())
}


@pytest.mark.parametrize(
    ("rid", "reason"),
    [
        ("sgl-k2-h200-1p1d-2k-100", "prefill/decode disaggregation"),
        ("sgl-gb200-dsv3-decode-2k", "prefill/decode disaggregation"),
        ("sgl-ep-dsv3-h100-prefill-1k", "tput_basis=input_per_node"),
        ("sgl-ep-dsv3-h100-decode-b256", "tput_basis=output_per_node"),
        ("trtblog-dsr1-b200-fp4-minlat-mtp3", "speculative decoding"),
        ("trtblog-dsr1-h200-fp8-maxtput", "attention data parallelism"),
        ("imx-gpt-oss-120b-b200-trt-trt-fp4-tp2-1k8k-c128", "attention data parallelism ('dp_attention=true'"),
        ("mlperf51-b200-dsr1-off", "attention data parallelism"),
        ("trt10-q3-235b-h100-fp8-2048-2048", "EP degree not listed"),
        ("trt10-l4-mav-b200-fp4-1000-1000", "EP degree not listed"),
        ("mle3-llama-4-scout-lm-h100-4g-b8", "'TP1 EP4 DP1' on 4 GPUs"),
        ("mle3-qwen3-235b-a22b-lm-h100-8g-b8-fp8", "attention layout is not stated"),
        ("mle3-deepseek-v3-lm-b200-8g-b3072-fp8", "attention layout is not stated"),
    ],
)
def test_layouts_the_corpus_cannot_predict_stay_unmapped(catalog: Catalog, rid: str, reason: str) -> None:
    out = map_row(HOLDOUT[rid], catalog)
    assert isinstance(out, Unmapped) and reason in out.reason, out


@pytest.mark.parametrize(
    "rid",
    [
        "imx-deepseek-r1-h200-sglang-fp8-tp8-1k1k-c4",  # "no disaggregation, no speculative decoding": negated
        "imx-gpt-oss-120b-b200-trt-trt-fp4-tp2-1k8k-c4",  # dp_attention=false
        "trt10-q3-30b-b200-fp4-1000-1000",  # one GPU: the MoE recipe's EP and attention DP are both 1
        "mle3-qwen3-30b-a3b-lm-h100-1g-b8",  # TP1 EP1 DP1
        "mle3-qwen3-32b-lm-h100-2g-b8",  # TP2 EP1 DP1, dense
    ],
)
def test_layouts_it_can_predict_map(catalog: Catalog, rid: str) -> None:
    assert isinstance(map_row(HOLDOUT[rid], catalog), Case)


def test_expert_parallel_equal_to_tensor_parallel_maps_and_says_what_is_not_modelled(catalog: Catalog) -> None:
    case = map_row(HOLDOUT["imx-deepseek-r1-b200-sglang-fp4-tp4-1k1k-c4"], catalog)
    assert isinstance(case, Case) and case.tp == 4
    assert any("TP4 EP4: experts split EP4-ways" in a and "all-to-all" in a for a in case.assumptions)


def test_layout_rules_on_synthetic_rows() -> None:
    base = {"engine": "vLLM", "concurrency_or_batch": "", "scenario": "offline", "notes": "", "gpu_count": "8"}
    assert row_layout({**base, "notes": "TP8 EP1 DP1"}, "output_total").unmapped is None
    assert "attention data parallelism" in str(row_layout({**base, "notes": "TP4 EP8 DP2"}, "").unmapped)
    assert "EP differs from TP" in str(row_layout({**base, "notes": "TP8 EP4 DP1"}, "").unmapped)
    assert "speculative" in str(row_layout({**base, "engine": "SGLang + EAGLE3 draft"}, "").unmapped)
    assert row_layout({**base, "notes": "no speculative decoding; no disaggregation"}, "").unmapped is None
    # one GPU: attention DP across one rank is no layout at all
    assert row_layout({**base, "gpu_count": "1", "notes": "enable_attention_dp"}, "").unmapped is None


def test_fp16_rows_map_as_bf16_and_say_so(catalog: Catalog) -> None:
    case = map_row(HOLDOUT["trt17-l31-70b-a100-tp4-fp16-1000-1000"], catalog)
    assert isinstance(case, Case) and case.precision == "bf16" and case.accelerator == "a100-80gb"
    assert any(a.startswith("FP16 weights and activations") for a in case.assumptions)


def test_a_quantized_format_the_text_does_not_name_stays_unmapped(catalog: Catalog) -> None:
    """mlperf41-05 names fp16 only as the submission's input type of an unnamed quantization."""
    for rid in ("mlperf41-05", "mlperf41-06"):
        out = map_row(PUBLISHED[rid], catalog)
        assert isinstance(out, Unmapped) and "not stated precisely enough" in out.reason


def test_mxfp4_is_kept_apart_from_nvfp4(catalog: Catalog) -> None:
    mx = map_row(HOLDOUT["imx-gpt-oss-120b-h100-vllm-fp4-tp2-1k1k-c4"], catalog)
    nv = map_row(HOLDOUT["imx-deepseek-r1-b200-sglang-fp4-tp4-1k1k-c4"], catalog)
    assert isinstance(mx, Case) and mx.precision == "mxfp4"
    assert isinstance(nv, Case) and nv.precision == "fp4"


def test_rtx_pro_6000_maps_only_as_the_server_edition(catalog: Catalog) -> None:
    case = map_row(PUBLISHED["trtllm-24"], catalog)
    assert isinstance(case, Case) and case.accelerator == "rtx-pro-6000-server"
    workstation = map_row({**PUBLISHED["trtllm-24"], "gpu": "RTX PRO 6000 Blackwell Workstation Edition"}, catalog)
    assert isinstance(workstation, Unmapped) and "not stated as the Server Edition" in workstation.reason


def test_an_h100_whose_form_factor_the_source_does_not_state_says_what_is_assumed(catalog: Catalog) -> None:
    case = map_row(HOLDOUT["imx-gpt-oss-120b-h100-vllm-fp4-tp2-1k1k-c4"], catalog)
    assert isinstance(case, Case) and case.accelerator == "h100-sxm"
    assert "H100 form factor not stated in the source: SXM assumed" in case.assumptions
