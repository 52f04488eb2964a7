"""What an evaluation assumed: every input with its value, unit, source and date (reports, workbooks),
and which catalog records a scenario uses (stale-price warnings)."""

from __future__ import annotations

from llmtco.catalog import Catalog
from llmtco.engine.adapters import efficiency_for, price_in_force, resolve_server
from llmtco.result import Assumption
from llmtco.scenario.schema import ApiOption, CloudGpuOption, HybridOption, InferenceWorkload, OnPremOption, Scenario


def expanded_options(sc: Scenario) -> list[OnPremOption | CloudGpuOption | ApiOption]:
    """Options with each hybrid replaced by its base and overflow parts."""
    out: list[OnPremOption | CloudGpuOption | ApiOption] = []
    for opt in sc.options:
        if isinstance(opt, HybridOption):
            out += [
                opt.base.model_copy(update={"name": f"{opt.name} (base)"}),
                opt.overflow.model_copy(update={"name": f"{opt.name} (overflow)"}),
            ]
        else:
            out.append(opt)
    return out


def uses_record(sc: Scenario, kind: str, rid: str, cat: Catalog) -> bool:
    """Is this catalog record used by the scenario (for stale warnings)?"""
    for o in expanded_options(sc):
        if kind == "servers" and isinstance(o, OnPremOption) and resolve_server(cat, o.server, o.accelerator).id == rid:
            return True
        if kind == "cloud_instances" and isinstance(o, CloudGpuOption) and o.instance == rid:
            return True
        if kind == "api_offerings" and isinstance(o, ApiOption) and o.offering == rid:
            return True
    return False


def assumptions_used(sc: Scenario, cat: Catalog) -> list[Assumption]:
    """Every input of the evaluation with its value, unit, source and date (for reports and workbooks)."""
    out: list[Assumption] = []
    a = sc.assumptions
    for name, value, unit in (
        ("horizon_months", a.horizon_months, "months"),
        ("start_date", a.start_date.isoformat(), "date"),
        ("discount_rate_pct", a.discount_rate_pct, "%/year"),
        ("currency", a.currency, ""),
        ("region", a.region, "catalog region"),
    ):
        out.append(Assumption("scenario", name, value, unit, "scenario file"))
    for w in sc.workloads:
        for key, value in w.model_dump(exclude={"name", "kind", "slo", "hourly_profile"}).items():
            if value is not None and isinstance(value, int | float | str) and not isinstance(value, bool):
                out.append(Assumption("scenario", f"{w.name}.{key}", value, "", "scenario file"))
        if isinstance(w, InferenceWorkload):
            out.append(Assumption("scenario", f"{w.name}.slo.ttft_ms", w.slo.ttft_ms or "none", "ms", "scenario file"))
            out.append(Assumption("scenario", f"{w.name}.slo.tpot_ms", w.slo.tpot_ms or "none", "ms", "scenario file"))

    def sourced(scope: str, name: str, value: float, unit: str, src: object) -> None:
        out.append(
            Assumption(
                scope,
                name,
                value,
                unit,
                getattr(src, "source", ""),
                getattr(getattr(src, "as_of", None), "isoformat", lambda: None)(),
                bool(getattr(src, "estimate", False)),
            )
        )

    for o in expanded_options(sc):
        if isinstance(o, OnPremOption):
            server = resolve_server(cat, o.server, o.accelerator)
            acc = cat.accelerators.get(server.accelerator)
            region = cat.regions.get(o.region or a.region)
            if o.server_price_usd is not None:
                out.append(Assumption(o.name, "server_price_usd", o.server_price_usd, "USD/server", "scenario"))
            elif server.price_usd is not None:
                sourced(o.name, f"{server.id}.price_usd", server.price_usd, "USD/server", server)
            else:
                sourced(o.name, f"{server.id}.chassis_usd", server.chassis_usd or 0.0, "USD/server", server)
                sourced(o.name, f"{acc.id}.unit_price_usd", acc.unit_price_usd.value, "USD/GPU", acc.unit_price_usd)
            sourced(o.name, f"{server.id}.non_gpu_power_w", server.non_gpu_power_w, "W", server)
            sourced(o.name, f"{acc.id}.tdp_w", acc.tdp_w, "W", acc)
            sourced(o.name, f"{acc.id}.idle_w", acc.idle_w.value, "W", acc.idle_w)
            if o.electricity_usd_per_kwh is not None:
                out.append(
                    Assumption(o.name, "electricity_usd_per_kwh", o.electricity_usd_per_kwh, "USD/kWh", "scenario")
                )
            else:
                sourced(
                    o.name,
                    f"{region.id}.electricity_usd_per_kwh",
                    region.electricity_usd_per_kwh.value,
                    "USD/kWh",
                    region.electricity_usd_per_kwh,
                )
            if o.pue is not None:
                out.append(Assumption(o.name, "pue", o.pue, "ratio", "scenario"))
            else:
                sourced(o.name, f"{region.id}.pue", region.pue.value, "ratio", region.pue)
            sourced(
                o.name,
                f"{region.id}.grid_kgco2e_per_kwh",
                region.grid_kgco2e_per_kwh.value,
                "kg CO2e/kWh",
                region.grid_kgco2e_per_kwh,
            )
            sourced(
                o.name,
                f"{region.id}.engineer_salary_usd_per_year",
                region.engineer_salary_usd_per_year.value,
                "USD/year",
                region.engineer_salary_usd_per_year,
            )
            eff = efficiency_for(cat, acc.id, o.engine)
        elif isinstance(o, CloudGpuOption):
            inst = cat.cloud_instances.get(o.instance)
            price = price_in_force(inst, o.pricing, a.start_date)
            if price is not None:
                sourced(o.name, f"{inst.id}.{o.pricing}", price.usd_per_gpu_h, "USD/GPU-h", price)
            eff = efficiency_for(cat, inst.accelerator, o.engine)
        else:
            off = cat.api_offerings.get(o.offering)
            out.append(
                Assumption(
                    o.name,
                    f"{off.id}.token_prices",
                    f"{off.provider} {off.model_ref}",
                    "USD/M tokens (see line item)",
                    off.source,
                    off.as_of.isoformat(),
                    off.estimate,
                )
            )
            eff = None
        if eff is not None:
            for key in (
                "decode_bandwidth_efficiency",
                "decode_compute_efficiency",
                "prefill_compute_efficiency",
                "step_overhead_ms",
                "per_sequence_overhead_us",
                "power_activity_floor",
            ):
                sourced(o.name, f"{eff.id}.{key}", float(getattr(eff, key)), "", eff)
        for rate in cat.rates:
            if o.kind == "api" and not rate.id.startswith(("api_", "salary_")):
                continue
            if rate.id in o.rates:
                out.append(Assumption(o.name, rate.id, o.rates[rate.id], rate.unit, "scenario (overrides catalog)"))
            else:
                sourced(o.name, rate.id, rate.value, rate.unit, rate)
    return out
