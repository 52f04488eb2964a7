"""Accuracy: measured vs predicted per row, and error summaries per metric.

The headline is out of sample: leave-one-source-out (refit without one
publication family, predict it) and leave-one-accelerator-out (refit without
one accelerator's rows, predict them). In-sample stands beside them.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmtco.calibration.corpus import METRICS, Unmapped
from llmtco.calibration.fit import Prediction
from llmtco.calibration.moe_rows import RATIO_BASE, MoeCheck, summary

TARGETS_PCT = {
    "decode_step_ms": 10.0,
    "prefill_step_ms": 10.0,
    "output_tok_s_per_gpu": 15.0,
    "tpot_ms": 15.0,
    "ttft_ms": 25.0,
    "power_w_per_gpu": 15.0,
    "energy_j_per_token": 20.0,
    "train_tok_s_per_gpu": 15.0,
}
"""Out-of-sample median absolute percentage error targets per metric (issue 12)."""

GROUPS = (
    ("by_accelerator", "accelerator"),
    ("by_engine", "engine"),
    ("by_source_family", "family"),
    ("by_level", "level"),
)
SPLITS = (
    ("leave_one_source_out", "leave-one-source-out"),
    ("leave_one_accelerator_out", "leave-one-accelerator-out"),
    ("held_out_collection", "held-out 2026 collection"),
    ("in_sample", "in-sample"),
)


@dataclass(frozen=True)
class Stat:
    n: int
    median_ape: float
    p90_ape: float


def _stat(errors: list[float]) -> Stat:
    a = np.abs(np.asarray(errors, dtype=float))
    return Stat(n=int(a.size), median_ape=float(np.median(a)), p90_ape=float(np.percentile(a, 90)))


def summarise(preds: list[Prediction]) -> dict[str, Any]:
    """Median and 90th-percentile absolute % error per metric: overall and by accelerator, engine,
    source family and level."""
    out: dict[str, Any] = {}
    by_metric: dict[str, list[Prediction]] = defaultdict(list)
    for p in preds:
        by_metric[p.metric].append(p)
    for metric in METRICS:
        ps = by_metric.get(metric)
        if not ps:
            continue
        entry: dict[str, Any] = {"all": vars(_stat([p.error_pct for p in ps]))}
        for key, attr in GROUPS:
            groups: dict[str, list[float]] = defaultdict(list)
            for p in ps:
                groups[getattr(p.case, attr)].append(p.error_pct)
            entry[key] = {g: vars(_stat(v)) for g, v in sorted(groups.items())}
        out[metric] = entry
    return out


def accuracy_document(
    in_sample: list[Prediction],
    loso: list[Prediction] | None,
    loao: list[Prediction] | None,
    unmapped: list[Unmapped],
    corpus: str,
    held_out: list[Prediction] | None = None,
) -> dict[str, Any]:
    """The report: summaries per split, and every row with its in-sample and out-of-sample predictions."""
    out_of_sample = {
        key: {(p.case.id, p.metric): p for p in preds}
        for key, preds in (("leave_one_source_out", loso), ("leave_one_accelerator_out", loao))
        if preds is not None
    }
    return {
        "corpus": corpus,
        "metrics": METRICS,
        "targets_median_ape_pct": TARGETS_PCT,
        "leave_one_source_out": summarise(loso) if loso is not None else None,
        "leave_one_accelerator_out": summarise(loao) if loao is not None else None,
        "held_out_collection": summarise(held_out) if held_out is not None else None,
        "in_sample": summarise(in_sample),
        "rows": [
            {
                "id": p.case.id,
                "metric": p.metric,
                "accelerator": p.case.accelerator,
                "engine": p.case.engine,
                "family": p.case.family,
                "level": p.case.level,
                "measured": p.measured,
                "predicted": p.predicted,
                "error_pct": p.error_pct,
                "answered_by": p.answered_by,
                "evaluated_at": p.evaluated_at,
                "assumptions": list(p.case.assumptions),
                "collection": p.case.collection,
                **{
                    f"{key}_predicted": o.predicted
                    for key, preds in out_of_sample.items()
                    if (o := preds.get((p.case.id, p.metric))) is not None
                },
            }
            for p in in_sample
        ],
        "unmapped": [{"id": u.id, "reason": u.reason} for u in unmapped],
    }


def _moe_summary(c: MoeCheck) -> dict[str, Any]:
    """``moe_rows.summary`` with the errors in percent, as the rest of the report gives them."""
    m = summary(c)
    return {"n": m["rows"], "median_ape": round(float(m["median_abs_error"]) * 100, 2), "ratios": m["ratios"],
            "ratios_within_25pct": m["ratios_within_25pct"],
            "median_ratio_ape": round(float(m["median_abs_ratio_error"]) * 100, 2)}  # fmt: skip


def moe_document(in_sample: MoeCheck, held: dict[str, MoeCheck]) -> dict[str, Any]:
    """The published MoE serving rows (``calibration.moe_rows``, ``perf moe-check``) in sample and in each
    split of ``held`` (its folds' predictions), with their ratios to ``RATIO_BASE``."""
    rows = {k: {r.id: r.predicted for r in c.rows} for k, c in held.items()}
    ratios = {k: {(q.workload, q.accelerator): q.predicted_ratio for q in c.ratios} for k, c in held.items()}
    return {
        "ratio_base": RATIO_BASE,
        **{k: _moe_summary(c) for k, c in held.items()},
        "in_sample": _moe_summary(in_sample),
        "rows": [
            {"id": r.id, "family": r.family, "accelerator": r.accelerator, "layout": r.layout, "engine": r.engine,
             "precision": r.precision, "workload": r.workload, "metric": r.metric, "measured": r.published,
             "predicted": r.predicted, "error_pct": round(r.error * 100, 2),
             **{f"{k}_predicted": v[r.id] for k, v in rows.items() if r.id in v}}
            for r in in_sample.rows
        ],
        "ratios": [
            {"workload": q.workload, "accelerator": q.accelerator, "published": q.published_ratio,
             "predicted": q.predicted_ratio,
             **{f"{k}_predicted": v[(q.workload, q.accelerator)] for k, v in ratios.items()
                if (q.workload, q.accelerator) in v}}
            for q in in_sample.ratios
        ],
        "skipped": [{"id": rid, "reason": why} for rid, why in in_sample.skipped],
    }  # fmt: skip


def _render_moe(w: Any, moe: dict[str, Any]) -> None:
    w(f"\nMoE serving at scale (the DeepSeek rows of `llmtco perf moe-check`; ratios to {moe['ratio_base']} on "
      "the same workload, target: within 25 % of the published ratio):\n")  # fmt: skip
    w(f"{'fit':27} {'rows':>5} {'median APE':>11} {'ratios within 25 %':>19} {'median ratio APE':>17}\n")
    for key, title in SPLITS:
        if (m := moe.get(key)) is not None:
            within = f"{m['ratios_within_25pct']} of {m['ratios']}"
            w(f"{title:27} {m['n']:5d} {m['median_ape']:10.1f}% {within:>19} {m['median_ratio_ape']:16.1f}%\n")


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2) + "\n"


def _cell(entry: dict[str, Any] | None) -> str:
    if not entry:
        return "-"
    a = entry["all"]
    return f"{a['median_ape']:5.1f} / {a['p90_ape']:5.1f} (n={a['n']})"


def render_table(doc: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = buf.write
    w(f"Accuracy of the performance model on {doc['corpus']}\n\n")
    w(f"{'id':40} {'metric':22} {'measured':>11} {'predicted':>11} {'error':>7} {'LOSO':>7}  answered by (in-sample)\n")
    for r in doc["rows"]:
        at = r.get("evaluated_at", "")
        loso = r.get("leave_one_source_out_predicted")
        loso_cell = f"{(loso - r['measured']) / r['measured'] * 100:+6.0f}%" if loso is not None else f"{'-':>7}"
        w(
            f"{r['id'][:40]:40} {r['metric']:22} {r['measured']:11.4g} {r['predicted']:11.4g} "
            f"{r['error_pct']:+6.0f}% {loso_cell}  {r['answered_by']}"
            + (f"  [at {at}]" if at and not at.startswith("saturation") else "")
            + "\n"
        )
    w("\nSummary: absolute percentage error, median / 90th percentile (n rows). Out of sample first.\n")
    w(f"{'metric':22} {'target':>7}")
    for _, title in SPLITS:
        w(f" {title:>27}")
    w("\n")
    for metric in doc["in_sample"]:
        w(f"{metric:22} {TARGETS_PCT[metric]:6.0f}%")
        for key, _ in SPLITS:
            w(f" {_cell((doc.get(key) or {}).get(metric)):>27}")
        w("\n")
    for split, title in SPLITS:
        if not doc.get(split):
            continue
        for key, _ in GROUPS:
            w(f"\n{title} median APE {key.replace('_', ' ')}:\n")
            for metric, entry in doc[split].items():
                parts = ", ".join(f"{g} {s['median_ape']:.0f}% (n={s['n']})" for g, s in entry[key].items())
                w(f"  {metric}: {parts}\n")
    if doc.get("moe_serving"):
        _render_moe(w, doc["moe_serving"])
    if doc["unmapped"]:
        w("\nRows not mapped onto the catalog:\n")
        for u in doc["unmapped"]:
            w(f"  {u['id']}: {u['reason']}\n")
    return buf.getvalue()
