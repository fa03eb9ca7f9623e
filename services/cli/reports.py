"""Reports of the reporting API shown as tables."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from rich.table import Table


def table(
    title: str, rows: Sequence[dict[str, Any]], columns: Sequence[str], total: bool = False
) -> Table:
    """Rows as a table; numbers right-aligned; with `total`, a sum row of the numeric columns."""
    t = Table(title=title)
    numeric = [c for c in columns if rows and _is_number(rows[0].get(c))]
    for c in columns:
        t.add_column(c.replace("_", " "), justify="right" if c in numeric else "left")
    for r in rows:
        t.add_row(*(_cell(r.get(c)) for c in columns))
    if total and rows:
        sums = {c: sum((Decimal(str(r[c])) for r in rows), Decimal(0)) for c in numeric}
        t.add_row(
            *(
                str(sums[c]) if c in sums else ("total" if i == 0 else "")
                for i, c in enumerate(columns)
            ),
            style="bold",
        )
    return t


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        Decimal(str(value))
    except (ArithmeticError, ValueError):
        return False
    return isinstance(value, str) and "." in value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _where(county: str | None) -> str:
    return f"county {county}" if county else "province"


def coverage_table(rows: list[dict[str, Any]], term: str, county: str | None) -> Table:
    columns = [
        "stage",
        "registered",
        "eligible",
        "aided",
        "missing",
        "amount_granted",
        "amount_paid",
    ]
    return table(f"Aid coverage, {term}, {_where(county)}", rows, columns, total=True)


def programmes_table(rows: list[dict[str, Any]], term: str, county: str | None) -> Table:
    columns = [
        "stage",
        "programme",
        "eligible",
        "granted",
        "amount_granted",
        "amount_paid",
        "revoked",
        "amount_revoked",
        "amount_outstanding",
    ]
    return table(f"Aid by programme, {term}, {_where(county)}", rows, columns, total=True)


def missing_table(rows: list[dict[str, Any]], term: str) -> Table:
    columns = ["registry_id", "name", "county", "school", "stage", "grade", "reason"]
    return table(f"Students missing aid, {term}", rows, columns)


def alerts_table(rows: list[dict[str, Any]]) -> Table:
    columns = [
        "registry_id",
        "name",
        "county",
        "school",
        "stage",
        "grade",
        "reason",
        "left_on",
        "status",
        "resolution",
        "resolved_on",
    ]
    return table("Dropout alerts", rows, columns)


def revision_table(report: dict[str, Any]) -> Table:
    counts = ", ".join(f"{v} {k}" for k, v in report["counts"].items())
    columns = ["change", "registry_id", "name", "county", "fields"]
    return table(f"Roster revision {report['revision']}: {counts}", report["changes"], columns)


def dispatches_table(rows: list[dict[str, Any]]) -> Table:
    columns = [
        "county",
        "school_year",
        "university",
        "students",
        "dispatched_on",
        "report_due_on",
        "status",
        "first_report_on",
        "aid_entries",
        "aid_amount",
    ]
    return table("University rosters and reports", rows, columns)


def funds_table(rows: list[dict[str, Any]]) -> Table:
    columns = [
        "county",
        "request_id",
        "school_year",
        "students",
        "rate_per_student",
        "requested_amount",
        "requested_on",
        "addressed_to",
        "decision",
        "approved_amount",
        "answered_on",
    ]
    return table("Per-student public funds", rows, columns)


def catalogue_table(rows: list[dict[str, Any]], term: str) -> Table:
    flat = [
        {
            "programme": r["programme"],
            "name": r["name"],
            "payment": r["payment"],
            "yearly_amounts": ", ".join(f"{s} {a}" for s, a in r["amounts"].items()),
            "county_amounts": ", ".join(
                f"{c}: " + ", ".join(f"{s} {a}" for s, a in t.items())
                for c, t in r.get("county_amounts", {}).items()
            ),
            "in_force_from": r["effective_from"],
        }
        for r in rows
    ]
    columns = ["programme", "name", "payment", "yearly_amounts", "county_amounts", "in_force_from"]
    return table(f"Aid catalogue in force for {term}", flat, columns)
