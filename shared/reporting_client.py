"""A client of the reporting API (the projection service's HTTP side): answers as JSON with
how fresh they are, refusals and outages as one readable ReportUnavailable, and a wait until
the reports include what the services recorded."""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.client import HTTPResponse
from pathlib import Path
from typing import Any

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
        headers = {"Accept-Language": i18n.language()}  # the server says its sentences in it
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
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
                i18n.text("cli.reports_unreachable", None, url=self.url, reason=reason)
            ) from None
        return response

    def _refusal(self, exc: urllib.error.HTTPError) -> str:
        try:
            message = str(json.loads(exc.read() or b"{}").get("message") or exc.reason)
        except ValueError:
            message = str(exc.reason)
        if exc.code == 401:
            how = i18n.text("cli.token_refused" if self.token else "cli.token_missing")
            return i18n.text("cli.reports_not_logged_in", None, how=how)
        if exc.code == 403:
            return i18n.text("cli.reports_forbidden", None, message=message)
        return i18n.text(
            "cli.reports_refused", None, message=message, status=exc.code, url=self.url
        )


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
                i18n.text("cli.reports_not_json", None, url=server.url)
            ) from None


def freshness_note(header: str) -> str:
    """One line saying up to which event of each stream a report is built, and how far the
    read models are behind what the services recorded."""
    try:
        sources: dict[str, Any] = json.loads(header)
    except ValueError:
        return ""
    if "unknown" in sources:
        return i18n.text("cli.freshness_unknown", reason=sources["unknown"])
    parts = []
    for source, fresh in sorted(sources.items()):
        behind = fresh.get("behind")
        state = (
            i18n.text("cli.fresh_up_to_date")
            if behind == 0
            else i18n.text("cli.fresh_behind_unknown")
            if behind is None
            else i18n.text("cli.fresh_behind", events=f"{behind:,}")
        )
        through = f"{fresh['applied_through']:,}"
        parts.append(i18n.text("cli.fresh_source", source=source, through=through, state=state))
    return i18n.text(
        "cli.fresh_built_from", sources=i18n.CLAUSE_SEPARATORS[i18n.language()].join(parts)
    )


def wait_for_reports(
    server: ReportingServer,
    sources: Sequence[str],
    timeout: float,
    say: Callable[[str, str], None],
) -> None:
    """Wait until every read model includes what the services of `sources` recorded so far,
    so that the next report shows it: first until their outboxes are empty (everything is on
    the bus, up to the stream's last message then), then until the read models reach it.
    Never an error: the commands are done; past `timeout` it says the reports still lag."""
    if timeout <= 0 or not sources:
        return
    deadline = time.monotonic() + timeout
    targets: dict[str, int] = {}
    behind, said = "?", False
    while time.monotonic() < deadline:
        try:
            fresh, _ = fetch_report(
                server,
                "/api/freshness",
                params={"sources": ",".join(sources)},
                timeout=max(deadline - time.monotonic(), 0.5),
            )
        except ReportUnavailable as exc:
            say(i18n.text("cli.reports_not_checked", reason=exc), "yellow")
            return
        for source, state in fresh["sources"].items():
            if source not in targets and state["outbox_pending"] == 0:
                targets[source] = state["stream_last"]
        left = {
            s: max(targets[s] - state["applied_through"], 0) if s in targets else None
            for s, state in fresh["sources"].items()
        }
        if left and all(v == 0 for v in left.values()):
            if said:
                say(i18n.text("cli.reports_include_them"), "dim")
            return
        behind = ", ".join(f"{s}: {v if v is not None else 'outbox'}" for s, v in left.items())
        if not said:
            say(i18n.text("cli.reports_waiting"), "dim")
            said = True
        time.sleep(0.25)
    say(i18n.text("cli.reports_still_behind", seconds=f"{timeout:.0f}", behind=behind), "yellow")
