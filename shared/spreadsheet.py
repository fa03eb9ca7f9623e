"""CSV cells a spreadsheet will not run: a cell that starts with `=`, `+`, `-`, `@`, a tab or
a carriage return is a formula to Excel and LibreOffice (`=HYPERLINK(...)` sends data away),
so it gets a leading single quote, as OWASP's "CSV Injection" page recommends. The quote
shows in the cell; the text after it is exactly what was recorded."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell
