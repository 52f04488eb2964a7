"""FOCUS bills and the on-prem ledger: exact totals, filters, missing months, malformed rows."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from llmtco.cli import main

RANGE = ["--from", "2026-09-01", "--to", "2026-11-30"]


def run_json(capsys: pytest.CaptureFixture[str], example: Path, option: str, *args: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    code = main(["actuals", str(example / "scenario.yaml"), "--option", option, *RANGE, *args, "-f", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, err


def focus(example: Path) -> list[dict[str, str]]:
    with (example / "focus-bill.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def ours(row: dict[str, str]) -> bool:
    return json.loads(row["Tags"]).get("llmtco-option") == "aws-h100"


def month_items(doc: dict, month: str) -> dict[str, float | None]:  # type: ignore[type-arg]
    m = next(x for x in doc["months"] if x["month"] == month)
    return {i["item"]: i["actual_usd"] for i in m["items"]}


def test_focus_totals_are_the_exact_sums_of_the_kept_rows(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, err = run_json(
        capsys, example, "aws-h100", "--billing", str(example / "focus-bill.csv"), "--tag", "llmtco-option=aws-h100"
    )
    assert code == 0, err
    rows = focus(example)
    kept = [r for r in rows if ours(r)]
    assert 0 < len(kept) < len(rows)
    assert doc["totals"]["actual"]["cost_usd"] == math.fsum(float(r["EffectiveCost"]) for r in kept)
    sept = month_items(doc, "2026-09")
    compute = [r for r in kept if r["ServiceCategory"] == "Compute" and r["ChargePeriodStart"].startswith("2026-09")]
    assert sept["cloud_compute"] == math.fsum(float(r["EffectiveCost"]) for r in compute)
    assert {"cloud_compute", "cloud_egress", "storage"} <= set(sept)
    nov = next(x for x in doc["months"] if x["month"] == "2026-11")
    assert nov["status"] == "missing" and nov["actual"]["cost_usd"] is None
    assert "cloud_compute" in nov["missing"]


def test_resource_ids_and_the_cost_column_select(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, err = run_json(
        capsys, example, "aws-h100", "--billing", str(example / "focus-bill.csv"),
        "--resource-id", "i-0a1b2c3d4e5f60001", "--cost-column", "BilledCost",
    )  # fmt: skip
    assert code == 0, err
    kept = [r for r in focus(example) if r["ResourceId"] == "i-0a1b2c3d4e5f60001"]
    assert doc["totals"]["actual"]["cost_usd"] == math.fsum(float(r["BilledCost"]) for r in kept)
    assert month_items(doc, "2026-09").get("storage") is None


def test_a_malformed_bill_row_is_named_and_the_rest_kept(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = focus(example)
    rows[4]["EffectiveCost"] = "12,3x"  # ours (rows[3] is another team's and filtered out)
    rows[7]["Tags"] = "{not json"
    bill = tmp_path / "bill.csv"
    with bill.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    code, doc, err = run_json(capsys, example, "aws-h100", "--billing", str(bill), "--tag", "llmtco-option=aws-h100")
    assert code == 2
    assert f"{bill}:6: row skipped: EffectiveCost: '12,3x' is not a number" in err
    assert f"{bill}:9: row skipped: Tags: '{{not json' is not a JSON object" in err
    assert "Traceback" not in err
    good = [r for i, r in enumerate(rows) if i not in (4, 7) and ours(r)]
    assert doc["totals"]["actual"]["cost_usd"] == math.fsum(float(r["EffectiveCost"]) for r in good)


def test_a_file_that_is_not_focus_says_which_columns_are_missing(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bill = tmp_path / "cur.csv"
    bill.write_text("lineItem/UnblendedCost,lineItem/UsageStartDate\n1.0,2026-09-01\n")
    code, _, err = run_json(capsys, example, "aws-h100", "--billing", str(bill))
    assert code == 2
    assert "not a FOCUS export: column(s) BilledCost, EffectiveCost" in err


def test_ledger_totals_are_exact_and_bad_rows_are_named(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (example / "onprem-ledger.csv").read_text()
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        text
        + "2026-10,personell,100.00,USD,typo\n"
        + "2026-13,personnel,100.00,USD,bad month\n"
        + "2026-10,insurance,12.5,EUR,converted\n"
        + "2026-10,insurance,1,USD,x,extra\n"
    )
    code, doc, err = run_json(capsys, example, "onprem-h100", "--ledger", str(ledger))
    assert code == 2
    assert f"{ledger}:20: row skipped: item: unknown item 'personell'. Did you mean 'personnel'?" in err
    assert f"{ledger}:21: row skipped: month: '2026-13' is not YYYY-MM" in err
    assert f"{ledger}:23: 1 value(s) beyond the header" in err
    with (example / "onprem-ledger.csv").open(newline="") as fh:
        amounts = [float(r["amount"]) for r in csv.DictReader(fh)]
    from llmtco.catalog import load_catalog

    eur = load_catalog().fx.get("EUR").usd_per_unit
    assert doc["totals"]["actual"]["cost_usd"] == math.fsum([*amounts, 12.5 * eur])
    # no energy in the ledger and no telemetry: energy is missing, not zero
    sept = next(x for x in doc["months"] if x["month"] == "2026-09")
    assert "energy_it" in sept["missing"] and month_items(doc, "2026-09")["energy_it"] is None
