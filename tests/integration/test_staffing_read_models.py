"""The pilot's first two school years through the staffing service, NATS and the projection.

Five master teachers were in place before the plan; school years 2017 and 2018 add 5 and 9
(within 4-13) until every subject at Zizhou High School has 2. The reports must show exactly
that, a second run of the same story must change nothing, and a refusal must write nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client as NATS

from contracts.envelope import Accepted
from contracts.staffing.commands import AdoptStaffingTargets
from contracts.staffing.queries import GetTeacherCalendar, TeacherCalendar
from services.projection.read_models.staffing.coverage import coverage, dispatch_plan
from services.projection.read_models.staffing.supply import supply
from services.projection.read_models.staffing.training import training_calendar
from services.staffing.app import configure
from shared.commandbus import CommandClient, new_command
from shared.service import ServiceRuntime, start_service
from shared.settings import Settings
from shared.testing import Sandbox
from tests.support.staffing import (
    COUNTY,
    PILOT,
    SUBJECTS,
    ZIZHOU_HIGH,
    PilotTeacher,
    build_read_model,
    dispatch,
    pilot_story,
    pilot_teachers,
    published,
    send_all,
    snapshot,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def staffing(settings: Settings) -> AsyncIterator[ServiceRuntime]:
    """The staffing service, in this process, on the sandbox."""
    runtime = await start_service("staffing", configure, settings)
    yield runtime
    await runtime.close()


@pytest.fixture
def staffing_client(nc: NATS, sandbox: Sandbox) -> CommandClient:
    return CommandClient(nc, "staffing", sandbox.namespace, timeout=30)


async def event_count(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM staffing.events"))


def by_subject(rows: list[dict[str, Any]], *fields: str) -> dict[str, tuple[Any, ...]]:
    return {r["subject"]: tuple(r[f] for f in fields) for r in rows}


async def test_the_pilots_first_two_years_fill_the_coverage_table(
    staffing: ServiceRuntime,
    staffing_client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    teachers = pilot_teachers()
    story = pilot_story(teachers)
    results = await send_all(staffing_client, story)
    assert [r for r in results if not isinstance(r, Accepted)] == []
    await published(pool)
    events = await event_count(pool)
    await build_read_model(pool, sandbox.database_url, nc, sandbox.namespace)

    autumn_2017 = await coverage(pool, "reporting", "2017-autumn", COUNTY)
    assert [r["subject"] for r in autumn_2017] == list(SUBJECTS)
    assert {r["host_school_name"] for r in autumn_2017} == {"子洲中学"}
    assert by_subject(autumn_2017, "teachers", "arrived", "status") == {
        "chinese": (1, 1, "on_target"),
        "mathematics": (2, 2, "on_target"),
        "english": (1, 1, "on_target"),
        "physics": (1, 1, "on_target"),
        "chemistry": (1, 1, "on_target"),
        "biology": (1, 1, "on_target"),
        "politics": (1, 1, "on_target"),
        "history": (1, 1, "on_target"),
        "geography": (0, 0, "missing"),
    }
    autumn_2018 = await coverage(pool, "reporting", "2018-autumn", COUNTY)
    assert by_subject(autumn_2018, "teachers", "min", "max") == {
        **dict.fromkeys(SUBJECTS, (2, 1, 2)),
        "history": (1, 1, 2),
        "geography": (1, 1, 2),
    }
    spring_2019 = await coverage(pool, "reporting", "2019-spring", COUNTY)
    assert {r["teachers"] for r in spring_2019} == {2}, "every subject has 2"
    assert await coverage(pool, "reporting", "2019-spring", None) == [
        {**r, "county": None, "host_school": None, "host_school_name": None} for r in spring_2019
    ], "the province is the one county"

    plan = await dispatch_plan(pool, "reporting", COUNTY)
    assert plan["baseline"] == {"expected": 5, "in_place": 5}
    years = {y["year"]: y for y in plan["years"]}
    assert sorted(years) == [2017, 2018, 2019, 2020]
    assert (years[2017]["dispatched"], years[2017]["status"]) == (5, "within")
    assert (years[2018]["dispatched"], years[2018]["status"]) == (9, "within")
    geography = [{"county": COUNTY, "host_school": ZIZHOU_HIGH, "subject": "geography"}]
    assert years[2017]["lacking_at_start"] == years[2017]["lacking_at_end"] == geography
    assert years[2018]["lacking_at_start"] == years[2018]["lacking_at_end"] == []
    assert (years[2019]["dispatched"], years[2019]["status"]) == (0, "below")
    assert [x["subject"] for x in years[2019]["lacking_at_start"]] == ["mathematics"]

    training = {r["year"]: r for r in await training_calendar(pool, "reporting", COUNTY)}
    assert _training(training[2017]) == ("held", "held", 11, 2, 1, 1, 2)
    assert _training(training[2018]) == ("held", "missing", 3, 1, 1, 0, 1)
    assert _training(training[2019]) == ("missing", "missing", 0, 0, 0, 0, 0)

    supplied = {r["year"]: r for r in await supply(pool, "reporting", COUNTY)}
    assert _supply(supplied[2017]) == (40, 36, 20, 20, "met", 0, None, "no_target")
    assert _supply(supplied[2018]) == (45, 45, 18, 20, "below", 3, None, "no_target")

    # The same story again, as new commands: nothing is recorded twice.
    before = await snapshot(pool, "reporting")
    again = await send_all(staffing_client, story)
    assert all(isinstance(r, Accepted) and r.event_ids == [] for r in again)
    assert await event_count(pool) == events
    await build_read_model(pool, sandbox.database_url, nc, sandbox.namespace)
    assert await snapshot(pool, "reporting") == before

    # Rebuilt from the first event into a new schema, the read model is the same.
    await build_read_model(pool, sandbox.database_url, nc, sandbox.namespace, "rebuilt")
    assert await snapshot(pool, "rebuilt") == before


async def test_a_refused_dispatch_writes_nothing_and_the_report_is_unchanged(
    staffing: ServiceRuntime,
    staffing_client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    teachers = pilot_teachers()[:7]
    await send_all(staffing_client, pilot_story(teachers)[: 1 + len(teachers)])
    await published(pool)
    events = await event_count(pool)

    (full,) = await send_all(staffing_client, [dispatch(subject="mathematics")])
    (unknown,) = await send_all(staffing_client, [dispatch(subject="music")])
    misordered_command = new_command(dispatch(), department="teacher_division")
    payload = {**misordered_command.payload, "start_term": "2019-autumn"}
    (misordered,) = await staffing_client.send(
        [misordered_command.model_copy(update={"payload": payload})]
    )
    (overlapping,) = await send_all(
        staffing_client, [dispatch(teachers[0].teacher_id, subject="physics", start="2018-autumn")]
    )

    assert [r.status for r in (full, unknown, misordered, overlapping)] == ["rejected"] * 4
    assert [getattr(r, "code", "") for r in (full, unknown, misordered, overlapping)] == [
        "post_full",
        "unknown_subject",
        "invalid_command",
        "overlapping_assignment",
    ]
    assert await event_count(pool) == events
    await build_read_model(pool, sandbox.database_url, nc, sandbox.namespace)
    rows = await coverage(pool, "reporting", "2018-autumn", COUNTY)
    assert by_subject(rows, "teachers")["mathematics"] == (2,)


async def test_the_service_answers_a_teachers_calendar(
    staffing: ServiceRuntime, staffing_client: CommandClient, pool: asyncpg.Pool
) -> None:
    teacher: PilotTeacher = pilot_teachers()[0]
    adopt = AdoptStaffingTargets(county=COUNTY, targets=PILOT[COUNTY])
    results = await send_all(staffing_client, [adopt, teacher.dispatch()])
    assert all(isinstance(r, Accepted) for r in results), results

    calendar = await staffing_client.query(
        GetTeacherCalendar(teacher_id=teacher.teacher_id), TeacherCalendar
    )

    assert [(a.subject, a.start_term, a.end_term) for a in calendar.assignments] == [
        ("chinese", "2016-autumn", "2019-spring")
    ]
    assert (calendar.mentees, calendar.sessions) == (0, 0)


def _training(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        row[f]
        for f in (
            "autumn",
            "spring",
            "model_lessons",
            "orders_placed",
            "orders_fulfilled",
            "orders_outstanding",
            "shadow_trainings",
        )
    )


def _supply(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        row[f]
        for f in (
            "special_post_quota",
            "special_posts_filled",
            "normal_graduates_placed",
            "normal_graduates_target",
            "normal_graduates_status",
            "tuition_free_recruited",
            "tuition_free_target",
            "tuition_free_status",
        )
    )
