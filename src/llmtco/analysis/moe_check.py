"""Published MoE serving benchmarks predicted with the parallel layouts, and the ratios between accelerators.

Rows of ``calibration/data/measurements-2026.csv`` (families ``inferencemax``,
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

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from llmtco.calibration.fit import StackStep, fit_stack_step_ms, stack_step_for
from llmtco.calibration.moe_rows import CORPUS, FAMILIES, CheckRow, moe_rows, step_row
from llmtco.catalog import Catalog

__all__ = ["CORPUS", "FAMILIES", "FITS", "RATIO_BASE", "CheckRow", "FittedRow", "MoeCheck", "RatioRow",
           "moe_check", "render_moe_check", "step_row"]  # fmt: skip

RATIO_BASE = "mi300x"
"""Accelerator the ratios are taken against (the issue's question: B200 vs MI300X)."""

FITS = ("in sample", "leave one row out", "leave one source out", "leave one accelerator out")
"""How the per-stack step time of a row is fitted: on every row, on every other row, on the rows of the
other publication families (the headline), on the rows of the other accelerators."""


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


def moe_check(cat: Catalog, path: Path = CORPUS) -> MoeCheck:
    """Predict every DeepSeek row of the three families (``calibration.moe_rows``); ratios against
    ``RATIO_BASE`` per workload."""
    rows, skipped = moe_rows(cat, path)
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
