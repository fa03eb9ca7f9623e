"""Rebuilding a read model from the start of its streams while the current one keeps serving.

The new version is built in a schema of its own by a second runner; when it has caught up,
the live runner is paused, the shadow catches up to the very same point, and one transaction
moves the new tables (and their checkpoints) in place of the old ones. Reads see the old
model until that commit and the new one after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
import structlog
from nats.js.errors import NotFoundError

from contracts.subjects import stream_name
from shared.batch_apply import RUNNER_TABLES
from shared.projections import ProjectionRunner

log = structlog.get_logger()
MOVED_RUNNER_ROWS = (
    "projection_checkpoints",
    "projection_stream_versions",
    "projection_parked",
    "projection_dead_letters",
)


@dataclass
class RebuildStatus:
    projection: str
    state: str = "starting"  # starting, building, swapping, done, failed
    targets: dict[str, int] = field(default_factory=dict)  # source -> stream sequence to reach
    reached: dict[str, int] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    error: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "projection": self.projection,
            "state": self.state,
            "targets": self.targets,
            "reached": self.reached,
            "error": self.error,
            "seconds": round((self.finished_at or time.time()) - self.started_at, 1),
        }


async def rebuild(
    live: ProjectionRunner, status: RebuildStatus, on_progress: Callable[[], None] | None = None
) -> None:
    """Rebuild `live`'s projection from sequence 1 and swap it in; `status` tells how far."""
    shadow_schema = f"rebuild_{live.projection.name}"
    shadow = ProjectionRunner(
        live.pool,
        live.dsn,
        live.nc,
        live.projection,
        shadow_schema,
        live.namespace,
        live.batch_size,
    )
    await live.pool.execute(f'DROP SCHEMA IF EXISTS "{shadow_schema}" CASCADE')
    await _forget_consumer(shadow)
    await shadow.setup()
    stop = asyncio.Event()
    task = asyncio.create_task(shadow.run(stop))
    try:
        status.state = "building"
        status.targets = {s: await _last_seq(live, s) for s in live.projection.sources}
        await _until_reached(shadow, status, status.targets, on_progress)
        status.state = "swapping"
        async with live.paused():
            targets = {s: await live.checkpoint(s) for s in live.projection.sources}
            await _until_reached(shadow, status, targets, on_progress)
            stop.set()
            await task
            async with live.pool.acquire() as conn:
                await swap(conn, live.projection.name, shadow_schema, live.schema)
        status.state = "done"
    except BaseException as exc:
        status.state, status.error = "failed", repr(exc)
        raise
    finally:
        stop.set()
        with contextlib.suppress(BaseException):
            await task
        await _forget_consumer(shadow)
        await live.pool.execute(f'DROP SCHEMA IF EXISTS "{shadow_schema}" CASCADE')
        status.finished_at = time.time()
        log.info("rebuild_finished", **status.as_dict())


async def swap(conn: asyncpg.Connection, name: str, shadow: str, live: str) -> None:
    """In one transaction: the shadow's tables replace the live ones, with their runner rows."""
    tables = [
        r["tablename"]
        for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND NOT tablename = ANY($2)",
            shadow,
            list(RUNNER_TABLES),
        )
    ]
    async with conn.transaction():
        for table in tables:
            await conn.execute(f'DROP TABLE IF EXISTS "{live}"."{table}" CASCADE')
            await conn.execute(f'ALTER TABLE "{shadow}"."{table}" SET SCHEMA "{live}"')
        for table in MOVED_RUNNER_ROWS:
            await conn.execute(f'DELETE FROM "{live}".{table} WHERE projection = $1', name)
            await conn.execute(
                f'INSERT INTO "{live}".{table} SELECT * FROM "{shadow}".{table}'
                " WHERE projection = $1",
                name,
            )
    log.info("read_model_swapped", projection=name, tables=tables)


async def _until_reached(
    shadow: ProjectionRunner,
    status: RebuildStatus,
    targets: dict[str, int],
    on_progress: Callable[[], None] | None,
) -> None:
    while True:
        status.reached = {s: await shadow.checkpoint(s) for s in targets}
        if on_progress:
            on_progress()
        if all(status.reached[s] >= t for s, t in targets.items()):
            return
        await asyncio.sleep(0.05)


async def _last_seq(runner: ProjectionRunner, source: str) -> int:
    """The end of a source stream; a stream not created yet has nothing to read."""
    try:
        info = await runner.nc.jetstream().stream_info(stream_name(source, runner.namespace))
    except NotFoundError:
        return 0
    return int(info.state.last_seq)


async def _forget_consumer(runner: ProjectionRunner) -> None:
    js = runner.nc.jetstream()
    for source in runner.projection.sources:
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(stream_name(source, runner.namespace), runner.durable)
