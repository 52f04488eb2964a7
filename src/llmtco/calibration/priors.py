"""Prior efficiency factors, before any fit.

Published ranges (DESIGN.md): decode bandwidth efficiency 0.45-0.75, prefill
compute efficiency 0.45-0.7, training MFU 0.35-0.46 on H100 BF16; all-reduce
latency typical of an NVLink (8 us) or PCIe (20 us) ring; ML.ENERGY decode
power readings at 45-100 % of TDP give the activity floor.
"""

from __future__ import annotations

import datetime as dt

from llmtco.catalog.records import Accelerator, Efficiency

PRIOR_SOURCE = (
    "estimate (prior, not fitted): DESIGN.md published ranges (decode bandwidth efficiency 0.45-0.75, "
    "prefill compute efficiency 0.45-0.7, training MFU 0.35-0.46 on H100 BF16); all-reduce latency typical "
    "of NVLink (8 us) or PCIe (20 us) rings; power floor from ML.ENERGY decode readings at 45-100 % of TDP"
)


def prior(acc: Accelerator) -> Efficiency:
    pcie = acc.form_factor == "pcie"
    return Efficiency(
        id=acc.id,
        decode_bandwidth_efficiency=0.70,
        decode_compute_efficiency=0.50,
        prefill_compute_efficiency=0.55,
        train_compute_efficiency=0.40,
        step_overhead_ms=1.5,
        per_sequence_overhead_us=10.0,
        allreduce_latency_us=20.0 if pcie else 8.0,
        power_activity_floor=0.60,
        ttft_queue_steps=1.0,
        fitted_on=0,
        estimate=True,
        source=PRIOR_SOURCE,
        as_of=dt.date(2026, 11, 1),
    )
