"""`eduplan` commands of the student-aid work stream (assistance service)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contracts.types import CountyCode, Term
from services.assistance.roster import RosterFileError, read_roster
from services.cli import aid, reports
from services.cli.common import (
    ActorOption,
    CountyOption,
    Issuer,
    JsonOption,
    OptionalCountyOption,
    Outcome,
    check,
    console,
    department_option,
    err,
    fetch,
    progress,
    report_outcome,
    run,
    show,
)
from shared.commandbus import CommandClient

SERVICE = "assistance"
roster_app = typer.Typer(
    help="The poverty roster: register, revise, move students on.", no_args_is_help=True
)
aid_app = typer.Typer(help="Aid per term: grant, pay, revoke.", no_args_is_help=True)
TermOption = Annotated[str, typer.Option(help="Term, e.g. 2017-autumn.")]


@roster_app.command("import")
def import_roster(
    roster: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Roster CSV file.")],
    actor: ActorOption = "",
    department: str = department_option("aid_center"),
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
    bar, advance = progress("registering", len(lines))
    issuer = Issuer.of(actor, department)
    with bar:
        outcome = run(SERVICE, lambda c: aid.import_roster(c, lines, issuer, advance, batch_size))
    report_outcome(
        outcome,
        as_json,
        "{registered} registered, {unchanged} already registered, {rejected} rejected",
    )


@aid_app.command("grant")
def grant(
    term: TermOption,
    county: CountyOption,
    actor: ActorOption = "",
    department: str = department_option("aid_center"),
    as_json: JsonOption = False,
) -> None:
    """Grant every registered student of the county their stage's aid for the term, once."""
    check(term, Term, "--term")
    check(county, CountyCode, "--county")
    issuer = Issuer.of(actor, department)

    async def work(client: CommandClient) -> Outcome:
        students = await aid.registered_students(client, county)
        bar, advance = progress(f"granting {term}", len(students))
        with bar:
            return await aid.grant_aid(client, students, term, issuer, advance)

    report_outcome(
        run(SERVICE, work),
        as_json,
        "{students_granted} students granted ({grants} grants), "
        "{students_unchanged} already had their aid, {rejected} rejected",
    )


def aid_coverage(
    term: TermOption, county: OptionalCountyOption = None, as_json: JsonOption = False
) -> None:
    """Registered, aided and missing students by stage, with amounts granted."""
    check(term, Term, "--term")
    check(county, CountyCode, "--county")
    rows = fetch("/api/aid-coverage", term=term, county=county)
    show(rows, as_json, lambda r: reports.coverage_table(r, term, county))


def missing_aid(
    term: TermOption,
    county: OptionalCountyOption = None,
    limit: Annotated[int, typer.Option(min=1)] = 1000,
    as_json: JsonOption = False,
) -> None:
    """Registered students with no aid granted for the term, and why."""
    check(term, Term, "--term")
    check(county, CountyCode, "--county")
    rows = fetch("/api/students-missing-aid", term=term, county=county, limit=str(limit))
    show(rows, as_json, lambda r: reports.missing_table(r, term))


def register(app: typer.Typer, report_app: typer.Typer) -> None:
    """Attach the assistance commands to the `eduplan` application."""
    app.add_typer(roster_app, name="roster")
    app.add_typer(aid_app, name="aid")
    report_app.command("aid-coverage")(aid_coverage)
    report_app.command("missing-aid")(missing_aid)
    # The first release's verbs, kept for scripts that use them.
    app.command("import-roster", help="Same as `eduplan roster import`.")(import_roster)
    app.command("grant-aid", help="Same as `eduplan aid grant`.")(grant)


def write_sample_roster(output: Path, county: str) -> None:
    from services.assistance.sample_roster import sample_rows, to_csv  # noqa: PLC0415

    check(county, CountyCode, "--county")
    rows = sample_rows(county)
    output.write_text(to_csv(rows), encoding="utf-8")
    console.print(f"wrote {len(rows)} students to {output}")
