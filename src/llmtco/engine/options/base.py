"""What every option kind's builder takes and returns, and the typed registry entry.

An option kind is one module under ``engine/options/`` with a ``build(option,
inputs) -> Outcome`` function made of named steps (size → energy → ledger →
figures, as pvlib's ``ModelChain.run_model`` reads); ``OPTION_KINDS`` in
``engine/options/__init__.py`` maps each ``kind:`` of the scenario to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np

from llmtco.arrays import FloatArray
from llmtco.catalog import Catalog
from llmtco.costing.ledger import Ledger
from llmtco.engine.context import Ctx
from llmtco.engine.demand import Demand
from llmtco.errors import CapacityExceeded
from llmtco.result import FinetuneResult, Sizing
from llmtco.scenario.schema import Scenario


@dataclass
class OptionInputs:
    """Everything an option builder reads besides the option itself."""

    scenario: Scenario
    catalog: Catalog
    index: int
    """Position of the option in ``options:`` (for error paths such as ``options.2``)."""
    demands: list[Demand]
    """The inference workloads' demand (a hybrid's parts get their share of it)."""
    days: FloatArray
    """Days in each month of the horizon, shape (M,)."""
    ctx: Ctx

    @property
    def samples(self) -> int:
        return self.ctx.samples

    @property
    def months(self) -> int:
        return int(self.days.size)

    @property
    def hour_weights(self) -> FloatArray:
        """Hours per day in each hour class, shape (H,) (24 single hours when there is no inference)."""
        return self.demands[0].hour_weights if self.demands else np.ones(24)


def capacity_exceeded(what: str, share: FloatArray, inputs: OptionInputs) -> CapacityExceeded:
    """The error for a fixed fleet that carries only ``share`` (S, M, H) of every workload's load."""
    days, weights = inputs.days, inputs.hour_weights
    unmet_requests = np.zeros(inputs.months)
    unmet_tokens = np.zeros(inputs.months)
    for d in inputs.demands:
        lost = (d.rps_hourly[0] * (1.0 - share[0])) @ weights * 3600.0 * days
        unmet_requests += lost
        unmet_tokens += lost * float(d.input_len()[0] + d.output_len()[0])
    worst = int(np.argmax(unmet_requests))
    total = float(sum(float(d.requests[0].sum()) for d in inputs.demands))
    message = (
        f"options.{inputs.index}: {what} cannot carry the load: {unmet_requests.sum():,.0f} requests "
        f"({100.0 * unmet_requests.sum() / max(total, 1e-12):.1f} % of the horizon's) would not be served, "
        f"most in month {worst + 1} ({unmet_requests[worst]:,.0f}). Raise it, or leave it out to size the "
        "fleet for the load (a hybrid sends the excess to its overflow)."
    )
    return CapacityExceeded(message, unmet_requests, unmet_tokens, share)


@dataclass
class Outcome:
    """One option's costs and figures for S samples."""

    ledger: Ledger
    sizing: Sizing | None
    energy_kwh: FloatArray | None
    """Energy per month incl. cooling [kWh], shape (S, M), where known."""
    grid_kgco2e_per_kwh: float | None
    busy_gpu_h: FloatArray | None = None
    """GPU-hours spent working over the horizon [GPU-h], shape (S,)."""
    provisioned_gpu_h: FloatArray | None = None
    """GPU-hours owned or rented over the horizon [GPU-h], shape (S,)."""
    gpus_peak: FloatArray | None = None
    """GPUs owned or rented in the busiest month [count], shape (S,) (``sizing.gpus`` is sample 0's)."""
    notes: list[str] = field(default_factory=list)
    finetune: list[FinetuneResult] = field(default_factory=list)


OptionT = TypeVar("OptionT")


@dataclass(frozen=True)
class OptionKind(Generic[OptionT]):
    """A registry entry: the scenario's option class and the function that costs it."""

    option_type: type[OptionT]
    build: Callable[[OptionT, OptionInputs], Outcome]

    def __call__(self, option: Any, inputs: OptionInputs) -> Outcome:
        if not isinstance(option, self.option_type):
            raise TypeError(f"{type(option).__name__} is not a {self.option_type.__name__}")
        return self.build(option, inputs)
