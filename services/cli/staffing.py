"""`eduplan staffing ...`: commands and reports of the staffing service.

Every command of the staffing contracts is a sub-command, its options made from the
contract (see contract_cli.py); the table below names them and the options whose names
differ from the fields'. Ids the service does not choose (teachers, mentees, trainees,
orders, graduates) are UUIDs the caller keeps; a new one is made when left out, and printed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any
from uuid import UUID

import typer
from pydantic import BaseModel

from contracts.envelope import Accepted, CommandEnvelope
from contracts.files.dispatch_sheet import SheetError, SheetLine, read_sheet
from contracts.staffing import commands as c
from contracts.staffing.queries import GetTeacherCalendar, TeacherCalendar
from contracts.types import CountyCode, Term
from services.cli.common import (
    Issuer,
    JsonOption,
    Outcome,
    Progressed,
    check,
    good_lines,
    run,
    send_in_batches,
    show,
)
from services.cli.contract_cli import FileBatch, Param, Report, Stream, Verb, add_stream
from services.cli.output import Row, View, labelled, lang
from shared import i18n
from shared.commandbus import CommandClient

SERVICE = "staffing"
COUNTY = Param("county", CountyCode, "County code; omit for the province.")
TERM = Param("term", Term, "Term, e.g. 2018-autumn.", required=True)


def _lesson(item: str) -> dict[str, Any]:
    stage, _, rest = item.partition(":")
    subject, _, count = rest.partition(":")
    if not (stage and subject and count.isdigit()):
        raise typer.BadParameter(f"{item!r} is not STAGE:SUBJECT:COUNT", param_hint="--lessons")
    return {"stage": stage, "subject": subject, "lessons": int(count)}


def _range(low: int | None, high: int | None) -> str:
    return "-" if low is None else f"{low}-{high}"


def _of(done: str, target: str) -> Callable[[Row], str]:
    return lambda r: f"{r[done]} / {'-' if r[target] is None else r[target]}"


def _season(season: str) -> Callable[[Row], str]:
    return lambda r: f"{labelled('status', r[season])} ({r[season + '_visits']})"


def _school(post: Row) -> str:
    school = post["host_school_name"] or post["host_school"]
    return school or i18n.text("ui.all_host_schools", lang())


def _lacking(year: Row) -> str:
    posts = year["lacking_at_end"]
    return ", ".join(f"{labelled('subject', x['subject'])} ({x['host_school']})" for x in posts)


async def import_dispatch_sheet(
    client: CommandClient, lines: Sequence[SheetLine], issuer: Issuer, advance: Progressed
) -> Outcome:
    outcome, good = good_lines(lines, advance)
    results = await send_in_batches(
        client, _commands(issuer, [ln.dispatch for ln in good]), advance
    )
    outcome.tally_all((f"line {ln.line}" for ln in good), results, "dispatched", "unchanged")
    arriving = []
    for ln, result in zip(good, results, strict=True):
        arrival = ln.arrival()
        if arrival is None:
            continue
        if isinstance(result, Accepted):
            arriving.append((ln, arrival))
        else:
            advance(1)
    arrivals = await send_in_batches(client, _commands(issuer, [a for _, a in arriving]), advance)
    wheres = (f"line {ln.line}" for ln, _ in arriving)
    outcome.tally_all(wheres, arrivals, "arrived", "arrival_unchanged")
    return outcome


def _commands(issuer: Issuer, payloads: Sequence[BaseModel | None]) -> list[CommandEnvelope]:
    return [issuer.command(p) for p in payloads if p is not None]


STREAM = Stream(
    SERVICE,
    department="teacher_division",
    options={
        "teacher_id": "--teacher",
        "mentee_id": "--mentee",
        "mentee_ids": "--mentee",
        "trainee_id": "--trainee",
        "order_id": "--order",
        "graduate_id": "--graduate",
        "start_term": "--start",
        "planned_end_term": "--end",
        "end_term": "--end",
        "personal.name": "--name",
        "personal.names": "--trainer",
        "max_teachers": "--max",
        "school_year": "--year",
        "topics": "--topic",
        "starts_on": "--from",
        "ends_on": "--to",
        **dict.fromkeys(
            ("arrived_on", "held_on", "visited_on", "placed_on", "recruited_on"), "--on"
        ),
    },
    groups={
        "targets": "The county's targets: adopt them, raise one.",
        "master-teacher": "Master teachers: dispatch, arrive, extend, end, withdraw.",
        "mentoring": "Mentees and mentoring sessions.",
        "training": "Caravan visits, shadow training, training orders.",
        "supply": "Special posts and new teachers.",
        "report": "Staffing reports from the projection service.",
    },
    verbs=(
        Verb(c.AdoptStaffingTargets, "targets adopt", "targets of {county} adopted"),
        Verb(
            c.RaiseSubjectTarget,
            "targets raise",
            "{subject} at {host_school} now takes up to {max_teachers} master teachers",
        ),
        Verb(
            c.DispatchMasterTeacher,
            "master-teacher dispatch",
            "dispatched to {subject} at {host_school}, {start_term} to {planned_end_term}",
            new_ids=("teacher_id",),
        ),
        Verb(
            c.RecordMasterTeacherArrival,
            "master-teacher arrive",
            "arrival on {arrived_on} recorded",
        ),
        Verb(
            c.ExtendMasterTeacherSupport,
            "master-teacher extend",
            "support extended to {planned_end_term}",
        ),
        Verb(c.EndMasterTeacherSupport, "master-teacher end", "support ends after {last_term}"),
        Verb(c.WithdrawMasterTeacherDispatch, "master-teacher withdraw", "dispatch withdrawn"),
        Verb(
            c.WithdrawMasterTeacherExtension,
            "master-teacher withdraw-extension",
            "extension withdrawn",
        ),
        Verb(c.RecordTeacherAssignment, "master-teacher assign", "assignment recorded"),
        Verb(c.CancelTeacherAssignment, "master-teacher cancel-assignment", "assignment cancelled"),
        Verb(c.AssignMentee, "mentoring assign", "mentee assigned", new_ids=("mentee_id",)),
        Verb(c.LogMentoringSession, "mentoring session", "session of {held_on} logged"),
        Verb(
            c.RecordCaravanVisit,
            "training caravan",
            "caravan visit of {visited_on} recorded",
            convert={"lessons": _lesson},
        ),
        Verb(
            c.RecordShadowTraining, "training shadow", "shadow training recorded", ("trainee_id",)
        ),
        Verb(c.PlaceTrainingOrder, "training order", "training order placed", ("order_id",)),
        Verb(c.FulfilTrainingOrder, "training fulfil", "order fulfilled on {held_on}"),
        Verb(
            c.AllocateSpecialPostQuota,
            "supply quota",
            "quota of {quota} special posts for {school_year}",
        ),
        Verb(
            c.RecordSpecialPostsFilled,
            "supply filled",
            "{filled} special posts filled in {school_year}",
        ),
        Verb(c.PlaceNormalGraduate, "supply graduate", "graduate placed", ("graduate_id",)),
        Verb(
            c.RecruitTuitionFreeGraduate,
            "supply recruit",
            "tuition-free graduate recruited",
            ("graduate_id",),
        ),
    ),
    files=(
        FileBatch(
            "master-teacher import",
            """Dispatch every teacher of a sheet, and record the arrivals it gives; reruns
            change nothing.

            Columns: county, host_school, subject, teacher_id, name, home_school, start_term,
            planned_end_term, arrived_on (may be empty). Bad lines are reported with their
            number and reason and the good lines go ahead; exit status 1 when any line was
            refused.""",
            "Dispatch CSV file.",
            read_sheet,
            (SheetError, UnicodeDecodeError),
            import_dispatch_sheet,
            "dispatching",
            "{dispatched} dispatched, {unchanged} already dispatched, {arrived} arrivals "
            "recorded, {rejected} rejected",
            lambda lines: len(lines) + sum(ln.arrived_on is not None for ln in lines),
        ),
    ),
    reports=(
        Report(
            "report coverage",
            "/api/staffing/coverage",
            "Master teachers per subject and host school in a term, against 1-2.",
            (TERM, COUNTY),
            View(
                "coverage_title",
                "host_school subject teachers arrived target status",
                {"host_school": _school, "target": lambda r: _range(r["min"], r["max"])},
                alarm=lambda r: r["status"] == "missing",
            ),
        ),
        Report(
            "report dispatch-plan",
            "/api/staffing/dispatch-plan",
            "New master teachers per school year against 4-13, and subjects still lacking.",
            (COUNTY,),
            View(
                "dispatch_plan_title",
                "year dispatched target status lacking_at_end",
                {"target": lambda r: _range(r["min"], r["max"]), "lacking_at_end": _lacking},
                rows=lambda plan: plan["years"],
                values=lambda plan: plan["baseline"],
                alarm=lambda r: r["status"] == "below",
            ),
        ),
        Report(
            "report training",
            "/api/staffing/training",
            "Caravan visits per season held or missing, orders placed/fulfilled/outstanding.",
            (COUNTY,),
            View(
                "training_title",
                "year autumn_caravan spring_caravan model_lessons orders_placed "
                "orders_fulfilled orders_outstanding shadow_trainings",
                {"autumn_caravan": _season("autumn"), "spring_caravan": _season("spring")},
            ),
        ),
        Report(
            "report supply",
            "/api/staffing/supply",
            "Special posts against quota and new teachers against targets, per school year.",
            (COUNTY,),
            View(
                "supply_title",
                "year special_posts normal_graduates tuition_free",
                {
                    "special_posts": _of("special_posts_filled", "special_post_quota"),
                    "normal_graduates": _of("normal_graduates_placed", "normal_graduates_target"),
                    "tuition_free": _of("tuition_free_recruited", "tuition_free_target"),
                },
            ),
        ),
    ),
)
app = typer.Typer(
    help="Teacher staffing: master teachers, training, teacher supply.", no_args_is_help=True
)
groups = add_stream(app, STREAM)
teacher_app = groups["master-teacher"]
TeacherOption = Annotated[str, typer.Option("--teacher", help="The master teacher's id (UUID).")]


@teacher_app.command("show")
def show_teacher(teacher: TeacherOption, as_json: JsonOption = False) -> None:
    """A master teacher's assignments and mentoring, as the service holds them now."""
    query = GetTeacherCalendar(teacher_id=check(teacher, UUID, "--teacher"))
    calendar = run(SERVICE, lambda client: client.query(query, TeacherCalendar))
    show(calendar.model_dump(mode="json"), as_json, CALENDAR)


CALENDAR = View(
    "calendar_title",
    "county host_school subject start_term end_term",
    rows=lambda calendar: calendar["assignments"],
    values=lambda calendar: calendar,
)
