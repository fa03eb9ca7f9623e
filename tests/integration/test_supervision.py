"""Nothing freezes silently on the read side: a crashed runner is restarted and shown, a read
model that cannot make progress turns /health to 503, a rebuild whose runner dies fails with
the reason and can be retried or cancelled."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client as NATS

from services.projection.http import HttpError
from services.projection.http.admin import Admin
from shared.jetstream import connect_nats, ensure_stream
from shared.projections import ProjectionRunner
from shared.rebuild import WORKER_RESTARTS
from shared.servers import EmbeddedNats
from shared.supervision import Supervisor
from shared.testing import Sandbox, wait_for
from tests.integration.test_foreign_messages import Notes, note, notes, publish

pytestmark = pytest.mark.integration
ORIGINAL_FOLLOW = ProjectionRunner._follow_once


async def health(admin: Admin) -> tuple[int, str]:
    try:
        await admin.health({})
    except HttpError as exc:
        return exc.status, str(exc)  # the message in English, as the log has it
    return 200, ""


async def schema_exists(pool: asyncpg.Pool, schema: str) -> bool:
    return bool(await pool.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema))


@pytest.fixture
async def admin(pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox) -> AsyncIterator[Admin]:
    """The notes read model, following its stream under a supervisor, with three notes; and
    the operator side of it."""
    await ensure_stream(nc.jetstream(), "assistance", sandbox.namespace)
    runner = ProjectionRunner(pool, sandbox.database_url, nc, Notes(), namespace=sandbox.namespace)
    await runner.setup()
    stop = asyncio.Event()
    supervisor = Supervisor(stop, first_pause=0.1, max_pause=0.5)
    task = supervisor.start("projection:notes", functools.partial(runner.run, stop))
    await publish(nc, sandbox.namespace, note("a", 1), note("a", 2), note("b", 1))

    async def caught_up() -> bool:
        return await runner.checkpoint("assistance") >= 3

    await wait_for(caught_up)
    yield Admin({"notes": runner}, pool, "reporting", [], supervisor)
    stop.set()
    await task


def failing_in(schema_prefix: str, until: asyncio.Event | None = None) -> Any:
    """`_follow_once` that dies in runners of schemas with this prefix (until `until` is set)."""

    async def follow_once(self: ProjectionRunner, source: str, stop: asyncio.Event) -> None:
        if self.schema.startswith(schema_prefix) and not (until and until.is_set()):
            raise RuntimeError("the runner died")
        await ORIGINAL_FOLLOW(self, source, stop)

    return follow_once


async def test_a_rebuild_whose_runner_keeps_dying_fails_with_its_reason_and_can_be_retried(
    admin: Admin, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ProjectionRunner, "_follow_once", failing_in("rebuild_"))
    await admin.start_rebuild({"projection": "notes"})

    async def failed() -> bool:
        return admin.rebuilds["notes"].state == "failed"

    await wait_for(failed, timeout=30)
    status = admin.rebuilds["notes"]
    assert "RuntimeError: the runner died" in status.error
    assert status.worker is not None
    assert status.worker.restarts == WORKER_RESTARTS
    assert not await schema_exists(pool, "rebuild_notes")
    (row,) = await admin.status({})
    assert row["rebuild"]["state"] == "failed"
    assert "the runner died" in row["rebuild"]["error"]

    monkeypatch.setattr(ProjectionRunner, "_follow_once", ORIGINAL_FOLLOW)
    await admin.start_rebuild({"projection": "notes"})  # a retry is accepted

    async def done() -> bool:
        return admin.rebuilds["notes"].state == "done"

    await wait_for(done, timeout=30)
    assert await notes(pool) == [("a", 1), ("a", 2), ("b", 1)]


async def test_a_rebuild_can_be_cancelled_and_the_live_read_model_stays(
    admin: Admin, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:

    async def never_progresses(self: ProjectionRunner, source: str, stop: asyncio.Event) -> None:
        if self.schema.startswith("rebuild_"):
            await stop.wait()
            return
        await ORIGINAL_FOLLOW(self, source, stop)

    monkeypatch.setattr(ProjectionRunner, "_follow_once", never_progresses)
    await admin.start_rebuild({"projection": "notes"})

    async def building() -> bool:
        return admin.rebuilds["notes"].state == "building"

    await wait_for(building)
    with pytest.raises(HttpError) as refused:
        await admin.start_rebuild({"projection": "notes"})
    assert refused.value.status == 409
    cancelled = await admin.cancel_rebuild({"projection": "notes"})
    assert cancelled["state"] == "cancelled"
    assert not await schema_exists(pool, "rebuild_notes")
    assert await notes(pool) == [("a", 1), ("a", 2), ("b", 1)]
    monkeypatch.setattr(ProjectionRunner, "_follow_once", ORIGINAL_FOLLOW)
    await admin.start_rebuild({"projection": "notes"})

    async def done() -> bool:
        return admin.rebuilds["notes"].state == "done"

    await wait_for(done, timeout=30)


async def test_a_crashing_runner_is_restarted_and_shown_until_it_recovers(
    admin: Admin,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    live = admin.runners["notes"]
    assert await health(admin) == (200, "")
    fixed = asyncio.Event()
    monkeypatch.setattr(ProjectionRunner, "_follow_once", failing_in("reporting", fixed))
    live._resume.set()  # what a pause does: the runner starts over from its checkpoint

    async def unhealthy() -> bool:
        return (await health(admin))[0] == 503

    await wait_for(unhealthy)
    _status, message = await health(admin)
    assert "notes cannot make progress" in message
    assert "RuntimeError: the runner died" in message
    (row,) = await admin.status({})
    assert row["stalled"]
    assert row["restarts"] >= 1

    await publish(nc, sandbox.namespace, note("b", 2))
    fixed.set()

    async def recovered() -> bool:
        return (await health(admin))[0] == 200 and await live.checkpoint("assistance") >= 4

    await wait_for(recovered)
    (row,) = await admin.status({})
    assert row["state"] == "recovering", "the last error stays visible for a while"
    assert ("b", 2) in await notes(pool)


async def test_a_read_model_waiting_for_nats_answers_503_and_recovers(
    pool: asyncpg.Pool, sandbox: Sandbox, state_dir: Path
) -> None:
    server = EmbeddedNats(state_dir / f"nats-{sandbox.namespace}-health")
    server.start()
    nc = await connect_nats(server.url, "health-test")
    try:
        await ensure_stream(nc.jetstream(), "assistance", sandbox.namespace)
        runner = ProjectionRunner(
            pool, sandbox.database_url, nc, Notes(), namespace=sandbox.namespace
        )
        await runner.setup()
        stop = asyncio.Event()
        supervisor = Supervisor(stop)
        task = supervisor.start("projection:notes", functools.partial(runner.run, stop))
        admin = Admin({"notes": runner}, pool, "reporting", [], supervisor)

        async def healthy() -> bool:
            return (await health(admin))[0] == 200 and runner.sources["assistance"].state == (
                "following"
            )

        await wait_for(healthy)
        server.stop()

        async def unhealthy() -> bool:
            return (await health(admin))[0] == 503

        await wait_for(unhealthy, timeout=30)
        assert "notes cannot make progress (assistance: " in (await health(admin))[1]
        server.start()
        await wait_for(healthy, timeout=30)
        stop.set()
        await task
    finally:
        await nc.close()
        server.stop()
