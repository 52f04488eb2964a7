"""Cost sources: cloud bills in FOCUS, and the on-prem ledger of costs no meter sees.

FOCUS (FinOps Open Cost and Usage Specification, focus.finops.org; the columns
AWS, Azure, Google Cloud and Oracle export): one row per charge with
``BilledCost``, ``EffectiveCost``, ``ListCost``, ``BillingCurrency``,
``ChargePeriodStart``/``ChargePeriodEnd`` (ISO 8601, end exclusive),
``ServiceCategory``, ``ServiceName``, ``ResourceId``, ``SkuId``, ``Tags`` (a JSON
object), ... A row is booked to the month of its ``ChargePeriodStart``.

Ledger CSV: ``month`` (YYYY-MM), ``item`` (a ledger item name), ``amount``,
``currency``, ``note``.

A malformed row is reported with its file, line and column and skipped; every
other row is kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from llmtco.analysis.actuals.model import CostRecord, Problem
from llmtco.costing.ledger import ITEMS
from llmtco.errors import LlmtcoError, did_you_mean

FOCUS_REQUIRED = (
    "BilledCost",
    "EffectiveCost",
    "BillingCurrency",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ServiceName",
    "ResourceId",
    "SkuId",
    "Tags",
)
COST_COLUMNS = ("EffectiveCost", "BilledCost", "ListCost", "ContractedCost")

SERVICE_CATEGORY_ITEMS = {
    "compute": "cloud_compute",
    "ai and machine learning": "cloud_compute",
    "networking": "cloud_egress",
    "storage": "storage",
}
"""FOCUS ServiceCategory (lower case) → ledger item; other categories book to ``other``."""

LEDGER_COLUMNS = ("month", "item", "amount", "currency", "note")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class CostFilter:
    """Which FOCUS rows belong to the option: every tag must match, and the resource id when ids are given."""

    tags: dict[str, str] = field(default_factory=dict)
    resource_ids: set[str] = field(default_factory=set)
    cost_column: str = "EffectiveCost"

    def keeps(self, tags: dict[str, str], resource_id: str) -> bool:
        if self.resource_ids and resource_id not in self.resource_ids:
            return False
        return all(tags.get(k) == v for k, v in self.tags.items())


def _rows(path: Path, source: str, problems: list[Problem]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if not path.is_file():
        problems.append(Problem(source, str(path), "file not found"))
        return [], []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = []
        for row in reader:
            if None in row:
                problems.append(
                    Problem(source, f"{path}:{reader.line_num}", f"{len(row[None])} value(s) beyond the header")
                )
                continue
            rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    return header, rows


def _number(text: str, column: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise ValueError(f"{column}: {text!r} is not a number") from None
    if not math.isfinite(x):
        raise ValueError(f"{column}: {text!r} is not a finite number")
    return x


def _timestamp(text: str, column: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{column}: {text!r} is not an ISO 8601 date-time (e.g. 2026-09-01T00:00:00Z)") from None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def read_focus(
    path: str | Path, flt: CostFilter, usd_per_unit: Callable[[str], float]
) -> tuple[list[CostRecord], list[Problem], int]:
    """Rows of a FOCUS CSV kept by the filter, as cost records; with problems and the count of rows filtered out."""
    path = Path(path)
    problems: list[Problem] = []
    header, rows = _rows(path, "billing", problems)
    if not header and not rows:
        return [], problems, 0
    missing = [c for c in (*FOCUS_REQUIRED, flt.cost_column) if c not in header]
    if missing:
        problems.append(
            Problem("billing", str(path), f"not a FOCUS export: column(s) {', '.join(dict.fromkeys(missing))} missing")
        )
        return [], problems, 0
    out: list[CostRecord] = []
    dropped = 0
    for line, row in rows:
        where = f"{path}:{line}"
        try:
            tags_text = row["Tags"] or "{}"
            try:
                tags = json.loads(tags_text)
            except ValueError:
                raise ValueError(f"Tags: {tags_text!r} is not a JSON object") from None
            if not isinstance(tags, dict):
                raise ValueError(f"Tags: {tags_text!r} is not a JSON object")
            if not flt.keeps({str(k): str(v) for k, v in tags.items()}, row["ResourceId"]):
                dropped += 1
                continue
            amount = _number(row[flt.cost_column], flt.cost_column)
            start = _timestamp(row["ChargePeriodStart"], "ChargePeriodStart")
            end = _timestamp(row["ChargePeriodEnd"], "ChargePeriodEnd")
            if end < start:
                raise ValueError("ChargePeriodEnd is before ChargePeriodStart")
            currency = row["BillingCurrency"].upper()
            fx = usd_per_unit(currency)
        except (ValueError, LlmtcoError) as exc:
            problems.append(Problem("billing", where, f"row skipped: {exc}"))
            continue
        category = row.get("ServiceCategory", "").lower()
        item = SERVICE_CATEGORY_ITEMS.get(category, "other")
        out.append(
            CostRecord(
                month=f"{start.year:04d}-{start.month:02d}",
                item=item,
                amount=amount,
                currency=currency,
                amount_usd=amount * fx,
                source=where,
                note=f"{row['ServiceName']} {row['SkuId']}".strip(),
            )
        )
    return out, problems, dropped


def read_ledger(path: str | Path, usd_per_unit: Callable[[str], float]) -> tuple[list[CostRecord], list[Problem]]:
    """Rows of an on-prem ledger CSV as cost records, with problems."""
    path = Path(path)
    problems: list[Problem] = []
    header, rows = _rows(path, "ledger", problems)
    if not header and not rows:
        return [], problems
    missing = [c for c in LEDGER_COLUMNS[:4] if c not in header]
    if missing:
        problems.append(
            Problem(
                "ledger", str(path), f"column(s) {', '.join(missing)} missing; expected {', '.join(LEDGER_COLUMNS)}"
            )
        )
        return [], problems
    out = []
    for line, row in rows:
        where = f"{path}:{line}"
        try:
            m = _MONTH.match(row["month"])
            if not m or not 1 <= int(m.group(2)) <= 12:
                raise ValueError(f"month: {row['month']!r} is not YYYY-MM")
            if row["item"] not in ITEMS:
                raise ValueError(f"item: unknown item {row['item']!r}.{did_you_mean(row['item'], ITEMS, limit=30)}")
            amount = _number(row["amount"], "amount")
            currency = row["currency"].upper()
            if not currency:
                raise ValueError("currency: empty (give an ISO 4217 code such as USD)")
            fx = usd_per_unit(currency)
        except (ValueError, LlmtcoError) as exc:
            problems.append(Problem("ledger", where, f"row skipped: {exc}"))
            continue
        out.append(
            CostRecord(
                month=row["month"],
                item=row["item"],
                amount=amount,
                currency=currency,
                amount_usd=amount * fx,
                source=where,
                note=row.get("note", ""),
            )
        )
    return out, problems
