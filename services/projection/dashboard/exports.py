"""A table of the dashboard as an Excel workbook or a CSV file, as the person sees it.

The page posts the table it shows (its caption, its headers in the person's language, and per
cell the text shown and, for figures, the number behind it); this answers the file. It reads
no read model: the person already holds every cell, so no check beyond being signed in is
needed, and the file matches the page exactly. Excel gets numbers as numbers (amounts with a
`¥#,##0.00` format, counts with `#,##0`), so they add up in the sheet; CSV gets the text
shown, with a byte-order mark (Excel opens its Chinese as it is) and formulas neutralised.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from pydantic import BaseModel, ConfigDict, Field

from services.projection.http import Download
from shared.spreadsheet import neutralise

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 100_000
SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


class Cell(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=2000)
    value: str | None = Field(None, max_length=64, description="The number behind a figure.")
    money: bool = False


class Sheet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=300)
    filename: str = Field(pattern=r"^[\w.-]{1,80}$")
    headers: list[str] = Field(min_length=1, max_length=100)
    rows: list[list[Cell]] = Field(max_length=MAX_ROWS)
    format: Literal["xlsx", "csv"] = "xlsx"


def export(sheet: Sheet) -> Download:
    if sheet.format == "csv":
        return Download(as_csv(sheet), "text/csv; charset=utf-8", f"{sheet.filename}.csv")
    return Download(as_xlsx(sheet), XLSX, f"{sheet.filename}.xlsx")


def as_csv(sheet: Sheet) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in sheet.headers])
    for row in sheet.rows:
        writer.writerow([neutralise(c.text) for c in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(sheet: Sheet) -> bytes:
    book = Workbook(write_only=False)
    ws = book.create_sheet(index=0)
    book.remove(book.worksheets[1])
    ws.title = SHEET_TITLE_BAD.sub(" ", sheet.title)[:31] or "Sheet1"
    ws.append([sheet.title])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append(sheet.headers)
    for cell in ws[2]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF2F6")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [_width(h) for h in sheet.headers]
    for number, row in enumerate(sheet.rows, start=3):
        ws.append([_value(c) for c in row])
        for n, source in enumerate(row):
            cell = ws.cell(row=number, column=n + 1)
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text the page showed, never a formula Excel would run
            if isinstance(cell.value, int | float):
                cell.number_format = '"¥"#,##0.00' if source.money else _count_format(source)
            if n < len(widths):
                widths[n] = max(widths[n], _width(source.text))
    for n, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(n)].width = min(width + 2, 60)
    ws.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _value(cell: Cell) -> object:
    if cell.value is None:
        return cell.text
    try:
        number = Decimal(cell.value)
    except InvalidOperation:
        return cell.text
    if not number.is_finite():
        return cell.text
    return int(number) if number == number.to_integral() and not cell.money else float(number)


def _count_format(cell: Cell) -> str:
    return "#,##0" if "." not in (cell.value or "") else "#,##0.000"


def _width(text: str) -> int:
    """Columns wide enough for their text; a Chinese character takes two places."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
