"""The projection runner: exactly-once effect under crashes, redelivery, duplicates and gaps."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from nats.aio.client import Client as NATS

from contracts.envelope import EventEnvelope
from contracts.subjects import event_subject, stream_name
from services.projection.read_models.assistance.coverage import AidCoverageProjection
from shared.commandbus import CommandClient
from shared.jetstream import ensure_stream
from shared.projections import ProjectionRunner, apply_batch
from shared.puller import Delivery, stream_sequence
from shared.service import ServiceRuntime
from shared.testing import Sandbox, start_process, stop_process, wait_for
from tests.support.projection import fill_through_service, run_to_end, snapshot, stream_last_seq

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def checkpoint(pool: asyncpg.Pool, schema: str = "reporting") -> int:
    if not await pool.fetchval("SELECT to_regclass($1)", f"{schema}.projection_checkpoints"):
        return 0
    value = await pool.fetchval(
        f'SELECT stream_seq FROM "{schema}".projection_checkpoints WHERE projection = $1',
        "aid_coverage",
    )
    return int(value or 0)


ROW_MAKING_EVENTS = ["StudentRegistered", "StudentAidAssessed", "AidGranted"]


async def rows_in_read_model(pool: asyncpg.Pool) -> int:
    """Here each registration, assessment (one per student and term) and grant adds one row."""
    return int(
        await pool.fetchval(
            "SELECT (SELECT count(*) FROM reporting.aid_students)"
            " + (SELECT count(*) FROM reporting.aid_assessments)"
            " + (SELECT count(*) FROM reporting.aid_grants)"
        )
    )


async def row_making_events_up_to(pool: asyncpg.Pool, position: int) -> int:
    """The relay published in position order here, so stream sequence = position."""
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM assistance.events WHERE position <= $1"
            " AND event_type = ANY($2::text[])",
            position,
            ROW_MAKING_EVENTS,
        )
    )


async def test_killed_mid_batch_and_restarted_it_ends_equal_to_an_uninterrupted_run(
    assistance: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    events = await fill_through_service(client, pool, 1500, ("2017-autumn", "2018-spring"))
    last = await stream_last_seq(nc, sandbox.namespace)
    assert last == events
    await run_to_end(pool, sandbox.database_url, nc, sandbox.namespace, "reference", last)

    env = sandbox.env(EDUPLAN_HTTP_PORT=str(free_port()), EDUPLAN_PROJECTION_BATCH_SIZE="100")
    log = Path(tempfile.mkdtemp()) / "projection.log"
    victim = start_process("services.projection", env, log)
    try:

        async def inside_a_batch() -> bool:
            return (
                bool(
                    await pool.fetchval(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
                        " AND application_name = 'eduplan-projection' AND xact_start IS NOT NULL"
                        " AND query LIKE '%reporting%'",
                        sandbox.database,
                    )
                )
                and await checkpoint(pool) > 0
            )

        await wait_for(inside_a_batch, timeout=60, interval=0.002)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
    finally:
        stop_process(victim)

    reached = await checkpoint(pool)
    assert 0 < reached < last, "the kill must land during catch-up"
    expected = await row_making_events_up_to(pool, reached)
    assert await rows_in_read_model(pool) == expected, "only whole batches were committed"

    survivor = start_process("services.projection", env, log)
    try:

        async def caught_up() -> bool:
            return await checkpoint(pool) == last

        await wait_for(caught_up, timeout=60)
    finally:
        stop_process(survivor)
    assert await snapshot(pool, "reporting") == await snapshot(pool, "reference")
    assert await rows_in_read_model(pool) == await row_making_events_up_to(pool, last)


async def test_redelivered_and_republished_events_change_nothing(
    assistance: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    await fill_through_service(client, pool, 200)
    last = await stream_last_seq(nc, sandbox.namespace)
    await run_to_end(pool, sandbox.database_url, nc, sandbox.namespace, "reporting", last)
    before = await snapshot(pool, "reporting")

    js = nc.jetstream()
    stream = stream_name("assistance", sandbox.namespace)
    sub = await js.pull_subscribe("", durable=None, stream=stream)
    messages = []
    while len(messages) < last:
        messages += await sub.fetch(500, timeout=5)
    redelivered = [Delivery(stream_sequence(m.reply), m.data, m.reply) for m in messages]
    async with pool.acquire() as conn:
        outcome = await apply_batch(
            conn, "reporting", AidCoverageProjection(), "assistance", redelivered
        )
    assert (outcome.applied, outcome.skipped) == (0, last)

    # A re-publish after the duplicate window: same event, new message id, new stream sequence.
    await js.publish(
        messages[-1].subject, messages[-1].data, headers={"Nats-Msg-Id": str(uuid.uuid4())}
    )
    runner = await run_to_end(
        pool, sandbox.database_url, nc, sandbox.namespace, "reporting", last + 1
    )
    assert runner.applied == 0
    assert await snapshot(pool, "reporting") == before


def envelope(
    stream_id: str, version: int, event_type: str, payload: dict[str, object]
) -> EventEnvelope:
    now = datetime.now(UTC)
    return EventEnvelope(
        event_id=uuid.uuid4(),
        event_type=event_type,
        schema_version=1,
        service="assistance",
        position=version,
        stream_id=stream_id,
        stream_type="student",
        version=version,
        county="610831",
        occurred_at=now,
        recorded_at=now,
        actor="tester",
        department="aid_center",
        correlation_id=uuid.uuid4(),
        causation_id=None,
        command_id=uuid.uuid4(),
        payload=payload,
    )


async def test_an_event_ahead_of_its_stream_waits_for_the_gap_to_close(
    pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox
) -> None:
    js = nc.jetstream()
    await ensure_stream(js, "assistance", sandbox.namespace)
    student = str(uuid.uuid4())
    registered = envelope(
        student,
        1,
        "StudentRegistered",
        {
            "student_id": student,
            "county": "610831",
            "school": "子洲中学",
            "stage": "high_school",
            "grade": 1,
            "boarding": False,
            "personal": {
                "student_registry_id": "G61083120020301001X",
                "name": "李华",
                "gender": "female",
                "birth_date": "2002-03-01",
                "household_id": "61083100000001",
            },
        },
    )

    def granted(version: int, programme: str) -> EventEnvelope:
        return envelope(
            student,
            version,
            "AidGranted",
            {
                "student_id": student,
                "term": "2017-autumn",
                "programme": programme,
                "stage": "high_school",
                "grade": 1,
                "amount": "1250.00",
                "annual_amount": "2500.00",
            },
        )

    async def publish(*events: EventEnvelope) -> None:
        for e in events:
            subject = event_subject(
                "assistance", "610831", "student", e.event_type, sandbox.namespace
            )
            await js.publish(subject, e.model_dump_json().encode())

    runner = ProjectionRunner(
        pool, sandbox.database_url, nc, AidCoverageProjection(), namespace=sandbox.namespace
    )
    await runner.setup()
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))

    async def seen(seq: int) -> bool:
        return await runner.checkpoint("assistance") >= seq

    async def grants() -> list[str]:
        rows = await pool.fetch("SELECT programme FROM reporting.aid_grants ORDER BY programme")
        return [r["programme"] for r in rows]

    await publish(granted(2, "hs_national_grant"))  # version 2 before version 1
    await wait_for(lambda: seen(1))
    assert await grants() == []
    assert runner.parked == 1

    await publish(registered)
    await wait_for(lambda: seen(2))
    assert await grants() == ["hs_national_grant"]
    assert runner.parked == 0

    await publish(granted(4, "hs_tuition_waiver"))  # version 3 is missing
    await wait_for(lambda: seen(3))
    assert await grants() == ["hs_national_grant"]
    assert runner.parked == 1
    stop.set()
    await task
