"""Hosted-API token prices from the genai-prices package (offline data snapshot).

Prices can depend on the date, the time of day (e.g. DeepSeek off-peak) and the
prompt size (tiers above 200k tokens): each is looked up for one request of the
workload's mean size, at every hour of the start date, weighted by the hourly
load, so the per-million prices reflect how the workload actually uses the API.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from dataclasses import dataclass
from functools import lru_cache

from llmtco.catalog.records import ApiOffering
from llmtco.errors import CatalogError


@dataclass(frozen=True)
class TokenPrices:
    input_usd_per_mtok: float
    cached_input_usd_per_mtok: float
    output_usd_per_mtok: float
    source: str


@lru_cache(maxsize=1)
def genai_prices_version() -> str:
    try:
        return importlib.metadata.version("genai-prices")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - dependency is required
        return "unknown"


@lru_cache(maxsize=4096)
def _calc(
    provider: str, model_ref: str, when: dt.datetime, input_tokens: int, cached: int, output: int
) -> tuple[float, float]:
    from genai_prices import Usage, calc_price

    try:
        r = calc_price(
            Usage(input_tokens=input_tokens, cache_read_tokens=cached, output_tokens=output),
            model_ref,
            provider_id=provider,
            genai_request_timestamp=when,
        )
    except LookupError as exc:
        raise CatalogError(
            f"genai-prices {genai_prices_version()} has no price for {provider}/{model_ref}: {exc}"
        ) from None
    return float(r.input_price), float(r.output_price)


def token_prices(
    offering: ApiOffering,
    start: dt.date,
    input_tokens: float,
    output_tokens: float,
    cached_fraction: float,
    hourly_weights: list[float],
) -> TokenPrices:
    """Effective USD per million input, cached-input and output tokens for one workload."""
    if offering.prices is not None:
        p = offering.prices
        cached = p.cached_input_usd_per_mtok if p.cached_input_usd_per_mtok is not None else p.input_usd_per_mtok
        return TokenPrices(
            p.input_usd_per_mtok,
            cached,
            p.output_usd_per_mtok,
            f"{offering.source} (as of {offering.as_of.isoformat()})",
        )
    assert offering.genai_provider is not None
    lin = max(1, round(input_tokens))
    lout = max(1, round(output_tokens))
    round(lin * cached_fraction)
    total_w = sum(hourly_weights) or 1.0
    in_usd = cached_usd = out_usd = 0.0
    for hour, w in enumerate(hourly_weights):
        when = dt.datetime(start.year, start.month, start.day, hour, 30, tzinfo=dt.UTC)
        # input cost of uncached-only, cached-only and output-only requests of the mean size
        full_in, _ = _calc(offering.genai_provider, offering.model_ref, when, lin, 0, 0)
        _, out = _calc(offering.genai_provider, offering.model_ref, when, lin, 0, lout)
        cached_in, _ = _calc(offering.genai_provider, offering.model_ref, when, lin, lin, 0)
        in_usd += w * full_in / lin * 1e6
        cached_usd += w * cached_in / lin * 1e6
        out_usd += w * out / lout * 1e6
    source = (
        f"genai-prices {genai_prices_version()} (pydantic/genai-prices), "
        f"{offering.genai_provider}/{offering.model_ref} at {start.isoformat()}, load-weighted by hour"
    )
    return TokenPrices(in_usd / total_w, cached_usd / total_w, out_usd / total_w, source)
