"""Fit the efficiency factors of the performance model to measurements.

Per accelerator, the factors minimise the squared log-errors of every
measured metric (throughput, TPOT, TTFT, power, energy, training speed), plus
a penalty that pulls each factor toward its prior: accelerators with few
measurements stay near the published priors, those with many follow the data.
Leave-one-source-out refits without one publication family and predicts it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from llmtco.calibration.corpus import Case
from llmtco.calibration.predict import predict
from llmtco.catalog import Catalog
from llmtco.catalog.records import Efficiency

PARAMS: dict[str, tuple[float, float]] = {
    "decode_bandwidth_efficiency": (0.2, 0.95),
    "decode_compute_efficiency": (0.05, 0.95),
    "prefill_compute_efficiency": (0.1, 0.95),
    "train_compute_efficiency": (0.05, 0.8),
    "step_overhead_ms": (0.05, 20.0),
    "per_sequence_overhead_us": (0.1, 200.0),
    "power_activity_floor": (0.05, 0.95),
    "ttft_queue_steps": (0.05, 20.0),
}
"""Fitted factors and their bounds."""

PRIOR_WEIGHT = 0.3
"""Weight of the pull toward the prior, per factor, in log units (one row's log-error counts 1)."""

MIN_ENGINE_ROWS = 5
"""Rows an engine needs on one accelerator for its own factors (else the accelerator's are used)."""


def efficiency_key(accelerator: str, engine: str | None = None, precision: str | None = None) -> str:
    """Catalog id of efficiency factors: ``h100-sxm``, engine-specific ``h100-sxm@vllm``, or engine- and
    precision-specific ``h100-sxm@vllm@bf16``."""
    if not engine:
        return accelerator
    return f"{accelerator}@{engine}@{precision}" if precision else f"{accelerator}@{engine}"


def lookup(
    effs: dict[str, Efficiency], accelerator: str, engine: str | None, precision: str | None = None
) -> Efficiency:
    """The most specific fitted factors: accelerator@engine@precision, then accelerator@engine, then accelerator."""
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

    @property
    def error_pct(self) -> float:
        return (self.predicted - self.measured) / self.measured * 100.0


def predictions(cases: Iterable[Case], catalog: Catalog, effs: dict[str, Efficiency]) -> list[Prediction]:
    out: list[Prediction] = []
    for c in cases:
        pred = predict(c, catalog, lookup(effs, c.accelerator, c.engine, c.precision))
        for metric, value in c.measured.items():
            if metric in pred:
                out.append(Prediction(c, metric, value, pred[metric]))
    return out


def _residuals(
    cases: list[Case], catalog: Catalog, start: Efficiency, x0: np.ndarray
) -> Callable[[np.ndarray], np.ndarray]:
    names = list(PARAMS)

    def fn(x: np.ndarray) -> np.ndarray:
        eff = start.model_copy(update={n: float(np.exp(v)) for n, v in zip(names, x, strict=True)})
        table = {c.accelerator: eff for c in cases}
        r = [np.log(max(p.predicted, 1e-9) / p.measured) for p in predictions(cases, catalog, table)]
        return np.concatenate([np.asarray(r, dtype=float), PRIOR_WEIGHT * (x - x0)])

    return fn


def fit_accelerator(
    cases: list[Case], catalog: Catalog, prior: Efficiency, source: str, key: str | None = None
) -> Efficiency:
    """Efficiency factors for one accelerator fitted to its cases (the prior if there are none)."""
    if not cases:
        return prior
    names = list(PARAMS)
    x0 = np.log([float(getattr(prior, n)) for n in names])
    lo = np.log([PARAMS[n][0] for n in names])
    hi = np.log([PARAMS[n][1] for n in names])
    x0 = np.clip(x0, lo + 1e-9, hi - 1e-9)
    sol = least_squares(
        _residuals(cases, catalog, prior, x0), x0, bounds=(lo, hi), diff_step=1e-3, max_nfev=60 * len(names)
    )
    fitted = {n: round(float(np.exp(v)), 4) for n, v in zip(names, sol.x, strict=True)}
    moved = [n for n in names if abs(fitted[n] - float(getattr(prior, n))) > 1e-3 * max(abs(fitted[n]), 1e-9)]
    kept = [n for n in names if n not in moved]
    note = f"; fitted: {', '.join(moved) or 'none'}"
    if kept:
        note += f"; no data for {', '.join(kept)}: prior kept ({prior.source[:60]}...)"
    return prior.model_copy(
        update={
            **fitted,
            "id": key or prior.id,
            "fitted_on": len(cases),
            "estimate": False,
            "source": source + note,
            "as_of": dt.date.today(),
        }
    )


def fit_all(
    cases: list[Case], catalog: Catalog, priors: dict[str, Efficiency], corpus_name: str
) -> dict[str, Efficiency]:
    """Fit every accelerator that has cases; others keep their priors."""
    out = dict(priors)
    by_acc: dict[str, list[Case]] = {}
    for c in cases:
        by_acc.setdefault(c.accelerator, []).append(c)
    for acc, acc_cases in sorted(by_acc.items()):
        out[acc] = fit_accelerator(acc_cases, catalog, priors[acc], _source(acc_cases, corpus_name))
        by_engine: dict[str, list[Case]] = {}
        for c in acc_cases:
            by_engine.setdefault(c.engine, []).append(c)
        for engine, eng_cases in sorted(by_engine.items()):
            if len(eng_cases) < MIN_ENGINE_ROWS:
                continue
            engine_prior = out[acc]
            if len(by_engine) > 1:
                key = efficiency_key(acc, engine)
                out[key] = engine_prior = fit_accelerator(
                    eng_cases, catalog, out[acc], _source(eng_cases, corpus_name), key
                )
            by_precision: dict[str, list[Case]] = {}
            for c in eng_cases:
                if c.kind != "train":
                    by_precision.setdefault(c.precision, []).append(c)
            for precision, p_cases in sorted(by_precision.items()):
                if len(by_precision) > 1 and len(p_cases) >= MIN_ENGINE_ROWS:
                    key = efficiency_key(acc, engine, precision)
                    out[key] = fit_accelerator(p_cases, catalog, engine_prior, _source(p_cases, corpus_name), key)
    return out


def _source(cases: list[Case], corpus_name: str) -> str:
    families = sorted({c.family for c in cases})
    return (
        f"fitted by `llmtco calibrate` to {len(cases)} rows of {corpus_name} ({', '.join(families)}), "
        f"prior weight {PRIOR_WEIGHT}"
    )


def leave_one_source_out(
    cases: list[Case], catalog: Catalog, priors: dict[str, Efficiency], corpus_name: str
) -> list[Prediction]:
    """Predict each publication family with factors fitted on all the others."""
    out: list[Prediction] = []
    for family in sorted({c.family for c in cases}):
        train = [c for c in cases if c.family != family]
        test = [c for c in cases if c.family == family]
        effs = fit_all(train, catalog, priors, corpus_name)
        out.extend(predictions(test, catalog, effs))
    return out
