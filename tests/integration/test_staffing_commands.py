"""The staffing service's command processing on the real event store (no NATS).

The two rules of a dispatch live in two aggregates: a post's capacity (never more teachers at
once than its target) and a teacher's calendar (one post at a time). These tests hold both
under concurrent commands, and check that a refusal writes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from pydantic import BaseModel

from contracts.envelope import Accepted, CommandEnvelope, CommandResult, Rejected
from contracts.staffing import commands as c
from services.staffing.domain.post import POST, post_stream
from services.staffing.domain.teacher import TEACHER, teacher_stream
from shared.commandbus import new_command
from shared.eventstore import EventStore
from shared.processor import CommandProcessor, payload_of
from tests.support.staffing import (
    COUNTY,
    SECOND_SCHOOL,
    ZIZHOU_HIGH,
    at_post,
    dispatch,
    processor_for,
    raced,
    with_second_host_school,
)

pytestmark = pytest.mark.integration

MATHS = post_stream(COUNTY, ZIZHOU_HIGH, "mathematics")


@pytest.fixture
async def staffing_store(pool: asyncpg.Pool) -> EventStore:
    store = EventStore(pool, "staffing")
    await store.setup()
    return store


@pytest.fixture
def processor(staffing_store: EventStore) -> CommandProcessor:
    return processor_for(staffing_store, with_second_host_school())


def issued(payload: BaseModel, department: str = "teacher_division") -> CommandEnvelope:
    return new_command(payload, department=department)


def accepted(result: CommandResult) -> Accepted:
    assert isinstance(result, Accepted), result
    return result


def rejected(result: CommandResult) -> Rejected:
    assert isinstance(result, Rejected), result
    return result


async def counts(pool: asyncpg.Pool) -> dict[str, int]:
    tables = ("events", "outbox", "commands", "streams")
    return {t: await pool.fetchval(f"SELECT count(*) FROM staffing.{t}") for t in tables}


async def types(store: EventStore, stream_id: str) -> list[str]:
    return [e.event_type for e in await store.load(stream_id)]


async def booked(store: EventStore, teacher_id: UUID) -> list[tuple[str, str, str, str]]:
    """The teacher's calendar: (host school, subject, start term, end term)."""
    calendar = TEACHER.fold(map(payload_of, await store.load(teacher_stream(teacher_id))))
    return sorted((b.post[1], b.post[2], b.start_term, b.end_term) for b in calendar.bookings)


async def serving(store: EventStore, stream_id: str) -> list[UUID]:
    """Teachers whose dispatch to the post stands (not withdrawn)."""
    post = POST.fold(map(payload_of, await store.load(stream_id)))
    return [a.teacher_id for a in post.assignments if not a.withdrawn]


async def handle(processor: CommandProcessor, *payloads: BaseModel) -> list[CommandResult]:
    return await processor.handle([issued(p) for p in payloads])


# A dispatch goes to the post, then to the teacher's calendar


async def test_a_dispatch_is_admitted_by_the_post_and_booked_in_the_calendar(
    processor: CommandProcessor, staffing_store: EventStore
) -> None:
    command = issued(dispatch(end="2019-spring"))

    (result,) = await processor.handle([command])

    assert accepted(result).stream_id == MATHS
    assert await types(staffing_store, MATHS) == ["MasterTeacherDispatched"]
    teacher_id = UUID(command.payload["teacher_id"])
    assert await booked(staffing_store, teacher_id) == [
        (ZIZHOU_HIGH, "mathematics", "2017-autumn", "2019-spring")
    ]
    (entry,) = await staffing_store.load(teacher_stream(teacher_id))
    assert entry.metadata["causation_id"] == str(command.command_id)
    assert entry.metadata["correlation_id"] == str(command.correlation_id)
    assert entry.metadata["actor"] == "system", "in-process: the service's own actor"


async def test_extending_ending_and_withdrawing_keep_the_calendar_in_line(
    processor: CommandProcessor, staffing_store: EventStore
) -> None:
    first, second = dispatch(end="2018-spring"), dispatch(end="2019-spring")
    await handle(processor, first, second)
    await handle(
        processor, c.RecordMasterTeacherArrival(**at_post(first), arrived_on=date(2017, 9, 4))
    )
    extend = c.ExtendMasterTeacherSupport(**at_post(first), planned_end_term="2019-autumn")
    (extended,) = await handle(processor, extend)
    end = c.EndMasterTeacherSupport(**at_post(first), last_term="2018-autumn")
    (ended,) = await handle(processor, end)
    withdraw = c.WithdrawMasterTeacherDispatch(**at_post(second), reason="not released")
    (withdrawn,) = await handle(processor, withdraw)

    assert [accepted(r).version for r in (extended, ended, withdrawn)] == [4, 5, 6]
    assert await booked(staffing_store, first.teacher_id) == [
        (ZIZHOU_HIGH, "mathematics", "2017-autumn", "2018-autumn")
    ]
    assert await booked(staffing_store, second.teacher_id) == []
    assert await types(staffing_store, teacher_stream(second.teacher_id)) == [
        "TeacherAssignmentRecorded",
        "TeacherAssignmentCancelled",
    ]


# Capacity under concurrency


async def test_of_five_concurrent_dispatches_to_one_subject_only_two_are_admitted(
    processor: CommandProcessor, staffing_store: EventStore
) -> None:
    commands = [dispatch() for _ in range(5)]

    outcomes = await raced(staffing_store.pool, *(handle(processor, cmd) for cmd in commands))

    results = [result for (result,) in outcomes]
    admitted = [
        cmd.teacher_id for cmd, r in zip(commands, results, strict=True) if r.status == "accepted"
    ]
    assert len(admitted) == 2
    assert sorted(rejected(r).code for r in results if r.status == "rejected") == ["post_full"] * 3
    assert sorted(map(str, await serving(staffing_store, MATHS))) == sorted(map(str, admitted))
    for cmd in commands:
        expected = 1 if cmd.teacher_id in admitted else 0
        assert len(await booked(staffing_store, cmd.teacher_id)) == expected


async def test_many_concurrent_requests_never_put_three_teachers_in_one_subject(
    processor: CommandProcessor, staffing_store: EventStore
) -> None:
    subjects = ("mathematics", "physics", "chemistry")
    commands = [dispatch(subject=subjects[i % 3]) for i in range(15)]
    raise_physics = c.RaiseSubjectTarget(
        county=COUNTY, host_school=ZIZHOU_HIGH, subject="physics", max_teachers=3, reason="exam"
    )

    results = await asyncio.gather(
        *(handle(processor, cmd) for cmd in commands), handle(processor, raise_physics)
    )

    assert all(r.status == "accepted" or r.code in ("post_full", "conflict") for (r,) in results)
    (raised,) = results[-1]
    physics_most = 3 if raised.status == "accepted" else 2
    for subject, most in (("mathematics", 2), ("physics", physics_most), ("chemistry", 2)):
        admitted = await serving(staffing_store, post_stream(COUNTY, ZIZHOU_HIGH, subject))
        assert len(admitted) <= most, subject
    accepted_dispatches = sum(r.status == "accepted" for (r,) in results[:-1])
    total = 0
    for subject in subjects:
        total += len(await serving(staffing_store, post_stream(COUNTY, ZIZHOU_HIGH, subject)))
    assert total == accepted_dispatches


# One teacher, one post at a time


async def test_a_dispatch_overlapping_the_teachers_calendar_is_refused_and_writes_nothing(
    processor: CommandProcessor, staffing_store: EventStore, pool: asyncpg.Pool
) -> None:
    first = dispatch(start="2017-autumn", end="2019-spring")
    await handle(processor, first)
    before = await counts(pool)
    elsewhere = dispatch(first.teacher_id, school=SECOND_SCHOOL, start="2018-autumn")

    (result,) = await handle(processor, elsewhere)

    assert rejected(result).code == "overlapping_assignment"
    assert "mathematics at zizhou_high_school (610831) 2017-autumn to 2019-spring" in result.message
    assert await counts(pool) == before


async def test_an_extension_into_another_assignment_is_refused_and_writes_nothing(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    here = dispatch(start="2017-autumn", end="2018-spring")
    there = dispatch(here.teacher_id, school=SECOND_SCHOOL, start="2018-autumn", end="2019-spring")
    await handle(processor, here)
    await handle(processor, there)
    before = await counts(pool)

    extend = c.ExtendMasterTeacherSupport(**at_post(here), planned_end_term="2018-autumn")
    (result,) = await handle(processor, extend)

    assert rejected(result).code == "overlapping_assignment"
    assert await counts(pool) == before


async def test_two_dispatches_of_one_teacher_in_one_request_admit_one_and_withdraw_the_other(
    processor: CommandProcessor, staffing_store: EventStore
) -> None:
    teacher_id = uuid4()
    here, there = dispatch(teacher_id), dispatch(teacher_id, school=SECOND_SCHOOL)
    commands = [issued(here), issued(there)]

    first, second = await processor.handle(commands)

    assert accepted(first).stream_id == MATHS
    assert rejected(second).code == "overlapping_assignment"
    assert "it was withdrawn" in second.message
    other = post_stream(COUNTY, SECOND_SCHOOL, "mathematics")
    assert await types(staffing_store, other) == [
        "MasterTeacherDispatched",
        "MasterTeacherDispatchWithdrawn",
    ]
    withdrawal = (await staffing_store.load(other))[1]
    assert withdrawal.metadata["causation_id"] == str(commands[1].command_id)
    assert await serving(staffing_store, other) == []
    assert await booked(staffing_store, teacher_id) == [
        (ZIZHOU_HIGH, "mathematics", "2017-autumn", "2019-spring")
    ]
    (again,) = await processor.handle([commands[1]])
    assert rejected(again).code == "overlapping_assignment", "a repeat gets the refusal again"
    assert len(await staffing_store.load(other)) == 2


async def test_concurrent_dispatches_of_one_teacher_to_two_schools_leave_one_assignment(
    processor: CommandProcessor, staffing_store: EventStore
) -> None:
    teacher_id = uuid4()
    here, there = dispatch(teacher_id), dispatch(teacher_id, school=SECOND_SCHOOL)

    (a,), (b,) = await raced(staffing_store.pool, handle(processor, here), handle(processor, there))

    assert sorted([a.status, b.status]) == ["accepted", "rejected"]
    assert next(r for r in (a, b) if isinstance(r, Rejected)).code == "overlapping_assignment"
    schools = [
        school
        for school in (ZIZHOU_HIGH, SECOND_SCHOOL)
        if await serving(staffing_store, post_stream(COUNTY, school, "mathematics"))
    ]
    assert len(schools) == 1
    assert [s for s, *_ in await booked(staffing_store, teacher_id)] == schools


async def test_a_concurrent_extension_and_dispatch_never_overlap_one_teachers_terms(
    processor: CommandProcessor, staffing_store: EventStore
) -> None:
    here = dispatch(start="2017-autumn", end="2018-spring")
    await handle(processor, here)
    extend = c.ExtendMasterTeacherSupport(**at_post(here), planned_end_term="2019-spring")
    there = dispatch(here.teacher_id, school=SECOND_SCHOOL, start="2018-autumn")

    (a,), (b,) = await raced(
        staffing_store.pool, handle(processor, extend), handle(processor, there)
    )

    assert sorted([a.status, b.status]) == ["accepted", "rejected"]
    calendar = await booked(staffing_store, here.teacher_id)
    posts: list[tuple[str, str, str]] = []
    for school in (ZIZHOU_HIGH, SECOND_SCHOOL):
        state = POST.fold(
            map(payload_of, await staffing_store.load(post_stream(COUNTY, school, "mathematics")))
        )
        posts += [(school, x.start_term, x.end_term) for x in state.assignments if not x.withdrawn]
    assert sorted((s, start, end) for s, _, start, end in calendar) == sorted(posts)
    if a.status == "accepted":
        assert calendar == [(ZIZHOU_HIGH, "mathematics", "2017-autumn", "2019-spring")]
    else:
        assert rejected(a).code == "overlapping_assignment"
        assert calendar == [
            (ZIZHOU_HIGH, "mathematics", "2017-autumn", "2018-spring"),
            (SECOND_SCHOOL, "mathematics", "2018-autumn", "2019-spring"),
        ]


# Idempotency and refusals


async def test_the_same_dispatch_sent_twice_is_stored_once(
    processor: CommandProcessor, staffing_store: EventStore
) -> None:
    command = issued(dispatch())

    (first,) = await processor.handle([command])
    (second,) = await processor.handle([command])
    (same_again,) = await processor.handle([issued(c.DispatchMasterTeacher(**command.payload))])

    assert first == second
    assert accepted(same_again).event_ids == []
    assert await types(staffing_store, MATHS) == ["MasterTeacherDispatched"]
    assert len(await booked(staffing_store, UUID(command.payload["teacher_id"]))) == 1


@pytest.mark.parametrize(
    ("payload", "department", "code", "where"),
    [
        ({"subject": "music"}, "teacher_division", "unknown_subject", "music"),
        ({"host_school": "yulin_no1_high_school"}, "teacher_division", "unknown_host_school", ""),
        ({"county": "610802"}, "teacher_division", "unknown_county", "610802"),
        (
            {"start_term": "2019-autumn", "planned_end_term": "2019-spring"},
            "teacher_division",
            "invalid_command",
            "planned_end_term 2019-spring is before start_term 2019-autumn",
        ),
        ({}, "finance", "not_permitted", "teacher_division"),
    ],
    ids=["unknown_subject", "unknown_host_school", "unknown_county", "end_before_start", "dept"],
)
async def test_a_bad_dispatch_is_refused_with_a_code_and_writes_nothing(
    processor: CommandProcessor,
    pool: asyncpg.Pool,
    payload: dict[str, Any],
    department: str,
    code: str,
    where: str,
) -> None:
    await handle(processor, dispatch())
    before = await counts(pool)
    command = issued(dispatch(), department)
    command = command.model_copy(update={"payload": {**command.payload, **payload}})

    (result,) = await processor.handle([command])

    assert rejected(result).code == code
    assert where in result.message
    assert await counts(pool) == before


async def test_a_third_teacher_is_refused_without_writing_then_admitted_after_a_raise(
    processor: CommandProcessor, pool: asyncpg.Pool, staffing_store: EventStore
) -> None:
    await handle(processor, dispatch(), dispatch())
    before = await counts(pool)
    third = dispatch()

    (refused,) = await handle(processor, third)
    assert rejected(refused).code == "post_full"
    assert await counts(pool) == before

    raise_to_3 = c.RaiseSubjectTarget(
        county=COUNTY, host_school=ZIZHOU_HIGH, subject="mathematics", max_teachers=3, reason="exam"
    )
    results: Sequence[CommandResult] = await handle(processor, raise_to_3, third)
    assert [r.status for r in results] == ["accepted", "accepted"]
    assert len(await serving(staffing_store, MATHS)) == 3
