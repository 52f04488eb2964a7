"""Evaluate a block of variants: validate each with the scenario loader, run the engine once per block.

Variants of one block differ only in *continuous* inputs (see ``draw_key``):
those become per-sample values of one vectorised engine run (the engine's
leading sample axis), exactly as Monte Carlo samples do. Everything else
(catalog ids, precision, engine, horizon, token lengths, load shape, ...)
changes the structure of the computation, so variants that differ there are
in different blocks. With ``samples`` > 0 each variant gets 1 + N samples: its
central value first, then N Monte Carlo draws seeded from (seed, variant index).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmtco.analysis.sweep import paths
from llmtco.analysis.uncertainty import inputs, sample
from llmtco.catalog import Catalog
from llmtco.engine import Ctx, Run, run
from llmtco.errors import InfeasibleError, LlmtcoError
from llmtco.perf.shapes import FloatArray
from llmtco.scenario import parse_scenario
from llmtco.scenario.schema import Scenario

SCALAR_RATES = frozenset({"hardware_life_years", "facility_life_years", "spot_interruption_overhead_pct", "cloud_pue"})
"""Rates the engine reads as one number for all samples (they set lengths of arrays): structural."""

LAYOUT_KEYS = (":input_tokens", ":output_tokens")
"""Sampled inputs that change the serving layout the engine picks on a run's first sample."""

OPTION_FIELDS = {
    "onprem": {"server_price_usd", "electricity_usd_per_kwh", "pue", "target_utilisation_pct"},
    "cloud_gpu": {"target_utilisation_pct", "price_change_pct_per_year"},
    "api": {"price_change_pct_per_year"},
}
"""Option fields the engine draws per sample (``engine.Ctx`` keys ``option:<name>:<field>``), by option kind."""

NUMBERS = (
    "total_cost_usd",
    "npv_usd",
    "capex_usd",
    "opex_usd",
    "cost_per_mtok_usd",
    "cost_per_m_output_tok_usd",
    "gpus",
    "avg_utilisation_pct",
    "energy_mwh",
    "emissions_tco2e",
    "ttft_ms",
    "tpot_ms",
)
"""Numeric result columns of one row (one variant x option); NaN where not applicable."""
SAMPLED = ("total_cost_usd", "npv_usd", "cost_per_mtok_usd")
"""Columns that get _p10, _p50 and _p90 companions when the sweep samples."""


def draw_key(doc: dict[str, Any], loc: paths.Loc) -> str | None:
    """The engine input key a location drives per sample, or None when it is structural."""
    if loc == ("assumptions", "discount_rate_pct"):
        return "assumptions:discount_rate_pct"
    if len(loc) < 3 or not isinstance(loc[1], int):
        return None
    items = doc.get(str(loc[0]))
    if not isinstance(items, list) or loc[1] >= len(items) or not isinstance(items[loc[1]], dict):
        return None
    item = items[loc[1]]
    name = item.get("name")
    inference = loc[0] == "workloads" and len(loc) == 3 and item.get("kind", "inference") == "inference"
    volume = loc[2] == "requests_per_day" and item.get("tokens_per_month") is None
    if inference and (loc[2] == "growth_pct_per_year" or volume):
        return f"workload:{name}:{loc[2]}"
    if loc[0] == "options":
        kind = str(item.get("kind"))
        if len(loc) == 3 and loc[2] in OPTION_FIELDS.get(kind, set()):
            return f"option:{name}:{loc[2]}"
        if len(loc) == 4 and loc[2] == "rates" and kind in OPTION_FIELDS and loc[3] not in SCALAR_RATES:
            return f"option:{name}:rate:{loc[3]}"
    return None


@dataclass(frozen=True)
class Block:
    """What one engine run needs: the base document and the variants to apply to it."""

    doc: dict[str, Any]
    file: str
    catalog_files: tuple[str, ...]
    locs: tuple[tuple[paths.Loc, ...], ...]
    """Per axis, the document locations it writes."""
    continuous: tuple[bool, ...]
    """Per axis, whether it is batched as samples (False: the block shares one value)."""
    variants: tuple[tuple[int, tuple[Any, ...]], ...]
    """(variant index, axis values)."""
    options: tuple[str, ...]
    """Option names of the base scenario (rows of a variant that fails validation)."""
    samples: int = 0
    seed: int = 0
    batch: bool = True
    """False: every variant runs on its own (the reference the batched path is tested against)."""


def apply(doc: dict[str, Any], locs: tuple[tuple[paths.Loc, ...], ...], values: tuple[Any, ...]) -> dict[str, Any]:
    """The variant's document: each axis value written at its locations (null keeps the scenario's value).

    Only the containers along the written locations are copied; ``doc`` is not changed.
    """
    out = dict(doc)
    copied = {id(out)}
    for axis_locs, value in zip(locs, values, strict=True):
        if value is None:
            continue
        for loc in axis_locs:
            node: Any = out
            for key in loc[:-1]:
                child = node[key] if isinstance(node, list) and isinstance(key, int) else node.get(key)
                if child is None:
                    child = {}
                elif id(child) not in copied:
                    child = list(child) if isinstance(child, list) else dict(child)
                copied.add(id(child))
                node[key] = child
                node = child
            node[loc[-1]] = value
    return out


def evaluate_block(block: Block) -> dict[str, Any]:
    """Result columns (lists or arrays, one entry per row) for every variant of the block."""
    cols: dict[str, list[Any]] = {k: [] for k in ("variant", "option", "kind", "status", "reason")}
    nums: dict[str, list[FloatArray]] = {}
    parsed = _validate(block, cols, nums) if block.batch else _validate_each(block, cols, nums)
    keys = _keys(block, parsed[0][2]) if block.batch and parsed else None
    if block.batch and parsed and keys is None:
        # an axis the plan took for continuous is not batchable in this structure: one run per variant
        again: Parsed = []
        for index, values, *_ in parsed:
            got = _parse(block, values)
            if isinstance(got, str):
                _rows_failed(cols, nums, block.samples, index, block.options, "invalid", got)
            else:
                again.append((index, values, *got))
        parsed = again
    groups = [parsed] if keys is not None else [[p] for p in parsed]
    for group in groups:
        _evaluate(group, keys if len(groups) == 1 else None, block, cols, nums)
    out: dict[str, Any] = dict(cols)
    for k in numeric_columns(block.samples):
        parts = nums.get(k, [])
        out[k] = np.concatenate(parts) if parts else np.zeros(0)
    return out


Parsed = list[tuple[int, tuple[Any, ...], Scenario, Catalog]]


def _parse(block: Block, values: tuple[Any, ...]) -> tuple[Scenario, Catalog] | str:
    try:
        return parse_scenario(apply(block.doc, block.locs, values), block.file, None, block.catalog_files)
    except LlmtcoError as exc:
        return str(exc).replace("\n", "; ")


def _validate_each(block: Block, cols: dict[str, list[Any]], nums: dict[str, list[FloatArray]]) -> Parsed:
    """Every variant through the scenario loader (the reference path)."""
    parsed: Parsed = []
    for index, values in block.variants:
        got = _parse(block, values)
        if isinstance(got, str):
            _rows_failed(cols, nums, block.samples, index, block.options, "invalid", got)
        else:
            parsed.append((index, values, *got))
    return parsed


def _hashable(v: Any) -> Any:
    """A dict key for an axis value (JSON text for lists and mappings)."""
    return v if v is None or isinstance(v, str | int | float | bool) else json.dumps(v, sort_keys=True)


def _validate(block: Block, cols: dict[str, list[Any]], nums: dict[str, list[FloatArray]]) -> Parsed:
    """The scenario loader on the block's shared structure, then once per distinct value of each continuous axis.

    Exact because the fields that can be continuous (``draw_key``) carry only
    their own range checks (and presence checks, which every value of an axis
    triggers alike): a variant is valid when its structure and each of its
    values are. Only the first valid variant's full document is parsed again:
    it is the one the block's engine run uses.
    """
    first = block.variants[0][1]
    shared = tuple(None if c else v for c, v in zip(block.continuous, first, strict=True))
    base = _parse(block, shared)
    errors: dict[tuple[int, Any], str] = {}
    if not isinstance(base, str):
        for j, cont in enumerate(block.continuous):
            if not cont:
                continue
            distinct = {_hashable(v[j]): v[j] for _, v in block.variants if v[j] is not None}
            for h in sorted(distinct, key=repr):
                one = tuple(distinct[h] if k == j else s for k, s in enumerate(shared))
                got = _parse(block, one)
                if isinstance(got, str):
                    errors[(j, h)] = got
    parsed: Parsed = []
    for index, values in block.variants:
        if isinstance(base, str):
            bad = [base]
        elif errors:
            bad = [
                errors[(j, _hashable(v))]
                for j, v in enumerate(values)
                if block.continuous[j] and v is not None and (j, _hashable(v)) in errors
            ]
        else:
            bad = []
        if bad:
            _rows_failed(cols, nums, block.samples, index, block.options, "invalid", "; ".join(bad))
        elif not parsed:
            got = _parse(block, values)
            if isinstance(got, str):  # not expected: the checks above passed
                _rows_failed(cols, nums, block.samples, index, block.options, "invalid", got)
            else:
                parsed.append((index, values, *got))
        else:
            parsed.append((index, values, parsed[0][2], parsed[0][3]))
    return parsed


def _keys(block: Block, sc: Scenario) -> list[tuple[int, str]] | None:
    """(axis, engine key) for every continuous axis with a value, or None when one cannot be batched."""
    doc = sc.model_dump(mode="json", include={"workloads", "options"})
    out: list[tuple[int, str]] = []
    values = block.variants[0][1]
    for j, (cont, axis_locs) in enumerate(zip(block.continuous, block.locs, strict=True)):
        if not cont or values[j] is None:
            continue
        for loc in axis_locs:
            key = draw_key(doc, loc)
            if key is None:
                return None
            out.append((j, key))
    return out


def numeric_columns(samples: int) -> list[str]:
    """Numeric result columns of a sweep with ``samples`` Monte Carlo samples per variant."""
    return list(NUMBERS) + ([f"{k}_{q}" for k in SAMPLED for q in ("p10", "p50", "p90")] if samples else [])


def _rows_failed(
    cols: dict[str, list[Any]],
    nums: dict[str, list[FloatArray]],
    samples: int,
    index: int,
    options: tuple[str, ...],
    status: str,
    reason: str,
) -> None:
    for k in numeric_columns(samples):
        nums.setdefault(k, []).append(np.full(len(options), np.nan))
    for name in options:
        cols["variant"].append(index)
        cols["option"].append(name)
        cols["kind"].append(None)
        cols["status"].append(status)
        cols["reason"].append(reason)


def _run_feasible(sc: Scenario, cat: Catalog, ctx: Ctx) -> tuple[Run | None, dict[str, str]]:
    """Run the engine; an option that cannot serve a workload is dropped and reported, the rest still run."""
    infeasible: dict[str, str] = {}
    while True:
        try:
            return run(sc, cat, ctx), infeasible
        except InfeasibleError as exc:
            m = re.match(r"options\.(\d+)", str(exc))
            if m is None or int(m.group(1)) >= len(sc.options):
                raise
            idx = int(m.group(1))
            infeasible[sc.options[idx].name] = str(exc)
            rest = [o for i, o in enumerate(sc.options) if i != idx]
            if not rest:
                return None, infeasible
            sc = sc.model_copy(update={"options": rest})


def _evaluate(
    group: list[tuple[int, tuple[Any, ...], Scenario, Catalog]],
    keys: list[tuple[int, str]] | None,
    block: Block,
    cols: dict[str, list[Any]],
    nums: dict[str, list[FloatArray]],
) -> None:
    _, _, sc, cat = group[0]
    v, n = len(group), block.samples
    fixed = {key: np.array([float(values[j]) for _, values, _, _ in group]) for j, key in keys or []}
    try:
        r, infeasible = _run_feasible(sc, cat, Ctx(samples=v, draws=fixed))
    except LlmtcoError as exc:
        for index, *_ in group:
            _rows_failed(cols, nums, n, index, tuple(o.name for o in sc.options), "failed", str(exc))
        return
    per_option = [_option_values(r, o.name, infeasible, np.arange(v), v) for o in sc.options]
    for index, *_rest in group:
        for o in sc.options:
            cols["variant"].append(index)
            cols["option"].append(o.name)
            cols["kind"].append(o.kind)
            status, reason = _status(r, o.name, infeasible)
            cols["status"].append(status)
            cols["reason"].append(reason)
    for k in NUMBERS:
        nums.setdefault(k, []).append(np.stack([x[k] for x in per_option], axis=1).reshape(-1))
    if n:
        for k, q in _percentiles(group, sc, cat, fixed, n, block.seed).items():
            nums.setdefault(k, []).append(q.reshape(-1))


def _percentiles(
    group: Parsed, sc: Scenario, cat: Catalog, fixed: dict[str, FloatArray], n: int, seed: int
) -> dict[str, FloatArray]:
    """P10/P50/P90 columns, shape (variants, options), from n Monte Carlo samples per variant.

    A second engine run over variants x n samples; variant i draws from the
    stream (seed, i), so the draws do not depend on which block it is in.
    Rates in ``SCALAR_RATES`` are not sampled (see below).
    """
    v = len(group)
    # the engine reads these rates as one number per run (its first sample's): sampling them would make a
    # variant's result depend on its block-mates, so they stay at their catalog value
    dists = [d for d in inputs(sc, cat) if d.key.removeprefix("rate:") not in SCALAR_RATES]
    if v > 1 and any(d.key.endswith(LAYOUT_KEYS) for d in dists):
        # sampled token lengths steer the tensor-parallel choice (made on a run's first sample): one run each
        parts_ = [
            _percentiles([g], sc, cat, {k: x[i : i + 1] for k, x in fixed.items()}, n, seed)
            for i, g in enumerate(group)
        ]
        return {k: np.vstack([p[k] for p in parts_]) for k in parts_[0]}
    draws = {key: np.repeat(values, n) for key, values in fixed.items()}
    parts: dict[str, list[FloatArray]] = {d.key: [] for d in dists if d.key not in draws}
    for index, *_ in group:
        drawn = sample(dists, n, np.random.default_rng([seed, index]))
        for key, p in parts.items():
            p.append(drawn[key])
    draws.update({k: np.concatenate(p) for k, p in parts.items()})
    out = {f"{k}_{q}": np.full((v, len(sc.options)), np.nan) for k in SAMPLED for q in ("p10", "p50", "p90")}
    try:
        r, infeasible = _run_feasible(sc, cat, Ctx(samples=v * n, draws=draws))
    except LlmtcoError:
        return out
    if r is None:
        return out
    for i, o in enumerate(sc.options):
        if o.name in infeasible or o.name in r.excluded:
            continue
        for k, arr in (
            ("total_cost_usd", r.total(o.name)),
            ("npv_usd", r.npv(o.name)),
            ("cost_per_mtok_usd", r.per_mtok(o.name)),
        ):
            q = np.percentile(np.asarray(arr, dtype=float).reshape(v, n), [10, 50, 90], axis=-1)
            for qi, label in enumerate(("p10", "p50", "p90")):
                out[f"{k}_{label}"][:, i] = q[qi]
    return out


def _status(r: Run | None, name: str, infeasible: dict[str, str]) -> tuple[str, str | None]:
    if name in infeasible:
        return "infeasible", infeasible[name]
    if r is not None and name in r.excluded:
        return ("infeasible" if name in r.infeasible else "excluded"), r.excluded[name]
    return "ok", None


def _option_values(r: Run | None, name: str, infeasible: dict[str, str], central: Any, v: int) -> dict[str, FloatArray]:
    """One option's columns for the block's v variants."""
    out = {k: np.full(v, np.nan) for k in NUMBERS}
    if r is None or name in infeasible or name in r.excluded:
        return out
    outcome = r.outcomes[name]
    ledger = outcome.ledger
    total = r.total(name)
    all_ = {
        "total_cost_usd": total,
        "npv_usd": r.npv(name),
        "cost_per_mtok_usd": r.per_mtok(name),
    }
    out.update({k: np.asarray(a, dtype=float)[central] for k, a in all_.items()})
    out["capex_usd"] = ledger.category_monthly_usd("capex").sum(axis=-1)[central]
    out["opex_usd"] = ledger.category_monthly_usd("opex").sum(axis=-1)[central]
    out["cost_per_m_output_tok_usd"] = (total / r.output_tokens.sum(axis=-1) * 1e6)[central]
    if outcome.energy_kwh is not None:
        energy = outcome.energy_kwh.sum(axis=-1)[central] / 1000.0
        out["energy_mwh"] = energy
        if outcome.grid_kgco2e_per_kwh is not None:
            out["emissions_tco2e"] = energy * outcome.grid_kgco2e_per_kwh
    if outcome.gpus_peak is not None:
        out["gpus"] = np.asarray(outcome.gpus_peak, dtype=float)[central]
    if outcome.busy_gpu_h is not None and outcome.provisioned_gpu_h is not None:
        prov = np.asarray(outcome.provisioned_gpu_h, dtype=float)[central]
        out["avg_utilisation_pct"] = np.where(
            prov > 0, 100.0 * np.asarray(outcome.busy_gpu_h)[central] / np.maximum(prov, 1e-12), np.nan
        )
    if outcome.sizing is not None and outcome.sizing.workloads:
        # the serving point depends on hardware, token lengths and SLO only: the same for the whole block
        out["ttft_ms"] = np.full(v, max(w.ttft_ms for w in outcome.sizing.workloads))
        out["tpot_ms"] = np.full(v, max(w.tpot_ms for w in outcome.sizing.workloads))
    return out


__all__ = ["NUMBERS", "SAMPLED", "Block", "apply", "draw_key", "evaluate_block", "numeric_columns"]
