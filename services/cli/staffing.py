"""`eduplan staffing ...`: commands and reports of the staffing service.

Each command family is a sub-command (`targets`, `master-teacher`, `mentoring`, `training`,
`supply`, `report`). Options are checked with the contracts before anything is sent (a usage
error exits with status 2); a command the service refuses exits with status 1 and its code.
Ids the service does not choose (teachers, mentees, trainees, orders, graduates) are UUIDs the
caller keeps; a new one is made when the option is left out, and printed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar
from uuid import UUID, uuid4

import typer
from pydantic import BaseModel
from rich.table import Table

from contracts.envelope import Accepted, CommandEnvelope
from contracts.files.dispatch_sheet import SheetError, SheetLine, read_sheet
from contracts.staffing import commands as c
from contracts.staffing.queries import GetTeacherCalendar, TeacherCalendar
from contracts.types import CountyCode, Term
from services.cli.common import (
    CountyOption,
    Issuer,
    JsonOption,
    NoWaitOption,
    OptionalCountyOption,
    Outcome,
    Progressed,
    build_command,
    check,
    department_option,
    err,
    fetch,
    progress,
    report_outcome,
    run,
    send_command,
    send_in_batches,
    show,
)
from shared.commandbus import CommandClient

SERVICE = "staffing"
M = TypeVar("M", bound=BaseModel)

app = typer.Typer(
    help="Teacher staffing: master teachers, training, teacher supply.", no_args_is_help=True
)
targets_app = typer.Typer(help="The county's targets: adopt them, raise one.", no_args_is_help=True)
teacher_app = typer.Typer(
    help="Master teachers: dispatch, arrive, extend, end, withdraw.", no_args_is_help=True
)
mentoring_app = typer.Typer(help="Mentees and mentoring sessions.", no_args_is_help=True)
training_app = typer.Typer(
    help="Caravan visits, shadow training, training orders.", no_args_is_help=True
)
supply_app = typer.Typer(help="Special posts and new teachers.", no_args_is_help=True)
report_app = typer.Typer(help="Staffing reports from the projection service.", no_args_is_help=True)
for sub, name in (
    (targets_app, "targets"),
    (teacher_app, "master-teacher"),
    (mentoring_app, "mentoring"),
    (training_app, "training"),
    (supply_app, "supply"),
    (report_app, "report"),
):
    app.add_typer(sub, name=name)

HostSchoolOption = Annotated[str, typer.Option(help="Host school id, e.g. zizhou_high_school.")]
SubjectOption = Annotated[str, typer.Option(help="Subject id, e.g. mathematics.")]
TeacherOption = Annotated[str, typer.Option("--teacher", help="The master teacher's id (UUID).")]
NewIdOption = Annotated[str | None, typer.Option(help="Id (UUID); a new one when left out.")]
DayOption = Annotated[str, typer.Option("--on", help="Day, YYYY-MM-DD.")]
YearOption = Annotated[int, typer.Option("--year", help="School year by its start, e.g. 2017.")]
Department = department_option("teacher_division")

_OPTIONS = {
    "teacher_id": "--teacher",
    "start_term": "--start",
    "planned_end_term": "--end",
    "personal": "--name",
    "personal.name": "--name",
    "arrived_on": "--on",
    "held_on": "--on",
    "visited_on": "--on",
    "placed_on": "--on",
    "recruited_on": "--on",
    "starts_on": "--from",
    "ends_on": "--to",
    "mentee_ids": "--mentee",
    "school_year": "--year",
    "max_teachers": "--max",
    "personal.names": "--trainer",
}


def build(model: type[M], **fields: Any) -> M:
    return build_command(model, _OPTIONS, **fields)


def new_id(value: str | None, option: str) -> UUID:
    return uuid4() if value is None else check(value, UUID, option)


def send(command: BaseModel, department: str, as_json: bool, done: str, **ids: Any) -> None:
    """Send one command (printing the ids the caller must keep); exit 1 if refused."""
    send_command(SERVICE, command, department, as_json, done, **ids)


# Targets


@targets_app.command("adopt")
def adopt(
    county: CountyOption,
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """Record the county's targets from the service's targets file; reports measure by them."""
    command = build(c.AdoptStaffingTargets, county=county)
    send(command, department, as_json, f"targets of {county} adopted")


@targets_app.command("raise")
def raise_target(
    county: CountyOption,
    host_school: HostSchoolOption,
    subject: SubjectOption,
    max_teachers: Annotated[int, typer.Option("--max", help="Most teachers at once from now.")],
    reason: Annotated[str, typer.Option(help="Why the post needs more teachers.")],
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """Allow more master teachers at once in one subject at one host school."""
    command = build(
        c.RaiseSubjectTarget,
        county=county,
        host_school=host_school,
        subject=subject,
        max_teachers=max_teachers,
        reason=reason,
    )
    done = f"{subject} at {host_school} now takes up to {max_teachers} master teachers"
    send(command, department, as_json, done)


# Master teachers


@teacher_app.command("dispatch")
def dispatch(
    county: CountyOption,
    host_school: HostSchoolOption,
    subject: SubjectOption,
    name: Annotated[str, typer.Option(help="The teacher's full name.")],
    home_school: Annotated[str, typer.Option(help="School the teacher comes from.")],
    start: Annotated[str, typer.Option(help="First term, e.g. 2017-autumn.")],
    end: Annotated[str, typer.Option(help="Planned last term, e.g. 2019-spring.")],
    teacher: NewIdOption = None,
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """Send a master teacher to support a subject at a host school for a span of terms.

    Refused when a term of the span already has the post's most teachers (`post_full`), or
    when the teacher serves another post in one of its terms (`overlapping_assignment`).
    """
    teacher_id = new_id(teacher, "--teacher")
    command = build(
        c.DispatchMasterTeacher,
        county=county,
        host_school=host_school,
        subject=subject,
        teacher_id=teacher_id,
        home_school=home_school,
        start_term=start,
        planned_end_term=end,
        personal={"name": name},
    )
    done = f"dispatched to {subject} at {host_school}, {start} to {end}"
    send(command, department, as_json, done, teacher_id=teacher_id)


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
    try:
        lines = read_sheet(sheet)
    except (SheetError, UnicodeDecodeError) as exc:
        err.print(f"[red]error:[/red] {sheet}: {exc}; nothing was sent")
        raise typer.Exit(2) from None
    issuer = Issuer.of(department)
    bar, advance = progress(
        "dispatching", len(lines) + sum(ln.arrived_on is not None for ln in lines)
    )
    with bar:
        outcome = run(
            SERVICE,
            lambda client: import_dispatch_sheet(client, lines, issuer, advance),
            wait=not no_wait,
        )
    report_outcome(
        outcome,
        as_json,
        "{dispatched} dispatched, {unchanged} already dispatched, {arrived} arrivals recorded, "
        "{rejected} rejected",
    )


async def import_dispatch_sheet(
    client: CommandClient, lines: Sequence[SheetLine], issuer: Issuer, advance: Progressed
) -> Outcome:
    outcome = Outcome()
    for bad in (ln for ln in lines if ln.dispatch is None):
        outcome.reject_line(bad.line, bad.error)
        advance(1)
    good = [ln for ln in lines if ln.dispatch is not None]
    results = await send_in_batches(
        client, _commands(issuer, [ln.dispatch for ln in good]), advance
    )
    arriving = []
    for ln, result in zip(good, results, strict=True):
        outcome.tally(f"line {ln.line}", result, "dispatched", "unchanged")
        arrival = ln.arrival()
        if arrival is None:
            continue
        if isinstance(result, Accepted):
            arriving.append((ln, arrival))
        else:
            advance(1)
    arrivals = await send_in_batches(client, _commands(issuer, [a for _, a in arriving]), advance)
    for (ln, _), result in zip(arriving, arrivals, strict=True):
        outcome.tally(f"line {ln.line}", result, "arrived", "arrival_unchanged")
    return outcome


def _commands(issuer: Issuer, payloads: Sequence[BaseModel | None]) -> list[CommandEnvelope]:
    return [issuer.command(p) for p in payloads if p is not None]


def _at_post(county: str, host_school: str, subject: str, teacher: str) -> dict[str, Any]:
    return {
        "county": county,
        "host_school": host_school,
        "subject": subject,
        "teacher_id": check(teacher, UUID, "--teacher"),
    }


@teacher_app.command("arrive")
def arrive(
    county: CountyOption,
    host_school: HostSchoolOption,
    subject: SubjectOption,
    teacher: TeacherOption,
    on: DayOption,
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """Record the first day of a dispatched teacher at the host school."""
    at = _at_post(county, host_school, subject, teacher)
    command = build(c.RecordMasterTeacherArrival, **at, arrived_on=on)
    send(command, department, as_json, f"arrival on {on} recorded")


@teacher_app.command("extend")
def extend(
    county: CountyOption,
    host_school: HostSchoolOption,
    subject: SubjectOption,
    teacher: TeacherOption,
    end: Annotated[str, typer.Option(help="New planned last term.")],
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """Keep a teacher longer, if every added term has room and the teacher is free."""
    at = _at_post(county, host_school, subject, teacher)
    command = build(c.ExtendMasterTeacherSupport, **at, planned_end_term=end)
    send(command, department, as_json, f"support extended to {end}")


@teacher_app.command("end")
def end_support(
    county: CountyOption,
    host_school: HostSchoolOption,
    subject: SubjectOption,
    teacher: TeacherOption,
    last_term: Annotated[str, typer.Option(help="Last term served.")],
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """End an arrived teacher's support after a term; the seat is free from the next term."""
    at = _at_post(county, host_school, subject, teacher)
    command = build(c.EndMasterTeacherSupport, **at, last_term=last_term)
    send(command, department, as_json, f"support ends after {last_term}")


@teacher_app.command("withdraw")
def withdraw(
    county: CountyOption,
    host_school: HostSchoolOption,
    subject: SubjectOption,
    teacher: TeacherOption,
    reason: Annotated[str, typer.Option(help="Why the dispatch is taken back.")],
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """Take a dispatch back before the teacher arrived; it never counted."""
    at = _at_post(county, host_school, subject, teacher)
    command = build(c.WithdrawMasterTeacherDispatch, **at, reason=reason)
    send(command, department, as_json, "dispatch withdrawn")


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


# Mentoring


@mentoring_app.command("assign")
def assign_mentee(
    teacher: TeacherOption,
    name: Annotated[str, typer.Option(help="The local teacher's full name.")],
    term: Annotated[str, typer.Option(help="First term of mentoring.")],
    mentee: NewIdOption = None,
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """A local teacher at the host school is mentored by the master teacher."""
    mentee_id = new_id(mentee, "--mentee")
    command = build(
        c.AssignMentee,
        teacher_id=check(teacher, UUID, "--teacher"),
        mentee_id=mentee_id,
        term=term,
        personal={"name": name},
    )
    send(command, department, as_json, "mentee assigned", mentee_id=mentee_id)


@mentoring_app.command("session")
def log_session(
    teacher: TeacherOption,
    on: DayOption,
    topic: Annotated[str, typer.Option(help="What the session was about.")],
    hours: Annotated[str, typer.Option(help="Hours, e.g. 1.5.")],
    mentee: Annotated[list[str], typer.Option(help="A mentee who attended (repeat).")],
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """Log a mentoring session with some of the teacher's mentees."""
    command = build(
        c.LogMentoringSession,
        teacher_id=check(teacher, UUID, "--teacher"),
        held_on=on,
        topic=topic,
        hours=hours,
        mentee_ids=mentee,
    )
    send(command, department, as_json, f"session of {on} logged")


# Training


@training_app.command("caravan")
def caravan(
    county: CountyOption,
    term: Annotated[str, typer.Option(help="Term of the visit, e.g. 2017-autumn.")],
    on: DayOption,
    visiting_school: Annotated[str, typer.Option(help="School the visiting teachers came from.")],
    lessons: Annotated[
        list[str], typer.Option("--lessons", help="STAGE:SUBJECT:COUNT, e.g. junior:chinese:2.")
    ],
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """Record a caravan teaching visit and the model lessons given per stage and subject."""
    given = []
    for item in lessons:
        stage, _, rest = item.partition(":")
        subject, _, count = rest.partition(":")
        if not (stage and subject and count.isdigit()):
            raise typer.BadParameter(f"{item!r} is not STAGE:SUBJECT:COUNT", param_hint="--lessons")
        given.append({"stage": stage, "subject": subject, "lessons": int(count)})
    command = build(
        c.RecordCaravanVisit,
        county=county,
        term=term,
        visited_on=on,
        visiting_school=visiting_school,
        lessons=given,
    )
    send(command, department, as_json, f"caravan visit of {on} recorded")


@training_app.command("shadow")
def shadow(
    county: CountyOption,
    name: Annotated[str, typer.Option(help="The trainee's full name.")],
    home_school: Annotated[str, typer.Option(help="The trainee's school in the county.")],
    host_school: Annotated[str, typer.Option(help="School where the trainee shadows.")],
    starts: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    ends: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
    trainee: NewIdOption = None,
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """Record a shadow training period of a county teacher at a model school."""
    trainee_id = new_id(trainee, "--trainee")
    command = build(
        c.RecordShadowTraining,
        county=county,
        trainee_id=trainee_id,
        home_school=home_school,
        host_school=host_school,
        starts_on=starts,
        ends_on=ends,
        personal={"name": name},
    )
    send(command, department, as_json, "shadow training recorded", trainee_id=trainee_id)


@training_app.command("order")
def place_order(
    county: CountyOption,
    on: DayOption,
    audience: Annotated[str, typer.Option(help="teaching_researcher or school_inspector.")],
    topic: Annotated[list[str], typer.Option(help="A topic asked for (repeat).")],
    seats: Annotated[int, typer.Option(help="People to train.")],
    order: NewIdOption = None,
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """Record the county's order for a demand-driven training."""
    order_id = new_id(order, "--order")
    command = build(
        c.PlaceTrainingOrder,
        county=county,
        order_id=order_id,
        placed_on=on,
        audience=audience,
        topics=topic,
        seats=seats,
    )
    send(command, department, as_json, "training order placed", order_id=order_id)


@training_app.command("fulfil")
def fulfil_order(
    order: Annotated[str, typer.Option(help="The order's id (UUID).")],
    on: DayOption,
    attendance: Annotated[int, typer.Option(help="People who attended.")],
    trainer: Annotated[list[str], typer.Option(help="A trainer's full name (repeat).")],
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """Record that the province held an ordered training."""
    command = build(
        c.FulfilTrainingOrder,
        order_id=check(order, UUID, "--order"),
        held_on=on,
        attendance=attendance,
        personal={"names": trainer},
    )
    send(command, department, as_json, f"order fulfilled on {on}")


# Supply


@supply_app.command("quota")
def allocate_quota(
    county: CountyOption,
    year: YearOption,
    quota: Annotated[int, typer.Option(help="Special posts allocated.")],
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """Set the special-post teacher quota of a county for a school year."""
    command = build(c.AllocateSpecialPostQuota, county=county, school_year=year, quota=quota)
    send(command, department, as_json, f"quota of {quota} special posts for {year}")


@supply_app.command("filled")
def posts_filled(
    county: CountyOption,
    year: YearOption,
    filled: Annotated[int, typer.Option(help="Special posts filled so far (a running total).")],
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """Record how many of a year's special posts are filled."""
    command = build(c.RecordSpecialPostsFilled, county=county, school_year=year, filled=filled)
    send(command, department, as_json, f"{filled} special posts filled in {year}")


@supply_app.command("graduate")
def graduate(
    county: CountyOption,
    name: Annotated[str, typer.Option(help="The graduate's full name.")],
    school: Annotated[str, typer.Option(help="School the graduate teaches at.")],
    subject: SubjectOption,
    on: DayOption,
    tuition_free: Annotated[
        bool, typer.Option(help="A tuition-free normal graduate recruited (not a placement).")
    ] = False,
    graduate_id: Annotated[str | None, typer.Option("--graduate", help="Id (UUID).")] = None,
    department: str = Department,
    as_json: JsonOption = False,
) -> None:
    """Record a normal graduate placed (mountain-area plan) or a tuition-free one recruited."""
    new = new_id(graduate_id, "--graduate")
    fields = {"county": county, "graduate_id": new, "school": school, "subject": subject}
    fields |= {"personal": {"name": name}}
    command: BaseModel = (
        build(c.RecruitTuitionFreeGraduate, **fields, recruited_on=on)
        if tuition_free
        else build(c.PlaceNormalGraduate, **fields, placed_on=on)
    )
    send(command, department, as_json, "graduate recorded", graduate_id=new)


# Reports


@report_app.command("coverage")
def coverage(
    term: Annotated[str, typer.Option(help="Term, e.g. 2018-autumn.")],
    county: OptionalCountyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Master teachers per subject and host school in a term, against 1-2."""
    check(term, Term, "--term")
    check(county, CountyCode, "--county")
    rows = fetch("/api/staffing/coverage", term=term, county=county)
    show(rows, as_json, lambda r: _coverage_table(r, term, county))


@report_app.command("dispatch-plan")
def dispatch_plan(county: OptionalCountyOption = None, as_json: JsonOption = False) -> None:
    """New master teachers per school year against 4-13, and subjects still lacking."""
    check(county, CountyCode, "--county")
    plan = fetch("/api/staffing/dispatch-plan", county=county)
    show(plan, as_json, _plan_table)


@report_app.command("training")
def training(county: OptionalCountyOption = None, as_json: JsonOption = False) -> None:
    """Caravan visits per season held or missing, orders placed/fulfilled/outstanding."""
    check(county, CountyCode, "--county")
    rows = fetch("/api/staffing/training", county=county)
    show(rows, as_json, lambda r: _table(r, "Training calendar", _TRAINING))


@report_app.command("supply")
def supply(county: OptionalCountyOption = None, as_json: JsonOption = False) -> None:
    """Special posts against quota and new teachers against targets, per school year."""
    check(county, CountyCode, "--county")
    rows = fetch("/api/staffing/supply", county=county)
    show(rows, as_json, lambda r: _table(r, "Teacher supply", _SUPPLY))


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
