"""Readable staffing test data: the pilot's targets, commands with unique ids, the pilot story.

The pilot story is the plan's first two school years at Zizhou High School: five master
teachers in place before the plan (2016-autumn), then school years 2017 and 2018 each add new
ones within 4-13, until every one of the 9 subjects has 2.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from nats.aio.client import Client as NATS
from pydantic import BaseModel

from contracts.envelope import CommandResult
from contracts.files.dispatch_sheet import COLUMNS as SHEET_COLUMNS
from contracts.staffing import commands as c
from contracts.staffing.terms import term_index
from contracts.staffing.types import (
    Audience,
    CountyTargets,
    HostSchoolTarget,
    ModelLessons,
    PersonPersonal,
    Range,
    TrainersPersonal,
)
from contracts.subjects import stream_name
from contracts.types import Stage
from services.projection.read_models.staffing import StaffingProjection
from services.staffing.assignments import AssignmentProcessor
from services.staffing.handlers import command_handlers, load_permissions
from services.staffing.targets import StaffingTargets, load_targets
from shared.commandbus import CommandClient, new_command
from shared.eventstore import EventStore
from shared.projections import ProjectionRunner
from shared.testing import wait_for

COUNTY = "610831"
ZIZHOU_HIGH = "zizhou_high_school"
SUBJECTS = (
    "chinese",
    "mathematics",
    "english",
    "physics",
    "chemistry",
    "biology",
    "politics",
    "history",
    "geography",
)
PILOT = load_targets()
SECOND_SCHOOL = "zizhou_no2_middle_school"


def with_second_host_school(targets: StaffingTargets = PILOT) -> dict[str, CountyTargets]:
    """The pilot's targets with a second host school, for rules between two host schools."""
    county = targets[COUNTY]
    second = HostSchoolTarget(
        id=SECOND_SCHOOL, name="子洲县第二中学", teachers_per_subject=Range(min=1, max=2)
    )
    return {
        **targets,
        COUNTY: county.model_copy(update={"host_schools": [*county.host_schools, second]}),
    }


def dispatch(
    teacher_id: UUID | None = None,
    subject: str = "mathematics",
    start: str = "2017-autumn",
    end: str = "2019-spring",
    school: str = ZIZHOU_HIGH,
    name: str = "王建国",
    county: str = COUNTY,
) -> c.DispatchMasterTeacher:
    return c.DispatchMasterTeacher(
        county=county,
        host_school=school,
        subject=subject,
        teacher_id=teacher_id or uuid4(),
        home_school="西安高级中学",
        start_term=start,
        planned_end_term=end,
        personal=PersonPersonal(name=name),
    )


def at_post(command: c.DispatchMasterTeacher) -> dict[str, Any]:
    """The address fields later commands about the same assignment carry."""
    return {
        "county": command.county,
        "host_school": command.host_school,
        "subject": command.subject,
        "teacher_id": command.teacher_id,
    }


def arrival(command: c.DispatchMasterTeacher, on: date) -> c.RecordMasterTeacherArrival:
    return c.RecordMasterTeacherArrival(**at_post(command), arrived_on=on)


@dataclass(frozen=True)
class PilotTeacher:
    """One master teacher of the pilot story."""

    subject: str
    start: str
    end: str
    arrived_on: date
    name: str
    teacher_id: UUID

    def dispatch(self) -> c.DispatchMasterTeacher:
        return dispatch(self.teacher_id, self.subject, self.start, self.end, name=self.name)

    def arrival(self) -> c.RecordMasterTeacherArrival:
        return arrival(self.dispatch(), self.arrived_on)


def _teacher(subject: str, start: str, end: str, arrived: str, name: str) -> PilotTeacher:
    return PilotTeacher(subject, start, end, date.fromisoformat(arrived), name, uuid4())


def pilot_teachers() -> list[PilotTeacher]:
    """5 in place, 5 new in school year 2017 and 9 in 2018: every subject has 2 by 2019-spring.

    Geography has nobody until 2018-autumn; the physics teacher in place, planned until
    2019-spring, ends early after 2018-spring, which leaves room for two in 2018-autumn.
    """
    return [
        _teacher("chinese", "2016-autumn", "2019-spring", "2016-09-01", "高文华"),
        _teacher("mathematics", "2016-autumn", "2019-spring", "2016-09-01", "王建国"),
        _teacher("english", "2016-autumn", "2019-spring", "2016-09-01", "李娜"),
        _teacher("physics", "2016-autumn", "2019-spring", "2016-09-01", "赵刚"),
        _teacher("chemistry", "2016-autumn", "2019-spring", "2016-09-01", "孙丽"),
        _teacher("mathematics", "2017-autumn", "2019-spring", "2017-09-04", "周强"),
        _teacher("biology", "2017-autumn", "2019-spring", "2017-09-04", "吴敏"),
        _teacher("politics", "2017-autumn", "2019-spring", "2017-09-04", "郑洁"),
        _teacher("history", "2017-autumn", "2019-spring", "2017-09-05", "冯涛"),
        _teacher("chinese", "2018-spring", "2019-autumn", "2018-03-01", "褚明"),
        _teacher("physics", "2018-autumn", "2020-spring", "2018-09-03", "卫东"),
        _teacher("physics", "2018-autumn", "2020-spring", "2018-09-03", "蒋红"),
        _teacher("english", "2018-autumn", "2020-spring", "2018-09-03", "沈阳"),
        _teacher("chemistry", "2018-autumn", "2020-spring", "2018-09-03", "韩梅"),
        _teacher("biology", "2018-autumn", "2020-spring", "2018-09-03", "杨帆"),
        _teacher("politics", "2018-autumn", "2020-spring", "2018-09-03", "朱伟"),
        _teacher("geography", "2018-autumn", "2020-spring", "2018-09-03", "陈静"),
        _teacher("history", "2019-spring", "2020-autumn", "2019-02-25", "秦岭"),
        _teacher("geography", "2019-spring", "2020-autumn", "2019-02-25", "许诺"),
    ]


PILOT_IN_PLACE = 5
PILOT_DISPATCHED = {2017: 5, 2018: 9}
"""New master teachers by school year (2018 = 2018-autumn + 2019-spring)."""


def processor_for(
    store: EventStore, targets: StaffingTargets = PILOT, max_attempts: int = 5
) -> AssignmentProcessor:
    return AssignmentProcessor(store, command_handlers(targets), load_permissions(), max_attempts)


async def raced(pool: asyncpg.Pool, *calls: Awaitable[Any]) -> list[Any]:
    """Run the calls so that each has loaded and decided before any of them may append.

    Returns each call's result, or the exception it raised, in call order.
    """
    async with pool.acquire() as gate, gate.transaction():
        await gate.execute("LOCK TABLE staffing.events IN SHARE MODE")
        tasks = [asyncio.ensure_future(call) for call in calls]

        async def all_waiting() -> bool:
            waiting = await pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return bool(waiting == len(tasks))

        await wait_for(all_waiting, timeout=10)
    return await asyncio.gather(*tasks, return_exceptions=True)


def pilot_story(teachers: Sequence[PilotTeacher]) -> list[BaseModel]:
    """The commands of the pilot's first two school years, in the order they are sent."""
    physics_in_place = teachers[3]
    first = [t for t in teachers if term_index(t.start) < term_index("2018-autumn")]
    then = [t for t in teachers if t not in first]
    order = [uuid4() for _ in range(3)]
    trainers = TrainersPersonal(names=["陈晓东", "赵敏"])
    return [
        c.AdoptStaffingTargets(county=COUNTY, targets=PILOT[COUNTY]),
        *(t.dispatch() for t in first),
        *(t.arrival() for t in first),
        c.EndMasterTeacherSupport(**at_post(physics_in_place.dispatch()), last_term="2018-spring"),
        *(t.dispatch() for t in then),
        *(t.arrival() for t in then),
        _visit(
            "2017-autumn",
            date(2017, 11, 8),
            "陕西师范大学附属中学",
            [
                ("high_school", "mathematics", 2),
                ("high_school", "english", 2),
                ("junior", "chinese", 3),
            ],
        ),
        _visit(
            "2018-spring",
            date(2018, 4, 18),
            "西安高级中学",
            [("high_school", "physics", 2), ("primary", "mathematics", 2)],
        ),
        _visit(
            "2018-autumn",
            date(2018, 10, 24),
            "西北工业大学附属中学",
            [("high_school", "chemistry", 3)],
        ),
        _order(order[0], date(2017, 9, 20), Audience.SCHOOL_INSPECTOR, 30),
        _order(order[1], date(2018, 3, 12), Audience.TEACHING_RESEARCHER, 40),
        _order(order[2], date(2018, 10, 10), Audience.TEACHING_RESEARCHER, 25),
        c.FulfilTrainingOrder(
            order_id=order[0], held_on=date(2017, 11, 15), attendance=28, personal=trainers
        ),
        c.FulfilTrainingOrder(
            order_id=order[2], held_on=date(2018, 12, 5), attendance=25, personal=trainers
        ),
        _shadow(date(2017, 10, 9), date(2017, 12, 8)),
        _shadow(date(2018, 3, 5), date(2018, 4, 27)),
        _shadow(date(2018, 10, 8), date(2018, 11, 30)),
        c.AllocateSpecialPostQuota(county=COUNTY, school_year=2017, quota=40),
        c.AllocateSpecialPostQuota(county=COUNTY, school_year=2018, quota=45),
        c.RecordSpecialPostsFilled(county=COUNTY, school_year=2017, filled=36),
        c.RecordSpecialPostsFilled(county=COUNTY, school_year=2018, filled=45),
        *(_graduate(date(2017, 9, 1)) for _ in range(20)),
        *(_graduate(date(2018, 9, 1)) for _ in range(18)),
        *(_graduate(date(2018, 9, 3), tuition_free=True) for _ in range(3)),
    ]


def _visit(
    term: str, on: date, school: str, lessons: list[tuple[str, str, int]]
) -> c.RecordCaravanVisit:
    return c.RecordCaravanVisit(
        county=COUNTY,
        term=term,
        visited_on=on,
        visiting_school=school,
        lessons=[
            ModelLessons(stage=Stage(s), subject=subject, lessons=n) for s, subject, n in lessons
        ],
    )


def _order(order_id: UUID, on: date, audience: Audience, seats: int) -> c.PlaceTrainingOrder:
    return c.PlaceTrainingOrder(
        county=COUNTY,
        order_id=order_id,
        placed_on=on,
        audience=audience,
        topics=["课堂观察"],
        seats=seats,
    )


def _shadow(starts: date, ends: date) -> c.RecordShadowTraining:
    return c.RecordShadowTraining(
        county=COUNTY,
        trainee_id=uuid4(),
        home_school="子洲县第二中学",
        host_school="西安市铁一中学",
        starts_on=starts,
        ends_on=ends,
        personal=PersonPersonal(name="张丽"),
    )


def _graduate(on: date, tuition_free: bool = False) -> BaseModel:
    fields = {
        "county": COUNTY,
        "graduate_id": uuid4(),
        "school": "子洲县实验中学",
        "subject": "english",
        "personal": PersonPersonal(name="孙悦"),
    }
    if tuition_free:
        return c.RecruitTuitionFreeGraduate(**fields, recruited_on=on)
    return c.PlaceNormalGraduate(**fields, placed_on=on)


async def send_all(
    client: CommandClient, payloads: Sequence[BaseModel], department: str = "teacher_division"
) -> list[CommandResult]:
    """Send in order, one request per run of commands of the same type."""
    results: list[CommandResult] = []
    for _, run in itertools.groupby(payloads, key=type):
        batch = [new_command(p, department=department) for p in run]
        results += await client.send(batch)
    return results


async def published(pool: asyncpg.Pool) -> None:
    """Wait until the relay has published every committed event."""

    async def outbox_empty() -> bool:
        return not await pool.fetchval("SELECT count(*) FROM staffing.outbox")

    await wait_for(outbox_empty, timeout=60)


async def build_read_model(
    pool: asyncpg.Pool, dsn: str, nc: NATS, namespace: str, schema: str = "reporting"
) -> ProjectionRunner:
    """Run the staffing projection into `schema` until it has every event of the stream."""
    info = await nc.jetstream().stream_info(stream_name("staffing", namespace))
    runner = ProjectionRunner(pool, dsn, nc, StaffingProjection(), schema, namespace)
    await runner.setup()
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))

    async def caught_up() -> bool:
        return await runner.checkpoint("staffing") >= info.state.last_seq

    try:
        await wait_for(caught_up, timeout=60)
    finally:
        stop.set()
        await task
    return runner


STAFFING_TABLES = {
    "staffing_targets": "county",
    "staffing_posts": "county, host_school, subject",
    "staffing_assignments": "county, host_school, subject, teacher_id, start_index",
    "staffing_caravan_visits": "county, visited_on, visiting_school",
    "staffing_training_orders": "order_id",
    "staffing_shadow_trainings": "trainee_id, starts_on",
    "staffing_special_posts": "county, school_year",
    "staffing_new_teachers": "graduate_id",
}


async def snapshot(pool: asyncpg.Pool, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for table, key in STAFFING_TABLES.items():
        rows = await pool.fetch(f'SELECT * FROM "{schema}".{table} ORDER BY {key}')
        tables[table] = [tuple(r) for r in rows]
    return tables


def dispatch_sheet(teachers: Sequence[PilotTeacher]) -> str:
    """A dispatch sheet (CSV) of the teachers, with their arrival days."""
    lines = [",".join(SHEET_COLUMNS)]
    for t in teachers:
        lines.append(
            f"{COUNTY},{ZIZHOU_HIGH},{t.subject},{t.teacher_id},{t.name},西安高级中学,"
            f"{t.start},{t.end},{t.arrived_on.isoformat()}"
        )
    return "\n".join(lines) + "\n"
