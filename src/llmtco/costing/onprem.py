"""On-premise option: CapEx and OpEx line items, month by month.

Servers are bought when the load first needs them (capacity is kept), bought
again at the end of their life, and their remaining book value is credited at
the end of the horizon. Every other item scales from the installed base.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from llmtco.arrays import col, first
from llmtco.costing.finance import financed, in_service, purchases_with_refresh, residual_book_value, running_max
from llmtco.costing.ledger import Ledger, LineItem
from llmtco.perf.shapes import FloatArray


@dataclass(frozen=True)
class OnPremInputs:
    """Everything the on-prem costing needs, as numbers and (S,) or (S, M) arrays."""

    name: str
    servers_needed: FloatArray
    """Servers the load needs each month (spares included), shape (S, M)."""
    gpus_per_server: int
    server_price_usd: FloatArray
    server_price_source: str
    network_pct_of_servers: FloatArray
    storage_usd_per_server: FloatArray
    racks_usd_per_server: FloatArray
    life_months: int
    warranty_months: int
    facility: Literal["colocation", "owned"]
    facility_usd_per_kw: FloatArray
    facility_life_months: int
    colocation_usd_per_kw_month: FloatArray
    server_max_power_kw: FloatArray
    energy_it_kwh: FloatArray
    """IT energy per month, shape (S, M)."""
    electricity_usd_per_kwh: FloatArray
    electricity_source: str
    pue: FloatArray
    maintenance_pct_per_year: FloatArray
    licence_usd_per_gpu_year: FloatArray
    update_hours_per_server_month: FloatArray
    engineer_usd_per_hour: FloatArray
    transit_usd_per_month: FloatArray
    network_fte: FloatArray
    fte_base: FloatArray
    servers_per_fte: FloatArray
    loaded_salary_usd_per_year: FloatArray
    insurance_pct_per_year: FloatArray
    financing_rate_pct_per_year: float | None = None
    financing_term_months: int = 60
    finetune_servers: FloatArray | None = None
    """Servers added for fine-tuning runs each month, shape (S, M) (None: no fine-tuning)."""
    finetune_energy_kwh: FloatArray | None = None
    """IT energy of fine-tuning runs above idle power, shape (S, M)."""
    hardware_price_trend: FloatArray | None = None
    """Multiplier on hardware prices for purchases in each month, shape (S, M) (None: today's prices)."""


def onprem_ledger(inp: OnPremInputs) -> Ledger:
    s, months = inp.servers_needed.shape
    ledger = Ledger(option=inp.name, months=months, samples=s)
    owned_inference = running_max(np.ceil(inp.servers_needed - 1e-9))
    extra = inp.finetune_servers if inp.finetune_servers is not None else np.zeros_like(inp.servers_needed)
    owned = running_max(np.ceil(inp.servers_needed + extra - 1e-9))
    bought = purchases_with_refresh(np.diff(owned, axis=-1, prepend=0.0), inp.life_months)
    bought_inference = purchases_with_refresh(np.diff(owned_inference, axis=-1, prepend=0.0), inp.life_months)
    bought_finetune = np.maximum(bought - bought_inference, 0.0)
    bought_inference = bought - bought_finetune
    trend = inp.hardware_price_trend if inp.hardware_price_trend is not None else np.ones((s, months))
    servers_capex = bought_inference * col(inp.server_price_usd) * trend
    finetune_capex = bought_finetune * col(inp.server_price_usd) * trend
    network_capex = (servers_capex + finetune_capex) * col(inp.network_pct_of_servers) / 100.0
    storage_capex = bought * col(inp.storage_usd_per_server) * trend
    racks_capex = bought * col(inp.racks_usd_per_server)
    hardware_capex = servers_capex + finetune_capex + network_capex + storage_capex

    def capex_item(
        item: str, monthly: FloatArray, qty: float, unit: str, price: float, source: str, notes: str = ""
    ) -> None:
        if inp.financing_rate_pct_per_year is not None:
            principal, interest = financed(monthly, inp.financing_rate_pct_per_year, inp.financing_term_months)
            ledger.add(
                LineItem(
                    item,
                    "capex",
                    principal,
                    qty,
                    unit,
                    price,
                    source,
                    (notes + " Financed: paid as loan principal.").strip(),
                )
            )
            financing_interest[...] += interest
        else:
            ledger.add(LineItem(item, "capex", monthly, qty, unit, price, source, notes))

    financing_interest = np.zeros((s, months))
    n_bought = float(bought[0].sum())
    n_bought_inference = float(bought_inference[0].sum())
    capex_item(
        "gpu_servers",
        servers_capex,
        n_bought_inference,
        "servers bought (incl. refresh)",
        first(inp.server_price_usd),
        inp.server_price_source,
        f"{int(owned[0, -1])} servers in service at the end; life {inp.life_months} months.",
    )
    if inp.finetune_servers is not None:
        capex_item(
            "finetune_compute",
            finetune_capex,
            float(bought_finetune[0].sum()),
            "servers added for fine-tuning (incl. refresh)",
            first(inp.server_price_usd),
            inp.server_price_source,
            "0 when the runs fit in the inference fleet's idle hours.",
        )
    capex_item(
        "network_fabric",
        network_capex,
        first(inp.network_pct_of_servers),
        "% of server CapEx",
        first(servers_capex.sum(axis=-1)) / 100.0,
        "rates: network_fabric_pct_of_servers",
    )
    capex_item(
        "storage",
        storage_capex,
        n_bought,
        "servers' storage",
        first(inp.storage_usd_per_server),
        "rates: storage_tb_per_server x storage_usd_per_tb",
    )
    capex_item(
        "racks_installation",
        racks_capex,
        n_bought,
        "servers installed",
        first(inp.racks_usd_per_server),
        "rates: racks_installation_usd_per_server",
    )

    peak_kw = owned[:, -1:] * col(inp.server_max_power_kw)
    if inp.facility == "owned":
        facility = np.zeros((s, months))
        built_kw = np.max(owned, axis=-1, keepdims=True) * col(inp.server_max_power_kw)
        facility[:, :1] = built_kw * col(inp.facility_usd_per_kw)
        capex_item(
            "facility",
            facility,
            first(built_kw),
            "kW of IT capacity built",
            first(inp.facility_usd_per_kw),
            "rates: facility_buildout_usd_per_kw",
            "Built at the start for the largest fleet of the horizon.",
        )
        facility_residual = residual_book_value(facility, inp.facility_life_months)
    else:
        contracted_kw = owned * col(inp.server_max_power_kw)
        ledger.add(
            LineItem(
                "colocation",
                "opex",
                contracted_kw * col(inp.colocation_usd_per_kw_month),
                first(peak_kw),
                "kW contracted at the end",
                first(inp.colocation_usd_per_kw_month),
                "rates: colocation_usd_per_kw_month",
                "Rent on the servers' maximum power.",
            )
        )
        facility_residual = np.zeros(s)

    residual = residual_book_value(hardware_capex + racks_capex, inp.life_months) + facility_residual
    credit = np.zeros((s, months))
    credit[:, -1] = -residual
    ledger.add(
        LineItem(
            "residual_value",
            "capex",
            credit,
            1.0,
            "credit at the end of the horizon",
            -first(residual),
            "straight-line book value",
            "Hardware and facility still in service are credited at book value.",
        )
    )
    if inp.financing_rate_pct_per_year is not None:
        ledger.add(
            LineItem(
                "financing_interest",
                "opex",
                financing_interest,
                inp.financing_rate_pct_per_year,
                "% per year",
                float(inp.financing_term_months),
                "scenario: financing",
                f"Annuity over {inp.financing_term_months} months.",
            )
        )

    tariff = col(inp.electricity_usd_per_kwh)
    ledger.add(
        LineItem(
            "energy_it",
            "opex",
            inp.energy_it_kwh * tariff,
            first(inp.energy_it_kwh.sum(axis=-1)),
            "kWh (IT)",
            first(inp.electricity_usd_per_kwh),
            inp.electricity_source,
            "Utilisation-dependent: busy GPUs at modelled power, provisioned idle GPUs at idle power.",
        )
    )
    cooling_kwh = inp.energy_it_kwh * (col(inp.pue) - 1.0)
    ledger.add(
        LineItem(
            "energy_cooling",
            "opex",
            cooling_kwh * tariff,
            first(cooling_kwh.sum(axis=-1)),
            "kWh (cooling and overhead)",
            first(inp.electricity_usd_per_kwh),
            inp.electricity_source,
            f"IT energy x (PUE {(first(inp.pue)):.2f} - 1).",
        )
    )

    if inp.finetune_energy_kwh is not None:
        ft_kwh = inp.finetune_energy_kwh * col(inp.pue)
        ledger.add(
            LineItem(
                "finetune_energy",
                "opex",
                ft_kwh * tariff,
                first(ft_kwh.sum(axis=-1)),
                "kWh (training above idle power, incl. PUE)",
                first(inp.electricity_usd_per_kwh),
                inp.electricity_source,
                "Fine-tuning runs draw near-TDP power; idle power of the GPUs is already in energy_it.",
            )
        )
    warranty_base = in_service(hardware_capex, inp.warranty_months, inp.life_months)
    ledger.add(
        LineItem(
            "maintenance",
            "opex",
            warranty_base * col(inp.maintenance_pct_per_year) / 1200.0,
            first(inp.maintenance_pct_per_year),
            "% of hardware per year",
            first(hardware_capex.sum(axis=-1)) / 100.0,
            "rates: maintenance_pct_per_year",
            f"From month {inp.warranty_months + 1} of each purchase (warranty before).",
        )
    )
    gpus = owned * inp.gpus_per_server
    ledger.add(
        LineItem(
            "software_licences",
            "opex",
            gpus * col(inp.licence_usd_per_gpu_year) / 12.0,
            first(gpus[:, -1:]),
            "GPUs licensed at the end",
            first(inp.licence_usd_per_gpu_year),
            "rates: software_licence_usd_per_gpu_year",
            "Per GPU per year.",
        )
    )
    ledger.add(
        LineItem(
            "software_updates",
            "opex",
            owned * col(inp.update_hours_per_server_month * inp.engineer_usd_per_hour),
            first(inp.update_hours_per_server_month),
            "hours per server per month",
            first(inp.engineer_usd_per_hour),
            "rates: software_update_hours_per_server_month",
        )
    )
    net = col(inp.transit_usd_per_month + inp.network_fte * inp.loaded_salary_usd_per_year / 12.0)
    ledger.add(
        LineItem(
            "network_management",
            "opex",
            np.broadcast_to(net, (s, months)),
            float(months),
            "months",
            first(net),
            "rates: internet_transit_usd_per_month, network_fte",
        )
    )
    fte = col(inp.fte_base) + owned / col(inp.servers_per_fte)
    ledger.add(
        LineItem(
            "personnel",
            "opex",
            fte * col(inp.loaded_salary_usd_per_year) / 12.0,
            first(fte[:, -1:]),
            "FTE at the end",
            first(inp.loaded_salary_usd_per_year),
            "rates: onprem_fte_base, onprem_servers_per_fte; region engineer salary x overhead",
            "FTE = base + servers / servers per FTE.",
        )
    )
    installed = in_service(hardware_capex + racks_capex, 0, inp.life_months)
    ledger.add(
        LineItem(
            "insurance",
            "opex",
            installed * col(inp.insurance_pct_per_year) / 1200.0,
            first(inp.insurance_pct_per_year),
            "% of installed hardware per year",
            first(installed.max(axis=-1)) / 100.0,
            "rates: insurance_pct_per_year",
        )
    )
    return ledger
