"""Operating read models: poison events set aside and retried, rebuilds that equal the live
model, and reports as of a past moment or position."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from nats.js.errors import NotFoundError

from contracts.envelope import EventEnvelope
from contracts.subjects import event_subject, stream_name
from services.projection.read_models.assistance import PROJECTIONS as AID_PROJECTIONS
from services.projection.read_models.assistance import reports as aid_reports
from services.projection.read_models.assistance.coverage import AidCoverageProjection
from shared.asof import AsOf, Snapshots
from shared.commandbus import CommandClient
from shared.jetstream import ensure_stream
from shared.migrations import Migration
from shared.projections import ProjectionRunner
from shared.rebuild import RebuildStatus, rebuild
from shared.service import ServiceRuntime
from shared.testing import Sandbox, wait_for
from tests.support.projection import fill_through_service, run_to_end, snapshot, stream_last_seq

pytestmark = pytest.mark.integration


class Fragile:
    """A read model whose code cannot handle events marked poison, until it is fixed."""

    name = "fragile"
    sources: tuple[str, ...] = ("assistance",)
    migrations: tuple[Migration, ...] = (
        Migration(1, "seen", 'CREATE TABLE "{schema}".fragile_seen (stream_id text, version int)'),
    )
    fixed = False

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        for e in events:
            if e.payload.get("poison") and not self.fixed:
                raise ValueError(f"cannot read {e.event_type} {e.stream_id} v{e.version}")
        await conn.executemany(
            f'INSERT INTO "{schema}".fragile_seen VALUES ($1, $2)',
            [(e.stream_id, e.version) for e in events],
        )


def envelope(stream_id: str, version: int, poison: bool = False) -> EventEnvelope:
    now = datetime.now(UTC)
    return EventEnvelope(
        event_id=uuid.uuid4(),
        event_type="NoteTaken",
        schema_version=1,
        service="assistance",
        position=version,
        stream_id=stream_id,
        stream_type="note",
        version=version,
        county="610831",
        occurred_at=now,
        recorded_at=now,
        actor="tester",
        department="aid_center",
        correlation_id=uuid.uuid4(),
        causation_id=None,
        command_id=None,
        payload={"poison": poison},
    )


async def publish(nc: NATS, namespace: str, *events: EventEnvelope) -> None:
    js = nc.jetstream()
    for e in events:
        subject = event_subject("assistance", e.county, e.stream_type, e.event_type, namespace)
        await js.publish(subject, e.model_dump_json().encode())


async def seen(pool: asyncpg.Pool) -> list[tuple[str, int]]:
    rows = await pool.fetch("SELECT stream_id, version FROM reporting.fragile_seen ORDER BY 1, 2")
    return [(r["stream_id"], r["version"]) for r in rows]


async def test_a_poison_event_is_set_aside_its_stream_waits_and_a_retry_applies_both(
    pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox
) -> None:
    await ensure_stream(nc.jetstream(), "assistance", sandbox.namespace)
    fragile = Fragile()
    runner = ProjectionRunner(pool, sandbox.database_url, nc, fragile, namespace=sandbox.namespace)
    await runner.setup()
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await publish(
        nc,
        sandbox.namespace,
        envelope("a", 1),
        envelope("a", 2, poison=True),
        envelope("a", 3),
        envelope("b", 1),
    )

    async def through(seq: int) -> bool:
        return await runner.checkpoint("assistance") >= seq

    await wait_for(lambda: through(4))
    assert await seen(pool) == [("a", 1), ("b", 1)], "the batch went on without the poison"
    assert (runner.dead, runner.parked) == (1, 1)
    (letter,) = await pool.fetch("SELECT * FROM reporting.projection_dead_letters")
    assert (letter["stream_id"], letter["version"]) == ("a", 2)
    assert "ValueError: cannot read NoteTaken a v2" in letter["error"]

    js = nc.jetstream()

    async def copied_to_the_dead_letter_stream() -> bool:
        with contextlib.suppress(NotFoundError):
            info = await js.stream_info(stream_name("deadletters", sandbox.namespace))
            return bool(info.state.messages == 1)
        return False

    await wait_for(copied_to_the_dead_letter_stream)
    dead = await js.get_msg(stream_name("deadletters", sandbox.namespace), 1)
    assert json.loads(dead.data)["envelope"]["stream_id"] == "a"

    await publish(nc, sandbox.namespace, envelope("b", 2), envelope("a", 4))
    await wait_for(lambda: through(6))
    assert await seen(pool) == [("a", 1), ("b", 1), ("b", 2)], "stream a waits behind its poison"

    assert await runner.retry_dead_letters() == (0, 1), "not fixed yet: still dead"
    fragile.fixed = True
    applied, still_dead = await runner.retry_dead_letters()
    assert (applied, still_dead) == (3, 0)
    assert await seen(pool) == [("a", 1), ("a", 2), ("a", 3), ("a", 4), ("b", 1), ("b", 2)]
    assert (runner.dead, runner.parked) == (0, 0)
    stop.set()
    await task


async def test_a_rebuild_while_writes_go_on_equals_a_build_from_scratch(
    assistance: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    await fill_through_service(client, pool, 800, ("2017-autumn", "2018-spring"))
    live = ProjectionRunner(
        pool,
        sandbox.database_url,
        nc,
        AidCoverageProjection(),
        namespace=sandbox.namespace,
        batch_size=300,
    )
    await live.setup()
    stop = asyncio.Event()
    live_task = asyncio.create_task(live.run(stop))
    status = RebuildStatus("aid_coverage")
    rebuilding = asyncio.create_task(rebuild(live, status))
    more = fill_through_service(client, pool, 200, ("2017-autumn",), county="610802")
    await asyncio.gather(rebuilding, more)
    assert status.state == "done"
    assert status.reached["assistance"] >= status.targets["assistance"] > 0

    last = await stream_last_seq(nc, sandbox.namespace)

    async def live_done() -> bool:
        return await live.checkpoint("assistance") >= last

    await wait_for(live_done)
    stop.set()
    await live_task
    await run_to_end(pool, sandbox.database_url, nc, sandbox.namespace, "reference", last)
    rebuilt = await snapshot(pool, "reporting")
    assert rebuilt == await snapshot(pool, "reference")
    assert len(rebuilt["aid_students"]) == 1000
    assert not await pool.fetchval(
        "SELECT count(*) FROM pg_namespace WHERE nspname = 'rebuild_aid_coverage'"
    )


async def test_a_report_as_of_a_moment_equals_the_report_made_at_that_moment(
    assistance: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    await fill_through_service(client, pool, 300, ("2017-autumn",))
    moment = datetime.now(UTC)
    position = await stream_last_seq(nc, sandbox.namespace)
    await run_to_end(pool, sandbox.database_url, nc, sandbox.namespace, "reporting", position)
    then = {
        "coverage": await aid_reports.coverage(pool, "reporting", "2017-autumn", None),
        "programmes": await aid_reports.programmes(pool, "reporting", "2017-autumn", None),
    }
    await asyncio.sleep(0.05)
    await fill_through_service(client, pool, 150, ("2017-autumn", "2018-spring"), "610802")
    last = await stream_last_seq(nc, sandbox.namespace)
    await run_to_end(pool, sandbox.database_url, nc, sandbox.namespace, "reporting", last)
    assert await aid_reports.coverage(pool, "reporting", "2017-autumn", None) != then["coverage"]

    snapshots = Snapshots(pool, nc, sandbox.namespace)
    for as_of in (AsOf(moment=moment), AsOf(positions=(("assistance", position),))):
        schema = await snapshots.schema_for(AID_PROJECTIONS, as_of)
        assert await aid_reports.coverage(pool, schema, "2017-autumn", None) == then["coverage"]
        assert await aid_reports.programmes(pool, schema, "2017-autumn", None) == then["programmes"]
