"""Engine settings of published launch scripts reach the rows they ran, with their source, and move TTFT by
the scheduler's polling as the serving layer states it."""

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from llmtco.calibration.corpus import Case, map_row
from llmtco.calibration.recipes import RECIPES, recipe_settings
from llmtco.catalog import Catalog
from llmtco.sizing.serving import EngineShape, Load, point_at_batch
from tests.conftest import llama8b, simple_hw

ROOT = Path(__file__).resolve().parents[2] / "src/llmtco/calibration"
HOLDOUT = {r["id"]: r for r in csv.DictReader((ROOT / "data/measurements-2026.csv").read_text("utf-8").splitlines())}


def test_every_recipe_cites_a_pinned_launch_script(catalog: Catalog) -> None:
    for r in RECIPES:
        assert re.fullmatch(
            r"https://github\.com/InferenceMAX/InferenceMAX/blob/[0-9a-f]{40}/benchmarks/\S+\.sh", r.source()
        )
        assert r.model in catalog.models and all(a in catalog.accelerators for a in r.accelerators)


@pytest.mark.parametrize(
    ("row_id", "chunk", "poll"),
    [
        ("imx-deepseek-r1-b200-sglang-fp8-tp8-8k1k-c4", 32768, 10),
        ("imx-deepseek-r1-b200-sglang-fp8-tp8-8k1k-c64", 32768, 30),
        ("imx-deepseek-r1-mi300x-sglang-fp8-tp8-1k1k-c64", 196608, 4),
        ("imx-deepseek-r1-mi355x-sglang-fp4-tp8-8k1k-c64", 32768, 4),
        ("imx-deepseek-r1-mi355x-sglang-fp4-tp8-8k1k-c4", 196608, 4),
    ],
)
def test_a_row_carries_the_settings_its_script_set(catalog: Catalog, row_id: str, chunk: float, poll: float) -> None:
    case = map_row(HOLDOUT[row_id], catalog)
    assert isinstance(case, Case) and case.engine_settings is not None
    assert (case.engine_settings.chunk_tokens, case.engine_settings.poll_steps) == (chunk, poll)
    assert any("InferenceMAX/InferenceMAX/blob/" in a and "scheduler_recv_skipper.py" in a for a in case.assumptions)


def test_rows_no_listed_script_ran_keep_the_defaults(catalog: Catalog) -> None:
    case = map_row(HOLDOUT["imx-gpt-oss-120b-h100-vllm-fp4-tp2-1k1k-c64"], catalog)
    assert isinstance(case, Case) and case.engine_settings is None
    assert recipe_settings("inferencemax", "vllm", "gpt-oss-120b", "h100-sxm", "mxfp4", 64.0, 1024.0) is None


def test_polling_adds_half_the_steps_between_polls_to_ttft() -> None:
    hw = simple_hw(vram_gb=np.array([80.0]))
    base = EngineShape(scheduler_ms_per_step=0.5, per_sequence_us=10.0, mixed_step_efficiency=0.9)
    polled = EngineShape(scheduler_ms_per_step=0.5, per_sequence_us=10.0, mixed_step_efficiency=0.9, poll_steps=9.0)
    idle = Load(utilisation=0.0)
    a = point_at_batch(llama8b(), hw, 2.0, 2.0, 1, 1000.0, 200.0, 16.0, base, idle)
    b = point_at_batch(llama8b(), hw, 2.0, 2.0, 1, 1000.0, 200.0, 16.0, polled, idle)
    assert b.tpot_ms[0] == pytest.approx(a.tpot_ms[0])
    assert b.ttft_ms[0] - a.ttft_ms[0] == pytest.approx(4.0 * a.step_ms[0])
    # a lone request finds nothing decoding: the scheduler receives it at once
    one_a = point_at_batch(llama8b(), hw, 2.0, 2.0, 1, 1000.0, 200.0, 1.0, base, idle)
    one_b = point_at_batch(llama8b(), hw, 2.0, 2.0, 1, 1000.0, 200.0, 1.0, polled, idle)
    assert one_b.ttft_ms[0] == pytest.approx(one_a.ttft_ms[0])
