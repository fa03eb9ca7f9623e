"""`eduplan` commands of the student-aid work stream (assistance service).

Students are named by their registry number on the command line (`--student`); the service
resolves it to the pseudonymous id its streams use. Commands that send one contract command
are made from the contract (see contract_cli.py); roster files, grants and payments of a
whole county, and university rosters are batches written here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer

from contracts.assistance import commands as c
from contracts.assistance.types import PaymentChannel, RevisionId, SchoolYear
from contracts.files.aid_catalogue import CatalogueError, read_catalogue_file
from contracts.files.csv_lines import CsvFileError
from contracts.files.exchange_files import parse_payments, parse_university_report
from contracts.files.roster import parse_roster
from contracts.types import CountyCode, RegistryId, Term
from services.cli import aid
from services.cli.common import (
    CountyOption,
    Issuer,
    JsonOption,
    NoWaitOption,
    Outcome,
    Progressed,
    batch,
    build_command,
    check,
    console,
    department_option,
    err,
    fail,
    failing,
    fetch,
    read_file,
    run,
    send_command,
    show,
)
from services.cli.contract_cli import (
    FileBatch,
    ForEach,
    Param,
    Report,
    Stream,
    Verb,
    add_stream,
)
from services.cli.output import View, labelled
from shared.commandbus import CommandClient

SERVICE = "assistance"
TermOption = Annotated[str, typer.Option(help="Term, e.g. 2017-autumn.")]
SchoolYearOption = Annotated[
    int, typer.Option(help="School year by its first year: 2017 = 2017-18.")
]
DateOption = Annotated[str, typer.Option(help="Date, YYYY-MM-DD.")]
FileArgument = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV file.")]
AID_CENTER = department_option("aid_center")
FINANCE = department_option("finance")
COUNTY = Param("county", CountyCode, "County code; omit for the province.")
TERM = Param("term", Term, "Term, e.g. 2017-autumn.", required=True)
SCHOOL_YEAR = Param("school_year", SchoolYear, "School year.")


def _student(registry_id: str) -> UUID:
    """The student id of a registered registry number; unknown is a usage error."""
    check(registry_id, RegistryId, "--student")
    found = run(SERVICE, lambda client: aid.resolve(client, [registry_id.upper()]))
    if registry_id.upper() not in found:
        fail(f"no registered student {registry_id}")
    return found[registry_id.upper()]


def _requested(fields: dict[str, Any]) -> None:
    """The amount asked is students x rate, so the two can never disagree."""
    rate = check(
        fields.get("rate_per_student"),
        c.RequestPublicFunds.model_fields["rate_per_student"].annotation,
        "--rate",
    )
    fields["requested_amount"] = int(fields.get("students") or 0) * rate


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in counts.items())


STUDENT = {"student_id": _student}


def _each(
    name: str, each: aid.EachStudent, doc: str, doing: str, headline: str, **more: Any
) -> ForEach:
    """A command of the contracts sent to every student of a county (fetched once)."""
    county = Param("county", CountyCode, "County code, e.g. 610831.", required=True)
    students = lambda client, asked: aid.registered_students(client, asked["county"])  # noqa: E731
    return ForEach(
        each.model, name, doc, "student_id", (county,), students, each.send, doing, headline, **more
    )


STREAM = Stream(
    SERVICE,
    department="aid_center",
    options={
        "student_id": "--student",
        "rate_per_student": "--rate",
        "approved_amount": "--amount",
        "addressed_to": "--to",
        **dict.fromkeys(
            (
                "transferred_on",
                "left_on",
                "returned_on",
                "resolved_on",
                "revoked_on",
                "requested_on",
                "answered_on",
            ),
            "--on",
        ),
    },
    helps={"student_id": "Student registry number (the service finds the student by it)."},
    groups={
        "roster": "The poverty roster: import, revise, promote, move students on.",
        "aid": "Aid per term: grant, pay, revoke; loans and the green channel recorded.",
        "catalogue": "The aid catalogue (data, in force per term).",
        "university": "Rosters sent to universities, and their reports.",
        "funds": "Per-student public funds asked of the city.",
    },
    skip=(
        c.RegisterStudent,
        c.ReviseStudent,
        c.RemoveFromRoster,
        c.PayAid,
        c.LoadAidCatalogue,
        c.DispatchUniversityRoster,
        c.RecordUniversityAidReport,
    ),
    verbs=(
        Verb(
            c.GraduateStudent,
            "roster graduate",
            "{student_id} graduated to {to_stage}",
            convert=STUDENT,
        ),
        Verb(
            c.TransferStudent,
            "roster transfer",
            "{student_id} transferred to {to_school}",
            convert=STUDENT,
        ),
        Verb(
            c.RecordLeaving, "roster leave", "{student_id} left school ({reason})", convert=STUDENT
        ),
        Verb(
            c.ReturnToSchool, "roster return", "{student_id} is back at {school}", convert=STUDENT
        ),
        Verb(
            c.ResolveDropoutAlert,
            "roster resolve-alert",
            "dropout alert of {student_id} resolved",
            convert=STUDENT,
        ),
        Verb(c.RevokeAidGrant, "aid revoke", "{programme} for {term} revoked", convert=STUDENT),
        Verb(c.RecordStudentLoan, "aid loan", "loan of {amount} yuan recorded", convert=STUDENT),
        Verb(c.RecordGreenChannel, "aid green-channel", "green channel recorded", convert=STUDENT),
        Verb(
            c.RequestPublicFunds,
            "funds request",
            "request {request_id} for {requested_amount} yuan recorded",
            department="finance",
            hidden=("requested_amount",),
            fill=_requested,
        ),
        Verb(
            c.AnswerPublicFunds,
            "funds answer",
            "answer to {request_id} recorded",
            department="finance",
        ),
    ),
    batches=(
        _each(
            "roster promote",
            aid.PROMOTE,
            """Yearly promotion: every student of the county moves up a grade for the school
            year. Students in the last grade of a stage are listed to be graduated instead; a
            rerun promotes nobody twice.""",
            "promoting {county}",
            "{promoted} promoted, {already_promoted} already promoted, {final_grade} in a final "
            "grade (graduate them), {not_active} off the roster or out of school, "
            "{rejected} rejected",
        ),
        _each(
            "aid grant",
            aid.GRANT,
            "Grant every eligible student of the county their stage's aid for the term, once.",
            "granting {term}",
            "{students_granted} students granted ({grants} grants), {students_unchanged} already "
            "had their aid, {not_eligible} not eligible (off the roster or out of school), "
            "{rejected} rejected",
        ),
        _each(
            "aid pay",
            aid.PAY,
            """Pay, in full, every outstanding grant of the county for the term (one
            disbursement). Rerunning with the same reference pays nothing more.""",
            "paying {term}",
            "{payments} payments to {students_paid} students, {nothing_outstanding} with nothing "
            "outstanding, {rejected} rejected",
            defaults={"channel": PaymentChannel.ONE_CARD_ACCOUNT.value},
            department="finance",
        ),
    ),
    files=(
        FileBatch(
            "aid pay-file",
            """Record a bank's list of payments (student_registry_id, term, programme, amount,
            paid_on, channel, reference); a payment above what is outstanding is refused.""",
            "CSV file.",
            lambda path: list(parse_payments(path.read_bytes())),
            (CsvFileError,),
            aid.pay_file,
            "recording payments",
            "{paid} payments recorded, {rejected} rejected",
            department="finance",
        ),
    ),
    reports=(
        Report(
            "aid-coverage",
            "/api/aid-coverage",
            "On the roster, eligible, aided and missing students by stage, with money granted "
            "and paid.",
            (TERM, COUNTY),
            View(
                "aid_coverage_title",
                "stage registered eligible aided missing amount_granted amount_paid",
                total=True,
            ),
        ),
        Report(
            "aid-programmes",
            "/api/aid-programmes",
            "Per stage and programme: eligible, granted, paid, revoked, outstanding (they "
            "reconcile).",
            (TERM, COUNTY),
            View(
                "programmes_title",
                "stage programme eligible granted amount_granted amount_paid revoked "
                "amount_revoked amount_outstanding",
                total=True,
            ),
        ),
        Report(
            "missing-aid",
            "/api/students-missing-aid",
            "Eligible students with no aid granted for the term, and why.",
            (TERM, COUNTY, Param("limit", int, "Most students listed (default 1000).")),
            View("missing_title", "registry_id name county school stage grade reason"),
        ),
        Report(
            "dropout-alerts",
            "/api/dropout-alerts",
            "Dropout alerts of compulsory-age students, open or resolved.",
            (COUNTY, Param("status", str, "open (default), resolved or all.")),
            View(
                "dropout_title",
                "registry_id name county school stage grade reason left_on status resolution "
                "resolved_on",
            ),
        ),
        Report(
            "roster-revision",
            "/api/roster-revision",
            "What a roster revision changed, student by student.",
            (Param("revision", RevisionId, "Revision name, e.g. 2018.", required=True), COUNTY),
            View(
                "revision_title",
                "change registry_id name county fields",
                rows=lambda r: r["changes"],
                values=lambda r: (
                    r | {"counts": ", ".join(f"{v} {k}" for k, v in r["counts"].items())}
                ),
            ),
        ),
        Report(
            "university-dispatches",
            "/api/university-dispatches",
            "Rosters sent to universities and the status of their reports (late, missing).",
            (COUNTY, SCHOOL_YEAR),
            View(
                "dispatches_title",
                "county school_year university students dispatched_on report_due_on status "
                "first_report_on aid_entries aid_amount",
            ),
        ),
        Report(
            "funding-requests",
            "/api/funding-requests",
            "Requests for per-student public funds and the city's answers.",
            (COUNTY, SCHOOL_YEAR),
            View(
                "funds_title",
                "county request_id school_year students rate_per_student requested_amount "
                "requested_on addressed_to decision approved_amount answered_on",
            ),
        ),
    ),
)


def register(app: typer.Typer, report_app: typer.Typer) -> None:
    """Attach the assistance commands to the `eduplan` application."""
    groups = add_stream(app, STREAM, reports_to=report_app)
    roster, aid_app = groups["roster"], groups["aid"]
    roster.command("import")(import_roster)
    roster.command("revise")(revise)
    groups["catalogue"].command("show")(catalogue_show)
    groups["catalogue"].command("load")(catalogue_load)
    groups["university"].command("dispatch")(dispatch)
    groups["university"].command("report")(university_report)
    # The first release's verbs, kept for scripts that use them.
    app.command("import-roster", help="Same as `eduplan roster import`.")(import_roster)
    (grant,) = [c.callback for c in aid_app.registered_commands if c.callback and c.name == "grant"]
    app.command("grant-aid", help="Same as `eduplan aid grant`.")(grant)


def _read(path: Path, parse: Any) -> list[Any]:
    return read_file(lambda: list(parse(path.read_bytes())), CsvFileError, where=f"{path}: ")


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
    lines, issuer = _read(roster, parse_roster), Issuer(department)
    batch(
        SERVICE,
        "registering",
        len(lines),
        lambda cl, bar: aid.import_roster(cl, lines, issuer, bar, batch_size, school_year),
        as_json,
        "{registered} registered, {unchanged} already registered, {rejected} rejected",
        not no_wait,
    )


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
    lines, issuer = _read(roster, parse_roster), Issuer(department)

    async def work(client: CommandClient, bar: Progressed) -> Outcome:
        outcome = await aid.revise_roster(client, lines, county, revision, issuer, bar, school_year)
        if outcome.counts.get("removal_skipped"):
            err.print("[yellow]some lines have no readable registry number: nobody was taken off")
        return outcome

    batch(
        SERVICE,
        f"revising {county}",
        len(lines),
        work,
        as_json,
        "{registered} registered, {revised} revised, {restored} back on the roster, "
        "{unchanged} unchanged, {removed} taken off the roster, {rejected} rejected",
        not no_wait,
    )


# Catalogue ---------------------------------------------------------------------------


def catalogue_show(term: TermOption, as_json: JsonOption = False) -> None:
    """The programmes in force for a term, with their yearly amounts by stage."""
    check(term, Term, "--term")
    show(fetch("/api/aid-catalogue", term=term), as_json, lambda r: CATALOGUE(r, {"term": term}))


def _by_county(row: dict[str, Any]) -> Any:
    return row.get("county_amounts", {}).items()


def _amounts(by_stage: dict[str, Any]) -> str:
    return ", ".join(f"{labelled('stage', s)} {a}" for s, a in by_stage.items())


CATALOGUE = View(
    "catalogue_title",
    "programme name payment yearly_amounts county_amounts in_force_from",
    {
        "name": lambda r: labelled("programme", r["programme"]),
        "yearly_amounts": lambda r: _amounts(r["amounts"]),
        "county_amounts": lambda r: "; ".join(
            f"{labelled('county', c)}: {_amounts(t)}"
            for c, t in r.get("county_amounts", {}).items()
        ),
        "in_force_from": lambda r: r["effective_from"],
    },
)


def catalogue_load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Catalogue TOML.")],
    effective_from: Annotated[str, typer.Option(help="First term it applies to.")],
    department: str = FINANCE,
    as_json: JsonOption = False,
) -> None:
    """Record a catalogue file as in force from a term: changed and new programmes are set,
    programmes left out are withdrawn. Grants already made keep their amounts."""
    check(effective_from, Term, "--effective-from")
    with failing(CatalogueError):
        programmes = read_catalogue_file(file)
    payload = c.LoadAidCatalogue(effective_from=effective_from, programmes=programmes)
    send_command(SERVICE, payload, department, as_json, f"catalogue recorded from {effective_from}")


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
    issuer = Issuer(department)
    batch(
        SERVICE,
        "dispatching",
        len(rosters),
        lambda cl, bar: aid.dispatch_universities(
            cl, county, school_year, rosters, sent, due, issuer, bar
        ),
        as_json,
        "{dispatched} universities sent {students} students, {unchanged} had them already, "
        "{rejected} rejected",
        not no_wait,
    )


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
    send_command(SERVICE, payload, department, as_json, f"report of {university} recorded")


def write_sample_roster(output: Path, county: str) -> None:
    from contracts.files.sample_roster import sample_rows, to_csv  # noqa: PLC0415

    check(county, CountyCode, "--county")
    rows = sample_rows(county)
    output.write_text(to_csv(rows), encoding="utf-8")
    console.print(f"wrote {len(rows)} students to {output}")
