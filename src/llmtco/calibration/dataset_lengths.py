"""Mean input lengths of the benchmark datasets corpus rows name instead of a number, and the mean lengths
of benchmark clients that sample each request's lengths around the nominal ones.

MLPerf result files give the output tokens/s and samples/s (so the mean output length) but not the mean
input length; ``input_len`` then names the dataset. The means below are computed from per-sample input
token counts of the official MLCommons dataset files (``tok_input_length`` / ``tok_input_len`` /
``len(tok_input)``, tokenised with the benchmark model's own tokenizer), as published in Red Hat PSAP's
``openshift-psap/performance-dashboard`` (``mlperf-data/summaries/*.csv``; the extraction script is
``mlperf-data/original/generate_dataset_summaries.py``). The files are checked against the official
sample counts (24,576; 15,000; 13,368; 8,313; 4,388) and, where ``mlcommons/inference`` states one, the
reference output mean (405B: 684.7 vs the README's ``tokens_per_sample`` 684.68; Mixtral: 144.8 vs 144.84).

A mean holds only for the model whose tokenizer counted it, so each entry names its catalog model; a
dataset without a sourced mean keeps ``estimate:`` and its reason.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_PSAP = "https://github.com/openshift-psap/performance-dashboard/blob/{commit}/mlperf-data/summaries/{file}"
_C1 = "7cd1065d1e2c53ee745cbda08e2a8f13a42c93bb"  # 2025-11-04
_C2 = "67033baeaac181a3a35641dd2b86a7cb22d856dd"  # 2025-11-20


@dataclass(frozen=True)
class DatasetLength:
    """The mean input length of one benchmark dataset, and where it comes from."""

    pattern: str
    """Regular expression on the row's ``input_len`` text (lower case)."""
    model: str | None
    """Catalog model whose tokenizer counted the tokens; None: any model (an estimate)."""
    mean_input_tokens: float
    """Mean input length [tokens]."""
    why: str
    """The assumption text a row using it carries: source and spread, or ``estimate:`` and why."""


def _mlperf(
    pattern: str, model: str, name: str, samples: str, mean: float, spread: str, file: str, commit: str, date: str
) -> DatasetLength:
    """An MLPerf dataset whose mean comes from the per-sample counts summarised in ``file`` at ``commit``."""
    url = _PSAP.format(commit=commit, file=file)
    why = (
        f"{name} ({samples} samples): mean input {mean:g} tokens ({spread}), from the per-sample token counts "
        f"of the official dataset file summarised in {url} ({date})"
    )
    return DatasetLength(pattern, model, mean, why)


DATASET_LENGTHS = (
    _mlperf(r"openorca prompts", "llama-2-70b", "MLPerf llama2-70b OpenOrca set", "24,576", 222.3,
            "p50 152, p90 519, max 1,021", "llama2-70b-99.csv", _C1, "2025-11-04"),
    _mlperf(r"openorca\+gsm8k", "mixtral-8x7b", "MLPerf mixtral-8x7b OpenOrca+GSM8K+MBXP set", "15,000", 427.4,
            "p50 283, p90 701, max 1,948", "mixtral-8x7b.csv", _C2, "2025-11-20"),
    _mlperf(r"cnn/dailymail", "llama-3.1-8b", "MLPerf llama3.1-8b CNN/DailyMail set", "13,368", 870.7,
            "p50 784, p90 1,479, max 2,540", "llama3-1-8b-datacenter.csv", _C1, "2025-11-04"),
    _mlperf(r"llama3\.1-405b long-context set", "llama-3.1-405b", "MLPerf llama3.1-405b set", "8,313", 9428.6,
            "p50 10,112, p90 14,156, max 19,988", "llama3-1-405b.csv", _C2, "2025-11-20"),
    _mlperf(r"mlperf deepseek-r1 set", "deepseek-r1", "MLPerf deepseek-r1 set", "4,388", 803.8,
            "p50 902, p90 1,281, max 3,140", "deepseek-r1.csv", _C1, "2025-11-04"),
    DatasetLength(
        r"lm arena",
        None,
        200.0,
        "estimate: LM Arena chat prompts (ML.ENERGY lm-arena-chat task), input length not published; 200 assumed",
    ),
)  # fmt: skip
"""Datasets corpus rows name, most specific first."""


def dataset_input_tokens(input_len: str, model: str | None) -> DatasetLength | None:
    """The entry for a row's dataset text and model, or None where no entry applies."""
    text = input_len.lower()
    for entry in DATASET_LENGTHS:
        if re.search(entry.pattern, text) and entry.model in (None, model):
            return entry
    return None


_IMX_CLIENT = (
    "https://github.com/ajith-sirra-amd/InferenceMAX_Rocm_Team/blob/f743075fb010fdcb9d51e1d2a8a3c675e88d7038/"
    "utils/bench_serving/benchmark_serving.py"
)
_IMX_RATIO = "https://github.com/jyothisambolu/InferenceMAX/blob/6458cb4f0e120776b4c0d68c26ba07b48e31b350/README.md"


@dataclass(frozen=True)
class ClientLengths:
    """A benchmark client that draws each request's input and output length uniformly from the integers
    int(r x L) .. L around the nominal L it is labelled with (vLLM's older ``benchmark_serving.py`` random
    dataset with ``--random-range-ratio r``)."""

    family: str
    """``source_family`` of the rows it ran."""
    range_ratio: float
    source: str

    def mean(self, nominal: float) -> float:
        """Mean of the integers int(r x L) .. L [tokens]."""
        return (math.floor(nominal * self.range_ratio) + nominal) / 2.0


CLIENT_LENGTHS = (
    ClientLengths(
        "inferencemax",
        0.8,
        f"InferenceMAX's client ({_IMX_CLIENT}: sample_uniform draws int(L x ratio) .. L for input and output) "
        f"at --random-range-ratio 0.8 ({_IMX_RATIO}, 'Benchmark Client Configuration'; the recipes set "
        "random_range_ratio: 0.8 and 10 x concurrency prompts)",
    ),
)
"""Clients whose rows are labelled with nominal lengths, by source family."""


def client_mean_lengths(family: str, lin: float, lout: float) -> tuple[float, float, str] | None:
    """A row's mean input and output length when its family's client samples around the labelled ones, with
    the assumption text; None for any other family."""
    for c in CLIENT_LENGTHS:
        if c.family == family:
            mi, mo = c.mean(lin), c.mean(lout)
            why = f"lengths {lin:g}/{lout:g} are the client's maxima: means {mi:g}/{mo:g} used, from {c.source}"
            return mi, mo, why
    return None
