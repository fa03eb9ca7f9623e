"""Reports fetched from the projection service's HTTP API and shown as tables."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.client import HTTPResponse
from pathlib import Path
from typing import Any

from rich.table import Table

from services.cli import output
from shared import i18n
from shared.settings import Settings


class ReportUnavailable(Exception):
    """The reporting API cannot answer: unreachable, refused, or the request was wrong."""


@dataclass(frozen=True)
class ReportingServer:
    """Where the reporting API is and how the CLI proves who it is: a bearer token (from
    `eduplan users token NAME`) and, for HTTPS with a private CA, the CA's certificates."""

    url: str
    token: str | None = None
    ca_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ReportingServer:
        token = settings.reporting_token.get_secret_value() if settings.reporting_token else None
        return cls(settings.reporting_url, token or None, settings.reporting_ca_file)

    def open(
        self,
        path: str,
        method: str = "GET",
        params: Mapping[str, str | None] | None = None,
        timeout: float = 120,
    ) -> HTTPResponse:
        """The response to a request (the caller closes it); failures as ReportUnavailable."""
        query = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v is not None})
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        request = urllib.request.Request(
            f"{self.url.rstrip('/')}{path}?{query}",
            method=method,
            data=b"" if method == "POST" else None,
            headers=headers,
        )
        try:
            context = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None
            response: HTTPResponse = urllib.request.urlopen(
                request, timeout=timeout, context=context
            )
        except urllib.error.HTTPError as exc:
            raise ReportUnavailable(self._refusal(exc)) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ReportUnavailable(
                f"the projection service does not answer at {self.url} ({reason}); is it running?"
            ) from None
        return response

    def _refusal(self, exc: urllib.error.HTTPError) -> str:
        try:
            message = str(json.loads(exc.read() or b"{}").get("message") or exc.reason)
        except ValueError:
            message = str(exc.reason)
        if exc.code == 401:
            how = (
                "EDUPLAN_REPORTING_TOKEN was refused"
                if self.token
                else "set EDUPLAN_REPORTING_TOKEN"
            )
            return (
                f"not logged in to the reporting API (401): {how}; "
                "an operator issues a token with `eduplan users token NAME`"
            )
        if exc.code == 403:
            return f"the reporting API refused this to your token (403): {message}"
        return f"{message} ({exc.code} from {self.url})"


def fetch(server: ReportingServer, path: str, method: str = "GET", **params: str | None) -> Any:
    """A JSON answer of the reporting API."""
    return fetch_report(server, path, method, params)[0]


def fetch_report(
    server: ReportingServer,
    path: str,
    method: str = "GET",
    params: Mapping[str, str | None] | None = None,
    timeout: float = 120,
) -> tuple[Any, str | None]:
    """A JSON answer of the reporting API and how fresh it is (its Eduplan-Freshness)."""
    with server.open(path, method, params, timeout) as response:
        try:
            return json.load(response), response.headers.get("Eduplan-Freshness")
        except ValueError:
            raise ReportUnavailable(
                f"{server.url} did not answer JSON: is EDUPLAN_REPORTING_URL the reporting API?"
            ) from None


def freshness_note(header: str) -> str:
    """One line saying up to which event of each stream a report is built, and how far the
    read models are behind what the services recorded."""
    try:
        sources: dict[str, Any] = json.loads(header)
    except ValueError:
        return ""
    if "unknown" in sources:
        return f"freshness unknown: {sources['unknown']}"
    parts = []
    for source, fresh in sorted(sources.items()):
        behind = fresh.get("behind")
        state = (
            "up to date"
            if behind == 0
            else "behind: unknown"
            if behind is None
            else f"{behind:,} events not yet included"
        )
        parts.append(f"{source} through #{fresh['applied_through']:,} ({state})")
    return "built from " + "; ".join(parts)


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
