"""Break-even volume: the workload size at which an on-prem option costs the same as another option.

Every inference workload's request rate is scaled by a common factor k. The
engine evaluates a log-spaced grid of k in one vectorised run (k is a sample
axis), finds where the difference of the two totals changes sign, and refines
the bracket with a second grid; linear interpolation inside the final bracket
gives k. Tokens per month at break-even = k x the scenario's first-month tokens.
Where the curves cross more than once (whole servers make costs step
functions), the crossing nearest today's volume is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from llmtco.arrays import FloatArray
from llmtco.catalog import Catalog
from llmtco.engine import Ctx, Run, evaluate, run
from llmtco.result import Result
from llmtco.scenario.schema import Scenario

GRID = np.logspace(-2, 2, 65)
"""Scale factors searched: 1 % to 100 x the scenario's volume."""


def _crossing(ks: FloatArray, diff: FloatArray) -> tuple[float, float] | None:
    """The bracket where the difference changes sign closest to today's volume (k = 1).

    Whole servers and instances make costs step functions, so the curves can
    cross more than once; the crossing nearest the scenario is the one to act on.
    """
    sign = np.sign(diff)
    idx = np.nonzero(sign[:-1] * sign[1:] <= 0)[0]
    if idx.size == 0:
        return None
    centre = np.sqrt(ks[idx] * ks[idx + 1])
    i = int(idx[np.argmin(np.abs(np.log(centre)))])
    return float(ks[i]), float(ks[i + 1])


@dataclass(frozen=True)
class BreakevenVolume:
    """The volume at which two options cost the same over the horizon."""

    scale: float
    """Multiple of the scenario's volume [x]."""
    tokens_per_month: float
    """Input + output tokens in the first month at that volume [tokens/month]."""
    requests_per_day: float
    """Requests per day at the start at that volume, all inference workloads [requests/day]."""


@dataclass
class BreakevenVolumes:
    """Per on-prem option, per cloud or API option: where their totals cross (None: not within 1 %-100x)."""

    volumes: dict[str, dict[str, BreakevenVolume | None]] = field(default_factory=dict)

    def attach(self, result: Result) -> Result:
        """The result with each on-prem option's ``breakeven_volume`` filled in (same object, returned)."""
        for name, row in self.volumes.items():
            result.option(name).breakeven_volume = {
                other: None
                if v is None
                else {"scale": v.scale, "tokens_per_month": v.tokens_per_month, "requests_per_day": v.requests_per_day}
                for other, v in row.items()
            }
        return result


def breakeven_volumes(sc: Scenario, cat: Catalog, *, base: Run | None = None) -> BreakevenVolumes:
    """For each on-prem option, per cloud/API option: the volume where their totals are equal (or None).

    ``base`` is the scenario's own run when the caller has it already.
    """
    base = base or run(sc, cat)
    onprem = [n for n in base.outcomes if base.kinds[n] == "onprem"]
    others = [n for n in base.outcomes if base.kinds[n] != "onprem"]
    if not onprem or not others:
        return BreakevenVolumes()
    tokens_month1 = float(base.tokens[0, 0])
    requests_day = sum(w.requests_per_day_value for w in sc.inference_workloads)
    coarse = run(sc, cat, Ctx(samples=GRID.size, draws={"volume_scale": GRID}))
    out: dict[str, dict[str, BreakevenVolume | None]] = {}
    for a in onprem:
        out[a] = {}
        for b in others:
            bracket = _crossing(GRID, coarse.total(a) - coarse.total(b))
            if bracket is None:
                out[a][b] = None
                continue
            fine_k = np.linspace(bracket[0], bracket[1], 33)
            fine = run(sc, cat, Ctx(samples=fine_k.size, draws={"volume_scale": fine_k}))
            d = fine.total(a) - fine.total(b)
            inner = _crossing(fine_k, d) or bracket
            i = int(np.searchsorted(fine_k, inner[0]))
            j = min(i + 1, fine_k.size - 1)
            d0, d1 = float(d[i]), float(d[j])
            k = inner[0] if d1 == d0 else inner[0] + (inner[1] - inner[0]) * (-d0) / (d1 - d0)
            out[a][b] = BreakevenVolume(k, k * tokens_month1, k * requests_day)
    return BreakevenVolumes(out)


def compare(sc: Scenario, cat: Catalog) -> Result:
    """The comparison ``breakdown``, ``report`` and the web app show: ``evaluate`` plus the break-even
    volume of every on-prem option against every cloud and API option."""
    base = run(sc, cat)
    return breakeven_volumes(sc, cat, base=base).attach(evaluate(sc, cat, base=base))
