"""Recalibration: the profile a scenario loads, and the forecast moving toward the evidence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from llmtco import load_scenario
from llmtco.analysis.actuals.plan import plan_for
from llmtco.cli import main


@pytest.fixture
def recalibrated(example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict, Path]:  # type: ignore[type-arg]
    shutil.copy(example / "scenario.yaml", tmp_path / "scenario.yaml")
    profile = tmp_path / "observed.yaml"
    code = main(
        [
            "actuals", str(tmp_path / "scenario.yaml"), "--option", "onprem-h100", "--from", "2026-09-01",
            "--to", "2026-10-31", "--export", str(example / "telemetry-export.json.gz"),
            "--write-profile", str(profile), "-f", "json",
        ]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)["recalibration"], tmp_path


def test_the_profile_moves_the_model_toward_the_measurements(recalibrated: tuple[dict, Path]) -> None:  # type: ignore[type-arg]
    rc, _ = recalibrated
    observed, before, after = (
        rc["observed_output_tok_s_per_gpu"],
        rc["planned_output_tok_s_per_gpu"],
        rc["recalibrated_output_tok_s_per_gpu"],
    )
    assert abs(observed - before) > 0.05 * before  # the generated fleet does not run as planned
    assert abs(after - observed) < abs(before - observed)  # the profile moves the model toward the evidence
    p_obs, p_before, p_after = (
        rc["observed_power_w_per_gpu"],
        rc["planned_power_w_per_gpu"],
        rc["recalibrated_power_w_per_gpu"],
    )
    assert abs(p_after - p_obs) < abs(p_before - p_obs)
    # end-to-end telemetry moves the serving layer, never the GPU's step physics (fitted on kernel data)
    assert rc["factors_after"]["decode_bandwidth_efficiency"] == rc["factors_before"]["decode_bandwidth_efficiency"]
    assert rc["factors_after"] != rc["factors_before"]
    # the forecast for the rest of the horizon is replanned with the profile (throughput and power both moved,
    # so the energy's direction depends on which weighs more; that it is replanned is what is asserted)
    assert rc["forecast_months"] == 34
    assert rc["forecast_energy_kwh_after"] != rc["forecast_energy_kwh_before"]


def test_a_scenario_loads_the_profile_with_calibration(recalibrated: tuple[dict, Path]) -> None:  # type: ignore[type-arg]
    rc, folder = recalibrated
    text = (folder / "scenario.yaml").read_text()
    (folder / "scenario.yaml").write_text(text + "calibration: observed.yaml\n")
    sc, cat = load_scenario(folder / "scenario.yaml")
    eff = cat.efficiency.get(rc["efficiency_id"])
    assert eff.decode_bandwidth_efficiency == pytest.approx(rc["factors_after"]["decode_bandwidth_efficiency"])
    assert "measured by `llmtco actuals`" in eff.source and eff.fitted_on >= 2
    plan = plan_for(sc, cat, "onprem-h100")
    rest = sum(float(a[2:].sum()) for _, a in plan.items.values())
    assert rest == pytest.approx(rc["forecast_cost_usd_after"], rel=1e-9)


def test_write_profile_needs_telemetry(example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "actuals", str(example / "scenario.yaml"), "--option", "onprem-h100", "--from", "2026-09-01",
            "--to", "2026-10-31", "--ledger", str(example / "onprem-ledger.csv"),
            "--write-profile", str(tmp_path / "p.yaml"),
        ]
    )  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 2 and "--write-profile needs telemetry" in err
    assert not (tmp_path / "p.yaml").exists()
