"""Published MoE serving benchmarks predicted with the parallel layouts, and the ratios between accelerators.

Rows of ``calibration/data/measurements-2026.csv`` (families ``inferencemax``,
``trtllm-dsr1-blog``, ``sglang-blog``; DeepSeek-R1/V3) are predicted with the
layout each publication states (the serving layer, ``sizing.serving.point_at_batch``
on a ``perf.replica.LayoutReplica``, at the published concurrency, or the
phase-isolated prefill/decode step of ``perf.parallel`` for the SGLang
large-scale EP rows), with the catalog's efficiency factors (``moe_check``) or
with a fold's (``moe_check_out_of_sample``). Rows the model cannot express are
listed with the reason (speculative decoding, unstated batch, end-to-end PD with
redundant experts).

Ratio check: for each workload (ISL, OSL, concurrency, precision, engine) on
several accelerators, predicted throughput ratio / published ratio - 1 against
the row of ``RATIO_BASE``.

Out of sample: the shipped factors were fitted on a corpus that holds the
InferenceMAX DeepSeek rows and the MoE decode rows (``calibration.ship``), so
``moe_check`` alone is in sample for most of them. ``moe_check_out_of_sample``
refits the whole shipped pipeline (both layers and the stacks' step time,
``ship.fold_fit``) once per source (``fit.publisher`` of the row's family) or per
accelerator, without the rows of that group, and predicts the group's rows with
it; a ratio then compares two predictions that were each made without their own
rows. These are the figures to read: leave one source out asks what the model
says of a software stack no source in the fit has measured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from llmtco.calibration.fit import Sourced, accelerator_key, outside, source_key
from llmtco.calibration.moe_rows import (
    CORPUS,
    FAMILIES,
    RATIO_BASE,
    CheckRow,
    MoeCheck,
    RatioRow,
    checked,
    moe_rows,
    step_row,
    summary,
)
from llmtco.catalog import Catalog
from llmtco.catalog.loader import Table

__all__ = ["CORPUS", "FAMILIES", "RATIO_BASE", "SPLITS", "CheckRow", "MoeCheck", "RatioRow", "fold_catalog",
           "moe_check", "moe_check_json", "moe_check_out_of_sample", "refits", "render_moe_check", "split_key",
           "step_row"]  # fmt: skip

SPLITS = ("leave one source out", "leave one accelerator out")
"""Out-of-sample splits: without the row's source (``fit.publisher`` of its family), without its accelerator."""


def moe_check(cat: Catalog, path: Path = CORPUS) -> MoeCheck:
    """Predict every DeepSeek row of the three families (``calibration.moe_rows``); ratios against
    ``RATIO_BASE`` per workload."""
    return checked(*moe_rows(cat, path))


def split_key(split: str) -> Callable[[Sourced], str]:
    """What a split groups rows by (one of ``SPLITS``)."""
    if split == "leave one source out":
        return source_key
    if split == "leave one accelerator out":
        return accelerator_key
    raise ValueError(f"split {split!r} is not one of {', '.join(SPLITS)}")


def fold_catalog(cat: Catalog, split: str, group: str) -> Catalog:
    """``cat`` with the shipped pipeline refitted without ``group``'s rows (``split``: one of ``SPLITS``):
    the group's corpus cases and its MoE decode rows both leave the fit."""
    from llmtco.calibration.corpus import load_corpus
    from llmtco.calibration.ship import CORPUS_NAME, fold_fit

    key = split_key(split)
    cases, _ = load_corpus(cat)
    effs = fold_fit(cat, CORPUS_NAME)([c for c in cases if key(c) != group], outside(key, group))
    return replace(cat, efficiency=Table("efficiency", effs))


def moe_check_out_of_sample(
    cat: Catalog,
    split: str,
    path: Path = CORPUS,
    progress: Callable[[], None] | None = None,
    groups: list[str] | None = None,
    fold: Callable[[Catalog, str, str], Catalog] = fold_catalog,
) -> MoeCheck:
    """Each group's rows (``split``: one of ``SPLITS``; ``groups``: those named, default all) predicted with
    ``fold`` (``fold_catalog``) of that group. ``progress`` is called after each refit."""
    key = split_key(split)
    rows, skipped = moe_rows(cat, path)
    out: list[CheckRow] = []
    for group in groups if groups is not None else sorted({key(r) for r in rows}):
        out.extend(r for r in moe_rows(fold(cat, split, group), path)[0] if key(r) == group)
        if progress is not None:
            progress()
    return checked(out, skipped)


def refits(cat: Catalog, path: Path = CORPUS) -> int:
    """How many refits ``moe_check_out_of_sample`` makes over every split (for a progress bar)."""
    rows, _ = moe_rows(cat, path)
    return sum(len({split_key(s)(r) for r in rows}) for s in SPLITS)


def _with_splits(error: float, key: str, held: dict[str, dict[str, float]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {"in sample": error}
    out.update({s: e.get(key) for s, e in held.items()})
    return out


def moe_check_json(c: MoeCheck, out_of_sample: dict[str, MoeCheck] | None = None) -> dict[str, object]:
    """The check as a JSON document: every row and ratio with its error in sample and out of sample, the
    summary per fit, the skipped rows."""
    oos = out_of_sample or {}
    row_err = {s: {r.id: r.error for r in o.rows} for s, o in oos.items()}
    ratio_err = {s: {f"{r.workload} {r.accelerator}": r.error for r in o.ratios} for s, o in oos.items()}

    return {
        "ratio_base": RATIO_BASE,
        "rows": [{"id": r.id, "family": r.family, "accelerator": r.accelerator, "layout": r.layout,
                  "precision": r.precision, "engine": r.engine, "workload": r.workload, "metric": r.metric,
                  "published": r.published, "predicted": r.predicted, "published_tpot_ms": r.published_tpot_ms,
                  "predicted_tpot_ms": r.predicted_tpot_ms,
                  "error": _with_splits(r.error, r.id, row_err)}
                 for r in c.rows],
        "ratios": [{"workload": q.workload, "accelerator": q.accelerator, "published_ratio": q.published_ratio,
                    "predicted_ratio": q.predicted_ratio,
                    "error": _with_splits(q.error, f"{q.workload} {q.accelerator}", ratio_err)}
                   for q in c.ratios],
        "summary": {"in sample": summary(c)} | {s: summary(o) for s, o in oos.items()},
        "skipped": [{"id": rid, "why": why} for rid, why in c.skipped],
    }  # fmt: skip


def _summary(name: str, c: MoeCheck) -> str:
    m = summary(c)
    return (f"| {name} | {m['rows']} | {m['median_abs_error']:.0%} | {m['ratios_within_25pct']} of {m['ratios']} | "
            f"{m['median_abs_ratio_error']:.0%} |")  # fmt: skip


def _errors(r_id: str, held: dict[str, dict[str, float]]) -> str:
    return " | ".join(f"{e[r_id]:+.0%}" if r_id in e else "–" for e in held.values())


def render_moe_check(c: MoeCheck, out_of_sample: dict[str, MoeCheck] | None = None) -> str:
    """Markdown tables of the rows, the ratios (in sample, and for each split in ``out_of_sample``: one of
    ``SPLITS`` to its ``moe_check_out_of_sample``), a summary and the skipped rows."""
    oos = out_of_sample or {}
    row_err = {s: {r.id: r.error for r in o.rows} for s, o in oos.items()}
    ratio_err = {s: {f"{r.workload} {r.accelerator}": r.error for r in o.ratios} for s, o in oos.items()}
    cols = "".join(f" {s} |" for s in oos)
    out = [f"| row | GPU | layout | metric | published | predicted | in sample |{cols} TPOT pub/pred ms |",
           "|" + "---|" * (8 + len(oos))]  # fmt: skip
    for r in c.rows:
        tp = (
            f"{r.published_tpot_ms:.1f} / {r.predicted_tpot_ms:.1f}"
            if r.published_tpot_ms and r.predicted_tpot_ms
            else ""
        )
        held = f" {_errors(r.id, row_err)} |" if oos else ""
        out.append(f"| {r.id} | {r.accelerator} | {r.layout} | {r.metric} | {r.published:,.0f} | "
                   f"{r.predicted:,.0f} | {r.error:+.0%} |{held} {tp} |")  # fmt: skip
    out += ["", f"| workload | GPU | published ratio vs {RATIO_BASE} | predicted | in sample |{cols}",
            "|" + "---|" * (5 + len(oos))]  # fmt: skip
    for q in c.ratios:
        held = f" {_errors(f'{q.workload} {q.accelerator}', ratio_err)} |" if oos else ""
        out.append(f"| {q.workload} | {q.accelerator} | {q.published_ratio:.2f} | {q.predicted_ratio:.2f} | "
                   f"{q.error:+.0%} |{held}")  # fmt: skip
    out += [
        "",
        "| fit | rows | median \\|error\\| | ratios within 25 % | median \\|ratio error\\| |",
        "|---|---|---|---|---|",
    ]
    out += [_summary(s, o) for s, o in oos.items()] + [_summary("in sample (shipped factors)", c)]
    if not oos:
        out += ["", "in sample only: the shipped factors were fitted on most of these rows; "
                "`llmtco perf moe-check` without --in-sample gives the out-of-sample figures."]  # fmt: skip
    out += ["", "skipped:"] + [f"- {rid}: {why}" for rid, why in c.skipped]
    return "\n".join(out) + "\n"
