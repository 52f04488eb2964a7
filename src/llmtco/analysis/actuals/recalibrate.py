"""Recalibrate from reality: measured throughput per GPU at the observed concurrency, and measured power,
refit the efficiency factors the option's plan uses (``llmtco.calibration.fit``), written as a profile a
scenario loads with ``calibration:``.

The steps with load are split into up to four bins of observed concurrency
(running requests per replica); each bin is one measurement (a ``batch`` case:
output tokens/s per GPU and GPU power at that batch), as a load generator run at
that concurrency would give.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from llmtco.analysis.actuals.model import Recalibration, Telemetry
from llmtco.analysis.actuals.plan import Plan
from llmtco.calibration.corpus import Case
from llmtco.calibration.fit import PARAMS, lookup, refine
from llmtco.calibration.predict import predict
from llmtco.calibration.profile import write_profile
from llmtco.catalog import Catalog
from llmtco.errors import ActualsError
from llmtco.scenario.schema import Scenario

MIN_BATCH = 0.5
"""Steps with fewer running requests per replica are idle and not used [sequences]."""
BINS = 4


def observed_cases(telemetry: Telemetry, plan: Plan, sc: Scenario) -> list[Case]:
    """Batch cases from the telemetry, on the option's accelerator and the first workload's model."""
    sizing = plan.option.sizing
    if sizing is None or sizing.accelerator is None or not sizing.workloads:
        raise ActualsError(
            f"--write-profile: option {plan.option.name} runs no GPUs of its own; nothing to recalibrate"
        )
    ws = sizing.workloads[0]
    wl = next(w for w in sc.inference_workloads if w.name == ws.workload)
    st = telemetry.steps
    tokens, running = st.get("output_tokens"), st.get("running_seconds")
    energy, gpu_s = st.get("gpu_energy_j"), st.get("gpu_seconds")
    ok = (gpu_s > 0) & (tokens > 0)
    if not ok.any():
        raise ActualsError("--write-profile: the telemetry has no step with both tokens and GPU power")
    gpus = gpu_s / st.step_s
    replicas = np.maximum(gpus / ws.tensor_parallel, 1.0)
    batch = running / st.step_s / replicas
    ok &= batch >= MIN_BATCH
    if not ok.any():
        raise ActualsError(f"--write-profile: no step has {MIN_BATCH}+ running requests per replica")
    months = list(telemetry.months.values())
    req = sum(m.requests or 0.0 for m in months)
    lin = sum(m.input_tokens or 0.0 for m in months) / req if req else float(wl.input_tokens)
    lout = sum(m.output_tokens or 0.0 for m in months) / req if req else float(wl.output_tokens)
    idx = np.flatnonzero(ok)
    edges = np.quantile(batch[idx], np.linspace(0, 1, BINS + 1))
    cases = []
    for k in range(BINS):
        sel = idx[(batch[idx] >= edges[k]) & ((batch[idx] < edges[k + 1]) if k < BINS - 1 else True)]
        if sel.size == 0:
            continue
        cases.append(
            Case(
                id=f"actuals-bin{k + 1}",
                source=f"llmtco actuals: {telemetry.source}",
                family="user",
                engine=telemetry.engine,
                kind="batch",
                accelerator=sizing.accelerator,
                gpus=ws.tensor_parallel,
                tp=ws.tensor_parallel,
                precision=ws.precision,
                model=wl.model,
                params_b=0.0,
                input_tokens=lin,
                output_tokens=lout,
                batch=float(np.average(batch[sel], weights=gpu_s[sel])),
                measured={
                    "output_tok_s_per_gpu": float(tokens[sel].sum() / gpu_s[sel].sum()),
                    "power_w_per_gpu": float(energy[sel].sum() / gpu_s[sel].sum()),
                },
            )
        )
    return cases


def recalibrate(
    telemetry: Telemetry,
    plan: Plan,
    sc: Scenario,
    cat: Catalog,
    engine: str | None,
    path: str | Path,
    replan: Callable[[Path], Plan],
    last_month: str,
) -> Recalibration:
    """Fit, write the profile to ``path`` and replan with it; ``replan`` loads the scenario with a profile overlay."""
    cases = observed_cases(telemetry, plan, sc)
    effs = {e.id: e for e in cat.efficiency}
    acc = cases[0].accelerator
    prior = lookup(effs, acc, engine, cases[0].precision)
    label = f"measured by `llmtco actuals` ({telemetry.source}, {len(cases)} concurrency bins)"
    fitted = refine(cases, cat, prior, label)
    write_profile(
        [fitted],
        path,
        header=f"# llmtco calibration profile from fleet telemetry ({telemetry.source})\n"
        f"# option {plan.option.name}; use it with `calibration: <this file>` in a scenario, or --catalog.\n",
    )
    heavy = max(cases, key=lambda c: c.batch or 0.0)
    before, after = predict(heavy, cat, prior), predict(heavy, cat, fitted)
    new = replan(Path(path))
    i = plan.index(last_month)
    start = 0 if i is None else i + 1

    def rest(p: Plan) -> tuple[float, float | None]:
        cost = float(sum(a[start:].sum() for _, a in p.items.values()))
        return cost, None if p.energy_kwh is None else float(p.energy_kwh[start:].sum())

    (c0, e0), (c1, e1) = rest(plan), rest(new)
    return Recalibration(
        profile_path=str(path),
        efficiency_id=prior.id,
        observed_batch=float(heavy.batch or 0.0),
        observed_output_tok_s_per_gpu=heavy.measured["output_tok_s_per_gpu"],
        observed_power_w_per_gpu=heavy.measured["power_w_per_gpu"],
        planned_output_tok_s_per_gpu=before["output_tok_s_per_gpu"],
        recalibrated_output_tok_s_per_gpu=after["output_tok_s_per_gpu"],
        planned_power_w_per_gpu=before["power_w_per_gpu"],
        recalibrated_power_w_per_gpu=after["power_w_per_gpu"],
        factors_before={n: float(getattr(prior, n)) for n in PARAMS},
        factors_after={n: float(getattr(fitted, n)) for n in PARAMS},
        forecast_months=len(plan.months) - start,
        forecast_cost_usd_before=c0,
        forecast_cost_usd_after=c1,
        forecast_energy_kwh_before=e0,
        forecast_energy_kwh_after=e1,
        gpus_before=plan.option.sizing.gpus if plan.option.sizing else None,
        gpus_after=new.option.sizing.gpus if new.option.sizing else None,
    )
