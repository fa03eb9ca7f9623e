"""`eduplan`: the command line of the platform for departments and operators."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from contracts.types import CountyCode, Term
from services.assistance.roster import RosterFileError, read_roster
from services.cli import aid, reports
from services.cli.aid import Issuer, Outcome
from shared.commandbus import CommandClient, ServiceUnavailable
from shared.jetstream import connect_nats
from shared.service import DEFAULT_NATS
from shared.settings import get_settings

app = typer.Typer(
    help="Education targeted poverty alleviation: commands and reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
report_app = typer.Typer(help="Reports from the projection service.", no_args_is_help=True)
app.add_typer(report_app, name="report")
console = Console()
err = Console(stderr=True)
T = TypeVar("T")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ActorOption = Annotated[
    str, typer.Option(help="Who issues the commands (audit trail); default: your login name.")
]
DeptOption = Annotated[str, typer.Option(help="Issuing department, e.g. aid_center.")]


def _check(value: str | None, kind: Any, name: str) -> None:
    from pydantic import TypeAdapter, ValidationError  # noqa: PLC0415 - only on this path

    if value is None:
        return
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"], param_hint=name) from None


def _run(work: Callable[[CommandClient], Awaitable[T]]) -> T:
    settings = get_settings()

    async def main() -> T:
        try:
            nc = await connect_nats(settings.nats_url or DEFAULT_NATS, "eduplan-cli")
        except Exception as exc:
            raise ServiceUnavailable(
                f"cannot reach NATS at {settings.nats_url or DEFAULT_NATS}: {exc}"
            ) from None
        try:
            return await work(
                CommandClient(nc, "assistance", settings.namespace, settings.command_timeout)
            )
        finally:
            await nc.close()

    try:
        return asyncio.run(main())
    except ServiceUnavailable as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def _progress(description: str, total: int) -> tuple[Progress, Callable[[int], None]]:
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
    )
    task = bar.add_task(description, total=total)
    return bar, lambda n: bar.advance(task, n)


def _report_outcome(outcome: Outcome, as_json: bool, headline: str) -> None:
    if as_json:
        console.print_json(json.dumps(outcome.as_dict(), ensure_ascii=False))
    else:
        for where, code, message in outcome.rejected:
            err.print(f"[yellow]{where}[/yellow]: {message} [dim]({code})[/dim]", highlight=False)
        console.print(headline.format_map(defaultdict(int, outcome.counts)), highlight=False)
    if outcome.rejected:
        raise typer.Exit(1)


@app.command("import-roster")
def import_roster(
    roster: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Roster CSV file.")],
    actor: ActorOption = "",
    department: DeptOption = "aid_center",
    as_json: JsonOption = False,
    batch_size: Annotated[int, typer.Option(min=1, max=1000)] = 250,
) -> None:
    """Register the students of a roster file; rerunning it registers nobody twice.

    Bad lines are reported with their line number and reason; the good lines go ahead.
    Exit status 1 when any line was rejected.
    """
    try:
        lines = read_roster(roster)
    except RosterFileError as exc:
        err.print(f"[red]error:[/red] {roster}: {exc}; nothing was registered")
        raise typer.Exit(2) from None
    bar, advance = _progress("registering", len(lines))
    issuer = Issuer(actor or getpass.getuser(), department)
    with bar:
        outcome = _run(lambda c: aid.import_roster(c, lines, issuer, advance, batch_size))
    _report_outcome(
        outcome,
        as_json,
        "{registered} registered, {unchanged} already registered, {rejected} rejected",
    )


@app.command("grant-aid")
def grant_aid(
    term: Annotated[str, typer.Option(help="Term, e.g. 2017-autumn.")],
    county: Annotated[str, typer.Option(help="County code, e.g. 610831.")],
    actor: ActorOption = "",
    department: DeptOption = "aid_center",
    as_json: JsonOption = False,
) -> None:
    """Grant every registered student of the county their stage's aid for the term, once."""
    _check(term, Term, "--term")
    _check(county, CountyCode, "--county")
    issuer = Issuer(actor or getpass.getuser(), department)

    async def work(client: CommandClient) -> Outcome:
        students = await aid.registered_students(client, county)
        bar, advance = _progress(f"granting {term}", len(students))
        with bar:
            return await aid.grant_aid(client, students, term, issuer, advance)

    outcome = _run(work)
    _report_outcome(
        outcome,
        as_json,
        "{students_granted} students granted ({grants} grants), "
        "{students_unchanged} already had their aid, {rejected} rejected",
    )


@report_app.command("aid-coverage")
def aid_coverage(
    term: Annotated[str, typer.Option(help="Term, e.g. 2017-autumn.")],
    county: Annotated[str | None, typer.Option(help="County code; omit for the province.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Registered, aided and missing students by stage, with amounts granted."""
    _check(term, Term, "--term")
    _check(county, CountyCode, "--county")
    rows = _fetch("/api/aid-coverage", term=term, county=county)
    if as_json:
        reports.print_json(console, rows)
    else:
        console.print(reports.coverage_table(rows, term, county))


@report_app.command("missing-aid")
def missing_aid(
    term: Annotated[str, typer.Option(help="Term, e.g. 2017-autumn.")],
    county: Annotated[str | None, typer.Option(help="County code; omit for the province.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 1000,
    as_json: JsonOption = False,
) -> None:
    """Registered students with no aid granted for the term."""
    _check(term, Term, "--term")
    _check(county, CountyCode, "--county")
    rows = _fetch("/api/students-missing-aid", term=term, county=county, limit=str(limit))
    if as_json:
        reports.print_json(console, rows)
    else:
        console.print(reports.missing_table(rows, term))


def _fetch(path: str, **params: str | None) -> Any:
    try:
        return reports.fetch(get_settings().reporting_url, path, **params)
    except reports.ReportUnavailable as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


@app.command("sample-roster")
def sample_roster(
    output: Annotated[Path, typer.Argument(dir_okay=False, help="CSV file to write.")],
    county: Annotated[str, typer.Option(help="County code of the students.")] = "610831",
) -> None:
    """Write a synthetic roster with the pilot county's figures (6,718 students)."""
    from services.assistance.sample_roster import sample_rows, to_csv  # noqa: PLC0415

    _check(county, CountyCode, "--county")
    rows = sample_rows(county)
    output.write_text(to_csv(rows), encoding="utf-8")
    console.print(f"wrote {len(rows)} students to {output}")


@app.command()
def up() -> None:
    """Start NATS, PostgreSQL (embedded if none runs) and the services; Ctrl-C stops all."""
    from services.cli.up import run_up  # noqa: PLC0415 - heavy imports only for this command

    sys.exit(run_up(get_settings(), console))


if __name__ == "__main__":
    app()
