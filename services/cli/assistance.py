"""`eduplan` commands of the student-aid work stream (assistance service).

Students are named by their registry number on the command line; the service resolves it to
the pseudonymous id its streams use.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from pydantic import BaseModel

from contracts.assistance import commands as c
from contracts.assistance.types import (
    AlertResolution,
    FundsDecision,
    LeaveReason,
    PaymentChannel,
    RevisionId,
    SchoolYear,
)
from contracts.files.aid_catalogue import CatalogueError, read_catalogue_file
from contracts.files.csv_lines import CsvFileError
from contracts.files.exchange_files import parse_payments, parse_university_report
from contracts.files.roster import parse_roster
from contracts.types import Amount, CountyCode, RegistryId, Stage, Term
from services.cli import aid, reports
from services.cli.common import (
    CountyOption,
    Issuer,
    JsonOption,
    NoWaitOption,
    OptionalCountyOption,
    Outcome,
    build_command,
    check,
    console,
    department_option,
    err,
    fetch,
    progress,
    report_outcome,
    run,
    send_command,
    show,
)
from shared.commandbus import CommandClient

SERVICE = "assistance"
roster_app = typer.Typer(
    help="The poverty roster: import, revise, promote, move students on.", no_args_is_help=True
)
aid_app = typer.Typer(help="Aid per term: grant, pay, revoke.", no_args_is_help=True)
catalogue_app = typer.Typer(
    help="The aid catalogue (data, in force per term).", no_args_is_help=True
)
university_app = typer.Typer(
    help="Rosters sent to universities, and their reports.", no_args_is_help=True
)
funds_app = typer.Typer(help="Per-student public funds asked of the city.", no_args_is_help=True)

TermOption = Annotated[str, typer.Option(help="Term, e.g. 2017-autumn.")]
StudentOption = Annotated[str, typer.Option("--student", help="Student registry number.")]
SchoolYearOption = Annotated[
    int, typer.Option(help="School year by its first year: 2017 = 2017-18.")
]
DateOption = Annotated[str, typer.Option(help="Date, YYYY-MM-DD.")]
FileArgument = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV file.")]
AID_CENTER = department_option("aid_center")
FINANCE = department_option("finance")


def _read(path: Path, parse: Any) -> list[Any]:
    try:
        return list(parse(path.read_bytes()))
    except CsvFileError as exc:
        err.print(f"[red]error:[/red] {path}: {exc}; nothing was sent")
        raise typer.Exit(2) from None


def _one(issuer: Issuer, payload: BaseModel, as_json: bool, done: str) -> None:
    send_command(SERVICE, payload, issuer.department, as_json, done)


def _student(registry_id: str) -> UUID:
    """The student id of a registered registry number; unknown is a usage error."""
    check(registry_id, RegistryId, "--student")
    found = run(SERVICE, lambda client: aid.resolve(client, [registry_id.upper()]))
    if registry_id.upper() not in found:
        err.print(f"[red]error:[/red] no registered student {registry_id}")
        raise typer.Exit(2)
    return found[registry_id.upper()]


# Roster ------------------------------------------------------------------------------


@roster_app.command("import")
def import_roster(
    roster: FileArgument,
    department: str = AID_CENTER,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
    batch_size: Annotated[int, typer.Option(min=1, max=1000)] = 250,
    school_year: Annotated[
        int | None, typer.Option(help="School year the grades are for; default: the current.")
    ] = None,
) -> None:
    """Register the students of a roster file; rerunning it registers nobody twice.

    Bad lines are reported with their line number and reason; the good lines go ahead.
    Exit status 1 when any line was rejected.
    """
    lines = _read(roster, parse_roster)
    bar, advance = progress("registering", len(lines))
    issuer = Issuer.of(department)
    with bar:
        outcome = run(
            SERVICE,
            lambda cl: aid.import_roster(cl, lines, issuer, advance, batch_size, school_year),
            wait=not no_wait,
        )
    report_outcome(
        outcome,
        as_json,
        "{registered} registered, {unchanged} already registered, {rejected} rejected",
    )


@roster_app.command("revise")
def revise(
    roster: FileArgument,
    revision: Annotated[str, typer.Option(help="Name of the revision, e.g. 2018.")],
    county: CountyOption,
    school_year: Annotated[
        int | None, typer.Option(help="School year the grades are for; default: the current.")
    ] = None,
    department: str = AID_CENTER,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
) -> None:
    """Apply the yearly revised roster of a county: new students are registered, changed ones
    updated, and the county's students no longer listed are taken off the roster.

    Rerunning the same revision changes nothing. Exit status 1 when any line was rejected.
    """
    check(revision, RevisionId, "--revision")
    check(county, CountyCode, "--county")
    lines = _read(roster, parse_roster)
    issuer = Issuer.of(department)
    bar, advance = progress(f"revising {county}", len(lines))
    with bar:
        outcome = run(
            SERVICE,
            lambda cl: aid.revise_roster(cl, lines, county, revision, issuer, advance, school_year),
            wait=not no_wait,
        )
    if outcome.counts.get("removal_skipped"):
        err.print("[yellow]some lines have no readable registry number: nobody was taken off")
    report_outcome(
        outcome,
        as_json,
        "{registered} registered, {revised} revised, {restored} back on the roster, "
        "{unchanged} unchanged, {removed} taken off the roster, {rejected} rejected",
    )


@roster_app.command("promote")
def promote(
    county: CountyOption,
    school_year: SchoolYearOption,
    department: str = AID_CENTER,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
) -> None:
    """Yearly promotion: every student of the county moves up a grade for the school year.

    Students in the last grade of a stage are listed to be graduated instead; a rerun promotes
    nobody twice.
    """
    check(county, CountyCode, "--county")
    check(school_year, SchoolYear, "--school-year")
    issuer = Issuer.of(department)

    async def work(client: CommandClient) -> Outcome:
        ids = await aid.registered_students(client, county)
        bar, advance = progress(f"promoting {county}", len(ids))
        with bar:
            return await aid.promote(client, county, school_year, issuer, advance)

    report_outcome(
        run(SERVICE, work, wait=not no_wait),
        as_json,
        "{promoted} promoted, {already_promoted} already promoted, {final_grade} in a final "
        "grade (graduate them), {not_active} off the roster or out of school, {rejected} rejected",
    )


@roster_app.command("graduate")
def graduate(
    student: StudentOption,
    to_stage: Annotated[Stage, typer.Option(help="Stage entered.")],
    school: Annotated[str, typer.Option(help="New school.")],
    school_year: SchoolYearOption,
    boarding: Annotated[bool, typer.Option(help="Boards at the new school.")] = False,
    department: str = AID_CENTER,
    as_json: JsonOption = False,
) -> None:
    """Move a student from the last grade of a stage into grade 1 of the next stage."""
    payload = c.GraduateStudent(
        student_id=_student(student),
        to_stage=to_stage,
        school=school,
        boarding=boarding,
        school_year=school_year,
    )
    _one(Issuer.of(department), payload, as_json, f"{student} graduated to {to_stage.value}")


@roster_app.command("transfer")
def transfer(
    student: StudentOption,
    to_school: Annotated[str, typer.Option(help="New school.")],
    on: DateOption,
    to_county: Annotated[str | None, typer.Option(help="New county, if it changes.")] = None,
    boarding: Annotated[bool, typer.Option(help="Boards at the new school.")] = False,
    department: str = AID_CENTER,
    as_json: JsonOption = False,
) -> None:
    """Record a change of school (possibly of county)."""
    payload = c.TransferStudent(
        student_id=_student(student),
        to_school=to_school,
        to_county=check(to_county, CountyCode, "--to-county"),
        boarding=boarding,
        transferred_on=check(on, date, "--on"),
    )
    _one(Issuer.of(department), payload, as_json, f"{student} transferred to {to_school}")


@roster_app.command("leave")
def leave(
    student: StudentOption,
    reason: Annotated[LeaveReason, typer.Option(help="Why the student left.")],
    on: DateOption,
    note: Annotated[str, typer.Option(help="What the school knows.")] = "",
    department: str = AID_CENTER,
    as_json: JsonOption = False,
) -> None:
    """Record that a student left school without a transfer (primary/junior: dropout alert)."""
    payload = c.RecordLeaving(
        student_id=_student(student), reason=reason, left_on=check(on, date, "--on"), note=note
    )
    _one(Issuer.of(department), payload, as_json, f"{student} left school ({reason.value})")


@roster_app.command("return")
def return_to_school(
    student: StudentOption,
    county: CountyOption,
    school: Annotated[str, typer.Option(help="School returned to.")],
    stage: Annotated[Stage, typer.Option(help="Stage on return.")],
    grade: Annotated[int, typer.Option(help="Grade on return.")],
    on: DateOption,
    boarding: Annotated[bool, typer.Option(help="Boards at school.")] = False,
    department: str = AID_CENTER,
    as_json: JsonOption = False,
) -> None:
    """Record a student back in school; an open dropout alert is resolved."""
    payload = build_command(
        c.ReturnToSchool,
        None,
        student_id=_student(student),
        county=county,
        school=school,
        stage=stage,
        grade=grade,
        boarding=boarding,
        returned_on=on,
    )
    _one(Issuer.of(department), payload, as_json, f"{student} is back at {school}")


@roster_app.command("resolve-alert")
def resolve_alert(
    student: StudentOption,
    resolution: Annotated[AlertResolution, typer.Option(help="How the alert was resolved.")],
    on: DateOption,
    note: Annotated[str, typer.Option(help="Details for the record.")] = "",
    department: str = AID_CENTER,
    as_json: JsonOption = False,
) -> None:
    """Close a student's open dropout alert."""
    payload = c.ResolveDropoutAlert(
        student_id=_student(student),
        resolution=resolution,
        resolved_on=check(on, date, "--on"),
        note=note,
    )
    _one(Issuer.of(department), payload, as_json, f"dropout alert of {student} resolved")


# Aid ---------------------------------------------------------------------------------


@aid_app.command("grant")
def grant(
    term: TermOption,
    county: CountyOption,
    department: str = AID_CENTER,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
) -> None:
    """Grant every eligible student of the county their stage's aid for the term, once."""
    check(term, Term, "--term")
    check(county, CountyCode, "--county")
    issuer = Issuer.of(department)

    async def work(client: CommandClient) -> Outcome:
        students = await aid.registered_students(client, county)
        bar, advance = progress(f"granting {term}", len(students))
        with bar:
            return await aid.grant_aid(client, students, term, issuer, advance)

    report_outcome(
        run(SERVICE, work, wait=not no_wait),
        as_json,
        "{students_granted} students granted ({grants} grants), "
        "{students_unchanged} already had their aid, {not_eligible} not eligible "
        "(off the roster or out of school), {rejected} rejected",
    )


@aid_app.command("pay")
def pay(
    term: TermOption,
    county: CountyOption,
    paid_on: DateOption,
    reference: Annotated[str, typer.Option(help="Disbursement reference (bank batch number).")],
    channel: Annotated[PaymentChannel, typer.Option(help="How the money reaches families.")] = (
        PaymentChannel.ONE_CARD_ACCOUNT
    ),
    department: str = FINANCE,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
) -> None:
    """Pay, in full, every outstanding grant of the county for the term (one disbursement).

    Rerunning with the same reference pays nothing more.
    """
    check(term, Term, "--term")
    check(county, CountyCode, "--county")
    day = check(paid_on, date, "--paid-on")
    issuer = Issuer.of(department)

    async def work(client: CommandClient) -> Outcome:
        ids = await aid.registered_students(client, county)
        bar, advance = progress(f"paying {term}", len(ids))
        with bar:
            return await aid.pay_term(
                client, county, term, day, channel, reference, issuer, advance
            )

    report_outcome(
        run(SERVICE, work, wait=not no_wait),
        as_json,
        "{payments} payments to {students_paid} students, {nothing_outstanding} with nothing "
        "outstanding, {rejected} rejected",
    )


@aid_app.command("pay-file")
def pay_file(
    payments: FileArgument,
    department: str = FINANCE,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
) -> None:
    """Record a bank's list of payments (student_registry_id, term, programme, amount,
    paid_on, channel, reference); a payment above what is outstanding is refused."""
    lines = _read(payments, parse_payments)
    issuer = Issuer.of(department)
    bar, advance = progress("recording payments", len(lines))
    with bar:
        outcome = run(
            SERVICE, lambda cl: aid.pay_file(cl, lines, issuer, advance), wait=not no_wait
        )
    report_outcome(outcome, as_json, "{paid} payments recorded, {rejected} rejected")


@aid_app.command("revoke")
def revoke(
    student: StudentOption,
    term: TermOption,
    programme: Annotated[str, typer.Option(help="Programme id, e.g. preschool_grant.")],
    reason: Annotated[str, typer.Option(help="Why the grant is withdrawn.")],
    on: DateOption,
    department: str = AID_CENTER,
    as_json: JsonOption = False,
) -> None:
    """Withdraw an unpaid grant, with the reason."""
    payload = build_command(
        c.RevokeAidGrant,
        None,
        student_id=_student(student),
        term=term,
        programme=programme,
        reason=reason,
        revoked_on=on,
    )
    _one(Issuer.of(department), payload, as_json, f"{programme} for {term} revoked")


# Catalogue ---------------------------------------------------------------------------


@catalogue_app.command("show")
def catalogue_show(term: TermOption, as_json: JsonOption = False) -> None:
    """The programmes in force for a term, with their yearly amounts by stage."""
    check(term, Term, "--term")
    show(
        fetch("/api/aid-catalogue", term=term), as_json, lambda r: reports.catalogue_table(r, term)
    )


@catalogue_app.command("load")
def catalogue_load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Catalogue TOML.")],
    effective_from: Annotated[str, typer.Option(help="First term it applies to.")],
    department: str = FINANCE,
    as_json: JsonOption = False,
) -> None:
    """Record a catalogue file as in force from a term: changed and new programmes are set,
    programmes left out are withdrawn. Grants already made keep their amounts."""
    check(effective_from, Term, "--effective-from")
    try:
        programmes = read_catalogue_file(file)
    except CatalogueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    payload = c.LoadAidCatalogue(effective_from=effective_from, programmes=programmes)
    _one(Issuer.of(department), payload, as_json, f"catalogue recorded from {effective_from}")


# Universities ------------------------------------------------------------------------


@university_app.command("dispatch")
def dispatch(
    county: CountyOption,
    school_year: SchoolYearOption,
    on: Annotated[str | None, typer.Option(help="Date sent; default today.")] = None,
    due_on: Annotated[str | None, typer.Option(help="Report due; default 31 December.")] = None,
    department: str = AID_CENTER,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
) -> None:
    """Send each university the roster of the county's registered poor students it has."""
    check(county, CountyCode, "--county")
    check(school_year, SchoolYear, "--school-year")
    sent = check(on, date, "--on") or date.today()
    due = check(due_on, date, "--due-on") or date(school_year, 12, 31)
    rosters = fetch("/api/university-students", county=county)
    issuer = Issuer.of(department)
    bar, advance = progress("dispatching", len(rosters))
    with bar:
        outcome = run(
            SERVICE,
            lambda cl: aid.dispatch_universities(
                cl, county, school_year, rosters, sent, due, issuer, advance
            ),
            wait=not no_wait,
        )
    report_outcome(
        outcome,
        as_json,
        "{dispatched} universities sent {students} students, {unchanged} had them already, "
        "{rejected} rejected",
    )


@university_app.command("report")
def university_report(
    report: FileArgument,
    county: CountyOption,
    university: Annotated[str, typer.Option(help="University reporting.")],
    school_year: SchoolYearOption,
    received_on: DateOption,
    department: str = AID_CENTER,
    as_json: JsonOption = False,
) -> None:
    """Record a university's report (student_registry_id, channel, amount, tier)."""
    lines = _read(report, parse_university_report)
    bad = [ln for ln in lines if ln.value is None]
    for ln in bad:
        err.print(f"[yellow]line {ln.line}[/yellow]: {ln.error}", highlight=False)
    if bad:
        raise typer.Exit(1)
    found = run(SERVICE, lambda cl: aid.resolve(cl, (ln.value.student_registry_id for ln in lines)))
    unknown = [ln for ln in lines if ln.value.student_registry_id not in found]
    for ln in unknown:
        err.print(f"[yellow]line {ln.line}[/yellow]: no registered student", highlight=False)
    if unknown:
        raise typer.Exit(1)
    entries = [
        c.UniversityAidEntry(
            student_id=found[ln.value.student_registry_id],
            channel=ln.value.channel,
            amount=ln.value.amount,
            tier=ln.value.tier,
        )
        for ln in lines
    ]
    payload = build_command(
        c.RecordUniversityAidReport,
        None,
        county=county,
        university=university,
        school_year=school_year,
        received_on=received_on,
        entries=entries,
    )
    _one(Issuer.of(department), payload, as_json, f"report of {university} recorded")


# Funds -------------------------------------------------------------------------------


@funds_app.command("request")
def funds_request(
    county: CountyOption,
    request_id: Annotated[str, typer.Option(help="The county's request number.")],
    school_year: SchoolYearOption,
    students: Annotated[int, typer.Option(min=1, help="Students the request covers.")],
    rate: Annotated[str, typer.Option(help="Yuan per student, e.g. 700.00.")],
    on: DateOption,
    to: Annotated[str, typer.Option(help="Who is asked.")] = "榆林市",
    department: str = FINANCE,
    as_json: JsonOption = False,
) -> None:
    """Ask the city for per-student public funds: students x rate."""
    per_student: Decimal = check(rate, Amount, "--rate")
    payload = build_command(
        c.RequestPublicFunds,
        None,
        request_id=request_id,
        county=county,
        school_year=school_year,
        students=students,
        rate_per_student=per_student,
        requested_amount=students * per_student,
        requested_on=on,
        addressed_to=to,
    )
    _one(
        Issuer.of(department),
        payload,
        as_json,
        f"request {request_id} for {students * per_student} yuan recorded",
    )


@funds_app.command("answer")
def funds_answer(
    county: CountyOption,
    request_id: Annotated[str, typer.Option(help="The request answered.")],
    decision: Annotated[FundsDecision, typer.Option(help="The city's decision.")],
    amount: Annotated[str, typer.Option(help="Yuan approved (0.00 when declined).")],
    on: DateOption,
    note: Annotated[str, typer.Option(help="Conditions or reasons given.")] = "",
    department: str = FINANCE,
    as_json: JsonOption = False,
) -> None:
    """Record the city's answer to a request for per-student public funds."""
    payload = build_command(
        c.AnswerPublicFunds,
        None,
        request_id=request_id,
        county=county,
        decision=decision,
        approved_amount=amount,
        answered_on=on,
        note=note,
    )
    _one(Issuer.of(department), payload, as_json, f"answer to {request_id} recorded")


# Reports -----------------------------------------------------------------------------


def aid_coverage(
    term: TermOption, county: OptionalCountyOption = None, as_json: JsonOption = False
) -> None:
    """On the roster, eligible, aided and missing students by stage, with money granted and paid."""
    check(term, Term, "--term")
    check(county, CountyCode, "--county")
    rows = fetch("/api/aid-coverage", term=term, county=county)
    show(rows, as_json, lambda r: reports.coverage_table(r, term, county))


def aid_programmes(
    term: TermOption, county: OptionalCountyOption = None, as_json: JsonOption = False
) -> None:
    """Per stage and programme: eligible, granted, paid, revoked, outstanding (they reconcile)."""
    check(term, Term, "--term")
    check(county, CountyCode, "--county")
    rows = fetch("/api/aid-programmes", term=term, county=county)
    show(rows, as_json, lambda r: reports.programmes_table(r, term, county))


def missing_aid(
    term: TermOption,
    county: OptionalCountyOption = None,
    limit: Annotated[int, typer.Option(min=1)] = 1000,
    as_json: JsonOption = False,
) -> None:
    """Eligible students with no aid granted for the term, and why."""
    check(term, Term, "--term")
    check(county, CountyCode, "--county")
    rows = fetch("/api/students-missing-aid", term=term, county=county, limit=str(limit))
    show(rows, as_json, lambda r: reports.missing_table(r, term))


def dropout_alerts(
    county: OptionalCountyOption = None,
    status: Annotated[str, typer.Option(help="open, resolved or all.")] = "open",
    as_json: JsonOption = False,
) -> None:
    """Dropout alerts of compulsory-age students, open or resolved."""
    check(county, CountyCode, "--county")
    rows = fetch("/api/dropout-alerts", county=county, status=status)
    show(rows, as_json, reports.alerts_table)


def roster_revision(
    revision: Annotated[str, typer.Option(help="Revision name, e.g. 2018.")],
    county: OptionalCountyOption = None,
    as_json: JsonOption = False,
) -> None:
    """What a roster revision changed, student by student."""
    check(revision, RevisionId, "--revision")
    check(county, CountyCode, "--county")
    show(
        fetch("/api/roster-revision", revision=revision, county=county),
        as_json,
        reports.revision_table,
    )


def university_dispatches(
    county: OptionalCountyOption = None,
    school_year: Annotated[int | None, typer.Option(help="School year.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Rosters sent to universities and the status of their reports (late, missing)."""
    check(county, CountyCode, "--county")
    rows = fetch(
        "/api/university-dispatches",
        county=county,
        school_year=str(school_year) if school_year else None,
    )
    show(rows, as_json, reports.dispatches_table)


def funding_requests(
    county: OptionalCountyOption = None,
    school_year: Annotated[int | None, typer.Option(help="School year.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Requests for per-student public funds and the city's answers."""
    check(county, CountyCode, "--county")
    rows = fetch(
        "/api/funding-requests",
        county=county,
        school_year=str(school_year) if school_year else None,
    )
    show(rows, as_json, reports.funds_table)


def register(app: typer.Typer, report_app: typer.Typer) -> None:
    """Attach the assistance commands to the `eduplan` application."""
    app.add_typer(roster_app, name="roster")
    app.add_typer(aid_app, name="aid")
    app.add_typer(catalogue_app, name="catalogue")
    app.add_typer(university_app, name="university")
    app.add_typer(funds_app, name="funds")
    report_app.command("aid-coverage")(aid_coverage)
    report_app.command("aid-programmes")(aid_programmes)
    report_app.command("missing-aid")(missing_aid)
    report_app.command("dropout-alerts")(dropout_alerts)
    report_app.command("roster-revision")(roster_revision)
    report_app.command("university-dispatches")(university_dispatches)
    report_app.command("funding-requests")(funding_requests)
    # The first release's verbs, kept for scripts that use them.
    app.command("import-roster", help="Same as `eduplan roster import`.")(import_roster)
    app.command("grant-aid", help="Same as `eduplan aid grant`.")(grant)


def write_sample_roster(output: Path, county: str) -> None:
    from contracts.files.sample_roster import sample_rows, to_csv  # noqa: PLC0415

    check(county, CountyCode, "--county")
    rows = sample_rows(county)
    output.write_text(to_csv(rows), encoding="utf-8")
    console.print(f"wrote {len(rows)} students to {output}")
