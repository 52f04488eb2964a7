"""``run``: every option of a scenario costed for S samples (the engine's one entry point for analyses)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from llmtco.arrays import FloatArray
from llmtco.catalog import Catalog
from llmtco.costing.finance import npv
from llmtco.engine.constraints import exclusion_reason
from llmtco.engine.context import Ctx
from llmtco.engine.demand import Demand, demand, hour_classes, month_days
from llmtco.engine.options import OPTION_KINDS, OptionInputs, Outcome
from llmtco.errors import CapacityExceeded, InfeasibleError
from llmtco.scenario.schema import Scenario


@dataclass
class Run:
    """Every option's outcome for S samples: what ``evaluate`` reports (sample 0) and analysis consumes."""

    ctx: Ctx
    days: FloatArray
    demands: list[Demand]
    outcomes: dict[str, Outcome]
    excluded: dict[str, str]
    """Option name → reason."""
    kinds: dict[str, str]
    tokens: FloatArray
    """Input + output tokens per month, shape (S, M)."""
    output_tokens: FloatArray
    """Output tokens per month, shape (S, M)."""
    discount_rate_pct: FloatArray
    """Discount rate per sample [%/year], shape (S,)."""
    infeasible: set[str] = field(default_factory=set)
    """Options excluded because they cannot serve a workload (not by the constraints)."""
    unmet: dict[str, CapacityExceeded] = field(default_factory=dict)
    """Options excluded because their fixed fleet cannot carry the load, with what it leaves unserved."""

    def monthly(self, name: str) -> FloatArray:
        return self.outcomes[name].ledger.monthly_usd

    def total(self, name: str) -> FloatArray:
        return self.outcomes[name].ledger.total_usd

    def npv(self, name: str) -> FloatArray:
        return npv(self.monthly(name), self.discount_rate_pct)

    def per_mtok(self, name: str) -> FloatArray:
        """Total cost per million tokens served, input + output [USD/Mtok], shape (S,)."""
        out: FloatArray = self.total(name) / self.tokens.sum(axis=-1) * 1e6
        return out

    def per_output_mtok(self, name: str) -> FloatArray:
        """Total cost per million output tokens served [USD/Mtok], shape (S,)."""
        out: FloatArray = self.total(name) / self.output_tokens.sum(axis=-1) * 1e6
        return out


def run(sc: Scenario, cat: Catalog, ctx: Ctx | None = None) -> Run:
    """Evaluate every option for the context's samples (one by default)."""
    ctx = ctx or Ctx()
    months = sc.assumptions.horizon_months
    days = month_days(sc.assumptions.start_date, months)
    demands = [demand(w, days, ctx) for w in sc.inference_workloads]
    hour_classes(demands)
    outcomes: dict[str, Outcome] = {}
    excluded: dict[str, str] = {}
    unmet: dict[str, CapacityExceeded] = {}
    infeasible: set[str] = set()
    for idx, o in enumerate(sc.options):
        reason = exclusion_reason(sc, cat, o)
        if reason is None:
            try:
                outcomes[o.name] = OPTION_KINDS[o.kind](o, OptionInputs(sc, cat, idx, demands, days, ctx))
            except InfeasibleError as exc:  # the option cannot serve the workload: excluded with the reason
                reason = str(exc)
                infeasible.add(o.name)
                if isinstance(exc, CapacityExceeded):
                    unmet[o.name] = exc
        if reason is not None:
            excluded[o.name] = reason
    return Run(
        ctx=ctx,
        days=days,
        demands=demands,
        outcomes=outcomes,
        excluded=excluded,
        kinds={o.name: o.kind for o in sc.options},
        tokens=np.sum([d.input_tokens + d.output_tokens for d in demands], axis=0),
        output_tokens=np.sum([d.output_tokens for d in demands], axis=0),
        discount_rate_pct=ctx.draw("assumptions:discount_rate_pct", sc.assumptions.discount_rate_pct),
        infeasible=infeasible,
        unmet=unmet,
    )
