"""Reports served from a read replica: a hot standby of the read models' database, started
here with pg_basebackup and streaming replication, named by EDUPLAN_REPORTING_DATABASE_URL.
The projection writes to the primary; the reporting API answers from the standby, read-only,
with the primary's figures once replication has replayed them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from services.assistance.app import configure as configure_assistance
from services.projection.app import start_projection_service
from services.projection.http import Answer
from services.projection.read_models import routes
from services.projection.read_models.assistance import reports as aid_reports
from shared.commandbus import CommandClient
from shared.db import create_pool
from shared.jetstream import connect_nats
from shared.servers import EmbeddedPostgres
from shared.service import start_service
from shared.settings import Settings
from shared.testing import Sandbox, server_state_dir, wait_for
from tests.support.projection import fill_through_service, stream_last_seq

pytestmark = pytest.mark.integration
TERM, COUNTY = "2017-autumn", "610831"


@pytest.fixture
def primary_and_standby() -> Iterator[tuple[EmbeddedPostgres, EmbeddedPostgres]]:
    folder = server_state_dir("eduplan-replica-")
    primary = EmbeddedPostgres(folder / "primary")
    primary.start()
    standby = EmbeddedPostgres(folder / "standby")
    try:
        _base_backup(primary, standby.data_dir)
        standby.start()
        yield primary, standby
    finally:
        standby.stop()
        primary.stop()


def _base_backup(primary: EmbeddedPostgres, target: Path) -> None:
    """A copy of the primary that follows it: -R writes standby.signal and primary_conninfo."""
    target.parent.chmod(0o777)  # pg_basebackup runs as user postgres when we are root
    primary._run(
        "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
        "-D", str(target), "-R", "-X", "stream", "-c", "fast",
    )  # fmt: skip


def database(server: EmbeddedPostgres) -> str:
    return server.url.rsplit("/", 1)[0] + "/postgres"


async def test_reports_come_from_the_standby_with_the_primarys_figures(
    primary_and_standby: tuple[EmbeddedPostgres, EmbeddedPostgres], sandbox: Sandbox
) -> None:
    primary, standby = primary_and_standby
    settings = Settings(
        nats_url=sandbox.nats_url,
        namespace=sandbox.namespace,
        database_url=database(primary),
        reporting_database_url=database(standby),
    )
    nc = await connect_nats(sandbox.nats_url, "tests")
    pool = await create_pool(database(primary))
    assistance = await start_service("assistance", configure_assistance, settings)
    projection = await start_projection_service(settings, serve_http=False)
    try:
        assert projection.reports is not None
        assert await projection.reports.fetchval("SELECT pg_is_in_recovery()"), "the standby"
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await projection.reports.execute("CREATE TABLE public.written_on_a_replica ()")

        client = CommandClient(nc, "assistance", sandbox.namespace, timeout=30)
        await fill_through_service(client, pool, 40, county=COUNTY)
        last = await stream_last_seq(nc, sandbox.namespace)
        runner = projection.runners["aid_coverage"]

        async def applied() -> bool:
            return await runner.checkpoint("assistance") >= last

        await wait_for(applied, timeout=60)
        applied_at = time.monotonic()
        on_primary = await aid_reports.coverage(pool, "reporting", TERM, COUNTY)
        assert sum(r["aided"] for r in on_primary) > 0
        report = projection.read(*routes()["/api/aid-coverage"])
        answers: list[object] = []

        async def replayed() -> bool:
            answer = await report({"term": TERM, "county": COUNTY})
            assert isinstance(answer, Answer)
            answers[:] = [answer.body]
            return bool(answer.body == on_primary)

        await wait_for(replayed, timeout=30, interval=0.01)
        lag = time.monotonic() - applied_at
        print(
            f"\nthe standby had the primary's figures {lag * 1000:.0f} ms after they were applied"
        )
        assert answers == [on_primary]
    finally:
        await projection.close()
        await assistance.close()
        await pool.close()
        await nc.close()
