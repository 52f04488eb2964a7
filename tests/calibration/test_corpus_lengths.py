"""Benchmark datasets named instead of a length map to sourced mean input lengths, per tokenizer."""

import csv
import re
from pathlib import Path

from llmtco.calibration.corpus import Case, Unmapped, map_row
from llmtco.calibration.dataset_lengths import DATASET_LENGTHS, client_mean_lengths, dataset_input_tokens
from llmtco.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2] / "src/llmtco/calibration"
HOLDOUT = {r["id"]: r for r in csv.DictReader((ROOT / "data/measurements-2026.csv").read_text("utf-8").splitlines())}
PUBLISHED = {
    r["id"]: r for r in csv.DictReader((ROOT / "data/published-measurements.csv").read_text("utf-8").splitlines())
}


def test_every_mean_has_a_source_with_commit_and_date_or_says_estimate(catalog: Catalog) -> None:
    for entry in DATASET_LENGTHS:
        if entry.model is None:
            assert entry.why.startswith("estimate:")
            continue
        assert entry.model in catalog.models
        assert re.search(r"https://github\.com/\S+/blob/[0-9a-f]{40}/\S+\.csv \(\d{4}-\d{2}-\d{2}\)", entry.why)
        assert f"mean input {entry.mean_input_tokens:g} tokens" in entry.why and "p90" in entry.why


def test_a_dataset_mean_holds_only_for_the_model_whose_tokenizer_counted_it() -> None:
    text = "OpenOrca prompts, <=1024 tokens (MLPerf llama2-70b set, 24,576 samples); mean not stated"
    entry = dataset_input_tokens(text, "llama-2-70b")
    assert entry is not None and entry.mean_input_tokens == 222.3
    assert dataset_input_tokens(text, "llama-3.1-70b") is None
    arena = dataset_input_tokens("LM Arena chat prompts; length not listed", "qwen3-8b")
    assert arena is not None and arena.why.startswith("estimate:")


def test_mlperf_rows_map_with_their_datasets_mean(catalog: Catalog) -> None:
    expected = {
        "mlperf51-h200-l2-70b-off": 222.3,
        "mlperf51-h200-mixtral-off": 427.4,
        "mlperf51-h200-l31-8b-off": 870.7,
        "mlperf51-h200-l31-405b-off": 9428.6,
    }
    for rid, mean in expected.items():
        case = map_row(HOLDOUT[rid], catalog)
        assert isinstance(case, Case) and case.input_tokens == mean, rid
        assert any("performance-dashboard" in a for a in case.assumptions)
        assert not any(a.startswith("estimate:") for a in case.assumptions if "input" in a)
    fit_row = map_row(PUBLISHED["mlperf41-01"], catalog)  # the fit corpus's Llama 2 70B rows read the same set
    assert isinstance(fit_row, Case) and fit_row.input_tokens == 222.3


def test_a_dataset_without_a_sourced_mean_stays_unmapped(catalog: Catalog) -> None:
    """GPQA's input length is not published by ML.ENERGY, and no estimate is made for it."""
    out = map_row(HOLDOUT["mle3-qwen3-8b-gpqa-h100-1g-b8"], catalog)
    assert isinstance(out, Unmapped) and out.reason == "input or output length not stated"


def test_inferencemax_rows_use_the_clients_mean_lengths(catalog: Catalog) -> None:
    """InferenceMAX's client draws each length uniformly from int(0.8 L) .. L: a "1k/1k" row averages 921.5
    tokens in and out, an "8k/1k" row 7,372.5 in."""
    sampled = client_mean_lengths("inferencemax", 1024.0, 1024.0)
    assert sampled is not None and sampled[:2] == (921.5, 921.5)
    assert client_mean_lengths("mlperf-v5.1", 1024.0, 1024.0) is None
    case = map_row(HOLDOUT["imx-deepseek-r1-b200-sglang-fp8-tp8-8k1k-c64"], catalog)
    assert isinstance(case, Case)
    assert (case.input_tokens, case.output_tokens) == (7372.5, 921.5)
    assert any("random-range-ratio 0.8" in a and "/blob/" in a for a in case.assumptions)
    other = map_row(HOLDOUT["mlperf51-h200-l2-70b-off"], catalog)
    assert isinstance(other, Case) and other.input_tokens == 222.3
