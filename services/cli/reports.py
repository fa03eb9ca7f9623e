"""Reports of the reporting API shown as tables, in the person's language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table

from services.cli import output
from shared import i18n


def table(
    title: str, rows: Sequence[dict[str, Any]], columns: Sequence[str], total: bool = False
) -> Table:
    """Rows as a table in the person's language (services.cli.output)."""
    return output.table(title, rows, columns, total)


def _where(county: str | None) -> str:
    lang = output.lang()
    return i18n.label("county", county, lang) if county else i18n.text("cli.province", lang)


def _title(key: str, **values: Any) -> str:
    lang = output.lang()
    if "term" in values:
        values["term"] = i18n.term(str(values["term"]), lang)
    return i18n.text(f"cli.{key}", lang, **values)


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
    return table(
        _title("aid_coverage_title", term=term, where=_where(county)), rows, columns, total=True
    )


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
    return table(
        _title("programmes_title", term=term, where=_where(county)), rows, columns, total=True
    )


def missing_table(rows: list[dict[str, Any]], term: str) -> Table:
    columns = ["registry_id", "name", "county", "school", "stage", "grade", "reason"]
    return table(_title("missing_title", term=term), rows, columns)


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
    return table(_title("dropout_title"), rows, columns)


def revision_table(report: dict[str, Any]) -> Table:
    counts = ", ".join(f"{v} {k}" for k, v in report["counts"].items())
    columns = ["change", "registry_id", "name", "county", "fields"]
    return table(
        _title("revision_title", revision=report["revision"], counts=counts),
        report["changes"],
        columns,
    )


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
    return table(_title("dispatches_title"), rows, columns)


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
    return table(_title("funds_title"), rows, columns)


def catalogue_table(rows: list[dict[str, Any]], term: str) -> Table:
    flat = [
        {
            "programme": r["programme"],
            "name": i18n.label("programme", r["programme"], output.lang()),
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
    return table(_title("catalogue_title", term=term), flat, columns)
