import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from llmtco.calibration.api import accuracy, calibrate
from llmtco.calibration.corpus import Case, load_corpus
from llmtco.calibration.fit import fit_all, predictions
from llmtco.calibration.imports import read_result_file
from llmtco.calibration.predict import predict
from llmtco.calibration.priors import prior
from llmtco.calibration.report import TARGETS_PCT, render_table
from llmtco.catalog import Catalog, load_catalog
from llmtco.cli import main
from llmtco.errors import CalibrationError, ScenarioError
from llmtco.scenario import parse_scenario_text
from tests.conftest import MINIMAL


def test_corpus_mapping(catalog: Catalog) -> None:
    cases, unmapped = load_corpus(catalog)
    by_id = {c.id: c for c in cases}
    # the two CSVs' rows + the committed H100 profile's four decode steps
    assert len(cases) + len(unmapped) == 93 + 356 + 4
    assert {c.collection for c in cases} == {"", "published-measurements", "measurements-2026"}
    levels = {c.id: c.level for c in cases}
    assert levels["trtllm-01"] == "end_to_end" and levels["tune-3b-lora-a100"] == "training"
    assert sum(v == "kernel_step" for v in levels.values()) == 4
    # per-GPU normalisation: 6,378 output tok/s over 2 GPUs
    assert by_id["trtllm-12"].measured["output_tok_s_per_gpu"] == pytest.approx(3189.0)
    assert by_id["trtllm-12"].tp == 2 and by_id["trtllm-12"].precision == "fp8"
    # ML.ENERGY power is summed over GPUs
    assert by_id["mlenergy-l31-70b-h100-4g-b8"].measured["power_w_per_gpu"] == pytest.approx(1765.4 / 4)
    assert by_id["mlenergy-l31-70b-h100-4g-b8"].batch == pytest.approx(8.0)
    # a length read from a named dataset is recorded with its source, not hidden
    assert any(
        "mean input 222.3 tokens" in a and "performance-dashboard" in a for a in by_id["mlperf41-01"].assumptions
    )
    reasons = {u.id: u.reason for u in unmapped}
    assert "not in the catalog" in reasons["tune-8b-full-a6000"]
    assert "MaxQ" in reasons["mlperf41-09"]


def test_corpus_with_missing_columns_is_rejected(tmp_path: Path, catalog: Catalog) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,model\nx,y\n")
    with pytest.raises(CalibrationError, match="missing columns"):
        load_corpus(catalog, bad)


HELD_PCT = {
    # out-of-sample median APE the shipped model reaches (leave-one-source-out, leave-one-accelerator-out)
    # on the whole corpus (2024 file + 2026 collection, sources grouped by publisher), held with a small
    # margin where the issue-12 target (TARGETS_PCT) is not met yet; see README "Accuracy". The margin covers
    # the 1.5 points the figures move between numpy/scipy builds on the same code (2026-12-03 against -04)
    "decode_step_ms": (10.0, 10.0),  # target met, on one measured profile (weak evidence)
    # not met since the corpus stopped giving the model throughputs it could copy (MLPerf Server rows are
    # predicted under their latency limits, open-loop rows that carried their load do not count): 16.5 / 17.9
    "output_tok_s_per_gpu": (18.0, 19.5),
    # 21.3 / 14.8 % when set: leave-one-accelerator-out meets the target, held at the figure plus the margin
    "tpot_ms": (22.5, 16.5),
    "ttft_ms": (40.5, 28.5),  # 38.9 / 26.9 %: InferenceMAX's DeepSeek and gpt-oss rows dominate (see README)
    "power_w_per_gpu": (15.0, 15.0),  # target met (9.0 % / 12.0 % when set)
    "energy_j_per_token": (27.0, 20.5),  # 25.2 / 19.0 % when set (leave-one-accelerator-out meets it)
    "train_tok_s_per_gpu": (15.0, 15.0),  # target met (12.6 % / 13.8 % when set)
}
IN_SAMPLE_PCT = {"output_tok_s_per_gpu": 12.0}
"""In-sample median APE held for the regression guard (not a target: targets are out of sample)."""


@pytest.fixture(scope="module")
def accuracy_doc(catalog: Catalog) -> dict[str, object]:
    return accuracy(catalog, loso=True)


def test_out_of_sample_accuracy_is_held(accuracy_doc: dict[str, Any]) -> None:
    """Out-of-sample error of the model: at the issue-12 target, or no worse than the figure reached."""
    for metric, (loso, loao) in HELD_PCT.items():
        target = TARGETS_PCT[metric]
        got_loso = accuracy_doc["leave_one_source_out"][metric]["all"]["median_ape"]
        got_loao = accuracy_doc["leave_one_accelerator_out"][metric]["all"]["median_ape"]
        assert got_loso <= max(target, loso), (metric, got_loso)
        assert got_loao <= max(target, loao), (metric, got_loao)


def test_in_sample_is_shown_beside_and_groups_are_reported(accuracy_doc: dict[str, Any]) -> None:
    tput = accuracy_doc["in_sample"]["output_tok_s_per_gpu"]
    assert set(tput) >= {"all", "by_accelerator", "by_engine", "by_source_family", "by_level"}
    assert tput["all"]["median_ape"] <= IN_SAMPLE_PCT["output_tok_s_per_gpu"]
    assert accuracy_doc["held_out_collection"]["output_tok_s_per_gpu"]["all"]["n"] > 100
    # every prediction names the fit nodes that answered it
    rows = accuracy_doc["rows"]
    assert all("serving:" in r["answered_by"] for r in rows)
    step = next(r for r in rows if r["level"] == "kernel_step")
    assert "step: gen:hopper" in step["answered_by"]


MOE_RATIOS_WITHIN = {"leave_one_source_out": 5, "leave_one_accelerator_out": 6, "in_sample": 15}
"""Accelerator ratios (of 16) within 25 % of the published ratio on the MoE serving rows, as reached (issue 13's
target is all of them; held here against regressions)."""


def test_moe_serving_rows_are_reported_out_of_sample(accuracy_doc: dict[str, Any]) -> None:
    """The DeepSeek serving rows of `perf moe-check` ride along in every fold: each is predicted by the fold
    that left its source (its accelerator) out, like the corpus rows."""
    moe = accuracy_doc["moe_serving"]
    for split, within in MOE_RATIOS_WITHIN.items():
        assert moe[split]["n"] == 39 and moe[split]["ratios"] == 16, split
        assert moe[split]["ratios_within_25pct"] >= within, (split, moe[split])
    rows = {r["id"]: r for r in moe["rows"]}
    splits = ("leave_one_source_out_predicted", "leave_one_accelerator_out_predicted")
    assert all(all(k in r for k in splits) for r in rows.values())
    # InferenceMAX is the only source of SGLang on ROCm for an MoE model: without it MI300X is predicted from the
    # dense ROCm rows of the other sources, and far from its in-sample figure
    mi300x = rows["imx-deepseek-r1-mi300x-sglang-fp8-tp8-1k1k-c4"]
    assert mi300x["leave_one_source_out_predicted"] > 1.5 * mi300x["predicted"]
    assert "MoE serving at scale" in render_table(accuracy_doc)


def test_fit_recovers_synthetic_serving_factors(catalog: Catalog) -> None:
    """Rows generated from known serving factors on top of the prior step layer are fitted back."""
    cases, _ = load_corpus(catalog)
    h100 = [c for c in cases if c.accelerator == "h100-sxm" and c.level == "end_to_end" and c.engine == "vllm"]
    base = prior(catalog.accelerators.get("h100-sxm"))
    truth = base.model_copy(
        update={"scheduler_ms_per_step": 2.0, "per_sequence_overhead_us": 30.0, "mixed_step_efficiency": 0.7}
    )
    synthetic = []
    for c in h100:
        pred = predict(c, catalog, truth)
        synthetic.append(Case(**{**c.__dict__, "measured": {k: pred[k] for k in c.measured if k in pred}}))
    priors = {a.id: prior(a) for a in catalog.accelerators}
    before = [abs(p.error_pct) for p in predictions(synthetic, catalog, priors)]
    fitted = fit_all(synthetic, catalog, priors, "synthetic")
    errors = [abs(p.error_pct) for p in predictions(synthetic, catalog, fitted)]
    # the pull toward the prior keeps a few per cent on eight rows; unfitted, the error is several times larger
    assert np.median(errors) < 5.0 and np.median(before) > 3 * np.median(errors)


VLLM_RESULT = {
    "backend": "vllm",
    "model_id": "meta-llama/Llama-3.1-8B-Instruct",
    "completed": 200,
    "total_input_tokens": 200 * 1000,
    "total_output_tokens": 200 * 200,
    "request_throughput": 12.0,
    "output_throughput": 2400.0,
    "mean_ttft_ms": 80.0,
    "mean_tpot_ms": 11.0,
    "max_concurrency": 32,
}

GUIDELLM_REPORT = {
    "benchmarks": [
        {
            "metrics": {
                "output_tokens_per_second": {"successful": {"mean": 2400.0}},
                "prompt_token_count": {"successful": {"mean": 1000.0}},
                "output_token_count": {"successful": {"mean": 200.0}},
                "request_concurrency": {"successful": {"mean": 32.0}},
                "time_to_first_token_ms": {"successful": {"mean": 80.0}},
                "time_per_output_token_ms": {"successful": {"mean": 11.0}},
            }
        }
    ]
}


@pytest.mark.parametrize("doc", [VLLM_RESULT, GUIDELLM_REPORT], ids=["vllm", "guidellm"])
def test_load_generator_results(tmp_path: Path, doc: dict[str, object]) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc))
    (case,) = read_result_file(path, model="llama-3.1-8b", accelerator="h100-sxm", gpus=1, tp=1, precision="bf16")
    assert case.input_tokens == 1000 and case.output_tokens == 200 and case.batch == 32
    assert case.measured == {"output_tok_s_per_gpu": 2400.0, "ttft_ms": 80.0, "tpot_ms": 11.0}


def test_unknown_result_format(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{}")
    with pytest.raises(CalibrationError, match="neither"):
        read_result_file(path, model="m", accelerator="a", gpus=1, tp=1, precision="bf16")


def test_calibrate_profile_is_used_by_a_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = tmp_path / "bench.json"
    result.write_text(json.dumps(VLLM_RESULT))
    profile = tmp_path / "profile.yaml"
    code = main(
        [
            "calibrate",
            "--from",
            str(result),
            "--model",
            "llama-3.1-8b",
            "--accelerator",
            "h100-sxm",
            "--precision",
            "bf16",
            "-o",
            str(profile),
        ]
    )
    assert code == 0, capsys.readouterr().err
    cat = load_catalog([profile])
    assert cat.efficiency.get("h100-sxm").overlay
    scenario = tmp_path / "s.yaml"
    scenario.write_text(MINIMAL + "calibration: profile.yaml\n")
    from llmtco.scenario import load_scenario

    _, cat2 = load_scenario(scenario)
    assert cat2.efficiency.get("h100-sxm").overlay


def test_missing_calibration_profile_names_the_field() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(MINIMAL + "calibration: /nonexistent/profile.yaml\n")
    (issue,) = info.value.issues
    assert issue.path == "calibration" and "not found" in issue.message and issue.line == MINIMAL.count("\n") + 1


def test_calibrate_json_needs_model(tmp_path: Path) -> None:
    result = tmp_path / "bench.json"
    result.write_text(json.dumps(VLLM_RESULT))
    with pytest.raises(CalibrationError, match="--model"):
        calibrate(load_catalog(), result, tmp_path / "p.yaml", accelerator="h100-sxm")


def test_accuracy_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["accuracy", "--no-loso", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["in_sample"]["output_tok_s_per_gpu"]["all"]["n"] > 50
    assert doc["unmapped"] and doc["rows"]


def test_most_specific_efficiency_factors_are_used(catalog: Catalog) -> None:
    from llmtco.engine.adapters import efficiency_for

    assert efficiency_for(catalog, "h100-sxm", "vllm", "bf16").id == "h100-sxm@vllm@bf16"
    assert efficiency_for(catalog, "h100-sxm", "vllm", "int4").id == "h100-sxm@vllm"
    assert efficiency_for(catalog, "h100-sxm", None, "bf16").id == "h100-sxm"
    # an accelerator without rows of its own: the vendor@engine level of the serving fit answers (vLLM's
    # rows span NVIDIA and AMD, whose builds are different stacks)
    sparse = efficiency_for(catalog, "l4", "vllm", "bf16")
    assert sparse.id == "l4@vllm" and "serving: nvidia@vllm" in sparse.notes and "step: prior" in sparse.notes


def test_new_corpus_files_carry_level_and_source_family(tmp_path: Path, catalog: Catalog) -> None:
    """A measurements CSV with the optional trailing columns: kernel steps and end-to-end rows, family given."""
    header = open_corpus_header() + ",level,source_family\n"
    rows = [
        "k1,Llama-3.1-8B-Instruct,8.03,H100-SXM-80GB,1,BF16,vLLM 0.11,2048,,64,decode-step,,,9.1,,,"
        "https://example.org/step-table,2026-10,TP1,kernel_step,paper-x",
        "k2,Llama-3.1-8B-Instruct,8.03,H100-SXM-80GB,1,BF16,vLLM 0.11,4096,,1,prefill-step,,250,,,,"
        "https://example.org/step-table,2026-10,TP1,kernel_step,paper-x",
        "e1,Llama-3.1-8B-Instruct,8.03,H100-SXM-80GB,1,BF16,SGLang 0.5,1000,200,avg running batch 32,"
        "steady-state batch,2500,,12.5,,,https://example.org/bench,2026-10,,,blog-y",
    ]
    path = tmp_path / "measurements-2026.csv"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    cases, unmapped = load_corpus(catalog, path)
    assert not unmapped
    by_id = {c.id: c for c in cases}
    assert by_id["k1"].level == by_id["k2"].level == "kernel_step" and by_id["k1"].family == "paper-x"
    assert by_id["k1"].measured == {"decode_step_ms": 9.1} and by_id["k2"].measured == {"prefill_step_ms": 250.0}
    assert by_id["e1"].level == "end_to_end" and by_id["e1"].family == "blog-y" and by_id["e1"].engine == "sglang"
    effs = {e.id: e for e in catalog.efficiency}
    preds = {(p.case.id, p.metric): p for p in predictions(cases, catalog, effs)}
    assert preds[("k1", "decode_step_ms")].predicted > 0 and preds[("k2", "prefill_step_ms")].predicted > 0
    assert ("e1", "tpot_ms") in preds


def open_corpus_header() -> str:
    from llmtco.calibration.corpus import COLUMNS

    return ",".join(COLUMNS)


def test_rack_scale_and_2026_gpus_map_to_their_own_records(catalog: Catalog) -> None:
    """GB200 rows are GB200 (not B200 read twice), MI325X/MI355X have their own records, and a 96 GB HBM2e
    H100 maps onto its own record, not the catalog's 80 GB H100 SXM."""
    import csv

    from llmtco.calibration.corpus import Case, Unmapped, map_row

    path = Path(__file__).resolve().parents[2] / "src/llmtco/calibration/data/measurements-2026.csv"
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))

    def mapped(pattern: str) -> set[str]:
        return {m.accelerator for r in rows if pattern in r["gpu"] and isinstance(m := map_row(r, catalog), Case)}

    assert mapped("GB200") == {"gb200"}
    assert mapped("MI325X") == {"mi325x"} and mapped("MI355X") == {"mi355x"}
    grand_teton = [map_row(r, catalog) for r in rows if "H100-96GB" in r["gpu"]]
    assert grand_teton and all(isinstance(m, Case) and m.accelerator == "h100-96gb" for m in grand_teton)
    assert all(any("96 GB HBM2e" in a for a in m.assumptions) for m in grand_teton if isinstance(m, Case))
    assert not any(isinstance(m, Unmapped) for m in grand_teton)
