"""Optimisation: the hybrid base size that minimises cost, and the cheapest fleet (a MILP solved by HiGHS).

Fleet plan. Candidates are every catalog server type that can serve the
workloads (on-prem, in the scenario's region), every instance with a reserved
price, and every on-demand instance and hosted API serving the same model as
overflow — less those the constraints exclude. The engine itself prices each
candidate (no second cost formula): a base unit's NPV is measured at fleets of
one and two units (fixed part + marginal part), an overflow option's NPV per
request at the scenario's volume. The MILP (scipy.optimize.milp) chooses unit
counts and how much of each hour class of the final month's load each part
carries, subject to power, rack-space and CapEx budgets. Its plan is then
evaluated by the full engine as a scenario option, next to every single
candidate; the best of these is returned, so the plan is never worse than any
single option the optimiser could have chosen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from llmtco.catalog import Catalog
from llmtco.engine import run
from llmtco.engine.adapters import server_max_power_kw
from llmtco.engine.constraints import exclusion_reason
from llmtco.errors import UsageError
from llmtco.scenario.schema import ApiOption, CloudGpuOption, HybridOption, OnPremOption, Scenario


@dataclass(frozen=True)
class CurvePoint:
    base_percentile: float
    """The hour of the day (as a percentile of the day's load) up to which the base carries the load [%]."""
    total_cost_usd: float
    npv_usd: float


@dataclass(frozen=True)
class HybridCurve:
    curve: list[CurvePoint]
    best: CurvePoint
    """The point with the lowest NPV."""
    current: float
    """The scenario's own base percentile [%]."""


@dataclass
class HybridCurveResult:
    """Cost of each hybrid option of the scenario as its base size changes."""

    hybrids: dict[str, HybridCurve]

    def to_dict(self) -> dict[str, Any]:
        return {name: asdict(h) for name, h in self.hybrids.items()}


@dataclass(frozen=True)
class PlanOption:
    option: str
    npv_usd: float
    total_cost_usd: float | None = None


@dataclass
class FleetPlanResult:
    """The cheapest fleet the MILP found, checked by the full engine against every single candidate."""

    candidates: int
    """Candidates that can serve the workloads under the constraints."""
    milp_status: str
    milp_objective_npv_usd: float
    """The MILP's own estimate of the plan's NPV [USD]."""
    milp_base: list[tuple[str, int]]
    """Base candidates and their unit counts (servers or instances)."""
    milp_overflow: list[str]
    best: PlanOption
    runner_up: PlanOption | None
    ranking: list[PlanOption]
    """The ten cheapest evaluated plans by NPV."""
    budgets: dict[str, float | None]
    """power_kw [kW], rack_units [U], capex_usd [USD] as given."""
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidates": self.candidates,
            "milp": {
                "status": self.milp_status,
                "objective_npv_usd": self.milp_objective_npv_usd,
                "base": [{"candidate": k, "units": n} for k, n in self.milp_base],
                "overflow": self.milp_overflow,
            },
            "best": asdict(self.best),
            "runner_up": None if self.runner_up is None else asdict(self.runner_up),
            "ranking": [{"option": p.option, "npv_usd": p.npv_usd} for p in self.ranking],
            "budgets": self.budgets,
            "explanation": self.explanation,
        }


def hybrid_curve(sc: Scenario, cat: Catalog, *, option: str | None = None, step: float = 5.0) -> HybridCurveResult:
    """Total and NPV of a hybrid option as its base percentile goes from 0 to 100 %."""
    hybrids = [o for o in sc.options if isinstance(o, HybridOption) and (option is None or o.name == option)]
    if not hybrids:
        raise UsageError("--option: the scenario has no hybrid option" + (f" named {option!r}" if option else ""))
    out: dict[str, HybridCurve] = {}
    for h in hybrids:
        points = []
        for p in np.arange(0.0, 100.0 + 1e-9, step):
            variant = h.model_copy(update={"base_percentile": float(p)})
            sc2 = sc.model_copy(update={"options": [variant]})
            r = run(sc2, cat)
            if h.name in r.excluded:
                raise UsageError(f"{h.name}: {r.excluded[h.name]}")
            points.append(CurvePoint(float(p), float(r.total(h.name)[0]), float(r.npv(h.name)[0])))
        out[h.name] = HybridCurve(points, min(points, key=lambda x: x.npv_usd), h.base_percentile)
    return HybridCurveResult(out)


@dataclass
class Candidate:
    key: str
    role: str
    """base or overflow."""
    option: OnPremOption | CloudGpuOption | ApiOption
    fixed_npv: float = 0.0
    unit_npv: float = 0.0
    capacity_rps: float = 0.0
    unit_kw: float = 0.0
    unit_ru: float = 0.0
    unit_capex: float = 0.0
    npv_per_request: float = 0.0
    notes: list[str] = field(default_factory=list)


def _candidates(sc: Scenario, cat: Catalog) -> list[Candidate]:
    models = {w.model for w in sc.inference_workloads}
    out: list[Candidate] = []
    seen_acc: set[str] = set()
    for server in cat.servers:
        if server.accelerator in seen_acc:
            continue
        seen_acc.add(server.accelerator)
        out.append(Candidate(f"onprem:{server.id}", "base", OnPremOption(name=f"onprem {server.id}", server=server.id)))
    for inst in cat.cloud_instances:
        for model in ("reserved_3y", "reserved_1y"):
            if inst.price(model) is not None:
                out.append(
                    Candidate(
                        f"{model}:{inst.id}",
                        "base",
                        CloudGpuOption(name=f"{inst.id} {model}", instance=inst.id, pricing=model),
                    )
                )
                break
        if inst.price("on_demand") is not None:
            out.append(
                Candidate(
                    f"on_demand:{inst.id}", "overflow", CloudGpuOption(name=f"{inst.id} on-demand", instance=inst.id)
                )
            )
    for off in cat.api_offerings:
        if off.model is not None and off.model in models and len(models) == 1:
            out.append(Candidate(f"api:{off.id}", "overflow", ApiOption(name=f"api {off.id}", offering=off.id)))
    return [c for c in out if exclusion_reason(sc, cat, c.option) is None]


def _price(sc: Scenario, cat: Catalog, c: Candidate) -> bool:
    """Fill a candidate's cost coefficients from the engine; False if it cannot serve the workloads
    (the engine excludes such an option with its reason; scenario and catalog errors are not caught)."""
    if c.role == "base":
        costs = []
        for n in (1, 2):
            fixed = (
                c.option.model_copy(update={"servers": n})
                if isinstance(c.option, OnPremOption)
                else c.option.model_copy(update={"instances": n})
            )
            r = run(sc.model_copy(update={"options": [fixed]}), cat)
            if fixed.name in r.excluded:
                return False
            costs.append(float(r.npv(fixed.name)[0]))
            out = r.outcomes[fixed.name]
        c.unit_npv = costs[1] - costs[0]
        c.fixed_npv = costs[0] - c.unit_npv
        sizing = out.sizing
        assert sizing is not None
        ws = sizing.workloads[0]
        units_gpus = sizing.gpus / 2
        c.capacity_rps = (
            ws.requests_per_s_per_replica
            * (units_gpus // ws.tensor_parallel)
            * (c.option.target_utilisation_pct / 100.0)
        )
        if isinstance(c.option, OnPremOption):
            server = cat.servers.get(str(c.option.server))
            acc = cat.accelerators.get(server.accelerator)
            c.unit_kw = server_max_power_kw(server, acc)
            c.unit_ru = float(server.rack_units)
            c.unit_capex = (
                float(next(li.total_usd for li in r.outcomes[fixed.name].ledger.items if li.item == "gpu_servers")[0])
                / 2
            )
        return c.capacity_rps > 0
    r = run(sc.model_copy(update={"options": [c.option]}), cat)
    if c.option.name in r.excluded:
        return False
    ledger = r.outcomes[c.option.name].ledger
    staff = sum(float(i.total_usd[0]) for i in ledger.items if i.item == "personnel")
    total = float(r.total(c.option.name)[0])
    npv_total = float(r.npv(c.option.name)[0])
    requests = float(sum(d.requests[0].sum() for d in r.demands))
    c.fixed_npv = staff * npv_total / max(total, 1e-9)
    c.npv_per_request = (npv_total - c.fixed_npv) / max(requests, 1e-9)
    return True


def optimize_fleet(
    sc: Scenario,
    cat: Catalog,
    *,
    power_kw: float | None = None,
    rack_units: float | None = None,
    capex_usd: float | None = None,
) -> FleetPlanResult:
    """Cheapest mix of base fleet and overflow (MILP), checked against every single candidate by the engine."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    cands = [c for c in _candidates(sc, cat) if _price(sc, cat, c)]
    base = [c for c in cands if c.role == "base"]
    over = [c for c in cands if c.role == "overflow"]
    if not cands:
        raise UsageError("no candidate can serve the workloads under the constraints")
    r0 = run(sc, cat)
    demands = r0.demands
    weights = demands[0].hour_weights
    load = np.sum([d.rps_hourly[0, -1, :] for d in demands], axis=0)  # final month, per hour class
    share = (np.sum([d.rps_hourly[0] for d in demands], axis=0) * weights).sum(axis=0)
    share = share / max(share.sum(), 1e-12)  # requests per hour class over the horizon, as a share
    total_requests = float(sum(d.requests[0].sum() for d in demands))
    h = load.size
    nb, no = len(base), len(over)
    # variables: n_j (nb), z_j (nb), x_jh (nb*h), y_kh (no*h), u_k (no)
    nvar = 2 * nb + nb * h + no * h + no
    c = np.zeros(nvar)
    ix_n, ix_z = np.arange(nb), nb + np.arange(nb)
    ix_x = 2 * nb + np.arange(nb * h).reshape(nb, h)
    ix_y = 2 * nb + nb * h + np.arange(no * h).reshape(no, h)
    ix_u = 2 * nb + nb * h + no * h + np.arange(no)
    for j, b in enumerate(base):
        c[ix_n[j]], c[ix_z[j]] = b.unit_npv, b.fixed_npv
    for k, o in enumerate(over):
        c[ix_u[k]] = o.fixed_npv
        for t in range(h):
            # serving y req/s of hour class t in the final month ~ y / load_t of that class's horizon requests
            c[ix_y[k, t]] = o.npv_per_request * total_requests * share[t] / max(load[t], 1e-12)
    rows, lo, hi = [], [], []

    def add(row: np.ndarray, low: float, high: float) -> None:
        rows.append(row)
        lo.append(low)
        hi.append(high)

    big = 10_000.0
    for t in range(h):
        row = np.zeros(nvar)
        row[ix_x[:, t]] = 1.0
        row[ix_y[:, t]] = 1.0
        add(row, float(load[t]), np.inf)
        for j, b in enumerate(base):
            row = np.zeros(nvar)
            row[ix_x[j, t]], row[ix_n[j]] = 1.0, -b.capacity_rps
            add(row, -np.inf, 0.0)
        for k in range(no):
            row = np.zeros(nvar)
            row[ix_y[k, t]], row[ix_u[k]] = 1.0, -max(float(load[t]), 1e-9)
            add(row, -np.inf, 0.0)
    for j in range(nb):
        row = np.zeros(nvar)
        row[ix_n[j]], row[ix_z[j]] = 1.0, -big
        add(row, -np.inf, 0.0)
    for budget, attr in ((power_kw, "unit_kw"), (rack_units, "unit_ru"), (capex_usd, "unit_capex")):
        if budget is not None:
            row = np.zeros(nvar)
            row[ix_n] = [getattr(b, attr) for b in base]
            add(row, -np.inf, float(budget))
    integrality = np.zeros(nvar)
    integrality[ix_n] = 1
    integrality[ix_z] = 1
    integrality[ix_u] = 1
    upper = np.full(nvar, np.inf)
    upper[ix_z] = 1
    upper[ix_u] = 1
    constraints = LinearConstraint(np.vstack(rows), lo, hi)
    res = milp(c, constraints=constraints, integrality=integrality, bounds=Bounds(np.zeros(nvar), upper))
    if not res.success:
        raise UsageError(f"the fleet problem has no solution under these budgets ({res.message})")
    x = res.x
    plan_base = [(b, round(float(x[ix_n[j]]))) for j, b in enumerate(base) if x[ix_n[j]] > 0.5]
    plan_over = [o for k, o in enumerate(over) if x[ix_u[k]] > 0.5]
    # evaluate the MILP plan and every single candidate with the full engine
    options: list[Any] = []
    if plan_base and plan_over:
        b, n = max(plan_base, key=lambda p: p[1])
        base_opt = (
            b.option.model_copy(update={"servers": n})
            if isinstance(b.option, OnPremOption)
            else b.option.model_copy(update={"instances": n})
        )
        served = sum(min(float(load[t]), b.capacity_rps * n) * weights[t] for t in range(h)) / max(
            float((load * weights).sum()), 1e-12
        )
        pct = float(np.clip(100.0 * (weights[load <= b.capacity_rps * n].sum() / weights.sum()), 0, 100))
        options.append(
            HybridOption(
                name="optimised plan",
                base=base_opt.model_copy(
                    update={"servers": None} if isinstance(base_opt, OnPremOption) else {"instances": None}
                ),
                overflow=plan_over[0].option,
                base_percentile=pct,
            )
        )
        del served
    # a plan of one candidate alone is already among the single candidates evaluated below
    options += [cd.option for cd in cands]
    r = run(sc.model_copy(update={"options": options}), cat)
    ranked = sorted((float(r.npv(n_)[0]), n_) for n_ in r.outcomes)
    if not ranked:
        raise UsageError("no plan could be evaluated")
    best, runner = ranked[0], ranked[1] if len(ranked) > 1 else None
    return FleetPlanResult(
        candidates=len(cands),
        milp_status=str(res.message),
        milp_objective_npv_usd=float(res.fun),
        milp_base=[(b.key, n) for b, n in plan_base],
        milp_overflow=[o.key for o in plan_over],
        best=PlanOption(best[1], best[0], float(r.total(best[1])[0])),
        runner_up=None if runner is None else PlanOption(runner[1], runner[0], float(r.total(runner[1])[0])),
        ranking=[PlanOption(n_, v) for v, n_ in ranked[:10]],
        budgets={"power_kw": power_kw, "rack_units": rack_units, "capex_usd": capex_usd},
        explanation=_explain(best[1], runner, plan_base, plan_over),
    )


def _explain(
    best: str, runner: tuple[float, str] | None, plan_base: list[tuple[Candidate, int]], plan_over: list[Candidate]
) -> str:
    parts = []
    if plan_base:
        parts.append("base: " + ", ".join(f"{n} x {b.key}" for b, n in plan_base))
    if plan_over:
        parts.append("overflow: " + ", ".join(o.key for o in plan_over))
    text = f"The MILP chose {'; '.join(parts) or 'nothing'}. Evaluated with the full engine, the cheapest is {best}"
    if runner is not None:
        text += f"; the runner-up is {runner[1]}"
    return text + "."
