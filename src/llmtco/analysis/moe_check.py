"""Published MoE serving benchmarks predicted with the parallel layouts, and the ratios between accelerators.

Rows of ``calibration/holdout/measurements-2026.csv`` (families ``inferencemax``,
``trtllm-dsr1-blog``, ``sglang-blog``; DeepSeek-R1/V3) are predicted with the
layout each publication states (the serving layer, ``sizing.serving.point_at_batch``
on a ``perf.replica.LayoutReplica``, at the published concurrency, or the
phase-isolated prefill/decode step of ``perf.parallel`` for the SGLang
large-scale EP rows), using the catalog's efficiency factors as they are
(fitted on dense models; nothing here is fitted, so every error is out of
sample). Rows the model cannot express are listed
with the reason (speculative decoding, unstated batch, end-to-end PD with
redundant experts).

Ratio check: for each workload (ISL, OSL, concurrency, precision, engine) on
several accelerators, predicted throughput ratio / published ratio - 1 against
the row of ``RATIO_BASE``.

The residual of the decode rows is nearly a constant time per step per software
stack (``calibration.fit.fit_stack_step_ms``: the serving layer's
``stack_step_ms`` per accelerator@engine@precision, shrunk toward @engine and a
generic node). ``MoeCheck.fitted`` fits it four ways (``FITS``); the headline is
leave one source out: a row's publication family is absent from the fit, so
its stack is answered by what the other families say about it. The in-sample
fit is what the shipped efficiency records carry (``calibration.stack_step``);
the rows here are always predicted without it (the layout physics alone), so
the check measures what the stack time has to explain.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from llmtco.calibration.corpus import read_rows
from llmtco.calibration.fit import StackStep, StepRow, fit_stack_step_ms, stack_step_for
from llmtco.catalog import Catalog
from llmtco.engine.adapters import efficiency_for, engine_shape
from llmtco.engine.layouts import fabric_for, layout_inputs, server_for
from llmtco.perf.parallel import Layout, layout_decode_step
from llmtco.perf.replica import LayoutReplica
from llmtco.sizing.disaggregated import prefill_pool
from llmtco.sizing.serving import Load, point_at_batch

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


FITS = ("in sample", "leave one row out", "leave one source out", "leave one accelerator out")
"""How the per-stack step time of a row is fitted: on every row, on every other row, on the rows of the
other publication families (the headline), on the rows of the other accelerators."""


def step_row(r: CheckRow) -> StepRow | None:
    """The row as input to ``calibration.fit.fit_stack_step_ms`` (None for prefill rows: no decode step)."""
    if r.predicted_tpot_ms is None or r.predicted <= 0:
        return None
    return StepRow(r.accelerator, r.engine, r.precision, r.published, r.predicted, r.predicted_tpot_ms)


@dataclass(frozen=True)
class FittedRow:
    """A decode row with the stack step time fitted without it (as ``FITS`` says)."""

    row: CheckRow
    stack_step_ms: float
    answered: str
    """Node of the fit tree that gave the value (``generic``, ``@sglang``, ``b200@sglang@fp8``...)."""
    corrected: float
    """Predicted throughput with the stack step time on every step [tokens/s]."""

    @property
    def error(self) -> float:
        return self.corrected / self.row.published - 1.0


def _train_filter(fit: str, r: CheckRow) -> Callable[[CheckRow], bool]:
    if fit == "in sample":
        return lambda o: True
    if fit == "leave one row out":
        return lambda o: o is not r
    if fit == "leave one source out":
        return lambda o: o.family != r.family
    if fit == "leave one accelerator out":
        return lambda o: o.accelerator != r.accelerator
    raise ValueError(f"fit {fit!r} is not one of {', '.join(FITS)}")


@dataclass(frozen=True)
class RatioRow:
    workload: str
    accelerator: str
    published_ratio: float
    predicted_ratio: float

    @property
    def error(self) -> float:
        return self.predicted_ratio / self.published_ratio - 1.0


def _ratios(rows: list[CheckRow], value: dict[str, float]) -> list[RatioRow]:
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

    @property
    def median_abs_error(self) -> float:
        return float(np.median([abs(r.error) for r in self.rows])) if self.rows else float("nan")

    @property
    def median_abs_ratio_error(self) -> float:
        return float(np.median([abs(r.error) for r in self.ratios])) if self.ratios else float("nan")

    def fitted(self, fit: str) -> list[FittedRow]:
        """Every decode row with its stack step time fitted as ``fit`` says (one of ``FITS``).

        The fit is ``calibration.fit.fit_stack_step_ms`` (generic -> @engine -> accelerator@engine ->
        accelerator@engine@precision, each node shrunk toward its parent); a stack with no rows in the
        training set is answered by its nearest fitted ancestor.
        """
        out = []
        for r in self.rows:
            target = step_row(r)
            if target is None:
                continue
            keep = _train_filter(fit, r)
            train = [sr for o in self.rows if keep(o) and (sr := step_row(o)) is not None]
            node = stack_step_for(fit_stack_step_ms(train), r.accelerator, r.engine, r.precision)
            out.append(FittedRow(r, node.stack_step_ms, node.answered, target.corrected(node.stack_step_ms)))
        return out

    def fitted_ratios(self, fit: str) -> list[RatioRow]:
        """``ratios`` with each prediction corrected by its stack step time fitted as ``fit`` says."""
        return _ratios(self.rows, {f.row.id: f.corrected for f in self.fitted(fit)})

    def stack_step_ms(self) -> dict[str, StackStep]:
        """The fit tree on every decode row (in sample: what ``perf frontier --extra-step-ms`` takes)."""
        return fit_stack_step_ms([sr for r in self.rows if (sr := step_row(r)) is not None])


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
                        engine_shape(eff, eng_key, 1), Load(), replica=LayoutReplica(lay, fabric))  # fmt: skip
    tpot = _num(row["tpot_ms"]) if row["tpot_ms"] else None
    return CheckRow(
        rid, row["source_family"], acc, lay.label, precision, engine, f"{lin:g}/{lout:g} c{conc:g} {engine}",
        "output tok/s", float(row["throughput_tok_s"]), float(sp.output_tokens_per_s[0]), tpot, float(sp.tpot_ms[0]),
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
    ratios = _ratios(rows, {r.id: r.predicted for r in rows})
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
    out += ["With one stack step time per accelerator@engine@precision (``calibration.fit.fit_stack_step_ms``,"
            " shrunk toward @engine and generic), decode rows:", "",
            "| fit of the stack step time | rows | median \\|error\\| | ratios within 25 % "
            "| median \\|ratio error\\| |",
            "|---|---|---|---|---|"]  # fmt: skip
    for fit in FITS:
        fr, rr = c.fitted(fit), c.fitted_ratios(fit)
        med = float(np.median([abs(f.error) for f in fr])) if fr else float("nan")
        rmed = float(np.median([abs(r.error) for r in rr])) if rr else float("nan")
        ok = sum(abs(r.error) <= 0.25 for r in rr)
        out.append(f"| {fit} | {len(fr)} | {med:.0%} | {ok} of {len(rr)} | {rmed:.0%} |")
    out += [
        "",
        "stack step time per node (in sample, all decode rows: what `python -m llmtco.calibration.ship` "
        "ships as each efficiency record's stack_step_ms):",
        "",
    ]
    out += [f"- {n.key}: {n.stack_step_ms:.1f} ms ({n.rows} rows)" if n.rows else
            f"- {n.key}: {n.stack_step_ms:.1f} ms (from {n.answered})" for n in c.stack_step_ms().values()]  # fmt: skip
    out += ["", "leave one source out, per row (fitted without the row's family):", "",
            "| row | answered by | stack ms | error |", "|---|---|---|---|"]  # fmt: skip
    out += [f"| {f.row.id} | {f.answered} | {f.stack_step_ms:.1f} | {f.error:+.0%} |"
            for f in c.fitted("leave one source out")]  # fmt: skip
    out += [""]
    out += ["skipped:"] + [f"- {rid}: {why}" for rid, why in c.skipped]
    return "\n".join(out) + "\n"
