"""`eduplan staffing ...`: commands and reports of the staffing service.

Every command of the staffing contracts is a sub-command, its options made from the
contract (see contract_cli.py); the table below names them and the options whose names
differ from the fields'. Ids the service does not choose (teachers, mentees, trainees,
orders, graduates) are UUIDs the caller keeps; a new one is made when left out, and printed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from pydantic import BaseModel
from rich.table import Table

from contracts.envelope import Accepted, CommandEnvelope
from contracts.files.dispatch_sheet import SheetError, SheetLine, read_sheet
from contracts.staffing import commands as c
from contracts.staffing.queries import GetTeacherCalendar, TeacherCalendar
from contracts.types import CountyCode, Term
from services.cli.common import (
    Issuer,
    JsonOption,
    NoWaitOption,
    Outcome,
    Progressed,
    batch,
    check,
    department_option,
    good_lines,
    read_file,
    run,
    send_in_batches,
    show,
)
from services.cli.contract_cli import Param, Report, Stream, Verb, add_stream
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
    reports=(
        Report(
            "report coverage",
            "/api/staffing/coverage",
            "Master teachers per subject and host school in a term, against 1-2.",
            (TERM, COUNTY),
            lambda rows, asked: _coverage_table(rows, asked["term"], asked["county"]),
        ),
        Report(
            "report dispatch-plan",
            "/api/staffing/dispatch-plan",
            "New master teachers per school year against 4-13, and subjects still lacking.",
            (COUNTY,),
            lambda plan, _: _plan_table(plan),
        ),
        Report(
            "report training",
            "/api/staffing/training",
            "Caravan visits per season held or missing, orders placed/fulfilled/outstanding.",
            (COUNTY,),
            lambda rows, _: _table(rows, "Training calendar", _TRAINING),
        ),
        Report(
            "report supply",
            "/api/staffing/supply",
            "Special posts against quota and new teachers against targets, per school year.",
            (COUNTY,),
            lambda rows, _: _table(rows, "Teacher supply", _SUPPLY),
        ),
    ),
)

app = typer.Typer(
    help="Teacher staffing: master teachers, training, teacher supply.", no_args_is_help=True
)
groups = add_stream(app, STREAM)
teacher_app = groups["master-teacher"]
TeacherOption = Annotated[str, typer.Option("--teacher", help="The master teacher's id (UUID).")]
Department = department_option(STREAM.department)


@teacher_app.command("import")
def import_sheet(
    sheet: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Dispatch CSV file.")],
    department: str = Department,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
) -> None:
    """Dispatch every teacher of a sheet, and record the arrivals it gives; reruns change nothing.

    Columns: county, host_school, subject, teacher_id, name, home_school, start_term,
    planned_end_term, arrived_on (may be empty). Bad lines are reported with their number and
    reason and the good lines go ahead; exit status 1 when any line was refused.
    """
    lines = read_file(lambda: read_sheet(sheet), SheetError, UnicodeDecodeError, where=f"{sheet}: ")
    issuer = Issuer(department)
    batch(
        SERVICE,
        "dispatching",
        len(lines) + sum(ln.arrived_on is not None for ln in lines),
        lambda client, bar: import_dispatch_sheet(client, lines, issuer, bar),
        as_json,
        "{dispatched} dispatched, {unchanged} already dispatched, {arrived} arrivals recorded, "
        "{rejected} rejected",
        not no_wait,
    )


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


@teacher_app.command("show")
def show_teacher(teacher: TeacherOption, as_json: JsonOption = False) -> None:
    """A master teacher's assignments and mentoring, as the service holds them now."""
    query = GetTeacherCalendar(teacher_id=check(teacher, UUID, "--teacher"))
    calendar = run(SERVICE, lambda client: client.query(query, TeacherCalendar))
    show(calendar.model_dump(mode="json"), as_json, _calendar_table)


def _calendar_table(calendar: dict[str, Any]) -> Table:
    table = Table(
        title=f"Master teacher {calendar['teacher_id']}: {calendar['mentees']} mentees, "
        f"{calendar['sessions']} sessions, {calendar['mentoring_hours']} hours"
    )
    for column in ("county", "host school", "subject", "from", "to"):
        table.add_column(column)
    for a in calendar["assignments"]:
        table.add_row(a["county"], a["host_school"], a["subject"], a["start_term"], a["end_term"])
    return table


def _coverage_table(rows: list[dict[str, Any]], term: str, county: str | None) -> Table:
    where = f"county {county}" if county else "province"
    table = Table(title=f"Master teachers per subject, {term}, {where}")
    for column in ("host school", "subject", "teachers", "arrived", "target", "status"):
        table.add_column(column, justify="right" if column in ("teachers", "arrived") else "left")
    for r in rows:
        target = "-" if r["min"] is None else f"{r['min']}-{r['max']}"
        style = "bold red" if r["status"] == "missing" else None
        table.add_row(
            r["host_school_name"] or r["host_school"] or "all",
            r["subject"],
            str(r["teachers"]),
            str(r["arrived"]),
            target,
            r["status"],
            style=style,
        )
    return table


def _plan_table(plan: dict[str, Any]) -> Table:
    baseline = plan["baseline"]
    table = Table(
        title=f"Master teachers dispatched per school year; {baseline['in_place']} in place at "
        f"the start (expected {baseline['expected']})"
    )
    for column in ("year", "dispatched", "target", "status", "lacking at year end"):
        table.add_column(column)
    for y in plan["years"]:
        lacking = ", ".join(f"{x['subject']} ({x['host_school']})" for x in y["lacking_at_end"])
        table.add_row(
            str(y["year"]),
            str(y["dispatched"]),
            f"{y['min']}-{y['max']}",
            y["status"],
            lacking or "-",
            style="bold red" if y["status"] == "below" else None,
        )
    return table


_TRAINING: Sequence[tuple[str, Callable[[dict[str, Any]], str]]] = (
    ("year", lambda r: str(r["year"])),
    ("autumn caravan", lambda r: f"{r['autumn']} ({r['autumn_visits']})"),
    ("spring caravan", lambda r: f"{r['spring']} ({r['spring_visits']})"),
    ("model lessons", lambda r: str(r["model_lessons"])),
    ("orders placed", lambda r: str(r["orders_placed"])),
    ("fulfilled", lambda r: str(r["orders_fulfilled"])),
    ("outstanding", lambda r: str(r["orders_outstanding"])),
    ("shadow trainings", lambda r: str(r["shadow_trainings"])),
)
_SUPPLY: Sequence[tuple[str, Callable[[dict[str, Any]], str]]] = (
    ("year", lambda r: str(r["year"])),
    (
        "special posts filled / quota",
        lambda r: f"{r['special_posts_filled']} / {r['special_post_quota']}",
    ),
    (
        "normal graduates / target",
        lambda r: f"{r['normal_graduates_placed']} / {r['normal_graduates_target']}",
    ),
    (
        "tuition-free / target",
        lambda r: f"{r['tuition_free_recruited']} / {r['tuition_free_target'] or '-'}",
    ),
)


def _table(
    rows: list[dict[str, Any]],
    title: str,
    columns: Sequence[tuple[str, Callable[[dict[str, Any]], str]]],
) -> Table:
    table = Table(title=title)
    for name, _ in columns:
        table.add_column(name)
    for r in rows:
        table.add_row(*(cell(r) for _, cell in columns))
    return table
