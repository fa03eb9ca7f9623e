"""Reports fetched from the projection service's HTTP API and shown as tables or JSON."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table


class ReportUnavailable(Exception):
    pass


def fetch(base_url: str, path: str, **params: str | None) -> Any:
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    url = f"{base_url.rstrip('/')}{path}?{query}"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read() or b"{}")
        raise ReportUnavailable(body.get("message", str(exc))) from None
    except (urllib.error.URLError, OSError) as exc:
        raise ReportUnavailable(
            f"the projection service does not answer at {base_url} ({exc}); is it running?"
        ) from None


def coverage_table(rows: list[dict[str, Any]], term: str, county: str | None) -> Table:
    table = Table(title=f"Aid coverage, {term}, {f'county {county}' if county else 'province'}")
    for column in ("stage", "registered", "aided", "missing", "amount granted (yuan)"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for r in rows:
        style = "bold red" if r["missing"] else None
        table.add_row(
            r["stage"],
            str(r["registered"]),
            str(r["aided"]),
            str(r["missing"]),
            r["amount_granted"],
            style=style,
        )
    totals = [sum(r[k] for r in rows) for k in ("registered", "aided", "missing")]
    amount = sum((Decimal(r["amount_granted"]) for r in rows), Decimal("0.00"))
    table.add_row("total", *map(str, totals), str(amount), style="bold")
    return table


def missing_table(rows: list[dict[str, Any]], term: str) -> Table:
    table = Table(title=f"Students missing aid, {term}")
    for column in ("registry id", "name", "county", "school", "stage", "grade", "reason"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["registry_id"],
            r["name"],
            r["county"],
            r["school"],
            r["stage"],
            str(r["grade"]),
            r["reason"],
        )
    return table


def print_json(console: Console, value: Any) -> None:
    console.print_json(json.dumps(value, ensure_ascii=False))
