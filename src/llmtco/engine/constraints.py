"""Constraints: data residency, air-gapped operation and compliance exclude options before ranking."""

from __future__ import annotations

from llmtco.catalog import Catalog
from llmtco.scenario.schema import ApiOption, CloudGpuOption, HybridOption, OnPremOption, Scenario


def exclusion_reason(
    sc: Scenario, cat: Catalog, o: OnPremOption | CloudGpuOption | ApiOption | HybridOption
) -> str | None:
    """Why an option breaks the scenario's constraints, or None."""
    c = sc.constraints
    if isinstance(o, HybridOption):
        for label, part in (("base", o.base), ("overflow", o.overflow)):
            part = part.model_copy(update={"certifications": [*part.certifications, *o.certifications]})
            reason = exclusion_reason(sc, cat, part)
            if reason is not None:
                return f"{label}: {reason}"
        return None
    if c.air_gapped and o.kind == "api":
        return "air-gapped operation: a hosted API needs an external network connection"
    if c.air_gapped and o.kind == "cloud_gpu":
        return "air-gapped operation: rented cloud GPUs are reached over an external network"
    if isinstance(o, OnPremOption):
        jurisdiction = cat.regions.get(o.region or sc.assumptions.region).jurisdiction
    elif isinstance(o, CloudGpuOption):
        jurisdiction = cat.cloud_instances.get(o.instance).jurisdiction
    else:
        jurisdiction = cat.api_offerings.get(o.offering).jurisdiction
    allowed = [j.upper() for j in c.data_residency]
    if allowed and jurisdiction.upper() not in allowed:
        return f"data residency: processes data in {jurisdiction}, allowed: {', '.join(c.data_residency)}"
    if o.kind != "onprem":
        missing = [r for r in c.compliance if r.lower() not in {x.lower() for x in o.certifications}]
        if missing:
            return (
                f"compliance: option does not declare {', '.join(missing)} "
                "(list it under certifications if your contract covers it)"
            )
    return None
