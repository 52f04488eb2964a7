"""Request lengths as distributions: a spread relative to the mean.

A spread is a set of weighted points ``x_i / mean`` (weights sum to 1), so
one shape serves every Monte Carlo sample's mean. From two percentiles it is
the lognormal through them (sigma = ln(p90 / p50) / 1.2816; its moments and
percentiles are computed exactly, the 32 equal-probability points are for
display); from a histogram it is the histogram.

What the serving layer needs from it (lengths independent of each other):

    time-weighted decode context  c = E[Lin] + E[Lout^2] / (2 E[Lout])
        (a sequence holds its cache for as many steps as it has output tokens,
        so long answers weigh more; Little's law over the running batch)
    prefill work                   E[f(Lin)]  (attention is quadratic in Lin)
    a percentile of the length     L_p
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from llmtco.perf.shapes import FloatArray

Z = {"p50": 0.0, "p90": 1.2815515655446004, "p99": 2.3263478740408408}
"""Standard-normal quantiles of the percentiles an SLO may name."""
POINTS = 32
"""Equal-probability points a lognormal spread is discretised into."""


@dataclass(frozen=True)
class LengthSpread:
    """Lengths relative to their mean: ``rel[i]`` with probability ``weight[i]``."""

    rel: FloatArray
    """Length / mean length at each point [1]; the weighted mean is 1."""
    weight: FloatArray
    """Probability of each point [1]; sums to 1."""
    sigma: float | None = None
    """Log-space standard deviation of a lognormal spread (moments and percentiles are then exact)."""

    @property
    def second_moment(self) -> float:
        """E[L^2] / E[L]^2 [1] (1 for a fixed length; exp(sigma^2) for a lognormal)."""
        if self.sigma is not None:
            return math.exp(self.sigma**2)
        if self.rel.size == 1:
            return 1.0
        return float(np.sum(self.weight * self.rel**2))

    def quantile(self, q: float) -> float:
        """Length at cumulative probability ``q``, relative to the mean [1]."""
        if self.sigma is not None:
            from scipy.stats import norm

            return math.exp(self.sigma * float(norm.ppf(q)) - self.sigma**2 / 2.0)
        if self.rel.size == 1:
            return 1.0
        order = np.argsort(self.rel)
        cum = np.cumsum(self.weight[order])
        i = int(np.searchsorted(cum, q - 1e-12))
        return float(self.rel[order][min(i, self.rel.size - 1)])


FIXED = LengthSpread(rel=np.array([1.0]), weight=np.array([1.0]))
"""Every request the same length."""


def from_percentiles(p50: float, p90: float) -> LengthSpread:
    """The lognormal through a median and a 90th percentile [tokens]."""
    sigma = math.log(p90 / p50) / Z["p90"]
    if sigma <= 0:
        return FIXED
    from scipy.stats import norm

    z = norm.ppf((np.arange(POINTS) + 0.5) / POINTS)
    rel = np.exp(sigma * z)
    weight = np.full(POINTS, 1.0 / POINTS)
    return LengthSpread(rel=rel / np.sum(weight * rel), weight=weight, sigma=sigma)


def from_histogram(pairs: list[tuple[float, float]]) -> LengthSpread:
    """A histogram of ``(tokens, weight)`` pairs."""
    tokens = np.array([t for t, _ in pairs], dtype=float)
    weight = np.array([w for _, w in pairs], dtype=float)
    weight = weight / weight.sum()
    return LengthSpread(rel=tokens / np.sum(weight * tokens), weight=weight)
