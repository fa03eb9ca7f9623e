"""Every read model, fed by a school year of every work stream: the live build, a build from
scratch and a rebuild swapped in while serving all hold exactly the same rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from nats.js.errors import NotFoundError

from contracts.assistance.commands import RecordLeaving
from contracts.assistance.types import LeaveReason
from contracts.files.roster import parse_roster
from contracts.files.sample_roster import sample_rows, to_csv
from contracts.subjects import stream_name
from contracts.types import Stage
from services.assistance.app import configure as configure_assistance
from services.cli import aid, demo
from services.cli.common import Issuer
from services.evaluation.app import configure as configure_evaluation
from services.pairing.app import configure as configure_pairing
from services.projection.alerts.app import build_processor
from services.projection.alerts.app import configure as configure_alerts
from services.projection.alerts.detector import Detector
from services.projection.alerts.rules import RULES
from services.projection.read_models import projections
from services.staffing.app import configure as configure_staffing
from shared.batch_apply import RUNNER_TABLES
from shared.commandbus import CommandClient
from shared.projections import ProjectionRunner
from shared.rebuild import RebuildStatus, rebuild
from shared.service import ServiceRuntime, start_service
from shared.settings import Settings
from shared.testing import Sandbox, wait_for

pytestmark = pytest.mark.integration
SERVICES = {
    "assistance": configure_assistance,
    "staffing": configure_staffing,
    "pairing": configure_pairing,
    "evaluation": configure_evaluation,
    "alerts": configure_alerts,
}
COUNTY = "610831"


@pytest.fixture
async def every_service(settings: Settings) -> AsyncIterator[dict[str, ServiceRuntime]]:
    # The alerts service sweeps once at start (nothing to find yet); the test sweeps by hand.
    slow = settings.model_copy(update={"alerts_interval": 3600})
    runtimes = {
        name: await start_service(name, configure, slow) for name, configure in SERVICES.items()
    }
    yield runtimes
    for runtime in runtimes.values():
        await runtime.close()


async def seed_assistance(client: CommandClient) -> None:
    """90 students of every stage; two terms granted to all but three; one pupil drops out."""
    issuer = Issuer("aid_center")
    rows = sample_rows(COUNTY, counts=dict.fromkeys(Stage, 90), seed=21)
    lines = list(parse_roster(to_csv(rows).encode()))
    await aid.import_roster(client, lines, issuer, lambda n: None, school_year=2017)
    students = await aid.registered_students(client, COUNTY)
    for term in ("2017-autumn", "2018-spring"):
        await aid.grant_aid(client, students[3:], term, issuer, lambda n: None)
    pupil = (
        await aid.resolve(
            client, [next(r for r in rows if r["stage"] == "primary")["student_registry_id"]]
        )
    ).popitem()[1]
    leaving = RecordLeaving(
        student_id=pupil, reason=LeaveReason.DROPPED_OUT, left_on=date(2017, 11, 1)
    )
    await client.send([issuer.command(leaving)])


async def last_seq(nc: NATS, namespace: str, source: str) -> int:
    try:
        return int(
            (await nc.jetstream().stream_info(stream_name(source, namespace))).state.last_seq
        )
    except NotFoundError:
        return 0


async def caught_up(runner: ProjectionRunner, nc: NATS, namespace: str) -> bool:
    for source in runner.projection.sources:
        if await runner.checkpoint(source) < await last_seq(nc, namespace, source):
            return False
    return True


async def tables(pool: asyncpg.Pool, schema: str) -> list[str]:
    rows = await pool.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND NOT tablename = ANY($2)"
        " ORDER BY tablename",
        schema,
        list(RUNNER_TABLES),
    )
    return [r["tablename"] for r in rows]


async def contents(pool: asyncpg.Pool, schema: str, names: list[str]) -> dict[str, list[Any]]:
    found = {}
    for table in names:
        width = await pool.fetchval(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_schema = $1 AND table_name = $2",
            schema,
            table,
        )
        order = ", ".join(str(i) for i in range(1, width + 1))
        rows = await pool.fetch(f'SELECT * FROM "{schema}"."{table}" ORDER BY {order}')
        found[table] = [tuple(r) for r in rows]
    return found


async def test_every_read_model_rebuilt_while_serving_equals_a_build_from_scratch(
    every_service: dict[str, ServiceRuntime], pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox
) -> None:
    await seed_assistance(CommandClient(nc, "assistance", sandbox.namespace))
    log = demo.Log(as_json=True)
    for name, seed in (
        ("pairing", demo.seed_pairing),
        ("staffing", demo.seed_staffing),
        ("evaluation", demo.seed_evaluation),
    ):
        await seed(CommandClient(nc, name, sandbox.namespace), COUNTY, log)
    assert log.rejected == 0, log.steps

    async def outboxes_empty() -> bool:
        counts = [await pool.fetchval(f'SELECT count(*) FROM "{name}".outbox') for name in SERVICES]
        return not any(counts)

    await wait_for(outboxes_empty, timeout=120)
    models = projections()
    live = {
        p.name: ProjectionRunner(pool, sandbox.database_url, nc, p, "reporting", sandbox.namespace)
        for p in models
    }
    fresh = {
        p.name: ProjectionRunner(pool, sandbox.database_url, nc, p, "scratch", sandbox.namespace)
        for p in models
    }
    stop = asyncio.Event()
    tasks = []
    for runner in (*live.values(), *fresh.values()):
        await runner.setup()
        tasks.append(asyncio.create_task(runner.run(stop)))

    async def all_caught_up() -> bool:
        checks = [caught_up(r, nc, sandbox.namespace) for r in (*live.values(), *fresh.values())]
        return all(await asyncio.gather(*checks))

    await wait_for(all_caught_up, timeout=180, interval=0.2)
    detector = Detector(build_processor(every_service["alerts"].store), pool, RULES)
    assert (await detector.sweep(date(2017, 12, 20))).raised > 0
    await wait_for(outboxes_empty)
    await wait_for(all_caught_up, timeout=60, interval=0.2)
    events = sum([await last_seq(nc, sandbox.namespace, s) for s in SERVICES])
    assert events > 3000, "a few thousand events from every service"
    for source in SERVICES:
        assert await last_seq(nc, sandbox.namespace, source) > 0, f"{source} published events"

    names = await tables(pool, "scratch")
    assert len(names) >= 20
    built_live = await contents(pool, "reporting", names)
    assert built_live == await contents(pool, "scratch", names)
    assert sum(1 for rows in built_live.values() if rows) >= 15, "most read models have rows"

    for name, runner in live.items():
        status = RebuildStatus(name)
        await rebuild(runner, status)
        assert status.state == "done", (name, status.error)
    await wait_for(all_caught_up, timeout=60)
    assert await contents(pool, "reporting", names) == await contents(pool, "scratch", names)
    # the audit trail's search indexes, built after its rows, are all there again
    assert await indexes(pool, "reporting") == await indexes(pool, "scratch")
    assert "audit_events_payload_idx" in {name for name, _ in await indexes(pool, "reporting")}
    stop.set()
    await asyncio.gather(*tasks)


async def indexes(pool: asyncpg.Pool, schema: str) -> set[tuple[str, str]]:
    """(name, definition) of every index on a read model's tables in `schema`."""
    rows = await pool.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1"
        " AND NOT tablename = ANY($2)",
        schema,
        list(RUNNER_TABLES),
    )
    return {(r["indexname"], r["indexdef"].replace(f"{schema}.", "")) for r in rows}
