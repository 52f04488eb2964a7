import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from llmtco.cli import main
from llmtco.result import SCHEMA_VERSION
from tests.conftest import EXAMPLES, MINIMAL

ONPREM_ITEMS = {
    "gpu_servers",
    "network_fabric",
    "storage",
    "energy_it",
    "energy_cooling",
    "maintenance",
    "software_licences",
    "software_updates",
    "network_management",
    "personnel",
    "insurance",
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_breaks_down(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "breakdown", str(example), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema_version"] == SCHEMA_VERSION == "2.1"
    assert doc["metadata"]["tool_version"] and doc["metadata"]["catalog_as_of"]["servers"]
    onprem = [o for o in doc["options"] if o["kind"] == "onprem" and not o["excluded"]]
    assert onprem, "each example compares at least one on-prem option"
    for o in onprem:
        items = {li["item"] for li in o["line_items"]}
        assert items >= ONPREM_ITEMS
        assert items & {"facility", "colocation"}
        assert o["sizing"]["gpus"] > 0 and o["sizing"]["servers"] > 0 and o["sizing"]["replicas"] > 0
        assert o["energy_mwh"] > 0 and o["emissions_tco2e"] > 0
    for o in doc["options"]:
        for key in (
            "name",
            "kind",
            "excluded",
            "reason",
            "total_cost_usd",
            "npv_usd",
            "cost_per_mtok_usd",
            "line_items",
            "sizing",
            "energy_mwh",
            "emissions_tco2e",
        ):
            assert key in o
        if not o["excluded"]:
            total = sum(li["total_usd"] for li in o["line_items"])
            assert total == pytest.approx(o["total_cost_usd"])
            assert len(o["line_items"][0]["monthly_usd"]) == doc["horizon_months"]


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "breakdown", str(EXAMPLES[0]))
    assert code == 0
    assert "Total cost" in out and "Break-even vs" in out and "gpu_servers" in out


def test_airgapped_example_excludes_with_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    path = next(p for p in EXAMPLES if "airgapped" in p.name)
    code, out, _ = run(capsys, "breakdown", str(path), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    excluded = {o["name"]: o["reason"] for o in doc["options"] if o["excluded"]}
    assert excluded and all("air-gapped" in r for r in excluded.values())
    assert {o["kind"] for o in doc["options"] if not o["excluded"]} == {"onprem"}


def test_csv_output_to_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.csv"
    code, _, err = run(capsys, "breakdown", str(EXAMPLES[0]), "--format", "csv", "-o", str(target))
    assert code == 0 and "wrote" in err
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert any(r["item"] == "gpu_servers" for r in rows)
    assert any(r["row"] == "summary" and r["item"] == "total_cost_usd" for r in rows)


def test_perf_decode_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "perf",
        "decode",
        "--model",
        "llama-3.1-8b",
        "--accelerator",
        "h100-sxm",
        "--batch",
        "8",
        "--context",
        "1024",
        "--format",
        "json",
    )
    assert code == 0
    doc = json.loads(out)
    for key in ("step_ms", "tokens_per_s", "power_w", "energy_j_per_token", "fits", "memory_gb"):
        assert key in doc
    assert doc["fits"] is True and doc["tokens_per_s"] > 0
    assert 70 < doc["power_w"] <= 700


def test_perf_decode_does_not_fit_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "perf",
        "decode",
        "--model",
        "llama-3.1-405b",
        "--accelerator",
        "l40s",
        "--precision",
        "bf16",
        "--format",
        "json",
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["fits"] is False and "GB" in doc["reason"]


def test_perf_prefill_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "perf",
        "prefill",
        "--model",
        "llama-3.3-70b",
        "--accelerator",
        "h100-sxm",
        "--seq",
        "2048",
        "--tp",
        "2",
        "--precision",
        "fp8",
        "--format",
        "json",
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["step_ms"] > 0 and doc["tokens_per_s"] > 0 and doc["power_w"] > 0


def test_perf_unknown_accelerator_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "perf", "decode", "--model", "llama-3.1-8b", "--accelerator", "h100")
    assert code == 2
    assert "--accelerator" in err and "Did you mean" in err and "Traceback" not in err


def test_validate_ok_and_bad(write: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "validate", str(write(MINIMAL)))[0] == 0
    bad = write(MINIMAL.replace("llama-3.1-8b", "llama-9b"), "bad.yaml")
    code, _, err = run(capsys, "validate", str(bad))
    assert code == 2 and "workloads.0.model" in err and "Traceback" not in err


def test_option_whose_model_does_not_fit_is_excluded(
    write: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """One rule in every interface: an option that cannot serve the workload is excluded with its reason
    (the same document the API returns), and the others are still compared."""
    text = (
        MINIMAL.replace("llama-3.1-8b", "llama-3.1-405b")
        .replace("precision: fp8", "precision: bf16")
        .replace("server: hgx-h100-8", "server: pcie-4-l40s")
    )
    code, out, err = run(capsys, "breakdown", str(write(text)), "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    onprem = next(o for o in doc["options"] if o["name"] == "onprem")
    assert onprem["excluded"] is True
    assert "options.0" in onprem["reason"] and "does not fit" in onprem["reason"] and "GB" in onprem["reason"]
    assert doc["cheapest"] != "onprem"


def test_syntax_error_exit_2(write: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "breakdown", str(write("workloads: [\n")))
    assert code == 2 and "YAML syntax error" in err


def test_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    # a scenario that exists, so only the format can be what is refused
    code, out, err = run(capsys, "breakdown", str(EXAMPLES[0]), "--format", "pdf")
    assert code == 2 and out == ""
    assert "'pdf' is not one of" in err and "--format" in err and "Traceback" not in err
    assert run(capsys, "breakdown", str(EXAMPLES[0]), "--format", "json")[0] == 0


def test_init_writes_valid_starter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "s.yaml"
    assert run(capsys, "init", str(target))[0] == 0
    assert run(capsys, "validate", str(target))[0] == 0
    code, _, err = run(capsys, "init", str(target))
    assert code == 2 and "--force" in err  # never overwrites silently


def test_schema_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0 and json.loads(out)["title"] == "llmtco scenario"


def test_catalog_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "list", "accelerators")
    assert code == 0 and "h100-sxm" in out and "source:" in out and "as of" in out
    code, out, _ = run(capsys, "catalog", "show", "servers", "hgx-h100-8")
    assert code == 0 and json.loads(out)["price_usd"] == 255237
    code, _, err = run(capsys, "catalog", "list", "gpus")
    assert code == 2 and "accelerators" in err


def test_finetune_example_shows_idle_hour_scheduling(capsys: pytest.CaptureFixture[str]) -> None:
    path = next(p for p in EXAMPLES if "lora" in p.name)
    code, out, _ = run(capsys, "breakdown", str(path), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    onprem = next(o for o in doc["options"] if o["kind"] == "onprem")
    assert onprem["finetune"][0]["schedule"] == "idle_hours"
    assert {"finetune_compute", "finetune_energy"} <= {li["item"] for li in onprem["line_items"]}
    cloud = next(o for o in doc["options"] if o["kind"] == "cloud_gpu")
    assert cloud["finetune"][0]["gpu_hours"] > 0
    code, out, _ = run(capsys, "breakdown", str(path))
    assert "[idle_hours]" in out
