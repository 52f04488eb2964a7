"""MoE rows of the general accuracy path (``calibration.predict``): a row's replica is the GPUs that hold
one copy of the model, so throughput, TPOT and batch agree (issue 13, item 3)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from llmtco.calibration.corpus import Case, load_corpus
from llmtco.calibration.fit import lookup
from llmtco.calibration.predict import predict, replica_gpus
from llmtco.catalog import Catalog, load_catalog
from llmtco.engine.adapters import compute_precision, hardware_shape, kv_bytes_for, model_shape
from llmtco.perf.memory import BYTES_PER_WEIGHT

HOLDOUT = Path(__file__).resolve().parents[2] / "src" / "llmtco" / "calibration" / "data" / "measurements-2026.csv"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def moe_batch_rows(cat: Catalog) -> list[Case]:
    cases, _ = load_corpus(cat, HOLDOUT)
    rows = [
        c
        for c in cases
        if c.kind == "batch" and c.model is not None and cat.models.get(c.model).experts > 1 and c.batch
    ]
    # the ML.ENERGY rows stated as TP1 EPn DP1 are unmapped (calibration.row_layout: attention layout not stated)
    assert len(rows) >= 4
    return rows


def _replica(cat: Catalog, c: Case) -> int:
    acc = cat.accelerators.get(c.accelerator)
    compute = compute_precision(c.precision, acc)
    eff = lookup(dict(cat.efficiency.records), c.accelerator, c.engine, c.precision)
    shape, hw = model_shape(cat.models.get(c.model or "")), hardware_shape(acc, eff, compute, 1)
    return replica_gpus(c, shape, hw, BYTES_PER_WEIGHT[c.precision], kv_bytes_for(compute, c.kv_cache)) or c.gpus


def test_per_gpu_throughput_is_batch_over_tpot_over_the_replicas_gpus(cat: Catalog, moe_batch_rows: list[Case]) -> None:
    """At a fixed batch, output tokens/s per GPU = batch / TPOT / GPUs of the replica, for every MoE row."""
    for c in moe_batch_rows:
        eff = lookup(dict(cat.efficiency.records), c.accelerator, c.engine, c.precision)
        p = predict(c, cat, eff)
        gpus = _replica(cat, c)
        assert p["output_tok_s_per_gpu"] == pytest.approx(c.batch * 1e3 / p["tpot_ms"] / gpus, rel=0.02), c.id


def test_a_235b_moe_stated_tp1_ep4_is_one_four_gpu_replica(cat: Catalog, moe_batch_rows: list[Case]) -> None:
    """A stated TP1 on 4 B200 for Qwen3-235B (vLLM's MoE notation "TP1 EP4 DP1"): 470 GB of BF16 weights fit
    no single GPU, so the replica is all four, and throughput, TPOT and batch agree on those four."""
    c = replace(moe_batch_rows[0], model="qwen3-235b-a22b", tp=1, gpus=4, precision="bf16", accelerator="b200")
    assert _replica(cat, c) == 4
    p = predict(c, cat, lookup(dict(cat.efficiency.records), c.accelerator, c.engine, c.precision))
    assert c.batch is not None
    assert p["output_tok_s_per_gpu"] == pytest.approx(c.batch * 1e3 / p["tpot_ms"] / 4, rel=0.02)


def test_a_stated_degree_that_holds_the_model_is_kept(cat: Catalog, moe_batch_rows: list[Case]) -> None:
    """Where the weights fit the stated degree, the row's GPUs are that many replicas (a dense-style reading)."""
    c = replace(moe_batch_rows[0], model="qwen3-30b-a3b", tp=1, gpus=8, precision="bf16", accelerator="h100-sxm")
    assert _replica(cat, c) == 1
