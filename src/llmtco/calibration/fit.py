"""Fit the two layers of the performance model, separately, with hierarchical shrinkage.

Step layer (GPU physics, per accelerator): achievable bandwidth and FLOP/s
fractions and the per-step overhead, fitted on kernel_step rows only
(``llmtco measure`` profiles, published step times). Tree: published prior →
generation → accelerator. Training MFU follows the same tree on training rows.

Serving layer (engine behaviour): scheduler time per step, host time per
sequence, mixed-step efficiency, TTFT scheduling delay and the power floor,
fitted on end_to_end and power rows with the step layer held fixed. Tree:
published prior → generic engine → engine → vendor@engine (a CUDA and a ROCm build of one engine are
different software stacks) → accelerator@engine → accelerator@engine@precision.

Each node minimises squared log-errors of its rows plus ``PRIOR_WEIGHT`` x
(log x - log parent)^2 per factor, so a sparse node stays near its parent. A
node is fitted only with at least ``MIN_ROWS`` (serving: ``SERVING_MIN_ROWS``) rows of its own and when its
parent also saw other rows; otherwise its parent answers. Every record says
which nodes answered (``notes``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.optimize import least_squares

from llmtco.calibration.corpus import Case
from llmtco.calibration.predict import predict
from llmtco.calibration.priors import generation
from llmtco.catalog import Catalog
from llmtco.catalog.records import Efficiency

STEP_PARAMS: dict[str, tuple[float, float]] = {
    "decode_bandwidth_efficiency": (0.2, 0.98),
    "decode_compute_efficiency": (0.05, 0.95),
    "prefill_compute_efficiency": (0.1, 0.95),
    "step_overhead_ms": (0.01, 20.0),
}
"""Step-layer factors and their bounds."""
TRAIN_PARAMS: dict[str, tuple[float, float]] = {"train_compute_efficiency": (0.05, 0.8)}
SERVING_PARAMS: dict[str, tuple[float, float]] = {
    "scheduler_ms_per_step": (0.01, 30.0),
    "per_sequence_overhead_us": (0.1, 300.0),
    "mixed_step_efficiency": (0.2, 1.0),
    "ttft_queue_steps": (0.05, 20.0),
    "engine_prefill_efficiency": (0.1, 1.6),
    "moe_prefill_half_tokens": (1.0, 16384.0),
    "power_activity_floor": (0.05, 0.95),
}
"""Serving-layer factors and their bounds."""
PARAMS = {**STEP_PARAMS, **TRAIN_PARAMS, **SERVING_PARAMS}

PRIOR_WEIGHT = 0.3
"""Weight of the pull toward the parent, per factor, in log units (one row's log-error counts 1)."""
MIN_ROWS = 3
"""Rows a step-layer or training node needs to be fitted on its own (one profile has four decode steps)."""
SERVING_MIN_ROWS = 3
"""Rows a serving-layer node needs to be fitted on its own (else its parent answers)."""
SERVING_LEVELS = ("end_to_end", "power")


def efficiency_key(accelerator: str, engine: str | None = None, precision: str | None = None) -> str:
    """Catalog id of efficiency factors: ``h100-sxm``, ``h100-sxm@vllm`` or ``h100-sxm@vllm@bf16``."""
    if not engine:
        return accelerator
    return f"{accelerator}@{engine}@{precision}" if precision else f"{accelerator}@{engine}"


def lookup(
    effs: dict[str, Efficiency], accelerator: str, engine: str | None, precision: str | None = None
) -> Efficiency:
    """The most specific factors: accelerator@engine@precision, then accelerator@engine, then accelerator."""
    for key in (efficiency_key(accelerator, engine, precision), efficiency_key(accelerator, engine)):
        if key in effs:
            return effs[key]
    return effs[accelerator]


@dataclass(frozen=True)
class Prediction:
    case: Case
    metric: str
    measured: float
    predicted: float
    answered_by: str = ""
    """Nodes of the fit whose factors made this prediction (``notes`` of the record used)."""
    evaluated_at: str = ""
    """The load the row was predicted at (``row_load.RowLoad.label``; saturated above the model's capacity)."""

    @property
    def error_pct(self) -> float:
        return (self.predicted - self.measured) / self.measured * 100.0


def predictions(cases: Iterable[Case], catalog: Catalog, effs: dict[str, Efficiency]) -> list[Prediction]:
    out: list[Prediction] = []
    for c in cases:
        eff = lookup(effs, c.accelerator, c.engine, c.precision)
        pred = predict(c, catalog, eff)
        at = c.load.label() + ("; above the model's capacity: saturated" if pred.get("saturated") else "")
        for metric, value in c.measured.items():
            if metric in pred:
                out.append(Prediction(c, metric, value, pred[metric], eff.notes or eff.id, at))
    return out


WALL_METRICS = frozenset({"power_w_per_gpu", "energy_j_per_token"})
"""Metrics a ``system_wall_ac`` row measures with the host inside (MLPerf power runs)."""


def fitted_metrics(case: Case) -> list[tuple[str, float]]:
    """The measurements of a row the fit uses: all of them, except the power and energy of rows measured
    at the wall. Those include the host (CPUs, fans, NICs), whose share the model only estimates
    (``perf.power.HOST_IDLE_SHARE``); fitting the GPUs' power floor to them would move the host's error
    into every GPU's power. They are still predicted and reported."""
    wall = case.power_basis == "system_wall_ac"
    return [(m, v) for m, v in case.measured.items() if not (wall and m in WALL_METRICS)]


def _fit_node(
    cases: list[Case],
    catalog: Catalog,
    base: Callable[[Case], Efficiency],
    parent: dict[str, float],
    params: dict[str, tuple[float, float]],
) -> dict[str, float]:
    """Factors ``params`` minimising the rows' log-errors plus the pull toward ``parent``."""
    names = list(params)
    lo = np.log([params[n][0] for n in names])
    hi = np.log([params[n][1] for n in names])
    with np.errstate(divide="ignore"):  # a factor at 0 (a profile written before it existed) starts at its bound
        x0 = np.clip(np.log([parent[n] for n in names]), lo + 1e-9, hi - 1e-9)
    bases = [base(c) for c in cases]

    def fn(x: np.ndarray) -> np.ndarray:
        update = {n: float(np.exp(v)) for n, v in zip(names, x, strict=True)}
        r: list[float] = []
        for c, b in zip(cases, bases, strict=True):
            pred = predict(c, catalog, b.model_copy(update=update))
            r.extend(float(np.log(max(pred[m], 1e-9) / v)) for m, v in fitted_metrics(c) if m in pred)
        return np.concatenate([np.asarray(r, dtype=float), PRIOR_WEIGHT * (x - x0)])

    sol = least_squares(fn, x0, bounds=(lo, hi), diff_step=1e-3, ftol=1e-3, xtol=1e-3, max_nfev=10 * len(names))
    return {n: round(float(np.exp(v)), 4) for n, v in zip(names, sol.x, strict=True)}


@dataclass
class _Node:
    key: str
    values: dict[str, float]
    rows: int
    """Rows this node was fitted on (0: inherited from its parent)."""
    answered: str
    """Key of the node whose fit these values are."""


def _tree(
    groups: list[tuple[str, str | None, list[Case]]],
    catalog: Catalog,
    base: Callable[[Case], Efficiency],
    root: _Node,
    params: dict[str, tuple[float, float]],
    min_rows: int = MIN_ROWS,
) -> dict[str, _Node]:
    """Fit nodes top-down; ``groups`` lists (key, parent key or None for the root, rows), parents first."""
    nodes = {root.key: root}
    for key, parent_key, rows in groups:
        parent = nodes[parent_key or root.key]
        parent_rows = parent.rows if parent.answered == parent.key else 0
        if len(rows) >= min_rows and ((parent.key == root.key and root.rows == 0) or parent_rows > len(rows)):
            values = _fit_node(rows, catalog, base, parent.values, params)
            nodes[key] = _Node(key, values, len(rows), key)
        else:
            nodes[key] = _Node(key, parent.values, 0, parent.answered)
    return nodes


def refine(cases: list[Case], catalog: Catalog, prior: Efficiency, source: str) -> Efficiency:
    """The serving layer of one efficiency record refitted to end-to-end measurements of that stack
    (``llmtco actuals``), starting from and pulled toward the record itself; the step layer (GPU physics,
    fitted on kernel-level data) is kept."""
    rows = [c for c in cases if c.level in SERVING_LEVELS]
    if not rows:
        return prior
    values = _fit_node(
        rows, catalog, lambda c: prior, {n: float(getattr(prior, n)) for n in SERVING_PARAMS}, SERVING_PARAMS
    )
    return prior.model_copy(
        update={
            **values,
            "fitted_on": prior.fitted_on + len(rows),
            "estimate": False,
            "source": f"{source}; serving layer refitted from {prior.id} ({prior.source})",
            "as_of": dt.date.today(),
            "notes": f"serving: refined from {prior.id} on {len(rows)} row(s); step: {prior.id}",
        }
    )


def fit_all(
    cases: list[Case], catalog: Catalog, priors: dict[str, Efficiency], corpus_name: str
) -> dict[str, Efficiency]:
    """Fit the step, training and serving trees; return one record per accelerator and per fitted engine."""
    accs = [a.id for a in catalog.accelerators]
    step_rows = [c for c in cases if c.level == "kernel_step"]
    train_rows = [c for c in cases if c.level == "training"]
    serve_rows = [c for c in cases if c.level in SERVING_LEVELS]

    def prior_values(acc: str, params: dict[str, tuple[float, float]]) -> dict[str, float]:
        return {n: float(getattr(priors[acc], n)) for n in params}

    step: dict[str, _Node] = {}
    train: dict[str, _Node] = {}
    for params, rows, table in ((STEP_PARAMS, step_rows, step), (TRAIN_PARAMS, train_rows, train)):
        gens: dict[str, _Node] = {}
        for acc in accs:
            gen = generation(acc)
            root = _Node(f"prior:{acc}", prior_values(acc, params), 0, "prior")
            gen_rows = [c for c in rows if generation(c.accelerator) == gen]
            acc_rows = [c for c in gen_rows if c.accelerator == acc]
            if gen not in gens:
                gens[gen] = _tree(
                    [(f"gen:{gen}", None, gen_rows)], catalog, lambda c: priors[c.accelerator], root, params
                )[f"gen:{gen}"]
            groups: list[tuple[str, str | None, list[Case]]] = [(acc, f"gen:{gen}", acc_rows)]
            if params is TRAIN_PARAMS:
                for engine in sorted({c.engine for c in acc_rows}):
                    groups.append((f"{acc}@{engine}", acc, [c for c in acc_rows if c.engine == engine]))
            gen_root = gens[gen]
            nodes = _tree(groups, catalog, lambda c: priors[c.accelerator], gen_root, params)
            table.update({k: v for k, v in nodes.items() if k == acc or k.startswith(f"{acc}@")})

    def base_for(acc: str, engine: str | None = None) -> Efficiency:
        t = train.get(f"{acc}@{engine}", train[acc])
        return priors[acc].model_copy(update={**step[acc].values, **t.values})

    bases = {acc: base_for(acc) for acc in accs}
    root = _Node("prior", prior_values(accs[0], SERVING_PARAMS), 0, "prior")
    groups = [("generic", None, serve_rows)]
    engines = sorted({c.engine for c in serve_rows})
    vendor = {a.id: a.vendor.lower() for a in catalog.accelerators}
    for engine in engines:
        e_rows = [c for c in serve_rows if c.engine == engine]
        groups.append((f"@{engine}", "generic", e_rows))
        vendors = sorted({vendor[c.accelerator] for c in e_rows})
        # a vendor level only where the engine's rows span vendors (else it would repeat the engine node)
        for ven in vendors if len(vendors) > 1 else []:
            groups.append((f"{ven}@{engine}", f"@{engine}", [c for c in e_rows if vendor[c.accelerator] == ven]))
        for acc in sorted({c.accelerator for c in e_rows}):
            a_rows = [c for c in e_rows if c.accelerator == acc]
            parent = f"{vendor[acc]}@{engine}" if len(vendors) > 1 else f"@{engine}"
            groups.append((f"{acc}@{engine}", parent, a_rows))
            for prec in sorted({c.precision for c in a_rows}):
                groups.append((f"{acc}@{engine}@{prec}", f"{acc}@{engine}", [c for c in a_rows if c.precision == prec]))
    serving = _tree(groups, catalog, lambda c: bases[c.accelerator], root, SERVING_PARAMS, SERVING_MIN_ROWS)

    today = dt.date.today()
    out = dict(priors)

    def record(key: str, acc: str, serve: _Node, engine: str | None = None) -> Efficiency:
        s, t = step[acc], train.get(f"{acc}@{engine}", train[acc])
        fitted_on = s.rows + t.rows + serve.rows
        answered = f"step: {s.answered}; training: {t.answered}; serving: {serve.answered}"
        fitted = fitted_on > 0 or any(n.answered != "prior" for n in (s, t, serve))
        source = (
            f"fitted by `llmtco calibrate` to {corpus_name} ({_families(cases)}), two layers, "
            f"prior weight {PRIOR_WEIGHT}; {answered}"
            if fitted
            else priors[acc].source
        )
        return priors[acc].model_copy(
            update={
                **s.values,
                **t.values,
                **serve.values,
                "id": key,
                "fitted_on": fitted_on,
                "estimate": not fitted,
                "source": source,
                "as_of": today if fitted else priors[acc].as_of,
                "notes": answered,
            }
        )

    for acc in accs:
        out[acc] = record(acc, acc, serving["generic"])
        for engine in engines:
            node = serving.get(f"{acc}@{engine}", serving.get(f"{vendor[acc]}@{engine}", serving[f"@{engine}"]))
            out[f"{acc}@{engine}"] = record(f"{acc}@{engine}", acc, node, engine)
            for key, n in serving.items():
                if key.startswith(f"{acc}@{engine}@") and n.answered == key:
                    out[key] = record(key, acc, n, engine)
        for key, n in train.items():
            if key.startswith(f"{acc}@") and n.answered == key and key not in out:
                out[key] = record(key, acc, serving["generic"], key.split("@", 1)[1])
    return out


def _families(cases: list[Case]) -> str:
    return ", ".join(sorted({c.family for c in cases}))


_PUBLISHERS = (
    (r"^mlperf", "mlperf"),
    (r"^ml-?energy", "mlenergy"),
    (r"^trtllm", "trtllm"),
)
"""Families that are editions of one source: MLPerf rounds (v4.1, v5.1), ML.ENERGY's leaderboards, the
TensorRT-LLM team's perf overviews and blog."""


def publisher(family: str) -> str:
    """The source leave-one-source-out leaves out as a whole: a family's publisher and harness, not its
    edition. Leaving out MLPerf v4.1 while v5.1 (the same harness, submitters and datasets) stays in
    would not test a source the fit has not seen."""
    for pattern, name in _PUBLISHERS:
        if re.search(pattern, family):
            return name
    return family


class Sourced(Protocol):
    """A corpus row or a published MoE decode row (``moe_rows.CheckRow``): what a split groups by."""

    @property
    def family(self) -> str: ...

    @property
    def accelerator(self) -> str: ...


Refit = Callable[[list[Case], Callable[[Sourced], bool]], dict[str, Efficiency]]
"""The shipped fit on one fold (``ship.fold_fit``): the fold's cases, and which published MoE decode rows it
may also fit the stacks' step time on. A split refits everything the shipped records carry, so its
out-of-sample figures test the model users get, not a part of it."""


FoldHook = Callable[[str, dict[str, Efficiency]], None]
"""Called after each refit of a split with the left-out group and the fold's factors (the accuracy report
predicts the published MoE rows of that group with them)."""


def leave_out(
    cases: list[Case],
    catalog: Catalog,
    refit: Refit,
    key: Callable[[Sourced], str],
    progress: Callable[[], None] | None = None,
    on_fold: FoldHook | None = None,
) -> list[Prediction]:
    """Predict each group of cases (``key``: source, accelerator) with factors fitted on all the others."""
    out: list[Prediction] = []
    for group in sorted({key(c) for c in cases}):
        train = [c for c in cases if key(c) != group]
        test = [c for c in cases if key(c) == group]
        effs = refit(train, outside(key, group))
        out.extend(predictions(test, catalog, effs))
        if on_fold is not None:
            on_fold(group, effs)
        if progress is not None:
            progress()
    return out


def outside(key: Callable[[Sourced], str], group: str) -> Callable[[Sourced], bool]:
    """Whether a row lies outside the fold's left-out ``group``."""
    return lambda row: key(row) != group


def source_key(row: Sourced) -> str:
    """What leave one source out groups by: the ``publisher`` of the row's family."""
    return publisher(row.family)


def accelerator_key(row: Sourced) -> str:
    """What leave one accelerator out groups by."""
    return row.accelerator


def leave_one_source_out(
    cases: list[Case],
    catalog: Catalog,
    refit: Refit,
    progress: Callable[[], None] | None = None,
    on_fold: FoldHook | None = None,
) -> list[Prediction]:
    """Predict each source (``publisher`` of the family) with factors fitted on all the others."""
    return leave_out(cases, catalog, refit, source_key, progress, on_fold)


def leave_one_accelerator_out(
    cases: list[Case],
    catalog: Catalog,
    refit: Refit,
    progress: Callable[[], None] | None = None,
    on_fold: FoldHook | None = None,
) -> list[Prediction]:
    """Predict each accelerator's rows with factors fitted on the other accelerators' rows."""
    return leave_out(cases, catalog, refit, accelerator_key, progress, on_fold)


def out_of_sample_refits(cases: list[Case]) -> int:
    """Refits the three out-of-sample splits make: one per source, one per accelerator, one held-out fit."""
    return len({publisher(c.family) for c in cases}) + len({c.accelerator for c in cases}) + 1


HELD_OUT_COLLECTION = "measurements-2026"
"""The corpus file gathered last (2026, for issue 12): the ``held-out collection`` split predicts it with
factors fitted on the files gathered before it, as a plan made then would have. The published MoE decode
rows all belong to it (``moe_rows.CORPUS``), so that fit has no MoE stack step time."""


def held_out_collection(cases: list[Case], catalog: Catalog, refit: Refit) -> list[Prediction] | None:
    """Rows of ``HELD_OUT_COLLECTION`` predicted with factors fitted on every other row; None when the
    corpus has no such rows or nothing else."""
    test = [c for c in cases if c.collection == HELD_OUT_COLLECTION]
    train = [c for c in cases if c.collection != HELD_OUT_COLLECTION]
    if not test or not train:
        return None
    return predictions(test, catalog, refit(train, lambda row: False))
