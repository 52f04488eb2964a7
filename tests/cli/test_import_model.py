"""`llmtco catalog import-model`, `perf --model config.json` and `model: config.json` in scenarios."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from llmtco.cli import main
from llmtco.engine import evaluate
from llmtco.errors import ScenarioError
from llmtco.scenario import load_scenario, parse_scenario_text
from tests.conftest import MINIMAL

CONFIGS = Path(__file__).parents[1] / "catalog" / "configs"
QWEN8 = CONFIGS / "Qwen--Qwen3-8B.json"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_model_writes_an_overlay_the_catalog_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overlay = tmp_path / "k2.yaml"
    src = CONFIGS / "moonshotai--Kimi-K2-Instruct.json"
    code, _, err = run(capsys, "catalog", "import-model", str(src), "--id", "my-k2", "-o", str(overlay))
    assert code == 0, err
    code, out, err = run(capsys, "catalog", "show", "models", "my-k2", "--catalog", str(overlay))
    assert code == 0, err
    rec = json.loads(out)
    assert rec["source"] == f"config.json sha256:{hashlib.sha256(src.read_bytes()).hexdigest()}"
    assert (rec["attention"], rec["experts"], rec["shared_experts"], rec["overlay"]) == ("mla", 384, 1, True)


def test_import_model_unknown_architecture_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "config.json"
    bad.write_text(json.dumps({"model_type": "gpt2", "n_layer": 12}))
    code, out, err = run(capsys, "catalog", "import-model", str(bad), "--id", "x")
    assert code == 2 and not out
    assert "'model_type' is 'gpt2'" in err and "Traceback" not in err


def test_perf_decode_accepts_a_config_path(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("perf", "decode", "--accelerator", "h100-sxm", "--batch", "8", "--format", "json")
    code, out, err = run(capsys, *args, "--model", str(QWEN8))
    assert code == 0, err
    from_config = json.loads(out)
    # Qwen3-8B in the catalog has the same shape; the step physics must agree within rounding of params_b.
    code, out, err = run(capsys, *args, "--model", "qwen3-8b")
    assert code == 0, err
    from_catalog = json.loads(out)
    assert from_config["step_ms"] == pytest.approx(from_catalog["step_ms"], rel=1e-3)


def test_perf_missing_config_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "perf", "decode", "--model", "nope/config.json", "--accelerator", "h100-sxm")
    assert code == 2 and "cannot read the model config" in err


def test_scenario_model_from_config_file(tmp_path: Path) -> None:
    shutil.copy(QWEN8, tmp_path / "qwen3-8b.json")
    path = tmp_path / "scenario.yaml"
    path.write_text(MINIMAL.replace("model: llama-3.1-8b", "model: qwen3-8b.json"))
    sc, cat = load_scenario(path)
    model = cat.models.get("qwen3-8b.json")
    assert model.overlay and model.layers == 36 and model.source.startswith("config.json sha256:")
    result = evaluate(sc, cat)
    assert any(not o.excluded for o in result.options)


def test_scenario_bad_config_names_the_workload_field(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text(json.dumps({"model_type": "qwen3", "num_hidden_layers": 2}))
    path = tmp_path / "scenario.yaml"
    path.write_text(MINIMAL.replace("model: llama-3.1-8b", "model: broken.json"))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "workloads.0.model" in text and "'hidden_size' is missing" in text and "scenario.yaml:5:12:" in text


def test_scenario_text_refuses_config_paths() -> None:
    with pytest.raises(ScenarioError, match="read only from a scenario file on disk"):
        parse_scenario_text(MINIMAL.replace("model: llama-3.1-8b", "model: /etc/config.json"))
