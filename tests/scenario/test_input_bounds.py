"""Every input is checked: finite, within its physical range, bounded in size; files are read safely."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from llmtco.errors import ScenarioError
from llmtco.scenario import load_scenario, parse_scenario_text
from llmtco.yamlio import MAX_YAML_BYTES, load_yaml, load_yaml_text
from tests.conftest import MINIMAL

BOMB = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
    + ["name: *i"]
)
"""The classic "billion laughs": nine levels of nine aliases (~387 M strings once expanded)."""


def _error(text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(text, "s.yaml")
    return str(info.value)


def test_billion_laughs_is_refused_fast() -> None:
    assert len(BOMB) < 2000
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="aliases expanded"):
        load_yaml_text(BOMB, "bomb.yaml")
    assert time.perf_counter() - start < 5  # expanding it would take minutes and gigabytes


def test_document_size_and_depth_are_capped() -> None:
    with pytest.raises(ScenarioError, match="over the limit"):
        load_yaml_text("# " + "x" * MAX_YAML_BYTES + "\nname: x\n")
    with pytest.raises(ScenarioError, match="nests deeper"):
        load_yaml_text("a: " + "[" * 200 + "]" * 200)


def test_fifo_device_and_huge_file_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_yaml(fifo)  # opening a FIFO with no writer would block forever
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_yaml("/dev/zero")
    big = tmp_path / "big.yaml"
    with big.open("w") as fh:
        fh.write("# " + "c" * (50 * 1024 * 1024) + "\nname: x\n")
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="limit"):
        load_scenario(big)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("requests_per_day: 100000", "requests_per_day: .inf", "workloads.0.requests_per_day"),
        ("requests_per_day: 100000", "requests_per_day: .nan", "workloads.0.requests_per_day"),
        ("requests_per_day: 100000", "requests_per_day: 1e-300", "workloads.0.requests_per_day"),
        ("requests_per_day: 100000", "requests_per_day: 1e308", "workloads.0.requests_per_day"),
        ("input_tokens: 1000", "input_tokens: 1e30", "workloads.0.input_tokens"),
        ("start_date: 2027-01-01", "start_date: 0001-01-01", "assumptions.start_date"),
        ("start_date: 2027-01-01", "start_date: 9999-12-31", "assumptions.start_date"),
        ("server: hgx-h100-8}", "server: hgx-h100-8, spare_servers: 1000000000000000000000000000000}", "options.0"),
        ("server: hgx-h100-8}", "server: hgx-h100-8, electricity_usd_per_kwh: .inf}", "options.0"),
        ("output_tokens: 200", "output_tokens: 200\n    weekly_profile: [0, 0, 0, 0, 0, 0, 0]", "workloads.0"),
        ("output_tokens: 200", "output_tokens: 200\n    slo: {tpot_ms: .inf}", "workloads.0.slo.tpot_ms"),
        ("name: chat", 'name: "chat\\0"', "workloads.0.name"),
    ],
)
def test_out_of_range_numbers_name_the_field(old: str, new: str, field: str) -> None:
    assert old in MINIMAL
    msg = _error(MINIMAL.replace(old, new))
    assert field in msg, msg


@pytest.mark.parametrize(
    ("rates", "allowed"),
    [
        ("{maintenance_pct_per_year: .nan}", "finite"),
        ("{maintenance_pct_per_year: -1000}", "from 0 to 100"),
        ("{cloud_pue: 0.5}", "from 1 to 3"),
        ("{maintenance_pct_per_year: {low: -5, mode: 10, high: 20}}", "from 0 to 100"),
    ],
)
def test_rate_overrides_are_within_their_physical_range(rates: str, allowed: str) -> None:
    text = MINIMAL.replace("server: hgx-h100-8}", f"server: hgx-h100-8, rates: {rates}}}")
    msg = _error(text)
    assert "options.0.rates.maintenance_pct_per_year" in msg or "options.0.rates.cloud_pue" in msg
    assert allowed in msg


def test_distribution_ends_must_be_valid_values_of_their_field() -> None:
    dist = "requests_per_day: {low: -100, mode: 1000, high: 2000}"
    msg = _error(MINIMAL.replace("requests_per_day: 100000", dist))
    assert "workloads.0.requests_per_day" in msg and "low -100" in msg
    msg = _error(MINIMAL.replace("requests_per_day: 100000", "requests_per_day: {low: 1, mode: 2, high: .inf}"))
    assert "workloads.0.requests_per_day" in msg and "finite" in msg


def test_list_sizes_are_capped() -> None:
    options = "".join(f"  - {{name: api{i}, kind: api, offering: together-llama-3.1-8b}}\n" for i in range(65))
    msg = _error(MINIMAL.split("options:")[0] + "options:\n" + options)
    assert "options" in msg and "at most 64" in msg


def test_catalog_names_a_file_or_files(write: Callable[..., Path]) -> None:
    quote = """\
servers:
  - {id: hgx-h100-8, name: Quoted HGX H100, accelerator: h100-sxm, gpus: 8, price_usd: 199000,
     non_gpu_power_w: 3000, rack_units: 8, source: our quote, as_of: 2026-06}
"""
    write(quote, "quote.yaml")
    sc_path = write(MINIMAL + "catalog: quote.yaml\n")
    _, cat = load_scenario(sc_path)  # relative to the scenario file, not the working directory
    assert cat.servers.get("hgx-h100-8").price_usd == 199000
    write(quote.replace("199000", "188000").replace("hgx-h100-8", "hgx-h100-8b"), "quote2.yaml")
    _, cat = load_scenario(write(MINIMAL + "catalog: [quote.yaml, quote2.yaml]\n"))
    assert cat.servers.get("hgx-h100-8b").price_usd == 188000 and cat.servers.get("hgx-h100-8").overlay
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(MINIMAL + "catalog: [quote.yaml, missing.yaml]\n"))
    assert "catalog.1" in str(info.value) and "not found" in str(info.value)


def test_overlay_records_are_finite_and_bounded(write: Callable[..., Path]) -> None:
    bad = """\
catalog:
  accelerators:
    - {id: x, name: X, vendor: v, form_factor: sxm, vram_gb: .inf, hbm_bandwidth_tb_s: 3, tflops_dense: {bf16: 1e308},
       tdp_w: 700, interconnect: nvlink, interconnect_gb_s: 450, source: datasheet, as_of: 2026,
       idle_w: {value: 70, source: datasheet, as_of: 2026}, unit_price_usd: {value: 1, source: quote, as_of: 2026}}
  rates:
    - {id: maintenance_pct_per_year, value: -1000, unit: "%", source: ours, as_of: 2026}
"""
    msg = _error(MINIMAL + bad)
    assert "catalog.accelerators.0.vram_gb" in msg and "finite" in msg
    assert "catalog.accelerators.0.tflops_dense.bf16" in msg


def test_rates_in_overlay_are_checked(write: Callable[..., Path]) -> None:
    bad = """\
catalog:
  rates:
    - {id: maintenance_pct_per_year, value: -1000, unit: "%", source: ours, as_of: 2026}
"""
    msg = _error(MINIMAL + bad)
    assert "catalog.rates.0" in msg and "from 0 to 100" in msg
