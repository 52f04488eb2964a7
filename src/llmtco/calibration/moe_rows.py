"""The published MoE serving rows (DeepSeek-R1/V3) predicted with the parallel layouts each source states.

Rows of ``calibration/data/measurements-2026.csv`` (families ``inferencemax``,
``trtllm-dsr1-blog``, ``sglang-blog``) are predicted with the layout each publication
states: the serving layer (``sizing.serving.point_at_batch`` on a
``perf.replica.LayoutReplica``) at the published concurrency, or the phase-isolated
prefill/decode step of ``perf.parallel`` for the SGLang large-scale EP rows, with the
catalog's efficiency factors. The serving-layer rows run the engine as a plan runs it: the MoE
prompt share and the records' ``stack_step_ms`` (``calibration.stack_step`` sets it to 0 to fit it
on the layout physics alone). Rows the model cannot express are returned with the reason.
``analysis.moe_check`` reports them; ``calibration.stack_step`` fits the shipped ``stack_step_ms`` on
their decode rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from llmtco.calibration.corpus import read_rows
from llmtco.calibration.dataset_lengths import client_mean_lengths
from llmtco.calibration.stack_fit import StackStep, StepRow, fit_stack_step_ms
from llmtco.catalog import Catalog
from llmtco.catalog.loader import Table
from llmtco.catalog.records import Efficiency
from llmtco.engine.adapters import efficiency_for, engine_shape, takes_stack_step
from llmtco.engine.layouts import fabric_for, layout_inputs, server_for
from llmtco.perf.parallel import Layout, layout_decode_step
from llmtco.perf.replica import LayoutReplica
from llmtco.sizing.disaggregated import prefill_pool
from llmtco.sizing.serving import Load, point_at_batch

CORPUS = Path(__file__).resolve().parent / "data" / "measurements-2026.csv"
FAMILIES = ("inferencemax", "trtllm-dsr1-blog", "sglang-blog")
_ACCELERATORS = (("b200", "b200"), ("h200", "h200"), ("h100", "h100-sxm"), ("mi300x", "mi300x"),
                 ("mi325x", "mi325x"), ("mi355x", "mi355x"), ("gb200", "gb200"))  # fmt: skip


@dataclass(frozen=True)
class CheckRow:
    """One published row and its prediction."""

    id: str
    family: str
    accelerator: str
    layout: str
    precision: str
    engine: str
    """Serving stack: ``sglang``, ``atom`` or ``trtllm``."""
    workload: str
    """``ISL/OSL cC`` (or the phase) — rows with the same workload are compared across accelerators."""
    metric: str
    """``output tok/s`` (whole system), ``output tok/s per node`` or ``input tok/s per node``."""
    published: float
    predicted: float
    published_tpot_ms: float | None
    predicted_tpot_ms: float | None

    @property
    def error(self) -> float:
        """predicted / published - 1."""
        return self.predicted / self.published - 1.0


def step_row(r: CheckRow) -> StepRow | None:
    """The row as input to ``calibration.stack_fit.fit_stack_step_ms`` (None for prefill rows: no decode step)."""
    if r.predicted_tpot_ms is None or r.predicted <= 0:
        return None
    return StepRow(r.accelerator, r.engine, r.precision, r.published, r.predicted, r.predicted_tpot_ms)


RATIO_BASE = "mi300x"
"""Accelerator the ratios are taken against (the issue's question: B200 vs MI300X)."""


@dataclass(frozen=True)
class RatioRow:
    workload: str
    accelerator: str
    published_ratio: float
    predicted_ratio: float

    @property
    def error(self) -> float:
        return self.predicted_ratio / self.published_ratio - 1.0


def ratios(rows: list[CheckRow], value: dict[str, float]) -> list[RatioRow]:
    """Ratio to ``RATIO_BASE`` on each shared workload, with ``value[row id]`` as the prediction."""
    out: list[RatioRow] = []
    for r in rows:
        key = (r.workload, r.precision)
        base = [b for b in rows if (b.workload, b.precision) == key and b.accelerator == RATIO_BASE]
        if base and r.accelerator != RATIO_BASE and r.id in value and base[0].id in value:
            b = base[0]
            out.append(RatioRow(f"{r.workload} {r.precision}", r.accelerator, r.published / b.published,
                                value[r.id] / value[b.id]))  # fmt: skip
    return out


@dataclass(frozen=True)
class MoeCheck:
    rows: list[CheckRow]
    skipped: list[tuple[str, str]]
    """(row id, why it is not predicted)."""
    ratios: list[RatioRow]
    """Ratios to ``RATIO_BASE`` per shared workload (``ratios``)."""

    @property
    def median_abs_error(self) -> float:
        return float(np.median([abs(r.error) for r in self.rows])) if self.rows else float("nan")

    @property
    def median_abs_ratio_error(self) -> float:
        return float(np.median([abs(r.error) for r in self.ratios])) if self.ratios else float("nan")

    def stack_step_ms(self) -> dict[str, StackStep]:
        """The fit tree on every decode row (in sample: what ``perf frontier --extra-step-ms`` takes)."""
        return fit_stack_step_ms([sr for r in self.rows if (sr := step_row(r)) is not None])


def fold_rows(
    cat: Catalog, effs: dict[str, Efficiency], keep: Callable[[CheckRow], bool], path: Path = CORPUS
) -> list[CheckRow]:
    """The rows ``keep`` accepts, predicted with the factors ``effs`` (a fold's refit) in place of the catalog's."""
    rows, _ = moe_rows(replace(cat, efficiency=Table("efficiency", effs)), path)
    return [r for r in rows if keep(r)]


def checked(rows: list[CheckRow], skipped: list[tuple[str, str]] | None = None) -> MoeCheck:
    """Rows with their ratios to ``RATIO_BASE`` (each row's own prediction)."""
    return MoeCheck(rows=rows, skipped=skipped or [], ratios=ratios(rows, {r.id: r.predicted for r in rows}))


def summary(c: MoeCheck) -> dict[str, float | int]:
    """Median |error| of the rows, and of the ratios with how many are within 25 % of the published ratio."""
    return {"rows": len(c.rows), "median_abs_error": c.median_abs_error, "ratios": len(c.ratios),
            "ratios_within_25pct": sum(abs(r.error) <= 0.25 for r in c.ratios),
            "median_abs_ratio_error": c.median_abs_ratio_error}  # fmt: skip


def _num(text: str) -> float | None:
    m = re.search(r"[0-9][0-9,]*\.?[0-9]*", text)
    return float(m.group(0).replace(",", "")) if m else None


def _accelerator(row: dict[str, str]) -> str | None:
    text = (row["id"] + " " + row["gpu"]).lower()
    for key, acc in _ACCELERATORS:
        if key in text:
            return acc
    return None


def _layout(notes: str, fallback_tp: int) -> Layout:
    """The layout a row's notes state: ``TP8 EP8 dp_attention=true`` / ``attention data parallelism`` → EP8 DP8."""
    tp = int(m.group(1)) if (m := re.search(r"\bTP(\d+)", notes)) else fallback_tp
    ep = int(m.group(1)) if (m := re.search(r"\bEP(\d+)", notes)) else 1
    dp = bool(re.search(r"dp_attention=true|attention data parallelism|DP attention", notes))
    if ep > 1:
        return Layout(tp=1, ep=ep) if dp else Layout(tp=tp, ep=ep)
    return Layout(tp=tp)


def _predict_row(row: dict[str, str], cat: Catalog, model_id: str, acc: str) -> CheckRow | str:
    notes, rid = row["notes"], row["id"]
    precision = "fp4" if re.search(r"fp4", row["precision"], re.I) else "fp8"
    if "SPECULATIVE" in notes or "MTP" in row["scenario"]:
        return "speculative decoding (MTP) is not modelled"
    server = server_for(cat, acc, None)
    fabric = fabric_for(cat, server)
    li = layout_inputs(cat, model_id, cat.accelerators.get(acc), precision, None)
    gpus = int(_num(row["gpu_count"]) or 8)
    lin, lout = _num(row["input_len"]), _num(row["output_len"])
    if row["source_family"] == "sglang-blog":
        if "prefill" in rid:
            lay = Layout(tp=1, ep=32)
            pool = prefill_pool(li.model, li.hw, fabric, li.bytes_per_weight, lay, float(lin or 0))
            per_node = pool.input_tokens_per_s_per_gpu * 8
            return CheckRow(rid, "sglang-blog", acc, lay.label, precision, "sglang", f"prefill {lin:g}",
                            "input tok/s per node", float(row["throughput_tok_s"]), per_node, None, None)  # fmt: skip
        if "b256" in rid:
            lay = Layout(tp=1, ep=72)
            st = layout_decode_step(li.model, li.hw, fabric, li.bytes_per_weight, li.kv_bytes, lay, 256.0 * 72, 2000.0)
            step_ms = float(np.asarray(st.step_ms).reshape(-1)[0])
            return CheckRow(rid, "sglang-blog", acc, lay.label, precision, "sglang", "decode b256/GPU ctx 2000",
                            "output tok/s per node", float(row["throughput_tok_s"]), 256.0 / step_ms * 1e3 * 8,
                            None, step_ms)  # fmt: skip
        return "batch size or per-GPU layout not stated precisely enough to model"
    if lin is None or lout is None:
        return "input or output length not stated"
    label = f"{lin:g}/{lout:g}"  # the nominal lengths name the workload across accelerators
    if (sampled := client_mean_lengths(row["source_family"], lin, lout)) is not None:
        lin, lout, _ = sampled
    conc = _num(row["concurrency_or_batch"]) or 1.0
    per_rank = re.search(r"max_batch_size (\d+) per rank", row["concurrency_or_batch"])
    lay = _layout(notes, gpus)
    batch = min(conc, float(per_rank.group(1)) * gpus) if per_rank else conc
    # the serving layer at the published concurrency, on the layout's step physics (as the plan serves it)
    engine = _engine(row)
    eng_key = engine if engine in ("sglang", "trtllm") else None
    eff = efficiency_for(cat, acc, eng_key, precision)
    li = layout_inputs(cat, model_id, cat.accelerators.get(acc), precision, eng_key)
    kvb = 2.0 if re.search(r"FP16 KV", row["precision"], re.I) else li.kv_bytes
    sp = point_at_batch(li.model, li.hw, li.bytes_per_weight, kvb, lay.gpus, lin, lout, batch,
                        engine_shape(eff, eng_key, 1, moe=True, stack_step=takes_stack_step(li.model)), Load(),
                        replica=LayoutReplica(lay, fabric))  # fmt: skip
    tpot = _num(row["tpot_ms"]) if row["tpot_ms"] else None
    return CheckRow(
        rid, row["source_family"], acc, lay.label, precision, engine, f"{label} c{conc:g} {engine}",
        "output tok/s", float(row["throughput_tok_s"]), float(sp.output_tokens_per_s[0]), tpot, float(sp.tpot_ms[0]),
    )  # fmt: skip


def _engine(row: dict[str, str]) -> str:
    return "atom" if "-atom-" in row["id"] else "trtllm" if row["source_family"] == "trtllm-dsr1-blog" else "sglang"


def moe_rows(cat: Catalog, path: Path = CORPUS) -> tuple[list[CheckRow], list[tuple[str, str]]]:
    """Every DeepSeek row of the three families predicted, and (row id, why not) for those skipped."""
    rows: list[CheckRow] = []
    skipped: list[tuple[str, str]] = []
    for row in read_rows(path):
        if row["source_family"] not in FAMILIES or "deepseek" not in row["model"].lower():
            continue
        acc = _accelerator(row)
        model_id = "deepseek-r1" if "r1" in row["model"].lower() else "deepseek-v3"
        if acc is None or acc not in cat.accelerators or model_id not in cat.models:
            skipped.append((row["id"], f"GPU {row['gpu']!r} or model {row['model']!r} not in the catalog"))
            continue
        out = _predict_row(row, cat, model_id, acc)
        if isinstance(out, str):
            skipped.append((row["id"], out))
        else:
            rows.append(out)
    return rows, skipped
