"""A generated fleet history: vLLM- and DCGM-shaped series with a diurnal load, as OpenMetrics.

One 8x H100 server (``gpu-node-1``) runs two vLLM instances of Llama 3.3 70B
at tensor parallel 4, from 2026-09-01 to 2026-10-31 (61 days), one sample an
hour. The fleet is deliberately unlike the plan in ``examples/actuals/scenario.yaml``:
more requests, longer prompts, a slower decode step (13.5 ms + 0.36 ms per
running sequence) and more GPU power. Instance 2 restarts on 2026-10-12 (a
counter reset). Every increment is kept in ``History`` so tests can check the
totals read back through Prometheus exactly.

Run ``python -m tests.analysis.actuals.history examples/actuals`` to rewrite the
examples (OpenMetrics is not committed; the FOCUS bill, the ledger and the
query_range export of the same history, read back from a real Prometheus, are).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

START = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
DAYS = 61
STEP_S = 3600
HOURS = DAYS * 24
MODEL_NAME = "meta-llama/Llama-3.3-70B-Instruct"
HOST = "gpu-node-1"
INSTANCES = ("gpu-node-1:8000", "gpu-node-1:8001")
TP = 4
RESET = (1, 41 * 24 + 9)
"""(instance index, hour) at which that vLLM process restarts."""
TTFT_LE = (0.1, 0.25, 0.5, 1.0, 2.5, math.inf)
TPOT_LE = (0.01, 0.025, 0.05, 0.075, 0.1, math.inf)
DIURNAL = np.array([0.25, 0.2, 0.18, 0.18, 0.2, 0.3, 0.55, 0.9, 1.4, 1.8, 1.9, 1.85,
                    1.6, 1.75, 1.85, 1.8, 1.6, 1.3, 1.0, 0.8, 0.65, 0.5, 0.4, 0.3])  # fmt: skip
DIURNAL = DIURNAL / DIURNAL.mean()


def _lognormal_cdf(x: float, median: float, sigma: float) -> float:
    if math.isinf(x):
        return 1.0
    return 0.5 * (1.0 + math.erf((math.log(x) - math.log(median)) / (sigma * math.sqrt(2.0))))


@dataclass
class History:
    """Per-hour increments and gauge values; sample ``k`` (time ``START + k h``) closes hour ``k - 1``."""

    times_s: np.ndarray
    prompt: np.ndarray
    """(instance, hour) prompt tokens."""
    generation: np.ndarray
    requests: np.ndarray
    running: np.ndarray
    """(instance, hour) mean running requests."""
    waiting: np.ndarray
    ttft_buckets: np.ndarray
    """(instance, bucket, hour) requests per bucket (not cumulative)."""
    tpot_buckets: np.ndarray
    power_w: np.ndarray
    """(gpu, hour) mean board power [W]."""
    util_pct: np.ndarray
    fb_mib: np.ndarray
    offsets: dict[str, float] = field(default_factory=dict)

    def month_of_hour(self) -> list[str]:
        return [(START + dt.timedelta(hours=h)).strftime("%Y-%m") for h in range(HOURS)]


def generate(seed: int = 15) -> History:
    rng = np.random.default_rng(seed)
    n_i, n_g = len(INSTANCES), len(INSTANCES) * TP
    shape = (n_i, HOURS)
    prompt, gen, req = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    running, waiting = np.zeros(shape), np.zeros(shape)
    ttft_b, tpot_b = np.zeros((n_i, len(TTFT_LE), HOURS)), np.zeros((n_i, len(TPOT_LE), HOURS))
    for h in range(HOURS):
        t = START + dt.timedelta(hours=h)
        per_day = 72_000 + 12_000 * h / HOURS
        if t.weekday() >= 5:
            per_day *= 0.6
        fleet = per_day / 24.0 * DIURNAL[t.hour] * rng.uniform(0.9, 1.1)
        for i in range(n_i):
            r = float(round(fleet * (0.5 + (0.04 if i == 0 else -0.04))))
            lin, lout = 2300.0 * rng.uniform(0.95, 1.05), 320.0 * rng.uniform(0.95, 1.05)
            req[i, h] = r
            prompt[i, h] = float(round(r * lin))
            gen[i, h] = float(round(r * lout))
            rps = r / STEP_S
            a, b, ttft0 = 0.0135, 0.00036, 0.3
            batch = rps * (ttft0 + lout * a) / (1.0 - rps * lout * b)
            running[i, h] = round(batch, 3)
            waiting[i, h] = round(0.05 * batch * batch, 3)
            for buckets, le, median, sigma in (
                (ttft_b, TTFT_LE, 0.25 + 0.02 * batch, 0.5),
                (tpot_b, TPOT_LE, a + b * batch, 0.15),
            ):
                cum = [round(r * _lognormal_cdf(x, median, sigma)) for x in le]
                buckets[i, :, h] = np.diff([0, *cum])
    util = np.zeros((n_g, HOURS))
    power = np.zeros((n_g, HOURS))
    fb = np.zeros((n_g, HOURS))
    for g in range(n_g):
        batch = running[g // TP]
        util[g] = np.round(np.clip(100.0 * (1.0 - np.exp(-1.5 * batch)) + rng.normal(0, 1.0, HOURS), 0, 100), 1)
        power[g] = np.round(75.0 + (610.0 + 2.5 * batch - 75.0) * util[g] / 100.0, 1)
        fb[g] = np.round(72_000.0 + 30.0 * batch)
    times = START.timestamp() + STEP_S * np.arange(HOURS + 1, dtype=float)
    return History(times, prompt, gen, req, running, waiting, ttft_b, tpot_b, power, util, fb,
                   offsets={"prompt": 1.5e6, "generation": 2.0e5, "requests": 700.0})  # fmt: skip


def _cumulative(inc: np.ndarray, offset: float, reset_at: int | None) -> np.ndarray:
    """Counter values at the HOURS + 1 sample times; a restart at hour ``reset_at`` starts from zero."""
    values = np.concatenate([[offset], offset + np.cumsum(inc)])
    if reset_at is not None:
        values[reset_at + 1 :] = np.cumsum(inc[reset_at:])
    return values


def _labels(d: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in d.items()) + "}"


def _le(x: float) -> str:
    return "+Inf" if math.isinf(x) else repr(x)


def openmetrics(hist: History) -> str:
    """The history as OpenMetrics text (for ``promtool tsdb create-blocks-from openmetrics``)."""
    lines: list[str] = []
    ts = [f"{t:.0f}" for t in hist.times_s]

    def inst_labels(i: int) -> dict[str, str]:
        return {"model_name": MODEL_NAME, "instance": INSTANCES[i], "job": "vllm"}

    def reset_of(i: int) -> int | None:
        return RESET[1] if i == RESET[0] else None

    for family, attr, kind in (
        ("vllm:prompt_tokens", "prompt", "counter"),
        ("vllm:generation_tokens", "generation", "counter"),
    ):
        lines.append(f"# TYPE {family} {kind}")
        for i in range(len(INSTANCES)):
            vals = _cumulative(getattr(hist, attr)[i], hist.offsets[attr], reset_of(i))
            lab = _labels(inst_labels(i))
            lines += [f"{family}_total{lab} {v:.0f} {t}" for v, t in zip(vals, ts, strict=True)]
    for family, attr in (("vllm:num_requests_running", "running"), ("vllm:num_requests_waiting", "waiting")):
        lines.append(f"# TYPE {family} gauge")
        for i in range(len(INSTANCES)):
            g = getattr(hist, attr)[i]
            vals = np.concatenate([[g[0]], g])
            lab = _labels(inst_labels(i))
            lines += [f"{family}{lab} {v!r} {t}" for v, t in zip(vals.tolist(), ts, strict=True)]
    for family, buckets, le in (
        ("vllm:time_to_first_token_seconds", hist.ttft_buckets, TTFT_LE),
        ("vllm:time_per_output_token_seconds", hist.tpot_buckets, TPOT_LE),
    ):
        lines.append(f"# TYPE {family} histogram")
        for i in range(len(INSTANCES)):
            cum_b = np.cumsum(buckets[i], axis=0)
            series = [_cumulative(cum_b[b], hist.offsets["requests"], reset_of(i)) for b in range(len(le))]
            count = series[-1]
            mid = (
                [0.05, 0.17, 0.37, 0.7, 1.6, 4.0]
                if family.endswith("first_token_seconds")
                else [0.008, 0.017, 0.035, 0.06, 0.085, 0.2]
            )
            total = _cumulative(np.tensordot(mid, buckets[i], axes=1), 0.0, reset_of(i))
            for k, t in enumerate(ts):
                base = inst_labels(i)
                for b, x in enumerate(le):
                    lines.append(f"{family}_bucket{_labels({**base, 'le': _le(x)})} {series[b][k]:.0f} {t}")
                lines.append(f"{family}_count{_labels(base)} {count[k]:.0f} {t}")
                lines.append(f"{family}_sum{_labels(base)} {float(total[k])!r} {t}")
    for family, attr in (
        ("DCGM_FI_DEV_POWER_USAGE", "power_w"),
        ("DCGM_FI_DEV_GPU_UTIL", "util_pct"),
        ("DCGM_FI_DEV_FB_USED", "fb_mib"),
    ):
        lines.append(f"# TYPE {family} gauge")
        for g in range(hist.power_w.shape[0]):
            lab = _labels(
                {
                    "gpu": str(g),
                    "UUID": f"GPU-00000000-0000-0000-0000-00000000000{g}",
                    "device": f"nvidia{g}",
                    "modelName": "NVIDIA H100 80GB HBM3",
                    "Hostname": HOST,
                    "job": "dcgm-exporter",
                }
            )
            v = getattr(hist, attr)[g]
            vals = np.concatenate([[v[0]], v])
            lines += [f"{family}{lab} {x!r} {t}" for x, t in zip(vals.tolist(), ts, strict=True)]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


FOCUS_COLUMNS = (
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingCurrency", "BillingAccountId",
    "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory",
    "ChargeDescription", "ProviderName", "PublisherName", "InvoiceIssuerName", "RegionId", "ServiceCategory",
    "ServiceName", "ResourceId", "ResourceName", "ResourceType", "SkuId", "PricingQuantity", "PricingUnit",
    "ConsumedQuantity", "ConsumedUnit", "SubAccountId", "Tags",
)  # fmt: skip


def _charge(
    base: dict[str, str],
    category: str,
    service: str,
    description: str,
    resource: tuple[str, str, str],
    sku: str,
    quantity: tuple[float, str],
    list_cost: float,
    effective_cost: float,
    tags: dict[str, str],
) -> dict[str, str]:
    """One FOCUS row: billed at list price (on-demand), effective after the savings plan."""
    rid, rname, rtype = resource
    qty, unit = quantity
    return {
        **base,
        "ServiceCategory": category,
        "ServiceName": service,
        "ChargeDescription": description,
        "ResourceId": rid,
        "ResourceName": rname,
        "ResourceType": rtype,
        "SkuId": sku,
        "PricingQuantity": f"{qty:g}",
        "PricingUnit": unit,
        "ConsumedQuantity": f"{qty:g}",
        "ConsumedUnit": unit,
        "ListCost": f"{list_cost:.2f}",
        "ContractedCost": f"{list_cost:.2f}",
        "BilledCost": f"{list_cost:.2f}",
        "EffectiveCost": f"{effective_cost:.2f}",
        "Tags": json.dumps(tags),
    }


def focus_rows() -> list[dict[str, str]]:
    """A daily AWS bill in FOCUS 1.0 columns: the option's p5 instance, its egress and storage, and other teams."""
    rows = []
    for d in range(DAYS):
        day = START + dt.timedelta(days=d)
        nxt = day + dt.timedelta(days=1)
        month0 = day.replace(day=1)
        month1 = (month0 + dt.timedelta(days=32)).replace(day=1)
        base = {
            "BillingCurrency": "USD", "BillingAccountId": "123456789012",
            "BillingPeriodStart": month0.isoformat().replace("+00:00", "Z"),
            "BillingPeriodEnd": month1.isoformat().replace("+00:00", "Z"),
            "ChargePeriodStart": day.isoformat().replace("+00:00", "Z"),
            "ChargePeriodEnd": nxt.isoformat().replace("+00:00", "Z"),
            "ChargeCategory": "Usage", "ProviderName": "AWS", "PublisherName": "AWS",
            "InvoiceIssuerName": "AWS", "RegionId": "us-east-1", "SubAccountId": "210987654321",
        }  # fmt: skip
        hours = 24 if d % 9 else 20  # an instance stopped for maintenance now and then
        gb = 180 + 7 * (d % 5)
        chat = {"llmtco-option": "aws-h100", "team": "chat"}
        rows.append(_charge(base, "Compute", "Amazon Elastic Compute Cloud", "p5.48xlarge On Demand Linux",
                            ("i-0a1b2c3d4e5f60001", "llm-chat-1", "Instance"), "SKU-P5-48XL-USE1",
                            (hours, "Hours"), hours * 98.32, hours * 55.04, chat))  # fmt: skip
        rows.append(_charge(base, "Networking", "AWS Data Transfer", "Data transfer out to internet",
                            ("i-0a1b2c3d4e5f60001", "llm-chat-1", "Instance"), "SKU-DTO-USE1",
                            (gb, "GB"), gb * 0.09, gb * 0.09, chat))  # fmt: skip
        rows.append(_charge(base, "Storage", "Amazon Elastic Block Store", "gp3 volume, 2 TB",
                            ("vol-0f00d00000000001", "llm-weights", "Volume"), "SKU-EBS-GP3-USE1",
                            (66.06, "GB-Month"), 5.28, 5.28, chat))  # fmt: skip
        rows.append(_charge(base, "Compute", "Amazon Elastic Compute Cloud", "m7i.4xlarge On Demand Linux",
                            ("i-0ffff00000000009", "search-api", "Instance"), "SKU-M7I-4XL-USE1",
                            (24, "Hours"), 19.35, 19.35, {"team": "search"}))  # fmt: skip
    return rows


LEDGER = [
    ("2026-09", "gpu_servers", "262400.00", "purchase order PO-2026-0815: 1x HGX H100 8-GPU server"),
    ("2026-09", "network_fabric", "24100.00", "2x 400G switches (share), optics, cabling"),
    ("2026-09", "racks_installation", "6200.00", "install and cabling, colocation remote hands"),
    ("2026-09", "storage", "3600.00", "NVMe 4x 7.68 TB"),
] + [
    row
    for month in ("2026-09", "2026-10")
    for row in (
        (month, "colocation", "2100.00", "12 kW contracted at 175/kW-month"),
        (month, "maintenance", "2844.00", "hardware support contract, monthly share"),
        (month, "software_licences", "3000.00", "8 GPU licences, monthly share"),
        (month, "personnel", "9800.00", "0.6 FTE platform engineer, loaded"),
        (month, "network_management", "2625.00", "transit and network engineering"),
        (month, "software_updates", "520.00", "driver and vLLM upgrades, hours booked"),
        (month, "insurance", "121.00", "hardware insurance, monthly share"),
    )
]
"""On-prem ledger rows: (month, item, amount, note), USD."""


def write_examples(folder: Path) -> None:
    """The FOCUS bill and the ledger CSV (the export is written by ``write_export``)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "focus-bill.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=FOCUS_COLUMNS)
        w.writeheader()
        w.writerows(focus_rows())
    with (folder / "onprem-ledger.csv").open("w", newline="", encoding="utf-8") as fh:
        w2 = csv.writer(fh)
        w2.writerow(["month", "item", "amount", "currency", "note"])
        for month, item, amount, note in LEDGER:
            w2.writerow([month, item, amount, "USD", note])


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "examples/actuals")
    write_examples(out)
    from tests.analysis.actuals.promserver import write_export

    write_export(out / "telemetry-export.json.gz")
