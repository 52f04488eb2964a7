"""Corpus rows name their model in free text; ``model_names.match_model`` places it on the catalog."""

import csv
from pathlib import Path

import pytest

from llmtco.calibration.corpus import Case, Unmapped, map_row
from llmtco.calibration.model_names import match_model, normalise
from llmtco.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2] / "src/llmtco/calibration"
CORPORA = (ROOT / "data/published-measurements.csv", ROOT / "data/measurements-2026.csv")

EXPECTED = {
    # every model name of both corpus files, and the catalog model it is
    "Llama-2-70B-chat": "llama-2-70b",
    "Llama-3.1-405B": "llama-3.1-405b",
    "Llama-3.1-405B-Instruct": "llama-3.1-405b",
    "Llama-3.1-70B": "llama-3.1-70b",
    "Llama-3.1-8B": "llama-3.1-8b",
    "Llama-3.1-8B-Instruct": "llama-3.1-8b",
    "Llama-3.2-3B": "llama-3.2-3b",
    "Llama-3.3-70B-Instruct": "llama-3.3-70b",
    "MPT-13B": None,
    "MPT-30B": None,
    "MPT-3B": None,
    "MPT-70B": None,
    "MPT-7B": None,
    "Mixtral-8x7B-Instruct-v0.1": "mixtral-8x7b",
    "Qwen3-235B-A22B": "qwen3-235b-a22b",
    "meta-llama/Llama-3.1-405B-Instruct-FP8": "llama-3.1-405b",
    "meta-llama/Llama-3.1-70B-Instruct": "llama-3.1-70b",
    "meta-llama/Llama-3.1-8B-Instruct": "llama-3.1-8b",
    "deepseek-r1": "deepseek-r1",
    "deepseek-v3": "deepseek-v3",
    "gemma-3-12b": "gemma-3-12b",
    "gemma-3-27b": "gemma-3-27b",
    "gpt-oss-120b": "gpt-oss-120b",
    "gpt-oss-20b": "gpt-oss-20b",
    "kimi-k2": "kimi-k2",
    "llama-2-70b": "llama-2-70b",
    "llama-3.1-405b": "llama-3.1-405b",
    "llama-3.1-70b": "llama-3.1-70b",
    "llama-3.1-8b": "llama-3.1-8b",
    "llama-3.3-70b": "llama-3.3-70b",
    "llama-4-maverick": "llama-4-maverick",
    "llama-4-scout": "llama-4-scout",
    "mixtral-8x22b": "mixtral-8x22b",
    "mixtral-8x7b": "mixtral-8x7b",
    "qwen3-14b": "qwen3-14b",
    "qwen3-235b-a22b": "qwen3-235b-a22b",
    "qwen3-30b-a3b": "qwen3-30b-a3b",
    "qwen3-32b": "qwen3-32b",
    "qwen3-8b": "qwen3-8b",
}


def _rows() -> list[dict[str, str]]:
    return [r for path in CORPORA for r in csv.DictReader(path.read_text(encoding="utf-8").splitlines())]


def test_every_model_name_of_both_corpora_is_placed(catalog: Catalog) -> None:
    names = {r["model"] for r in _rows()}
    assert names == set(EXPECTED), "a corpus gained a model name: add it to EXPECTED"
    for name, expected in EXPECTED.items():
        assert match_model(name, catalog).model == expected, name


def test_each_row_stated_parameter_count_agrees_with_its_model(catalog: Catalog) -> None:
    """No row of either corpus is dropped for a params_b the catalog model does not have."""
    for row in _rows():
        params = float(row["params_b"]) if row["params_b"].strip() else None
        assert match_model(row["model"], catalog, params).model == EXPECTED[row["model"]], row["id"]


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("Qwen/Qwen3-8B", "qwen3-8b"),
        ("qwen3-8b", "qwen3-8b"),
        ("Llama-2-70B-chat", "llama-2-70b"),
        ("meta-llama/Llama-2-70b-chat-hf", "llama-2-70b"),
        ("gpt-oss-120b", "gpt-oss-120b"),
        ("openai/gpt-oss-20b", "gpt-oss-20b"),
        ("DeepSeek-R1-0528", "deepseek-r1"),
        ("deepseek-ai/DeepSeek-V3", "deepseek-v3"),
        ("Llama-4-Maverick-17B-128E-Instruct-FP8", "llama-4-maverick"),
        ("meta-llama/Llama-4-Scout-17B-16E-Instruct", "llama-4-scout"),
        ("Meta-Llama-3.1-8B-Instruct", "llama-3.1-8b"),
        ("Llama 3.1 70B Instruct", "llama-3.1-70b"),
        ("llama_3.1_405b", "llama-3.1-405b"),
        # the most specific key wins
        ("Llama-3.1-70B-Instruct", "llama-3.1-70b"),
        ("Llama-3.1-8B-Instruct", "llama-3.1-8b"),
        ("Qwen3-30B-A3B-Instruct-2507", "qwen3-30b-a3b"),
        ("Qwen3-32B", "qwen3-32b"),
        ("gemma-3-12b-it", "gemma-3-12b"),
        ("gemma-3-1b-it", "gemma-3-1b"),
        ("Qwen2.5-72B-Instruct", "qwen2.5-72b"),
        ("Qwen2.5-7B-Instruct", "qwen2.5-7b"),
        ("moonshotai/Kimi-K2-Instruct", "kimi-k2"),
    ],
)
def test_aliases_and_the_most_specific_match(catalog: Catalog, name: str, model: str) -> None:
    assert match_model(name, catalog).model == model


@pytest.mark.parametrize(
    ("name", "params_b", "reason"),
    [
        ("MPT-7B", None, "is not in the catalog"),
        ("Llama-3.1-80B", None, "is not in the catalog"),  # no key inside a longer number
        ("DeepSeek-V3.2", None, "is not in the catalog"),  # a later version is not the catalog's V3
        ("Qwen3-30B", None, "is not in the catalog"),  # a prefix of qwen3-30b-a3b is not that model
        ("DeepSeek-R1-Distill-Qwen-32B", None, "distilled derivative"),
        ("DeepSeek-R1-Distill-Llama-70B", None, "distilled derivative"),
        ("llama-3.1-8b", 70.0, "params_b 70 is not the catalog's"),
        ("", None, "empty"),
    ],
)
def test_names_it_cannot_place_stay_unmapped_with_the_reason(
    catalog: Catalog, name: str, params_b: float | None, reason: str
) -> None:
    match = match_model(name, catalog, params_b)
    assert match.model is None and reason in match.reason


def test_normalise_drops_the_organisation_and_spacing() -> None:
    assert normalise(" meta-llama/Llama 3.1__8B  ") == "llama-3.1-8b"


def test_a_corpus_row_with_a_name_it_cannot_place_says_why(catalog: Catalog) -> None:
    row = next(r for r in _rows() if r["id"].startswith("mle3-qwen3-8b"))
    assert isinstance(map_row(row, catalog), Case)
    distilled = map_row({**row, "model": "DeepSeek-R1-Distill-Qwen-7B", "params_b": "7.6"}, catalog)
    assert isinstance(distilled, Unmapped) and "distilled derivative" in distilled.reason
