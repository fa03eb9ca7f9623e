"""Reports of the reporting API shown as tables, in the person's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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


def titled(
    key: str, columns: str, total: bool = False
) -> Callable[[list[dict[str, Any]], Mapping[str, Any]], Table]:
    """A report's table: its title the catalogue's sentence `cli.<key>`, filled with what was
    asked (the term, where); `columns` named in one string."""

    def render(rows: list[dict[str, Any]], asked: Mapping[str, Any]) -> Table:
        values = {k: asked[k] for k in ("term",) if k in asked}
        where = _where(asked.get("county"))
        return table(_title(key, **values, where=where), rows, columns.split(), total)

    return render


coverage_table = titled(
    "aid_coverage_title",
    "stage registered eligible aided missing amount_granted amount_paid",
    total=True,
)
programmes_table = titled(
    "programmes_title",
    "stage programme eligible granted amount_granted amount_paid revoked amount_revoked "
    "amount_outstanding",
    total=True,
)
missing_table = titled("missing_title", "registry_id name county school stage grade reason")
alerts_table = titled(
    "dropout_title",
    "registry_id name county school stage grade reason left_on status resolution resolved_on",
)
dispatches_table = titled(
    "dispatches_title",
    "county school_year university students dispatched_on report_due_on status "
    "first_report_on aid_entries aid_amount",
)
funds_table = titled(
    "funds_title",
    "county request_id school_year students rate_per_student requested_amount requested_on "
    "addressed_to decision approved_amount answered_on",
)


def revision_table(report: dict[str, Any]) -> Table:
    counts = ", ".join(f"{v} {k}" for k, v in report["counts"].items())
    columns = ["change", "registry_id", "name", "county", "fields"]
    return table(
        _title("revision_title", revision=report["revision"], counts=counts),
        report["changes"],
        columns,
    )


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
