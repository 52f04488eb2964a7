"""Fine-tuning: memory fit, speed, scheduling in idle hours vs added hardware, cloud and API costs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from llmtco import evaluate, parse_scenario_text
from llmtco.catalog import Catalog
from llmtco.cli import main
from llmtco.engine.finetune import idle_schedule, runs_per_month
from llmtco.engine.probes import probe_train
from llmtco.perf.training import lora_params, train_flops_per_token, train_memory_gb

BASE = """\
name: ft
assumptions: {{horizon_months: 12, start_date: 2027-01-01, region: us-average}}
workloads:
  - name: chat
    model: llama-3.1-70b
    precision: fp8
    requests_per_day: 100000
    input_tokens: 1000
    output_tokens: 300
    {load}
  - name: tune
    kind: finetune
    model: llama-3.1-70b
    method: {method}
    tokens_per_run: 400000000
    runs_per_year: 12
    seq_len: 4096
    deadline_hours: 48
    serves: chat
options:
  - {{name: onprem, kind: onprem, server: hgx-h100-8}}
  - {{name: cloud, kind: cloud_gpu, instance: lambda-8x-h100-sxm}}
  - {{name: together, kind: api, offering: together-llama-3.3-70b}}
  - {{name: openai, kind: api, offering: openai-gpt-4o-mini}}
  - {{name: groq, kind: api, offering: groq-llama-3.3-70b}}
"""


def _run(load: str = "peak_to_average: 3", method: str = "lora"):  # type: ignore[no-untyped-def]
    sc, cat = parse_scenario_text(BASE.format(load=load, method=method))
    return evaluate(sc, cat)


def test_flops_per_token_by_method() -> None:
    assert train_flops_per_token(1e9, "full") == 6e9
    assert train_flops_per_token(1e9, "lora") == 4e9
    assert train_flops_per_token(1e9, "qlora", 1.3) == pytest.approx(5.2e9)


def test_memory_70b_full_does_not_fit_on_one_80gb_gpu_qlora_does(catalog: Catalog) -> None:
    full = probe_train(catalog, "llama-3.1-70b", "h100-sxm", 1, "full", 2048)
    qlora = probe_train(catalog, "llama-3.1-70b", "h100-sxm", 1, "qlora", 2048)
    assert full["fits"] is False and "GB" in str(full["reason"])
    assert qlora["fits"] is True
    # 16 bytes per parameter (bf16 weights and gradients, fp32 AdamW states) for full fine-tuning
    mem = train_memory_gb(
        params=70.6e9,
        trainable=0,
        method="full",
        weight_bytes=2.0,
        optimizer="adamw",
        gpus=1,
        layers=80,
        hidden=8192,
        vocab=128256,
        seq=2048,
        micro_batch=1,
        checkpointing=True,
    )
    assert mem["weights"] + mem["gradients"] + mem["optimizer"] == pytest.approx(70.6e9 * 16 / 1e9)


def test_lora_adapter_count_llama8b() -> None:
    # rank 8 on q,k,v,o,gate,up,down of Llama 3.1 8B: 32 x 8 x (8192 + 2x5120 + 8192 + 2x18432 + 18432)
    assert lora_params(32, 4096, 32, 8, 128, 14336, 8) == 32 * 8 * (8192 + 10240 + 8192 + 36864 + 18432)


def test_runs_schedule_and_idle_windows() -> None:
    assert runs_per_month(4, 6).tolist() == [1, 0, 0, 1, 0, 0]
    free = np.zeros((1, 2, 24))
    free[..., :10] = 8  # ten idle hours a day with 8 GPUs
    fits, usable = idle_schedule(free, 4, 15.0, np.array([[1.0, 1.0]]), 48.0, np.array([31.0, 28.0]))
    assert usable.tolist() == [[10.0, 10.0]] and fits.tolist() == [[1.0, 1.0]]
    # 60 wall hours do not finish within 48 h using 10 h a day
    fits, _ = idle_schedule(free, 4, 60.0, np.array([[1.0, 1.0]]), 48.0, np.array([31.0, 28.0]))
    assert fits.tolist() == [[0.0, 0.0]]


def test_onprem_runs_in_idle_hours_of_a_daytime_fleet() -> None:
    r = _run()
    onprem = r.option("onprem")
    (ft,) = onprem.finetune
    assert ft.schedule == "idle_hours"
    items = {li.item: li for li in onprem.line_items}
    assert items["finetune_compute"].total_usd == 0
    assert items["finetune_energy"].total_usd > 0
    assert ft.gpu_hours > 0 and ft.tokens_trained == pytest.approx(12 * 4e8)


def test_dedicated_when_deadline_too_short() -> None:
    text = BASE.format(load="peak_to_average: 3", method="lora").replace("deadline_hours: 48", "deadline_hours: 2")
    sc, cat = parse_scenario_text(text)
    r = evaluate(sc, cat)
    ft = r.option("onprem").finetune[0]
    assert ft.schedule == "dedicated" and "added" in ft.note
    assert {li.item: li.total_usd for li in r.option("onprem").line_items}["finetune_compute"] > 0
    idle = _run().option("onprem")
    dedicated = r.option("onprem")
    assert dedicated.sizing is not None and idle.sizing is not None
    assert dedicated.sizing.servers > idle.sizing.servers
    assert (dedicated.total_cost_usd or 0) > (idle.total_cost_usd or 0)


def test_cloud_and_api_costs() -> None:
    r = _run()
    cloud = {li.item: li for li in r.option("cloud").line_items}
    assert cloud["finetune_compute"].total_usd > 0 and "GPU-hours" in cloud["finetune_compute"].unit
    together = {li.item: li for li in r.option("together").line_items}
    # 12 runs x 400 M tokens at the catalogued LoRA rate
    rate = 2.9
    assert together["finetune_compute"].total_usd == pytest.approx(12 * 400 * rate)
    groq = r.option("groq")
    assert groq.excluded and "no fine-tuning offer" in (groq.reason or "")


def test_api_method_not_offered_is_excluded() -> None:
    r = _run(method="full")
    assert r.option("together").excluded and "offers lora" in (r.option("together").reason or "")
    assert not r.option("openai").excluded  # OpenAI's managed tuning covers the method


def test_perf_train_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "perf",
            "train",
            "--model",
            "llama-3.1-8b",
            "--accelerator",
            "h100-sxm",
            "--gpus",
            "1",
            "--method",
            "lora",
            "--seq",
            "2048",
            "--tokens-per-run",
            "1e9",
            "--format",
            "json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["fits"] is True
    assert doc["tokens_per_s"] > 1000 and doc["gpu_hours_per_run"] > 0 and doc["step_ms"] > 0
    code = main(["perf", "train", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--method", "dpo"])
    assert code == 2 and "--method: 'dpo' is not one of full, lora, qlora" in capsys.readouterr().err
