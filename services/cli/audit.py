"""`eduplan audit ...`: search and export the audit trail, and list the events behind a figure.

Filters combine; times are ISO dates (the whole day) or date and time, China Standard Time
unless an offset is given. Everything is answered by the projection service's reporting API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from contracts.types import CountyCode, Stage, Term
from services.cli.common import JsonOption, console, err, fail, fetch, progress, show
from services.cli.contract_cli import Param, with_options
from services.cli.output import View
from shared import reporting_client
from shared.moments import CHINA
from shared.settings import get_settings

app = typer.Typer(help="The audit trail: who recorded what, when.", no_args_is_help=True)


FILTERS = (
    Param("actor", str, "Who issued the command."),
    Param("department", str, "Issuing department, e.g. aid_center."),
    Param("county", CountyCode, "County code of the events, e.g. 610831."),
    Param("service", str, "Service that recorded them."),
    Param("stream_id", str, "One stream (aggregate)."),
    Param("stream_type", str, "Kind of stream, e.g. student."),
    Param("event_type", str, "Event type, or several comma-separated."),
    Param("correlation_id", str, "Everything one user action caused."),
    Param("command_id", str, "Events of one command."),
    Param("since", str, "Recorded from: 2017-09-01 or 2017-09-01T08:00."),
    Param("until", str, "Recorded up to (a date: the whole day)."),
    Param("payload", str, 'JSON the payload contains, e.g. {"term":"2017-autumn"}.'),
)
Filters = dict[str, str | None]
Limit = Annotated[int, typer.Option(min=1, max=10_000, help="Events per page.")]
After = Annotated[str | None, typer.Option(help="Cursor: the `next` of the previous page.")]


def _events(title: str, **values: str) -> Callable[[dict[str, Any]], Table]:
    """A page of events, its times in China Standard Time; the cursor of the next page said."""
    view = View(
        title,
        "recorded_at actor department county event_type stream_id version",
        {"recorded_at": lambda e: _local(e["recorded_at"])},
        rows=lambda found: found["events"],
        values=lambda found: (
            values | {"count": f"{found['count']}{'+' if found.get('count_capped') else ''}"}
        ),
    )

    def render(found: dict[str, Any]) -> Table:
        if found["next"]:
            err.print(f"more: add --after {found['next']}", highlight=False)
        return view(found)

    return render


def _local(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


@app.command("search")
@with_options(FILTERS, "filters")
def search(
    filters: Filters, limit: Limit = 100, after: After = None, as_json: JsonOption = False
) -> None:
    """Events of every service, oldest first, a page at a time."""
    found = fetch("/api/audit/events", "GET", **filters, limit=str(limit), after=after)
    show(found, as_json, _events("audit_title"))


@app.command("export")
@with_options(FILTERS, "filters")
def export(
    output: Annotated[Path, typer.Argument(dir_okay=False, help="CSV file to write.")],
    filters: Filters,
    page_size: Annotated[int, typer.Option(min=1, max=100_000, help="Rows a request.")] = 10_000,
    as_json: JsonOption = False,
) -> None:
    """Write every matching event to a CSV file (UTF-8, payload as JSON), page by page."""
    written = export_csv(output, filters, page_size)
    if as_json:
        console.print_json(data={"file": str(output), "rows": written})
    else:
        console.print(f"{written} events written to {output}", highlight=False)


def export_csv(output: Path, filters: Mapping[str, str | None], page_size: int) -> int:
    """Page through /api/audit/export.csv into `output`; returns the rows written."""
    total = fetch("/api/audit/events", "GET", **filters, limit="1")
    bar, advance = progress("exporting", total["count"])
    written = 0
    after: str | None = None
    with bar, output.open("wb") as out:
        while True:
            body, headers = _download(
                "/api/audit/export.csv", **filters, limit=str(page_size), after=after
            )
            out.write(body if after is None else body.split(b"\n", 1)[1])  # one header row
            rows = int(headers.get("eduplan-rows", "0"))
            written += rows
            advance(rows)
            after = headers.get("eduplan-next")
            if not after:
                return written


FIGURE = (
    Param("term", Term, "Term, e.g. 2017-autumn."),
    Param("county", CountyCode, "County code of the events, e.g. 610831."),
    Param("stage", Stage, "Education stage, e.g. primary."),
    Param("school_year", int, "School year, e.g. 2017."),
    Param("year", int, "Calendar year, e.g. 2017."),
)


@app.command("behind")
@with_options(FIGURE, "params")
def behind(
    figure: Annotated[str, typer.Argument(help="Figure, e.g. aid-coverage (see `figures`).")],
    params: Filters,
    param: Annotated[
        list[str] | None, typer.Option(help="Another parameter of the figure: NAME=VALUE.")
    ] = None,
    limit: Limit = 100,
    after: After = None,
    csv_file: Annotated[
        Path | None, typer.Option("--export", dir_okay=False, help="Write them all to a CSV file.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The events behind a figure of the dashboard, e.g. the grants an `aided` count counts."""
    for item in param or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter("NAME=VALUE", param_hint="--param")
        params[name] = value
    found = fetch(
        "/api/audit/behind", "GET", figure=figure, **params, limit=str(limit), after=after
    )
    if csv_file is not None:
        search = {k: v for k, v in found["search"].items() if k not in ("limit", "after")}
        written = export_csv(csv_file, search, 10_000)
        err.print(f"{written} events written to {csv_file}", highlight=False)
    show(found, as_json, _events("behind_title", figure=figure))


@app.command("figures")
def figures(as_json: JsonOption = False) -> None:
    """The dashboard figures whose events can be listed, and their parameters."""
    show(fetch("/api/audit/figures"), as_json, FIGURES)


FIGURES = View("figures_title", "figure report params required event_types about")


def _download(path: str, **params: str | None) -> tuple[bytes, Mapping[str, str]]:
    """A non-JSON answer of the reporting API, with its headers; failure means exit status 2."""
    server = reporting_client.ReportingServer.from_settings(get_settings())
    try:
        with server.open(path, "GET", params, timeout=300) as r:
            return r.read(), {k.lower(): v for k, v in r.headers.items()}
    except reporting_client.ReportUnavailable as exc:
        fail(exc)
