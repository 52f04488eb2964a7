import json
from pathlib import Path

import numpy as np
import pytest

from llmtco.calibration.api import accuracy, calibrate
from llmtco.calibration.corpus import Case, load_corpus
from llmtco.calibration.fit import fit_accelerator, predictions
from llmtco.calibration.imports import read_result_file
from llmtco.calibration.predict import predict
from llmtco.calibration.priors import prior
from llmtco.calibration.report import TARGETS_PCT
from llmtco.catalog import Catalog, load_catalog
from llmtco.cli import main
from llmtco.errors import CalibrationError, ScenarioError
from llmtco.scenario import parse_scenario_text
from tests.conftest import MINIMAL


def test_corpus_mapping(catalog: Catalog) -> None:
    cases, unmapped = load_corpus(catalog)
    by_id = {c.id: c for c in cases}
    assert len(cases) + len(unmapped) == 93
    # per-GPU normalisation: 6,378 output tok/s over 2 GPUs
    assert by_id["trtllm-12"].measured["output_tok_s_per_gpu"] == pytest.approx(3189.0)
    assert by_id["trtllm-12"].tp == 2 and by_id["trtllm-12"].precision == "fp8"
    # ML.ENERGY power is summed over GPUs
    assert by_id["mlenergy-l31-70b-h100-4g-b8"].measured["power_w_per_gpu"] == pytest.approx(1765.4 / 4)
    assert by_id["mlenergy-l31-70b-h100-4g-b8"].batch == pytest.approx(8.0)
    # assumed lengths are recorded, not hidden
    assert any("estimate" in a for a in by_id["mlperf41-01"].assumptions)
    reasons = {u.id: u.reason for u in unmapped}
    assert "not in the catalog" in reasons["tune-8b-full-a6000"]
    assert "MaxQ" in reasons["mlperf41-09"]


def test_corpus_with_missing_columns_is_rejected(tmp_path: Path, catalog: Catalog) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,model\nx,y\n")
    with pytest.raises(CalibrationError, match="missing columns"):
        load_corpus(catalog, bad)


def test_shipped_factors_meet_the_accuracy_targets(catalog: Catalog) -> None:
    """The in-sample error of the bundled, fitted factors stays within the published targets."""
    doc = accuracy(catalog, loso=False)
    for metric, target in TARGETS_PCT.items():
        assert doc["in_sample"][metric]["all"]["median_ape"] <= target, metric


def test_fit_recovers_synthetic_factors(catalog: Catalog) -> None:
    cases, _ = load_corpus(catalog)
    h100 = [c for c in cases if c.accelerator == "h100-sxm" and c.kind != "train"]
    truth = prior(catalog.accelerators.get("h100-sxm")).model_copy(
        update={"decode_bandwidth_efficiency": 0.6, "decode_compute_efficiency": 0.35, "step_overhead_ms": 2.5}
    )
    synthetic = []
    for c in h100:
        pred = predict(c, catalog, truth)
        synthetic.append(Case(**{**c.__dict__, "measured": {k: pred[k] for k in c.measured if k in pred}}))
    fitted = fit_accelerator(synthetic, catalog, prior(catalog.accelerators.get("h100-sxm")), "synthetic")
    errors = [abs(p.error_pct) for p in predictions(synthetic, catalog, {"h100-sxm": fitted})]
    assert np.median(errors) < 3.0


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
    assert efficiency_for(catalog, "h100-sxm", "vllm", "fp8").id == "h100-sxm@vllm"
    assert efficiency_for(catalog, "h100-sxm", None, "bf16").id == "h100-sxm"
    assert efficiency_for(catalog, "l4", "vllm", "bf16").id == "l4"
