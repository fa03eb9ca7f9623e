"""`eduplan demo seed`: a pilot school year (2017-18) in every service, sent over the bus.

What to run after `eduplan up` to see a populated dashboard (the browser tests run it too).
Every step goes through a service's own flows, seed files and commands; each record has a
fixed id or is keyed by what it is, so a rerun records nothing new.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import typer
from pydantic import BaseModel

from contracts.assistance.commands import RecordLeaving
from contracts.assistance.types import LeaveReason, PaymentChannel
from contracts.envelope import CommandResult
from contracts.evaluation import commands as evaluation
from contracts.evaluation.plan import CountyPlan
from contracts.evaluation.types import SchoolStatistics
from contracts.files.county_plan import PILOT_PLAN, read_plan
from contracts.files.dispatch_sheet import COLUMNS as SHEET_COLUMNS
from contracts.files.dispatch_sheet import parse_sheet
from contracts.files.guidance_plan import SeedError, guidance_plan
from contracts.files.pairing_seed import Seed, load_seed
from contracts.files.roster import parse_roster
from contracts.files.sample_roster import sample_rows, to_csv
from contracts.pairing import commands as pairing
from contracts.staffing import commands as staffing
from contracts.types import CountyCode, Stage
from services.cli import aid
from services.cli.common import (
    CountyOption,
    Issuer,
    JsonOption,
    NoWaitOption,
    Outcome,
    Progressed,
    check,
    console,
    err,
    progress,
    run,
    wait_for_reports,
)
from services.cli.county import adoption_commands
from services.cli.evaluation import derived_id
from services.cli.pairing import send_seed
from services.cli.staffing import import_dispatch_sheet
from shared import i18n
from shared.commandbus import CommandClient
from shared.settings import get_settings

YEAR, TERM = 2017, "2017-autumn"
UNIVERSITY_STAGES = {Stage.UNDERGRADUATE.value, Stage.JUNIOR_COLLEGE.value}
LATE_REGISTRATIONS = {Stage.PRESCHOOL: 1, Stage.PRIMARY: 1, Stage.JUNIOR: 1}
"""Registered after the term's grant run: the students the missing-aid report lists."""

app = typer.Typer(help="A populated pilot school year, for trials and the dashboard.")


def pilot_plan(county: str) -> CountyPlan:
    """The pilot's plan (its file), for `county`: the demo's counties share its figures."""
    plan = read_plan(PILOT_PLAN)
    return plan.model_copy(update={"county": plan.county.model_copy(update={"code": county})})


def demo_id(*parts: object) -> UUID:
    return uuid5(NAMESPACE_URL, "eduplan:demo:" + ":".join(map(str, parts)))


@dataclass
class Log:
    """What each step did, printed as it goes; any rejection makes the exit status 1."""

    as_json: bool
    steps: dict[str, dict[str, object]] = field(default_factory=dict)
    rejected: int = 0

    def add(self, step: str, outcome: Outcome) -> None:
        self.steps[step] = outcome.as_dict()
        self.rejected += len(outcome.rejected)
        if self.as_json:
            return
        counts = ", ".join(f"{n} {k}" for k, n in outcome.counts.items() if k != "rejected")
        console.print(f"  {step}: {counts or 'nothing to do'}", highlight=False)
        for where, code, message in outcome.rejected:
            err.print(f"  [yellow]{where}[/yellow]: {message} [dim]({code})[/dim]", highlight=False)


@contextmanager
def bar(description: str, total: int) -> Iterator[Progressed]:
    shown, advance = progress(f"  {description}", total)
    with shown:
        yield advance


def sent(
    results: list[CommandResult], names: list[str], expected: dict[str, str] | None = None
) -> Outcome:
    outcome = Outcome()
    for name, result in zip(names, results, strict=True):
        outcome.tally(name, result, "recorded", "unchanged", expected)
    return outcome


async def send(client: CommandClient, issuer: Issuer, commands: list[BaseModel]) -> Outcome:
    """Send in order, one request per run of commands of one type (a request has one subject)."""
    results: list[CommandResult] = []
    for _, same in itertools.groupby(commands, key=type):
        results += await client.send([issuer.command(c) for c in same])
    return sent(results, [type(c).__name__ for c in commands])


# Student assistance ----------------------------------------------------------------------


async def seed_assistance(client: CommandClient, county: str, log: Log) -> None:
    aid_center, finance = Issuer("aid_center"), Issuer("finance")
    rows = sample_rows(county, school_year=YEAR)
    roster = list(parse_roster(to_csv(rows).encode()))
    with bar("registering the sample roster", len(roster)) as advance:
        log.add("roster", await aid.import_roster(client, roster, aid_center, advance, 250, YEAR))
    ids = await aid.resolve(client, (r["student_registry_id"] for r in rows))
    dropout = next(r for r in rows if r["stage"] == Stage.JUNIOR.value)
    leaving = RecordLeaving(
        student_id=ids[dropout["student_registry_id"]],
        reason=LeaveReason.DROPPED_OUT,
        left_on=date(YEAR, 9, 18),
        note="家访未见到学生 (not found at home visit)",
    )
    (result,) = await client.send([aid_center.command(leaving)])
    log.add("dropout", sent([result], ["dropout"], {"not_in_school": "unchanged"}))
    students = [str(ids[r["student_registry_id"]]) for r in rows]
    with bar(f"granting {TERM}", len(students)) as advance:
        log.add("grants", await aid.grant_aid(client, students, TERM, aid_center, advance))
    registered = await aid.registered_students(client, county)
    payment = {"term": TERM, "paid_on": date(YEAR, 10, 20), "reference": f"DEMO-{county}-{TERM}"}
    payment["channel"] = PaymentChannel.ONE_CARD_ACCOUNT
    with bar(f"paying {TERM}", len(registered)) as advance:
        log.add("payments", await aid.PAY.send(client, registered, payment, finance, advance))
    universities: dict[str, list[str]] = {}
    for r in rows:
        if r["stage"] in UNIVERSITY_STAGES:
            universities.setdefault(r["school"], []).append(str(ids[r["student_registry_id"]]))
    rosters: list[dict[str, object]] = [
        {"university": u, "student_ids": s} for u, s in sorted(universities.items())
    ]
    with bar("sending rosters to universities", len(rosters)) as advance:
        dispatched = await aid.dispatch_universities(
            client,
            county,
            YEAR,
            rosters,
            date(YEAR, 10, 9),
            date(YEAR, 12, 31),
            aid_center,
            advance,
        )
        log.add("university rosters", dispatched)
    known = {r["student_registry_id"] for r in rows}
    late_rows = [
        r
        for r in sample_rows(county, LATE_REGISTRATIONS, seed=YEAR + 1, school_year=YEAR)
        if r["student_registry_id"] not in known
    ]
    late = list(parse_roster(to_csv(late_rows).encode()))
    with bar("registering late students", len(late)) as advance:
        log.add("late registrations", await aid.import_roster(client, late, aid_center, advance))


# School pairing --------------------------------------------------------------------------


async def seed_pairing(client: CommandClient, county: str, log: Log) -> None:
    issuer = Issuer("basic_ed_1")
    pilot = load_seed()
    pairs = tuple(p.model_copy(update={"county": county}) for p in pilot.pairs)
    (targets,) = adoption_commands(pilot_plan(county))["pairing"]
    assert isinstance(targets, pairing.AdoptPairingTargets)
    with bar("establishing the pilot pairs", len(pairs) + 1) as advance:
        log.add("pairs", await send_seed(client, Seed(county, pairs), issuer, advance, targets))
    term = {"start_date": date(YEAR, 9, 4), "end_date": date(YEAR + 1, 1, 19)}

    def at(school: str, stage: Stage) -> dict[str, Any]:
        return {"county": county, "helped_school_id": school, "stage": stage}

    high, primary = at("zizhou_high_school", Stage.HIGH_SCHOOL), at("dalihe_primary", Stage.PRIMARY)
    middle = at("zizhou_no2_middle_school", Stage.JUNIOR)
    secondments = (  # the helped side, direction, role, form, name, content
        (high, "helper_to_helped", "vice_principal", "full-time on site", "刘志强",
         "教学管理与课堂改革 (teaching management, classroom reform)"),
        (primary, "helped_to_helper", "academic_director", "shadowing the office", "马丽华",
         "教务管理 (academic affairs)"),
    )  # fmt: skip
    commands: list[BaseModel] = [
        *(
            pairing.SecondManager.model_validate(
                side | term | {
                    "secondment_id": demo_id(county, "secondment", n), "direction": direction,
                    "role": role, "form": form, "personal": {"name": name}, "content": content,
                }
            )
            for n, (side, direction, role, form, name, content) in enumerate(secondments, 1)
        ),
        pairing.RecordShadowing.model_validate(
            middle | {
                "start_date": date(YEAR, 10, 9), "end_date": date(YEAR, 12, 8),
                "shadowing_id": demo_id(county, "shadowing", 1), "subject": "mathematics",
                "personal": {"name": "张丽"},
            }
        ),
        pairing.RecordModelLesson.model_validate(
            high | {
                "lesson_id": demo_id(county, "lesson", 1), "subject": "physics",
                "weak_subject": True, "given_on": date(YEAR, 11, 15),
                "title": "牛顿第二定律 (Newton's second law)", "given_by": "subject_leader",
                "personal": {"name": "王建华"},
            }
        ),
        pairing.ShareTeachingResource.model_validate(
            primary | {
                "resource_id": demo_id(county, "resource", 1), "kind": "courseware",
                "title": "三年级数学课件 (grade 3 mathematics courseware)",
                "subject": "mathematics", "for_stage": "primary", "shared_on": date(YEAR, 12, 1),
            }
        ),
    ]  # fmt: skip
    log.add("pair activity", await send(client, issuer, commands))


# Teacher staffing ------------------------------------------------------------------------

MASTER_TEACHERS = (
    # subject, first term, planned last term, arrived on, name
    ("chinese", "2016-autumn", "2019-spring", "2016-09-01", "高文华"),
    ("mathematics", "2016-autumn", "2019-spring", "2016-09-01", "王建国"),
    ("english", "2016-autumn", "2019-spring", "2016-09-01", "李娜"),
    ("physics", "2016-autumn", "2019-spring", "2016-09-01", "赵刚"),
    ("chemistry", "2016-autumn", "2019-spring", "2016-09-01", "孙丽"),
    ("mathematics", "2017-autumn", "2019-spring", "2017-09-04", "周强"),
    ("biology", "2017-autumn", "2019-spring", "2017-09-04", "吴敏"),
    ("politics", "2017-autumn", "2019-spring", "2017-09-04", "郑洁"),
    ("history", "2017-autumn", "2019-spring", "2017-09-05", "冯涛"),
)
"""Five in place before the plan, four more in 2017: geography still has nobody."""


def dispatch_sheet(county: str) -> str:
    lines = [",".join(SHEET_COLUMNS)]
    for i, (subject, start, end, arrived, name) in enumerate(MASTER_TEACHERS):
        teacher = demo_id(county, "master_teacher", i)
        lines.append(
            f"{county},zizhou_high_school,{subject},{teacher},{name},西安高级中学,"
            f"{start},{end},{arrived}"
        )
    return "\n".join(lines) + "\n"


async def seed_staffing(client: CommandClient, county: str, log: Log) -> None:
    issuer = Issuer("teacher_division")
    adopted = await send(client, issuer, adoption_commands(pilot_plan(county))["staffing"])
    log.add("targets", adopted)
    if adopted.rejected:
        return
    sheet = list(parse_sheet(dispatch_sheet(county)))
    with bar("dispatching master teachers", 2 * len(sheet)) as advance:
        log.add("master teachers", await import_dispatch_sheet(client, sheet, issuer, advance))
    people = [
        ("子洲县实验中学", "english", "孙悦"),
        ("子洲县第二中学", "mathematics", "李航"),
        ("子洲县实验小学", "chinese", "张欣"),
        ("子洲县大理河小学", "physics", "王婷"),
    ] * 3
    graduates = [
        staffing.PlaceNormalGraduate.model_validate(
            {
                "county": county,
                "graduate_id": demo_id(county, "graduate", i),
                "school": school,
                "subject": subject,
                "personal": {"name": name},
                "placed_on": date(YEAR, 9, 1),
            }
        )
        for i, (school, subject, name) in enumerate(people)
    ]
    lessons = [
        {"stage": "high_school", "subject": "mathematics", "lessons": 2},
        {"stage": "junior", "subject": "chinese", "lessons": 3},
    ]
    training: list[BaseModel] = [
        staffing.RecordCaravanVisit.model_validate(
            {
                "county": county,
                "term": TERM,
                "visited_on": date(YEAR, 11, 8),
                "visiting_school": "陕西师范大学附属中学",
                "lessons": lessons,
            }
        ),
        staffing.AllocateSpecialPostQuota(county=county, school_year=YEAR, quota=40),
        staffing.RecordSpecialPostsFilled(county=county, school_year=YEAR, filled=36),
    ]
    log.add("training and supply", await send(client, issuer, [*training, *graduates]))


# Guidance and evaluation -----------------------------------------------------------------

CENSUS = {
    # school, name, then SchoolStatistics in its field order: enrolment, teaching floor m²,
    # sports m², equipment yuan, computers, books, teachers, above qualification, titled,
    # backbone, PE/art, multimedia classrooms. 大理河小学 has 2 multimedia classrooms for 620
    # pupils: that quality indicator's coefficient is above its maximum.
    Stage.PRIMARY: [
        ("zizhou_experimental_primary", "子洲实验小学", 1480, 7100, 11600, 3300000, 62, 33000,
         88, 72, 50, 17, 15, 38),
        ("dalihe_primary", "大理河小学", 620, 2950, 4900, 1350000, 24, 14200, 38, 30, 21, 7, 6,
         2),
        ("majiacha_primary", "马岔小学", 140, 640, 1500, 160000, 2, 2300, 12, 5, 4, 1, 1, 2),
    ],
    Stage.JUNIOR: [
        ("zizhou_no2_middle_school", "子洲二中", 1650, 9800, 17500, 4300000, 80, 41000, 118,
         100, 70, 22, 17, 42),
        ("zizhou_experimental_middle_school", "实验中学", 1210, 7300, 12600, 3100000, 58, 30500,
         86, 72, 50, 15, 12, 30),
    ],
}  # fmt: skip


async def seed_evaluation(client: CommandClient, county: str, log: Log) -> None:
    office = Issuer("office")
    log.add(
        "county plan",
        await send(client, office, adoption_commands(pilot_plan(county))["evaluation"]),
    )
    institute = Issuer("education_science_institute")
    try:
        plan: list[BaseModel] = [guidance_plan(county, YEAR)]
    except SeedError as exc:
        log.add("guidance", Outcome(rejected=[("guidance plan", "no_guidance_plan", str(exc))]))
        plan = []
    held = date(YEAR, 10, 12)
    if plan:
        visit = evaluation.RecordResearchVisit.model_validate(
            {
                "county": county,
                "year": YEAR,
                "institution": "zizhou_high_school",
                "held_on": held,
                "visit_id": derived_id("visit", county, "zizhou_high_school", held),
                "topics": ["entrance_exam_quality_analysis", "efficient_classroom_reform"],
                "personal": {"experts": ["王建华", "李秀英"]},
                "findings": "数学、物理薄弱 (mathematics and physics are weak)",
            }
        )
        log.add("guidance", await send(client, institute, [*plan, visit]))
    office = Issuer("supervision_office")
    fields = list(SchoolStatistics.model_fields)
    for stage, schools in CENSUS.items():
        where: dict[str, Any] = {"county": county, "year": YEAR, "stage": stage}
        census: list[BaseModel] = [
            evaluation.RegisterCensusSchool(**where, school=s[0], name=s[1]) for s in schools
        ]
        census += [
            evaluation.SubmitSchoolStatistics.model_validate(
                where | {"school": s[0], "statistics": dict(zip(fields, s[2:], strict=True))}
            )
            for s in schools
        ]
        census.append(evaluation.AssessBalancedDevelopment(**where))
        log.add(f"{stage.value} census and balance", await send(client, office, census))


# The command -----------------------------------------------------------------------------

Step = Callable[[CommandClient, str, Log], Awaitable[None]]
STEPS: tuple[tuple[str, str, Step], ...] = (
    ("assistance", "Student assistance: roster, grants, payments, universities", seed_assistance),
    ("pairing", "School pairing: the 7 pilot pairs and their activity", seed_pairing),
    ("staffing", "Teacher staffing: targets, master teachers, training, supply", seed_staffing),
    ("evaluation", "Guidance and evaluation: plan, visit, census, balance", seed_evaluation),
)


def _bound(step: Step, county: str, log: Log) -> Callable[[CommandClient], Any]:
    return lambda client: step(client, county, log)


@app.command()
def seed(
    county: CountyOption = "610831",
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
) -> None:
    """Record the pilot's 2017-18 school year in every service; a rerun records nothing new.

    The data is the pilot's (Zizhou); another --county gets the same schools and people.

    Assistance: the sample roster (school year 2017), one dropout, grants and payments for
    2017-autumn, rosters sent to universities, and three students registered after the grant
    run (the missing-aid list). The pilot's plan and targets (its plan file, for --county) in
    the evaluation, staffing and pairing services. Pairing: the 7 pilot pairs, two
    secondments, a shadowing period, a model lesson, courseware. Staffing: targets, 9 master
    teachers (geography lacking), a caravan visit, special posts, 12 placed graduates.
    Evaluation: the guidance plan and a visit; primary and junior census, statistics and
    balance assessments.
    """
    check(county, CountyCode, "--county")
    log = Log(as_json)
    for service, title, step in STEPS:
        if not as_json:
            console.print(f"[bold]{title}[/bold]", highlight=False)
        run(service, _bound(step, county, log), wait=False)
    if not no_wait:
        wait_for_reports([service for service, _, _ in STEPS], get_settings().report_wait)
    if as_json:
        console.print_json(json.dumps(log.steps, ensure_ascii=False))
    else:
        console.print(
            f"done: term {TERM}, county {county}; {log.rejected} rejected\n"
            + i18n.text(
                "cli.dashboard_at",
                url=f"{get_settings().reporting_url.rstrip('/')}/?county={county}&term={TERM}",
            ),
            highlight=False,
        )
    if log.rejected:
        raise typer.Exit(1)
