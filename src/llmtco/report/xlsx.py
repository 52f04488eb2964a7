"""An Excel workbook for finance: inputs, one ledger sheet per option, a summary. Numbers stay numbers."""

from __future__ import annotations

import io

from llmtco.result import Result


def render_xlsx(result: Result) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    fx = result.usd_per_currency_unit
    money = '"$"#,##0' if result.currency == "USD" else '#,##0 "€"'
    bold = Font(bold=True)
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "Summary"
    summary.append([result.scenario])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(
        [
            f"{result.horizon_months} months from {result.start_date}; discount rate "
            f"{result.discount_rate_pct} %; amounts in {result.currency}"
        ]
    )
    summary.append([])
    header = [
        "option",
        "kind",
        "excluded",
        "reason",
        "total",
        "npv",
        "capex",
        "opex",
        "cost per M tokens (input + output)",
        "cost per M output tokens",
        "GPUs",
        "energy MWh",
        "emissions tCO2e",
    ]
    summary.append(header)
    for c in summary[4]:
        c.font = bold
    for o in result.options:
        summary.append(
            [
                o.name,
                o.kind,
                o.excluded,
                o.reason or "",
                None if o.total_cost_usd is None else o.total_cost_usd / fx,
                None if o.npv_usd is None else o.npv_usd / fx,
                None if o.capex_usd is None else o.capex_usd / fx,
                None if o.opex_usd is None else o.opex_usd / fx,
                None if o.cost_per_mtok_usd is None else o.cost_per_mtok_usd / fx,
                None if o.cost_per_output_mtok_usd is None else o.cost_per_output_mtok_usd / fx,
                o.sizing.gpus if o.sizing else None,
                o.energy_mwh,
                o.emissions_tco2e,
            ]
        )
        row = summary.max_row
        for col in range(5, 9):
            summary.cell(row=row, column=col).number_format = money
        summary.cell(row=row, column=9).number_format = "0.000"
        summary.cell(row=row, column=10).number_format = "0.00"

    for o in result.options:
        if o.excluded:
            continue
        ws = wb.create_sheet(title=_sheet_name(o.name, wb.sheetnames))
        months = len(o.cumulative_usd)
        ws.append(
            ["item", "category", "quantity", "unit", "unit price", "source", "total"]
            + [f"m{i + 1}" for i in range(months)]
        )
        for c in ws[1]:
            c.font = bold
        first_month_col = 8
        for li in o.line_items:
            ws.append(
                [
                    li.item,
                    li.category,
                    li.quantity,
                    li.unit,
                    None if li.unit_price_usd is None else li.unit_price_usd / fx,
                    li.source,
                    None,
                ]
                + [v / fx for v in li.monthly_usd]
            )
            r = ws.max_row
            last = get_column_letter(first_month_col + months - 1)
            ws.cell(row=r, column=7, value=f"=SUM({get_column_letter(first_month_col)}{r}:{last}{r})")
            for col in [5, 7, *range(first_month_col, first_month_col + months)]:
                ws.cell(row=r, column=col).number_format = money
        n = ws.max_row
        ws.append(["total", "", "", "", "", "", None])
        t = ws.max_row
        for col in [7, *range(first_month_col, first_month_col + months)]:
            letter = get_column_letter(col)
            ws.cell(row=t, column=col, value=f"=SUM({letter}2:{letter}{n})").number_format = money
        ws.cell(row=t, column=1).font = bold
        ws.freeze_panes = "B2"
        ws.column_dimensions["A"].width = 22
        ws.column_dimensions["F"].width = 40

    inputs = wb.create_sheet(title="Inputs")
    inputs.append(["scope", "input", "value", "unit", "source", "as of", "estimate"])
    for c in inputs[1]:
        c.font = bold
    for a in result.assumptions:
        inputs.append([a.scope, a.name, a.value, a.unit, a.source, a.as_of or "", a.estimate])
    inputs.column_dimensions["B"].width = 40
    inputs.column_dimensions["E"].width = 60
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_name(name: str, taken: list[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:28] or "option"
    out, i = clean, 2
    while out in taken or out in ("Summary", "Inputs"):
        out = f"{clean[:25]}_{i}"
        i += 1
    return out
