"""Rebuilding a read model from the start of its streams while the current one keeps serving.

The new version is built in a schema of its own by a second runner; when it has caught up,
the live runner is paused, the shadow catches up to the very same point, and one transaction
moves the new tables (and their checkpoints) in place of the old ones. Reads see the old
model until that commit and the new one after it.

The second runner is supervised: a crash is restarted a few times, then the rebuild fails with
its reason (it never stays "building" behind a dead worker). A rebuild can be cancelled; either
way its schema and consumer are dropped, and schemas left by a process that died are dropped
when the next one starts.
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
from shared.db import SessionLocks
from shared.projections import ProjectionRunner, lock_key
from shared.supervision import Supervisor, TaskHealth, describe

log = structlog.get_logger()
MOVED_RUNNER_ROWS = (
    "projection_checkpoints",
    "projection_stream_versions",
    "projection_parked",
    "projection_dead_letters",
)
WORKER_RESTARTS = 3
"""Crashes of the rebuilding runner that are restarted before the rebuild fails."""
FINISHED = ("done", "failed", "cancelled")


class RebuildFailed(Exception):
    """The rebuild cannot finish; the message says why."""


@dataclass
class RebuildStatus:
    projection: str
    state: str = "starting"  # starting, building, swapping, done, failed, cancelled
    targets: dict[str, int] = field(default_factory=dict)  # source -> stream sequence to reach
    reached: dict[str, int] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    error: str = ""
    worker: TaskHealth | None = None
    worker_sources: dict[str, object] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.state not in FINISHED

    @property
    def progress(self) -> float:
        """Share of the events to read that the rebuild has read, 0 to 1."""
        total = sum(self.targets.values())
        return min(sum(self.reached.values()) / total, 1.0) if total else float(not self.running)

    def as_dict(self) -> dict[str, object]:
        return {
            "projection": self.projection,
            "state": self.state,
            "targets": self.targets,
            "reached": self.reached,
            "error": self.error,
            "seconds": round((self.finished_at or time.time()) - self.started_at, 1),
            "worker": self.worker.as_dict() if self.worker else None,
            "worker_sources": self.worker_sources,
        }


def shadow_schema(name: str) -> str:
    return f"rebuild_{name}"


async def rebuild(
    live: ProjectionRunner, status: RebuildStatus, on_progress: Callable[[], None] | None = None
) -> None:
    """Rebuild `live`'s projection from sequence 1 and swap it in; `status` tells how far.

    Raises RebuildFailed when the rebuilding runner keeps crashing; cancelling the task
    cancels the rebuild. Either way the live read model is untouched.
    """
    schema = shadow_schema(live.projection.name)
    shadow = ProjectionRunner(
        live.pool,
        live.dsn,
        live.nc,
        live.projection,
        schema,
        live.namespace,
        live.batch_size,
        live.locks,
    )
    stop = asyncio.Event()
    supervisor = Supervisor(stop, first_pause=0.2, max_pause=2.0)
    task: asyncio.Task[None] | None = None
    try:
        await live.pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await _forget_consumer(shadow)
        await shadow.setup()
        deferred = await defer_read_indexes(live.pool, schema, live.projection)
        task = supervisor.start(
            f"rebuild:{live.projection.name}", lambda: shadow.run(stop), WORKER_RESTARTS
        )
        status.worker = supervisor.health[f"rebuild:{live.projection.name}"]
        status.state = "building"
        status.targets = {s: await _last_seq(live, s) for s in live.projection.sources}
        await _until_reached(shadow, task, status, status.targets, on_progress)
        await build_indexes(live.pool, deferred)
        status.state = "swapping"
        async with live.paused():
            targets = {s: await live.checkpoint(s) for s in live.projection.sources}
            await _until_reached(shadow, task, status, targets, on_progress)
            stop.set()
            await task
            async with live.pool.acquire() as conn:
                await swap(conn, live.projection.name, schema, live.schema)
        status.state = "done"
    except asyncio.CancelledError:
        status.state, status.error = "cancelled", "cancelled by an operator"
        raise
    except Exception as exc:
        status.state, status.error = "failed", describe(exc)
        log.error("rebuild_failed", projection=live.projection.name, error=status.error)
        raise
    finally:
        stop.set()
        if task is not None:
            with contextlib.suppress(BaseException):
                await task
        await asyncio.shield(_clean_up(live, shadow, schema))
        status.finished_at = time.time()
        log.info("rebuild_finished", **status.as_dict())


async def defer_read_indexes(pool: asyncpg.Pool, schema: str, projection: object) -> list[str]:
    """Drop the secondary indexes of a projection that declares `indexes_serve_reads_only`
    (its apply only inserts by primary key) from `schema`, returning their definitions for
    `build_indexes`: one index build over every row costs less than keeping nine indexes
    and a GIN up to date row by row (the audit trail's apply: 1.25x). Unique indexes stay:
    inserts rely on them."""
    if not getattr(projection, "indexes_serve_reads_only", False):
        return []
    rows = await pool.fetch(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) AS definition"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_class t ON t.oid = i.indrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = $1 AND NOT i.indisunique AND NOT t.relname = ANY($2)",
        schema,
        list(RUNNER_TABLES),
    )
    for row in rows:
        await pool.execute(f'DROP INDEX "{schema}"."{row["relname"]}"')
    return [row["definition"] for row in rows]


async def build_indexes(pool: asyncpg.Pool, definitions: list[str]) -> None:
    """Create the indexes `defer_read_indexes` dropped, before the rebuilt model serves."""
    for definition in definitions:
        await pool.execute(definition)


async def _clean_up(live: ProjectionRunner, shadow: ProjectionRunner, schema: str) -> None:
    with contextlib.suppress(Exception):
        await _forget_consumer(shadow)
    with contextlib.suppress(Exception):
        await live.pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def drop_abandoned_rebuilds(pool: asyncpg.Pool, locks: SessionLocks) -> list[str]:
    """Drop `rebuild_*` schemas no runner works in (left by a process that died)."""
    dropped = []
    for row in await pool.fetch(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild\\_%'"
    ):
        schema = row["nspname"]
        key = lock_key(schema, schema.removeprefix("rebuild_"))
        if await locks.try_acquire(key) is None:
            continue  # a rebuild is under way in another process
        try:
            await pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            dropped.append(schema)
        finally:
            await locks.release(key)
    if dropped:
        log.info("abandoned_rebuilds_dropped", schemas=dropped)
    return dropped


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
    for table in tables:  # statistics first (they move with the table): without them the
        # planner takes a just-built table for empty; a report's plan took 80 s (make bench)
        await conn.execute(f'ANALYZE "{shadow}"."{table}"')
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
    task: asyncio.Task[None],
    status: RebuildStatus,
    targets: dict[str, int],
    on_progress: Callable[[], None] | None,
) -> None:
    while True:
        if task.done():
            error = task.exception() if not task.cancelled() else None
            raise RebuildFailed(
                f"the rebuilding runner stopped: {describe(error) if error else 'cancelled'}"
            )
        status.reached = {s: await shadow.checkpoint(s) for s in targets}
        status.worker_sources = {s: v.as_dict() for s, v in shadow.sources.items()}
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
