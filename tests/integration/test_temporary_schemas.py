"""Schemas made for a while (a rebuild's, an as-of snapshot's) do not pile up: dropped when
their work fails, and those a stopped process left behind are dropped at the next start."""

from __future__ import annotations

import time

import asyncpg
import pytest
from nats.aio.client import Client as NATS

from services.projection.read_models.assistance import PROJECTIONS as AID_PROJECTIONS
from shared.asof import AsOf, Snapshots
from shared.db import SessionLocks
from shared.jetstream import ensure_stream
from shared.projections import lock_key
from shared.rebuild import drop_abandoned_rebuilds
from shared.testing import Sandbox
from tests.integration.test_foreign_messages import note, publish

pytestmark = pytest.mark.integration


async def schemas(pool: asyncpg.Pool, prefix: str) -> list[str]:
    rows = await pool.fetch(
        "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY 1", prefix
    )
    return [r["nspname"] for r in rows]


async def test_schemas_left_by_a_stopped_process_are_dropped_at_start(
    pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox
) -> None:
    for schema in ("rebuild_aid_coverage", "rebuild_audit", "asof_old", "asof_unfinished"):
        await pool.execute(f'CREATE SCHEMA "{schema}"')
    await pool.execute("COMMENT ON SCHEMA asof_old IS '1000'")
    await pool.execute(f"COMMENT ON SCHEMA asof_unfinished IS '{time.time() - 7200:.0f}'")
    await pool.execute("CREATE SCHEMA asof_recent")
    await pool.execute(f"COMMENT ON SCHEMA asof_recent IS '{time.time():.0f}'")
    elsewhere = SessionLocks(sandbox.database_url, "another-process")
    here = SessionLocks(sandbox.database_url, "this-process")
    try:
        assert await elsewhere.try_acquire(lock_key("rebuild_audit", "audit")) is not None
        assert await drop_abandoned_rebuilds(pool, here) == ["rebuild_aid_coverage"]
        assert await schemas(pool, "rebuild_") == ["rebuild_audit"], "another process rebuilds it"
        snapshots = Snapshots(pool, nc, sandbox.namespace, ttl=900)
        assert sorted(await snapshots.drop_abandoned()) == ["asof_old", "asof_unfinished"]
        assert await schemas(pool, "asof_") == ["asof_recent"]
    finally:
        await elsewhere.close()
        await here.close()


async def test_a_snapshot_whose_build_fails_is_dropped(
    pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ensure_stream(nc.jetstream(), "assistance", sandbox.namespace)
    await publish(nc, sandbox.namespace, note("a", 1))

    async def fails(*_: object) -> None:
        raise RuntimeError("the replay broke off")

    snapshots = Snapshots(pool, nc, sandbox.namespace)
    monkeypatch.setattr(snapshots, "_replay", fails)
    with pytest.raises(RuntimeError):
        await snapshots.schema_for(AID_PROJECTIONS, AsOf(positions=(("assistance", 1),)))
    assert await schemas(pool, "asof_") == []
