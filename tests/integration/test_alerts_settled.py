"""The alerts service judges only what every producer has published: a grant run whose events
still wait in the outbox (the service stopped between commit and publish) raises no alert."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from prometheus_client import REGISTRY

from contracts.files.roster import parse_roster
from contracts.files.sample_roster import sample_rows, to_csv
from contracts.subjects import stream_name
from contracts.types import Stage
from services.cli import aid
from services.cli.common import Issuer
from services.projection.alerts import app as alerts_app
from services.projection.alerts.settled import settled_check
from services.projection.read_models import projections
from shared.commandbus import CommandClient
from shared.projections import ProjectionRunner
from shared.service import ServiceRuntime, start_service
from shared.settings import Settings
from shared.testing import Sandbox, wait_for

pytestmark = pytest.mark.integration
ISSUER = Issuer("aid_center")


def sweeps(outcome: str) -> float:
    return REGISTRY.get_sample_value("eduplan_alert_sweeps_total", {"outcome": outcome}) or 0.0


@pytest.fixture
async def assistance_read_models(
    pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox
) -> AsyncIterator[list[ProjectionRunner]]:
    """Every read model of the assistance stream, following it live."""
    runners = [
        ProjectionRunner(pool, sandbox.database_url, nc, p, namespace=sandbox.namespace)
        for p in projections()
        if "assistance" in p.sources
    ]
    stop = asyncio.Event()
    for runner in runners:
        await runner.setup()
    tasks = [asyncio.create_task(r.run(stop)) for r in runners]
    yield runners
    stop.set()
    await asyncio.gather(*tasks)


async def outbox(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM assistance.outbox"))


async def test_a_grant_run_waiting_in_the_outbox_raises_no_false_alert(
    assistance: ServiceRuntime,
    assistance_read_models: list[ProjectionRunner],
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(alerts_app, "WORK_STREAMS", ("assistance",))
    rows = sample_rows(counts=dict.fromkeys(Stage, 6), seed=4)
    lines = list(parse_roster(to_csv(rows).encode()))
    await aid.import_roster(client, lines, ISSUER, lambda n: None, school_year=2017)
    students = await aid.registered_students(client, "610831")
    await aid.grant_aid(client, students[:10], "2017-autumn", ISSUER, lambda n: None)

    async def published_and_projected() -> bool:
        stream = stream_name("assistance", sandbox.namespace)
        last = (await nc.jetstream().stream_info(stream)).state.last_seq
        reached = [await r.checkpoint("assistance") for r in assistance_read_models]
        return await outbox(pool) == 0 and min(reached) >= last

    await wait_for(published_and_projected)
    for task in assistance.tasks:  # the relay stops, as when the service dies after a commit
        task.cancel()
    await asyncio.gather(*assistance.tasks, return_exceptions=True)
    never_granted = students[-2:]
    await aid.grant_aid(client, students[10:-2], "2017-autumn", ISSUER, lambda n: None)
    assert await outbox(pool) > 0

    alerts = await start_service(
        "alerts",
        alerts_app.configure,
        settings.model_copy(update={"alerts_interval": 0.1, "alerts_quiet_seconds": 1.0}),
    )
    try:
        skipped = sweeps("skipped")

        async def several_sweeps_skipped() -> bool:
            return sweeps("skipped") >= skipped + 5

        await wait_for(several_sweeps_skipped)
        assert await pool.fetchval("SELECT count(*) FROM alerts.events") == 0, (
            "the read models showed 10 of 42 students aided: not a gap, a grant run not yet on"
            " the stream"
        )

        assistance.tasks.append(asyncio.create_task(assistance.relay.run(assistance.stop)))
        await wait_for(published_and_projected)
        just_recorded = settled_check(nc, pool, ("assistance",), sandbox.namespace, 3600)
        assert not await just_recorded(), "a batch may still be going on"

        async def only_true_gaps_raised() -> bool:
            return await pool.fetchval("SELECT count(*) FROM alerts.events") == 2

        await wait_for(only_true_gaps_raised, timeout=30)
        keys = await pool.fetch("SELECT stream_id FROM alerts.events ORDER BY 1")
        assert sorted(r["stream_id"] for r in keys) == sorted(
            f"missing_aid/2017-autumn/{s}" for s in never_granted
        )
    finally:
        with contextlib.suppress(Exception):
            await alerts.close()
