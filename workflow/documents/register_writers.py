"""The register written as CSV, Excel (.xlsx) or PDF, from one list of columns.

- CSV through ``workflow.csv_export`` (formula-like cells neutralised), like every CSV here.
- Excel with XlsxWriter in constant-memory mode; text is always written as text (never a
  formula or a link), so a customer called ``=HYPERLINK(...)`` stays a name.
- PDF: ``register_pdf`` (fpdf2, drawn as a plain grid; see there why).
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflow.csv_export import csv_text
from workflow.documents.register import Register, RegisterRow, RegisterTotals
from workflow.documents.render import local_day, local_time


@dataclass(frozen=True)
class Column:
    heading: str
    value: Callable[[RegisterRow], Any]
    width: float  # mm on A4 landscape (277 mm between the margins)


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(getattr(value, "value", value)).replace("_", " ")


COLUMNS = (
    Column("Reference", lambda r: r.reference, 25),
    Column("Received", lambda r: local_time(r.received_at), 24),
    Column("Customer", lambda r: r.customer, 30),
    Column("Product", lambda r: r.product, 23),
    Column("Lot", lambda r: r.lot_number or "", 17),
    Column("Kind", lambda r: _text(r.kind), 14),
    Column("Severity", lambda r: r.severity, 12),
    Column("Status", lambda r: _text(r.status), 17),
    Column("Investigated", lambda r: r.investigated, 14),
    Column("Why not investigated", lambda r: r.not_investigated_because or "", 26),
    Column("Resolved", lambda r: local_day(r.resolved_at) if r.resolved_at else "", 16),
    Column("Closed", lambda r: local_day(r.closed_at) if r.closed_at else "", 16),
    Column("Days to resolve", lambda r: r.days_to_resolve, 12),
    Column("On time", lambda r: r.on_time, 13),
    Column(
        "Quality record complete",
        lambda r: local_day(r.quality_record_complete_at) if r.quality_record_complete_at else "",
        17,
    ),
)
HEADINGS = [c.heading for c in COLUMNS]


def totals_cells(totals: RegisterTotals) -> dict[str, Any]:
    """The totals line, under the columns it counts."""
    return {
        "Reference": "Total",
        "Received": f"{totals.complaints} complaints",
        "Investigated": f"{totals.investigated} yes, {totals.not_investigated} no",
        "Resolved": totals.resolved,
        "Closed": totals.closed,
        "Days to resolve": totals.mean_days_to_resolve,
        "On time": f"{totals.on_time} on time, {totals.late} late",
        "Quality record complete": totals.quality_record_complete,
    }


def cells_of(row: RegisterRow) -> list[Any]:
    return [c.value(row) for c in COLUMNS]


def register_csv(register: Register) -> str:
    rows = [dict(zip(HEADINGS, cells_of(r), strict=True)) for r in register.rows]
    totals = totals_cells(register.totals)
    rows.append({h: totals.get(h, "") for h in HEADINGS})
    return csv_text(HEADINGS, rows)


def register_xlsx(register: Register, *, generated: str) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    workbook = xlsxwriter.Workbook(buffer, options)
    sheet = workbook.add_worksheet("Register")
    bold = workbook.add_format({"bold": True})
    sheet.write_string(0, 0, f"Complaint register: {register.filters.described()}", bold)
    sheet.write_string(1, 0, generated)
    header_row = 3
    for column, heading in enumerate(HEADINGS):
        sheet.write_string(header_row, column, heading, bold)
        sheet.set_column(column, column, max(10, COLUMNS[column].width * 0.6))
    for offset, row in enumerate(register.rows, start=header_row + 1):
        _write_cells(sheet, offset, cells_of(row))
    totals = totals_cells(register.totals)
    last = header_row + 1 + len(register.rows)
    _write_cells(sheet, last, [totals.get(h) for h in HEADINGS], bold)
    sheet.freeze_panes(header_row + 1, 1)
    sheet.autofilter(header_row, 0, max(header_row, last - 1), len(HEADINGS) - 1)
    workbook.close()
    return buffer.getvalue()


def _write_cells(sheet: Any, row: int, cells: list[Any], style: Any = None) -> None:
    for column, value in enumerate(cells):
        if value is None or value == "":
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            sheet.write_number(row, column, value, style)
        else:
            sheet.write_string(row, column, str(value), style)


def generated_line(actor_name: str, moment: datetime) -> str:
    return f"Generated {local_time(moment)} by {actor_name}"
