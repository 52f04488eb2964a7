"""Published MoE serving benchmarks predicted with the parallel layouts, and the ratios between accelerators.

Rows of ``calibration/holdout/measurements-2026.csv`` (families ``inferencemax``,
``trtllm-dsr1-blog``, ``sglang-blog``; DeepSeek-R1/V3) are predicted with the
layout each publication states (``sizing.layouts.layout_curve`` at the
published concurrency, or the phase-isolated prefill/decode step of
``perf.parallel`` for the SGLang large-scale EP rows), using the catalog's
efficiency factors as they are (fitted on dense models; nothing here is fitted,
so every error is out of sample). Rows the model cannot express are listed
with the reason (speculative decoding, unstated batch, end-to-end PD with
redundant experts).

Ratio check: for each workload (ISL, OSL, concurrency, precision, engine) on
several accelerators, predicted throughput ratio / published ratio - 1 against
the row of ``RATIO_BASE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from llmtco.calibration.corpus import read_rows
from llmtco.catalog import Catalog
from llmtco.engine.layouts import fabric_for, layout_inputs, server_for
from llmtco.perf.parallel import Layout, layout_decode_step
from llmtco.sizing.disaggregated import prefill_pool
from llmtco.sizing.layouts import layout_curve

CORPUS = Path(__file__).resolve().parents[1] / "calibration" / "holdout" / "measurements-2026.csv"
FAMILIES = ("inferencemax", "trtllm-dsr1-blog", "sglang-blog")
RATIO_BASE = "mi300x"
"""Accelerator the ratios are taken against (the issue's question: B200 vs MI300X)."""
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


def _group(r: CheckRow) -> tuple[str, str, str, str]:
    """Rows that share one software stack: accelerator, engine, precision, metric."""
    return (r.accelerator, r.workload.split()[-1], r.precision, r.metric)


def loo_factor(rows: list[CheckRow], row: CheckRow) -> float | None:
    """Median published / predicted over the other rows of ``row``'s stack (leave this row out), or None
    when it has no peer: what one MoE derate per accelerator@engine@precision would be, fitted out of sample."""
    peers = [r.published / r.predicted for r in rows if r is not row and _group(r) == _group(row)]
    return float(np.median(peers)) if peers else None


def loo_overhead_ms(rows: list[CheckRow], row: CheckRow) -> float | None:
    """Median published - predicted TPOT over the other rows of ``row``'s stack (leave this row out) [ms]:
    the per-step time the software stack adds beyond the layout physics, fitted out of sample."""
    peers = [
        r.published_tpot_ms - r.predicted_tpot_ms
        for r in rows
        if r is not row and _group(r) == _group(row) and r.published_tpot_ms and r.predicted_tpot_ms
    ]
    return float(np.median(peers)) if peers else None


@dataclass(frozen=True)
class RatioRow:
    workload: str
    accelerator: str
    published_ratio: float
    predicted_ratio: float

    @property
    def error(self) -> float:
        return self.predicted_ratio / self.published_ratio - 1.0


@dataclass(frozen=True)
class MoeCheck:
    rows: list[CheckRow]
    skipped: list[tuple[str, str]]
    """(row id, why it is not predicted)."""
    ratios: list[RatioRow]

    @property
    def median_abs_error(self) -> float:
        return float(np.median([abs(r.error) for r in self.rows])) if self.rows else float("nan")

    @property
    def median_abs_ratio_error(self) -> float:
        return float(np.median([abs(r.error) for r in self.ratios])) if self.ratios else float("nan")

    def loo_overhead_errors(self) -> list[tuple[CheckRow, float, float]]:
        """Rows with a TPOT and peers: (row, fitted extra ms, error after adding it to every step).

        At a fixed concurrency throughput scales as 1 / TPOT, so the corrected
        throughput is predicted x TPOT_pred / (TPOT_pred + extra).
        """
        out = []
        for r in self.rows:
            extra = loo_overhead_ms(self.rows, r)
            if extra is not None and r.predicted_tpot_ms:
                corrected = r.predicted * r.predicted_tpot_ms / (r.predicted_tpot_ms + extra)
                out.append((r, extra, corrected / r.published - 1.0))
        return out

    def fitted_step_ms(self) -> dict[tuple[str, str, str], float]:
        """Median published - predicted TPOT per (accelerator, engine, precision) over all its rows [ms]
        (in sample: what ``perf frontier --extra-step-ms`` takes for that stack)."""
        stacks: dict[tuple[str, str, str], list[float]] = {}
        for r in self.rows:
            if r.published_tpot_ms and r.predicted_tpot_ms:
                a, e, p, _ = _group(r)
                stacks.setdefault((a, e, p), []).append(r.published_tpot_ms - r.predicted_tpot_ms)
        return {k: float(np.median(v)) for k, v in stacks.items()}

    def loo_ratio_errors(self) -> list[float]:
        """Ratio errors (as ``ratios``) with both rows corrected by their stack's leave-one-out per-step time."""
        corrected = {r.id: r.published * (1.0 + e) for r, _, e in self.loo_overhead_errors()}
        out = []
        for r in self.rows:
            base = [b for b in self.rows if (b.workload, b.precision) == (r.workload, r.precision)
                    and b.accelerator == RATIO_BASE]  # fmt: skip
            if base and r.accelerator != RATIO_BASE and r.id in corrected and base[0].id in corrected:
                b = base[0]
                out.append((corrected[r.id] / corrected[b.id]) / (r.published / b.published) - 1.0)
        return out

    def loo_errors(self) -> list[tuple[CheckRow, float]]:
        """Each row with a peer, and its error after the leave-one-out derate of its stack."""
        out = []
        for r in self.rows:
            f = loo_factor(self.rows, r)
            if f is not None:
                out.append((r, r.predicted * f / r.published - 1.0))
        return out


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
            return CheckRow(rid, "sglang-blog", acc, lay.label, precision, f"prefill {lin:g}",
                            "input tok/s per node", float(row["throughput_tok_s"]), per_node, None, None)  # fmt: skip
        if "b256" in rid:
            lay = Layout(tp=1, ep=72)
            st = layout_decode_step(li.model, li.hw, fabric, li.bytes_per_weight, li.kv_bytes, lay, 256.0 * 72, 2000.0)
            per_gpu = 256.0 / (float(np.asarray(st.step_ms).reshape(-1)[0]) / 1e3)
            return CheckRow(rid, "sglang-blog", acc, lay.label, precision, "decode b256/GPU ctx 2000",
                            "output tok/s per node", float(row["throughput_tok_s"]), per_gpu * 8,
                            None, None)  # fmt: skip
        return "batch size or per-GPU layout not stated precisely enough to model"
    if lin is None or lout is None:
        return "input or output length not stated"
    conc = _num(row["concurrency_or_batch"]) or 1.0
    per_rank = re.search(r"max_batch_size (\d+) per rank", row["concurrency_or_batch"])
    lay = _layout(notes, gpus)
    batch = min(conc, float(per_rank.group(1)) * gpus) if per_rank else conc
    curve = layout_curve(li.model, li.hw, fabric, li.bytes_per_weight, li.kv_bytes, lay, lin, lout, np.array([batch]))
    tpot = _num(row["tpot_ms"]) if row["tpot_ms"] else None
    return CheckRow(
        rid, row["source_family"], acc, lay.label, precision, f"{lin:g}/{lout:g} c{conc:g} {_engine(row)}",
        "output tok/s", float(row["throughput_tok_s"]), float(curve.output_tokens_per_s_per_gpu[0]) * lay.gpus,
        tpot, float(curve.tpot_ms[0]),
    )  # fmt: skip


def _engine(row: dict[str, str]) -> str:
    return "atom" if "-atom-" in row["id"] else "trtllm" if row["source_family"] == "trtllm-dsr1-blog" else "sglang"


def moe_check(cat: Catalog, path: Path = CORPUS) -> MoeCheck:
    """Predict every DeepSeek row of the three families; ratios against ``RATIO_BASE`` per workload."""
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
    ratios: list[RatioRow] = []
    for r in rows:
        key = (r.workload, r.precision)
        base = [b for b in rows if (b.workload, b.precision) == key and b.accelerator == RATIO_BASE]
        if base and r.accelerator != RATIO_BASE:
            b = base[0]
            ratios.append(
                RatioRow(
                    f"{r.workload} {r.precision}", r.accelerator, r.published / b.published, r.predicted / b.predicted
                )
            )
    return MoeCheck(rows=rows, skipped=skipped, ratios=ratios)


def render_moe_check(c: MoeCheck) -> str:
    """Markdown tables of the rows, the ratios and the skipped rows."""
    out = ["| row | GPU | layout | metric | published | predicted | error | TPOT pub/pred ms |", "|" + "---|" * 8]
    for r in c.rows:
        tp = (
            f"{r.published_tpot_ms:.1f} / {r.predicted_tpot_ms:.1f}"
            if r.published_tpot_ms and r.predicted_tpot_ms
            else ""
        )
        out.append(f"| {r.id} | {r.accelerator} | {r.layout} | {r.metric} | {r.published:,.0f} | "
                   f"{r.predicted:,.0f} | {r.error:+.0%} | {tp} |")  # fmt: skip
    out += ["", f"median |error| {c.median_abs_error:.0%} over {len(c.rows)} rows", ""]
    out += [f"| workload | GPU | published ratio vs {RATIO_BASE} | predicted | error |", "|---|---|---|---|---|"]
    out += [f"| {r.workload} | {r.accelerator} | {r.published_ratio:.2f} | {r.predicted_ratio:.2f} | {r.error:+.0%} |"
            for r in c.ratios]  # fmt: skip
    within = sum(abs(r.error) <= 0.25 for r in c.ratios)
    out += ["", f"median |ratio error| {c.median_abs_ratio_error:.0%}; {within} of {len(c.ratios)} within 25 %", ""]
    loo_ratios = c.loo_ratio_errors()
    if loo_ratios:
        med = float(np.median([abs(e) for e in loo_ratios]))
        ok = sum(abs(e) <= 0.25 for e in loo_ratios)
        out += [f"ratios with the leave-one-out per-step time below: median |error| {med:.0%}; "
                f"{ok} of {len(loo_ratios)} within 25 %", ""]  # fmt: skip
    loo = c.loo_errors()
    if loo:
        med = float(np.median([abs(e) for _, e in loo]))
        out += [f"with one derate per accelerator@engine@precision fitted leave-one-row-out: median |error| "
                f"{med:.0%} over {len(loo)} rows (the layouts' shape across batch and length, with the level "
                "of each software stack taken from its other rows)", ""]  # fmt: skip
    over = c.loo_overhead_errors()
    if over:
        med = float(np.median([abs(e) for _, _, e in over]))
        out += [f"with one extra per-step time per accelerator@engine@precision fitted leave-one-row-out: median "
                f"|error| {med:.0%} over {len(over)} rows; fitted extra ms per step:", ""]  # fmt: skip
        stacks: dict[tuple[str, str, str, str], list[float]] = {}
        for r, extra, _ in over:
            stacks.setdefault(_group(r), []).append(extra)
        out += [f"- {a} {e} {p}: {float(np.median(v)):.1f} ms" for (a, e, p, _), v in stacks.items()]
        out += [""]
    out += ["skipped:"] + [f"- {rid}: {why}" for rid, why in c.skipped]
    return "\n".join(out) + "\n"
