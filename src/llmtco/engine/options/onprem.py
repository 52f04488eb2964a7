"""On-prem: servers bought and kept, energy, facility and the people who run them.

``build`` reads as its steps: serve each workload on the server's accelerator,
size the fleet for the peak, schedule fine-tuning in the idle hours (or add
servers for it), compute the energy hour class by hour class, then cost it
all in one ledger (``costing.onprem``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmtco.arrays import FloatArray
from llmtco.catalog.records import Accelerator, Efficiency, Region, Server
from llmtco.costing.finance import running_max, yearly_trend
from llmtco.costing.onprem import OnPremInputs, onprem_ledger
from llmtco.engine import finetune
from llmtco.engine.adapters import efficiency_for, resolve_server, server_max_power_kw, server_price
from llmtco.engine.context import Rates, staff
from llmtco.engine.demand import Demand
from llmtco.engine.options.base import OptionInputs, Outcome, capacity_exceeded
from llmtco.engine.serve import Served, serve, workload_sizing
from llmtco.perf.power import host_max_w, host_power_w, wall_power_w
from llmtco.result import FinetuneResult, Sizing
from llmtco.scenario.schema import OnPremOption
from llmtco.sizing.fleet import busy_fraction, monthly_energy_kwh, pool_power_w, replicas_needed, served_share


@dataclass
class Site:
    """The hardware and the place an on-prem option runs in."""

    server: Server
    accelerator: Accelerator
    efficiency: Efficiency
    region: Region


@dataclass
class Fleet:
    """Servers and GPUs over the horizon, shape (S, M) unless noted."""

    servers_needed: FloatArray
    """Servers the inference load needs each month, spares included."""
    hourly_gpus: FloatArray
    """GPUs the inference load keeps busy-or-reserved per hour class, shape (S, M, H)."""
    owned_servers: FloatArray
    """Servers owned (bought when first needed and kept), fine-tuning servers included."""


@dataclass
class FinetunePlan:
    servers: FloatArray
    """Servers added for fine-tuning, per month."""
    energy_kwh: FloatArray
    """Energy of the runs above the GPUs' idle draw [kWh] per month."""
    busy_gpu_h: FloatArray
    results: list[FinetuneResult]


def build(o: OnPremOption, inputs: OptionInputs) -> Outcome:
    """Cost an on-prem option for the scenario's workloads."""
    site = _site(o, inputs)
    served = [_serve(o, site, inputs, d) for d in inputs.demands]
    util = inputs.ctx.draw(f"option:{o.name}:target_utilisation_pct", o.target_utilisation_pct)[:, None] / 100.0
    redundancy = 1 if o.redundancy == "n+1" else 0
    servers_needed, hourly_gpus = _size(o, site, served, util, redundancy, inputs)
    ft = _finetune(o, site, servers_needed, hourly_gpus, inputs)
    fleet = Fleet(servers_needed, hourly_gpus, running_max(servers_needed + ft.servers))
    energy_it_kwh, busy_gpus = _energy(site, served, fleet, inputs)
    ledger_inputs, tariff, pue = _ledger_inputs(o, site, fleet, energy_it_kwh, ft, inputs)
    return _outcome(o, site, served, fleet, ft, energy_it_kwh, busy_gpus, ledger_inputs, tariff, pue, inputs)


def _site(o: OnPremOption, inputs: OptionInputs) -> Site:
    cat = inputs.catalog
    server = resolve_server(cat, o.server, o.accelerator)
    acc = cat.accelerators.get(server.accelerator)
    return Site(
        server=server,
        accelerator=acc,
        efficiency=efficiency_for(cat, acc.id, o.engine),
        region=cat.regions.get(o.region or inputs.scenario.assumptions.region),
    )


def _serve(o: OnPremOption, site: Site, inputs: OptionInputs, d: Demand) -> Served:
    return serve(
        d.workload,
        d,
        inputs.catalog.models.get(d.workload.model),
        site.accelerator,
        inputs.catalog,
        o.engine,
        site.server.gpus,
        o.tensor_parallel,
        inputs.ctx,
        f"options.{inputs.index}",
        o.target_utilisation_pct / 100.0,
    )


def _size(
    o: OnPremOption, site: Site, served: list[Served], util: FloatArray, redundancy: int, inputs: OptionInputs
) -> tuple[FloatArray, FloatArray]:
    """Servers for each month's peak hour (kept once bought), and GPUs needed per hour class."""
    gpus_needed = np.zeros((inputs.samples, inputs.months))
    for s in served:
        peak = s.demand.rps_hourly.max(axis=-1)
        s.replicas = running_max(replicas_needed(peak, s.point.requests_per_s[:, None], util, redundancy))
        gpus_needed += s.replicas * s.point.tp
    servers_needed = np.ceil(gpus_needed / site.server.gpus - 1e-9) + o.spare_servers
    hourly = np.zeros((inputs.samples, inputs.months, inputs.hour_weights.size))
    for s in served:
        need = replicas_needed(s.demand.rps_hourly, s.point.requests_per_s[:, None, None], util[..., None], redundancy)
        hourly += need * s.point.tp
    if o.servers is not None:
        available = float(o.servers * site.server.gpus)
        _hold_to_fixed_fleet(o, served, available, inputs)
        servers_needed = np.full_like(servers_needed, float(o.servers))
        hourly = np.minimum(hourly, available)
    return servers_needed, hourly


def _hold_to_fixed_fleet(o: OnPremOption, served: list[Served], available_gpus: float, inputs: OptionInputs) -> None:
    """A fixed number of servers is a hard limit: refuse a load it cannot carry (with what it leaves
    unserved), and keep the replicas within the GPUs it has."""
    physical = sum(
        replicas_needed(s.demand.rps_hourly, s.point.requests_per_s[:, None, None], np.ones((1, 1, 1)), 0) * s.point.tp
        for s in served
    )
    share = served_share(np.asarray(physical, dtype=float), available_gpus)
    if np.any(share[0] < 1.0 - 1e-9):
        raise capacity_exceeded(f"servers: {o.servers}", share, inputs)
    planned = sum(s.replicas * s.point.tp for s in served)
    scale = np.minimum(1.0, available_gpus / np.maximum(np.asarray(planned, dtype=float), 1e-12))
    for s in served:
        least = replicas_needed(s.demand.rps_hourly.max(axis=-1), s.point.requests_per_s[:, None], np.ones((1, 1)), 0)
        s.replicas = np.maximum(np.floor(s.replicas * scale + 1e-9), least)


def _finetune(
    o: OnPremOption, site: Site, servers_needed: FloatArray, hourly_gpus: FloatArray, inputs: OptionInputs
) -> FinetunePlan:
    """Fine-tuning runs in the inference fleet's idle hours where they leave room, else on added servers."""
    days = inputs.days
    acc, gpus_per_server = site.accelerator, site.server.gpus
    shape = (inputs.samples, inputs.months)
    plan = FinetunePlan(np.zeros(shape), np.zeros(shape), np.zeros(shape), [])
    for w, tp_plan, runs in finetune.planned_runs(inputs.scenario, inputs.catalog, acc, inputs.index, inputs.months):
        free = (running_max(servers_needed + plan.servers) * gpus_per_server)[..., None] - hourly_gpus
        fits, usable_h = finetune.idle_schedule(
            free, tp_plan.gpus, tp_plan.wall_hours_per_run, runs[None, :], w.deadline_hours, days, inputs.hour_weights
        )
        idle_ok = bool(fits[0].all())
        added = int(np.ceil(tp_plan.gpus / gpus_per_server - 1e-9))
        if not idle_ok:
            extra = np.zeros(days.size)
            extra[int(np.argmax(runs > 0)) :] = added
            plan.servers = plan.servers + extra[None, :]
        gpu_h = runs[None, :] * tp_plan.gpu_hours_per_run
        plan.busy_gpu_h += gpu_h
        plan.energy_kwh += wall_power_w(gpu_h * (tp_plan.power_w_per_gpu - acc.idle_w.value), 0.0) / 1000.0
        note = (
            f"runs in the idle hours of the inference fleet ({float(usable_h[0].min()):.0f}+ h/day with "
            f"{tp_plan.gpus} free GPUs): no extra hardware, only its energy"
            if idle_ok
            else f"the inference fleet has too few idle hours for {tp_plan.gpus} GPUs within "
            f"{w.deadline_hours or 'a month of'} h: {added} server(s) added"
        )
        schedule = "idle_hours" if idle_ok else "dedicated"
        plan.results.append(finetune.finetune_result(w, tp_plan, runs, schedule, note))
    return plan


def _energy(site: Site, served: list[Served], fleet: Fleet, inputs: OptionInputs) -> tuple[FloatArray, FloatArray]:
    """IT energy per month [kWh] (GPUs busy, reserved-idle and spare, plus hosts), and busy GPU-equivalents
    per hour class."""
    shape = (inputs.samples, inputs.months, inputs.hour_weights.size)
    idle_w = np.full((inputs.samples, 1, 1), site.accelerator.idle_w.value)
    gpu_w, busy_gpus, serving_gpus = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for s in served:
        busy = busy_fraction(s.demand.rps_hourly, s.replicas[..., None], s.point.requests_per_s[:, None, None])
        gpus = s.replicas[..., None] * s.point.tp
        busy_w = np.asarray(s.point.busy_power_w, dtype=float).reshape(-1, 1, 1)
        gpu_w += pool_power_w(gpus, gpus * busy, idle_w, busy_w)
        busy_gpus += gpus * busy
        serving_gpus += gpus
    gpus_owned = fleet.owned_servers * site.server.gpus
    gpu_w += (gpus_owned[..., None] - serving_gpus) * idle_w
    load_share = busy_gpus / np.maximum(gpus_owned[..., None], 1e-12)
    server_host_w = host_max_w(site.server.non_gpu_power_w, site.server.gpus, site.accelerator.tdp_w)
    host_w = host_power_w(fleet.owned_servers[..., None] * server_host_w, load_share)
    wall_w = np.asarray(wall_power_w(gpu_w, host_w), dtype=float)
    return monthly_energy_kwh(wall_w, inputs.hour_weights, inputs.days), busy_gpus


def _ledger_inputs(
    o: OnPremOption, site: Site, fleet: Fleet, energy_it_kwh: FloatArray, ft: FinetunePlan, inputs: OptionInputs
) -> tuple[OnPremInputs, float, float]:
    cat, ctx, samples = inputs.catalog, inputs.ctx, inputs.samples
    rates = Rates(cat, o.rates, ctx, o.name)
    server, acc, region = site.server, site.accelerator, site.region
    price, price_source = server_price(server, acc, o.server_price_usd)
    if o.electricity_usd_per_kwh is not None:
        tariff, tariff_source = o.electricity_usd_per_kwh, "scenario: electricity_usd_per_kwh"
    else:
        tariff = region.electricity_usd_per_kwh.value
        tariff_source = f"regions/{region.id}: {region.electricity_usd_per_kwh.source}"
    pue = o.pue if o.pue is not None else region.pue.value
    people = staff(o, rates, region.engineer_salary_usd_per_year.value, "onprem_fte_base", "onprem_servers_per_fte")
    assert people.machines_per_fte is not None
    life_months = round(12 * (o.hardware_life_years or rates.scalar("hardware_life_years")))
    has_ft = bool(ft.results)
    ledger_inputs = OnPremInputs(
        name=o.name,
        servers_needed=fleet.servers_needed,
        gpus_per_server=server.gpus,
        server_price_usd=ctx.draw(f"option:{o.name}:server_price_usd", price),
        server_price_source=price_source,
        network_pct_of_servers=rates("network_fabric_pct_of_servers"),
        storage_usd_per_server=rates("storage_tb_per_server") * rates("storage_usd_per_tb"),
        racks_usd_per_server=rates("racks_installation_usd_per_server"),
        life_months=life_months,
        warranty_months=round(12 * o.warranty_years),
        facility=o.facility,
        facility_usd_per_kw=rates("facility_buildout_usd_per_kw"),
        facility_life_months=round(12 * rates.scalar("facility_life_years")),
        colocation_usd_per_kw_month=rates("colocation_usd_per_kw_month"),
        server_max_power_kw=np.full(samples, server_max_power_kw(server, acc)),
        energy_it_kwh=energy_it_kwh,
        electricity_usd_per_kwh=ctx.draw(f"option:{o.name}:electricity_usd_per_kwh", tariff),
        electricity_source=tariff_source,
        pue=ctx.draw(f"option:{o.name}:pue", pue),
        maintenance_pct_per_year=rates("maintenance_pct_per_year"),
        licence_usd_per_gpu_year=rates("software_licence_usd_per_gpu_year"),
        update_hours_per_server_month=rates("software_update_hours_per_server_month"),
        engineer_usd_per_hour=people.salary_usd_per_year / rates("engineer_hours_per_year"),
        transit_usd_per_month=rates("internet_transit_usd_per_month"),
        network_fte=rates("network_fte"),
        fte_base=people.fte_base,
        servers_per_fte=people.machines_per_fte,
        loaded_salary_usd_per_year=people.salary_usd_per_year,
        insurance_pct_per_year=rates("insurance_pct_per_year"),
        financing_rate_pct_per_year=o.financing.rate_pct_per_year if o.financing else None,
        financing_term_months=o.financing.term_months if o.financing else 60,
        hardware_price_trend=yearly_trend(rates("hardware_price_change_pct_per_year"), inputs.months),
        finetune_servers=ft.servers if has_ft else None,
        finetune_energy_kwh=ft.energy_kwh if has_ft else None,
    )
    return ledger_inputs, tariff, pue


def _outcome(
    o: OnPremOption,
    site: Site,
    served: list[Served],
    fleet: Fleet,
    ft: FinetunePlan,
    energy_it_kwh: FloatArray,
    busy_gpus: FloatArray,
    ledger_inputs: OnPremInputs,
    tariff: float,
    pue: float,
    inputs: OptionInputs,
) -> Outcome:
    server, acc, eff, region = site.server, site.accelerator, site.efficiency, site.region
    gpus_owned = fleet.owned_servers * server.gpus
    sizing = Sizing(
        gpus=int(gpus_owned[0, -1]),
        servers=int(fleet.owned_servers[0, -1]),
        replicas=int(sum(s.replicas[0, -1] for s in served)),
        accelerator=acc.id,
        hardware=server.id,
        peak_it_power_kw=float(fleet.owned_servers[0, -1] * server_max_power_kw(server, acc)),
        workloads=[workload_sizing(s) for s in served],
    )
    fitted = f"fitted on {eff.fitted_on} measurements" if eff.fitted_on else "prior estimate"
    notes = [
        f"Site {region.id}: {tariff:.4f} USD/kWh, PUE {pue:.2f}, {o.facility}.",
        f"Performance factors {eff.id} ({fitted}).",
    ]
    if server.estimate or acc.estimate:
        notes.append(f"Hardware record {server.id} is an estimate: {server.source}")
    notes += [n for s in served for n in s.notes]
    busy_gpu_h = (busy_gpus @ inputs.hour_weights) * inputs.days[None, :]
    return Outcome(
        ledger=onprem_ledger(ledger_inputs),
        sizing=sizing,
        energy_kwh=(energy_it_kwh + ft.energy_kwh) * ledger_inputs.pue[:, None],
        grid_kgco2e_per_kwh=region.grid_kgco2e_per_kwh.value,
        busy_gpu_h=busy_gpu_h.sum(axis=-1) + ft.busy_gpu_h.sum(axis=-1),
        provisioned_gpu_h=(gpus_owned * inputs.days[None, :] * 24.0).sum(axis=-1),
        gpus_peak=gpus_owned.max(axis=-1),
        notes=notes,
        finetune=ft.results,
    )
