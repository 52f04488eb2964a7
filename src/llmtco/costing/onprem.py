"""On-premise option: CapEx and OpEx line items, month by month.

Servers are bought when the load first needs them (capacity is kept), bought
again at the end of their life, and their remaining book value is credited at
the end of the horizon. Every other item scales from the installed base.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from llmtco.arrays import FloatArray, col, first
from llmtco.costing.finance import financed, in_service, purchases_with_refresh, residual_book_value, running_max
from llmtco.costing.ledger import Ledger, LineItem


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
        item: str, quantity: FloatArray, unit: str, price: FloatArray, source: str, notes: str = ""
    ) -> FloatArray:
        """Add a CapEx item (as loan principal when financed); return its amount per month."""
        li = LineItem.priced(item, "capex", quantity, unit, price, source, notes)
        if inp.financing_rate_pct_per_year is None:
            ledger.add(li)
            return li.monthly_usd
        principal, interest = financed(li.monthly_usd, inp.financing_rate_pct_per_year, inp.financing_term_months)
        bought_note = f"{first(quantity.sum(axis=-1)):,.4g} {unit} at {first(li.total_usd):,.0f} USD"
        ledger.add(
            LineItem(
                item,
                "capex",
                principal,
                source=source,
                notes=f"{notes} Financed: paid as loan principal ({bought_note}).".strip(),
            )
        )
        financing_interest[...] += interest
        return li.monthly_usd

    financing_interest = np.zeros((s, months))
    server_price = col(inp.server_price_usd) * trend
    capex_item(
        "gpu_servers",
        bought_inference,
        "servers bought (incl. refresh)",
        server_price,
        inp.server_price_source,
        f"{int(owned[0, -1])} servers in service at the end; life {inp.life_months} months.",
    )
    if inp.finetune_servers is not None:
        capex_item(
            "finetune_compute",
            bought_finetune,
            "servers added for fine-tuning (incl. refresh)",
            server_price,
            inp.server_price_source,
            "0 when the runs fit in the inference fleet's idle hours.",
        )
    capex_item(
        "network_fabric",
        servers_capex + finetune_capex,
        "USD of server CapEx",
        col(inp.network_pct_of_servers) / 100.0,
        "rates: network_fabric_pct_of_servers",
    )
    capex_item(
        "storage",
        bought,
        "servers' storage",
        col(inp.storage_usd_per_server) * trend,
        "rates: storage_tb_per_server x storage_usd_per_tb",
    )
    capex_item(
        "racks_installation",
        bought,
        "servers installed",
        col(inp.racks_usd_per_server),
        "rates: racks_installation_usd_per_server",
    )

    if inp.facility == "owned":
        built_kw = np.zeros((s, months))
        built_kw[:, :1] = np.max(owned, axis=-1, keepdims=True) * col(inp.server_max_power_kw)
        facility = capex_item(
            "facility",
            built_kw,
            "kW of IT capacity built",
            col(inp.facility_usd_per_kw),
            "rates: facility_buildout_usd_per_kw",
            "Built at the start for the largest fleet of the horizon.",
        )
        facility_residual = residual_book_value(facility, inp.facility_life_months)
    else:
        ledger.add(
            LineItem.priced(
                "colocation",
                "opex",
                owned * col(inp.server_max_power_kw),
                "kW-months contracted",
                col(inp.colocation_usd_per_kw_month),
                "rates: colocation_usd_per_kw_month",
                "Rent on the servers' maximum power.",
            )
        )
        facility_residual = np.zeros(s)

    residual = residual_book_value(hardware_capex + racks_capex, inp.life_months) + facility_residual
    at_end = np.zeros((s, months))
    at_end[:, -1] = 1.0
    ledger.add(
        LineItem.priced(
            "residual_value",
            "capex",
            at_end,
            "credit at the end of the horizon",
            -col(residual),
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
                source="scenario: financing",
                notes=f"Annuity at {inp.financing_rate_pct_per_year:g} % per year over "
                f"{inp.financing_term_months} months.",
            )
        )

    tariff = col(inp.electricity_usd_per_kwh)
    ledger.add(
        LineItem.priced(
            "energy_it",
            "opex",
            inp.energy_it_kwh,
            "kWh (IT)",
            tariff,
            inp.electricity_source,
            "Utilisation-dependent: busy GPUs at modelled power, provisioned idle GPUs at idle power.",
        )
    )
    ledger.add(
        LineItem.priced(
            "energy_cooling",
            "opex",
            inp.energy_it_kwh * (col(inp.pue) - 1.0),
            "kWh (cooling and overhead)",
            tariff,
            inp.electricity_source,
            f"IT energy x (PUE {(first(inp.pue)):.2f} - 1).",
        )
    )
    if inp.finetune_energy_kwh is not None:
        ledger.add(
            LineItem.priced(
                "finetune_energy",
                "opex",
                inp.finetune_energy_kwh * col(inp.pue),
                "kWh (training above idle power, incl. PUE)",
                tariff,
                inp.electricity_source,
                "Fine-tuning runs draw near-TDP power; idle power of the GPUs is already in energy_it.",
            )
        )
    ledger.add(
        LineItem.priced(
            "maintenance",
            "opex",
            in_service(hardware_capex, inp.warranty_months, inp.life_months),
            "USD-months of hardware under support",
            col(inp.maintenance_pct_per_year) / 1200.0,
            "rates: maintenance_pct_per_year",
            f"{first(inp.maintenance_pct_per_year):g} % of the hardware price per year, from month "
            f"{inp.warranty_months + 1} of each purchase (warranty before).",
        )
    )
    ledger.add(
        LineItem.priced(
            "software_licences",
            "opex",
            owned * inp.gpus_per_server,
            "GPU-months licensed",
            col(inp.licence_usd_per_gpu_year) / 12.0,
            "rates: software_licence_usd_per_gpu_year",
            f"{first(inp.licence_usd_per_gpu_year):,.0f} USD per GPU per year.",
        )
    )
    ledger.add(
        LineItem.priced(
            "software_updates",
            "opex",
            owned,
            "server-months",
            col(inp.update_hours_per_server_month * inp.engineer_usd_per_hour),
            "rates: software_update_hours_per_server_month x engineer hourly cost",
            f"{first(inp.update_hours_per_server_month):g} h per server per month at "
            f"{first(inp.engineer_usd_per_hour):,.0f} USD/h.",
        )
    )
    ledger.add(
        LineItem.priced(
            "network_management",
            "opex",
            np.ones((s, months)),
            "months",
            col(inp.transit_usd_per_month + inp.network_fte * inp.loaded_salary_usd_per_year / 12.0),
            "rates: internet_transit_usd_per_month, network_fte",
            f"Transit {first(inp.transit_usd_per_month):,.0f} USD/month + {first(inp.network_fte):g} FTE of "
            "network engineering.",
        )
    )
    ledger.add(
        LineItem.priced(
            "personnel",
            "opex",
            col(inp.fte_base) + owned / col(inp.servers_per_fte),
            "FTE-months",
            col(inp.loaded_salary_usd_per_year) / 12.0,
            "rates: onprem_fte_base, onprem_servers_per_fte; region engineer salary x overhead",
            "FTE = base + servers / servers per FTE; unit price = loaded salary / 12.",
        )
    )
    ledger.add(
        LineItem.priced(
            "insurance",
            "opex",
            in_service(hardware_capex + racks_capex, 0, inp.life_months),
            "USD-months of installed hardware",
            col(inp.insurance_pct_per_year) / 1200.0,
            "rates: insurance_pct_per_year",
            f"{first(inp.insurance_pct_per_year):g} % of the installed hardware per year.",
        )
    )
    return ledger
