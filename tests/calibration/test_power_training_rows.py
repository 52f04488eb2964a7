"""Corpus mapping and prediction of power (GPU board and system wall) and training rows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from llmtco.calibration.corpus import COLUMNS, Case, load_corpus
from llmtco.calibration.predict import predict
from llmtco.catalog import Catalog
from llmtco.perf.power import PSU_EFFICIENCY, host_max_w, host_power_w

WALL_NOTE = "tput_basis=output_total; TP1 x 8; power_basis=system_wall_ac: whole server at the wall"


def _corpus(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text(",".join(COLUMNS) + ",level,source_family\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_system_wall_power_goes_through_the_host_model(tmp_path: Path, catalog: Catalog) -> None:
    row = (
        f"w1,llama-2-70b,69,B200-SXM-180GB,8,NVFP4 weights and activations,TensorRT-LLM,600,273,TP1 x 8,"
        f'MLPerf-Offline,100000,,,10400,0.104,https://example.org/mlperf,2025-09,"{WALL_NOTE}",power,mlperf-x'
    )
    cases, unmapped = load_corpus(catalog, _corpus(tmp_path, [row]))
    assert not unmapped
    (wall,) = cases
    assert wall.power_basis == "system_wall_ac" and wall.measured["power_w_per_gpu"] == pytest.approx(1300.0)
    assert any("wall power" in a for a in wall.assumptions)
    eff = {e.id: e for e in catalog.efficiency}["b200"]
    p_wall = predict(wall, catalog, eff)
    p_gpu = predict(replace(wall, power_basis="gpu"), catalog, eff)
    server = next(s for s in catalog.servers if s.accelerator == "b200")
    tdp_w = catalog.accelerators.get("b200").tdp_w
    host_per_gpu = float(host_power_w(host_max_w(server.non_gpu_power_w, server.gpus, tdp_w), 1.0)) / server.gpus
    # wall = board power through the supplies + the host's share; energy follows from the same power and throughput
    assert p_wall["power_w_per_gpu"] == pytest.approx(p_gpu["power_w_per_gpu"] / PSU_EFFICIENCY + host_per_gpu)
    assert p_wall["energy_j_per_token"] == pytest.approx(p_wall["power_w_per_gpu"] / p_wall["output_tok_s_per_gpu"])


def test_training_rows_use_active_parameters_seq_and_recomputation(tmp_path: Path, catalog: Catalog) -> None:
    src = "https://example.org/train,2025-11"
    rows = [
        f"t-moe,qwen3-30b-a3b,30.5,H100-SXM-80GB,16,BF16,Megatron-Bridge,4096,,MBS 2,training-pretrain,5000,,,,,"
        f'{src},"tput_basis=train_tokens_per_gpu; TP1 PP2 CP1 VP 24 EP8, GBS 512, MBS 2, GA 32",training,mb',
        f"t-ac,MPT-7B,6.7,H100-80GB,8,amp_bf16,llm-foundry,8192,,b,training-pretrain,7000,,,,,"
        f'{src},"tput_basis=train_tokens_per_gpu; activation checkpointing True.",training,mosaic',
        f"t-preset,llama-3.1-8b,8.03,H200-SXM-141GB,32,FP8,torchtitan,not stated,,b2,training-pretrain,11000,,,,,"
        f'{src},"tput_basis=train_tokens_per_gpu; llama3_8b.toml (seq_len 8192 in that preset); selective AC",'
        "training,titan",
    ]
    cases, unmapped = load_corpus(catalog, _corpus(tmp_path, rows))
    assert not unmapped
    by_id = {c.id: c for c in cases}
    moe, ac, preset = by_id["t-moe"], by_id["t-ac"], by_id["t-preset"]
    assert moe.model == "qwen3-30b-a3b" and moe.recompute == "none" and moe.tp == 1
    assert moe.pipeline_bubble == pytest.approx(1 / (24 * 32))
    assert any("recomputation not stated" in a for a in moe.assumptions)
    assert ac.model is None and ac.recompute == "full" and ac.input_tokens == 8192
    assert preset.input_tokens == 8192 and preset.recompute == "selective"
    assert any("seq_len 8192 assumed" in a for a in preset.assumptions)
    eff = {e.id: e for e in catalog.efficiency}["h100-sxm"]
    # an MoE trains at the speed of its active parameters: far faster than a dense model of its total size
    dense = Case(**{**moe.__dict__, "model": None})
    assert predict(moe, catalog, eff)["train_tok_s_per_gpu"] > 3 * predict(dense, catalog, eff)["train_tok_s_per_gpu"]
    # full recomputation costs a forward pass
    no_ac = replace(ac, recompute="none")
    ratio = predict(no_ac, catalog, eff)["train_tok_s_per_gpu"] / predict(ac, catalog, eff)["train_tok_s_per_gpu"]
    assert 1.2 < ratio < 4 / 3 + 1e-9
