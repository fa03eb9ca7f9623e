"""The staffing projection folds a batch set-based: however the events fall into batches,
the tables end the same (a re-dispatch after a withdrawal, patches after a dispatch)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest
from pydantic import BaseModel

from contracts.envelope import EventEnvelope
from contracts.registry import spec_of
from contracts.staffing import events as e
from contracts.staffing.types import PersonPersonal
from services.projection.read_models.staffing import StaffingProjection
from services.projection.read_models.staffing.coverage import coverage
from shared.projections import setup_projection
from tests.support.staffing import COUNTY, PILOT, ZIZHOU_HIGH, snapshot

pytestmark = pytest.mark.integration

TEACHER = uuid.uuid4()
POST = {"county": COUNTY, "host_school": ZIZHOU_HIGH, "subject": "physics"}
SPAN = {"teacher_id": TEACHER, "start_term": "2017-autumn", "planned_end_term": "2019-spring"}


def history() -> list[BaseModel]:
    """Dispatched, withdrawn, dispatched again with the same start, arrived, extended, ended."""
    dispatched = e.MasterTeacherDispatched(
        **POST, **SPAN, home_school="西安高级中学", personal=PersonPersonal(name="赵刚")
    )
    return [
        e.StaffingTargetsAdopted(county=COUNTY, targets=PILOT[COUNTY]),
        dispatched,
        e.MasterTeacherDispatchWithdrawn(**POST, **SPAN, reason="not released"),
        dispatched,
        e.MasterTeacherArrived(**POST, **SPAN, arrived_on=date(2017, 9, 4)),
        e.MasterTeacherSupportExtended(
            **POST, **{**SPAN, "planned_end_term": "2020-spring"},
            previous_planned_end_term="2019-spring",
        ),
        e.MasterTeacherSupportEnded(
            **POST, **{**SPAN, "planned_end_term": "2020-spring"}, last_term="2019-autumn"
        ),
        e.SubjectTargetRaised(
            **POST, min_teachers=1, previous_max_teachers=2, max_teachers=3, reason="exam"
        ),
    ]  # fmt: skip


def envelopes(events: list[BaseModel]) -> list[EventEnvelope]:
    versions: dict[str, int] = {}
    out = []
    for position, event in enumerate(events, start=1):
        spec = spec_of(event)
        stream = f"{COUNTY}:targets" if spec.stream_type == "staffing_targets" else "post"
        versions[stream] = versions.get(stream, 0) + 1
        now = datetime(2019, 1, 1, tzinfo=UTC)
        out.append(
            EventEnvelope(
                event_id=uuid.uuid4(), event_type=spec.event_type, schema_version=1,
                service="staffing", position=position, stream_id=stream,
                stream_type=spec.stream_type, version=versions[stream], county=COUNTY,
                occurred_at=now, recorded_at=now, actor="tester", department="teacher_division",
                correlation_id=uuid.uuid4(), causation_id=None, command_id=uuid.uuid4(),
                payload=event.model_dump(mode="json"),
            )
        )  # fmt: skip
    return out


async def applied(pool: asyncpg.Pool, schema: str, batches: list[list[EventEnvelope]]) -> Any:
    projection = StaffingProjection()
    async with pool.acquire() as conn:
        await setup_projection(conn, schema, projection)
        for batch in batches:
            async with conn.transaction():
                await projection.apply(conn, schema, batch)
    return await snapshot(pool, schema)


async def test_one_batch_and_one_event_per_batch_end_the_same(pool: asyncpg.Pool) -> None:
    events = envelopes(history())

    whole = await applied(pool, "whole", [events])
    single = await applied(pool, "single", [[event] for event in events])
    split = await applied(pool, "split", [events[:3], events[3:5], events[5:]])

    assert whole == single == split
    (row,) = whole["staffing_assignments"]
    assert row[-1] is False, "the dispatch again after the withdrawal stands"
    physics = [
        r for r in await coverage(pool, "whole", "2019-autumn", COUNTY) if r["subject"] == "physics"
    ]
    assert [(r["teachers"], r["arrived"], r["max"]) for r in physics] == [(1, 1, 3)]
    after = [
        r for r in await coverage(pool, "whole", "2020-spring", COUNTY) if r["subject"] == "physics"
    ]
    assert after[0]["teachers"] == 0, "ended after 2019-autumn, though planned until 2020-spring"


async def test_a_readoption_without_a_subject_drops_its_post_from_the_report(
    pool: asyncpg.Pool,
) -> None:
    fewer = PILOT[COUNTY].model_copy(update={"subjects": ["chinese", "mathematics"]})
    events = envelopes(
        [
            e.StaffingTargetsAdopted(county=COUNTY, targets=PILOT[COUNTY]),
            e.StaffingTargetsAdopted(county=COUNTY, targets=fewer),
        ]
    )

    await applied(pool, "readopted", [events[:1], events[1:]])

    rows = await coverage(pool, "readopted", "2018-autumn", COUNTY)
    assert [r["subject"] for r in rows] == ["chinese", "mathematics"]
