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

import numpy as np

from llmtco.catalog import Catalog
from llmtco.engine import Ctx, run
from llmtco.perf.shapes import FloatArray
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


def breakeven_volumes(sc: Scenario, cat: Catalog) -> dict[str, dict[str, dict[str, float] | None]]:
    """For each on-prem option, per cloud/API option: the volume where their totals are equal (or None)."""
    base = run(sc, cat)
    onprem = [n for n in base.outcomes if base.kinds[n] == "onprem"]
    others = [n for n in base.outcomes if base.kinds[n] != "onprem"]
    if not onprem or not others:
        return {}
    tokens_month1 = float(base.tokens[0, 0])
    requests_day = sum(w.requests_per_day_value for w in sc.inference_workloads)
    coarse = run(sc, cat, Ctx(samples=GRID.size, draws={"volume_scale": GRID}))
    out: dict[str, dict[str, dict[str, float] | None]] = {}
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
            out[a][b] = {"scale": k, "tokens_per_month": k * tokens_month1, "requests_per_day": k * requests_day}
    return out
