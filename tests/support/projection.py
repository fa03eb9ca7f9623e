"""Helpers to fill a stream through the real assistance service and to compare read models."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from nats.aio.client import Client as NATS

from contracts.files.roster import parse_roster
from contracts.files.sample_roster import sample_rows, to_csv
from contracts.subjects import stream_name
from services.cli import aid
from services.cli.common import Issuer
from services.projection.read_models.assistance.coverage import AidCoverageProjection
from shared.commandbus import CommandClient
from shared.projections import ProjectionRunner
from shared.testing import wait_for

READ_MODEL_TABLES = {
    "aid_students": "student_id",
    "aid_student_personal": "student_id",
    "aid_grants": "student_id, term, programme",
}


async def fill_through_service(
    client: CommandClient,
    pool: asyncpg.Pool,
    students: int,
    terms: tuple[str, ...] = ("2017-autumn",),
    county: str = "610831",
) -> int:
    """Register `students` pilot-shaped students of a county, grant each term, wait until all
    is published. Returns the number of events now in the service's store."""
    rows = sample_rows(county, seed=students)[:students]
    lines = list(parse_roster(to_csv(rows).encode()))
    issuer = Issuer("aid_center")
    await aid.import_roster(client, lines, issuer, lambda n: None)
    ids = await aid.registered_students(client, county)
    for term in terms:
        await aid.grant_aid(client, ids, term, issuer, lambda n: None)

    async def published() -> bool:
        return not await pool.fetchval("SELECT count(*) FROM assistance.outbox")

    await wait_for(published, timeout=60)
    return int(await pool.fetchval("SELECT count(*) FROM assistance.events"))


async def stream_last_seq(nc: NATS, namespace: str) -> int:
    info = await nc.jetstream().stream_info(stream_name("assistance", namespace))
    return int(info.state.last_seq)


async def snapshot(pool: asyncpg.Pool, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: [
            tuple(r) for r in await pool.fetch(f'SELECT * FROM "{schema}".{table} ORDER BY {key}')
        ]
        for table, key in READ_MODEL_TABLES.items()
    }


async def run_to_end(
    pool: asyncpg.Pool, dsn: str, nc: NATS, namespace: str, schema: str, last_seq: int
) -> ProjectionRunner:
    """Build the aid projection into `schema` without interruption, up to `last_seq`."""
    runner = ProjectionRunner(pool, dsn, nc, AidCoverageProjection(), schema, namespace)
    await runner.setup()
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))

    async def caught_up() -> bool:
        return await runner.checkpoint("assistance") >= last_seq

    await wait_for(caught_up, timeout=60)
    stop.set()
    await task
    return runner
