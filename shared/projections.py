"""The projection runner: keeps a read model up to date from JetStream, exactly once in effect.

Batches are applied by `shared.batch_apply` (checkpoint in the same transaction, per-stream
order, parking, dead letters). One runner per projection and schema is active (advisory lock);
it can be paused (for a swap after a rebuild, or a retry of dead letters) and told to resume
from its checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import zlib
from collections.abc import AsyncIterator

import asyncpg
import structlog
from nats.aio.client import Client as NATS
from nats.errors import Error as NatsError
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from contracts.subjects import stream_name
from shared.batch_apply import (
    RUNNER_MIGRATIONS,
    BatchOutcome,
    Projection,
    apply_batch,
    at_latest_version,
    retry_dead_letters,
)
from shared.db import connect
from shared.migrations import migrate
from shared.puller import DurablePuller

__all__ = [
    "RUNNER_MIGRATIONS",
    "BatchOutcome",
    "Projection",
    "ProjectionRunner",
    "apply_batch",
    "at_latest_version",
    "setup_projection",
    "tune_gc_for_batches",
]

log = structlog.get_logger()


async def setup_projection(conn: asyncpg.Connection, schema: str, projection: Projection) -> None:
    await migrate(conn, schema, "projection_runner", RUNNER_MIGRATIONS)
    await migrate(conn, schema, f"projection:{projection.name}", projection.migrations)


def tune_gc_for_batches() -> None:
    """Collect cyclic garbage less often: batches allocate many short-lived objects, and the
    default thresholds cost a projection about a fifth of its catch-up speed (bench/run.py)."""
    gc.set_threshold(50_000, 20, 100)


def dead_letter_stream(namespace: str) -> StreamConfig:
    prefix = f"{namespace}." if namespace else ""
    return StreamConfig(
        name=stream_name("deadletters", namespace),
        description="Events a projection could not apply, with the error: for operators.",
        subjects=[f"{prefix}deadletters.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        duplicate_window=3600,
    )


class ProjectionRunner:
    """Keeps one projection up to date from each of its sources; one active per schema."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        dsn: str,
        nc: NATS,
        projection: Projection,
        schema: str = "reporting",
        namespace: str = "",
        batch_size: int = 2000,
    ) -> None:
        self.pool = pool
        self.dsn = dsn
        self.nc = nc
        self.projection = projection
        self.schema = schema
        self.namespace = namespace
        self.batch_size = batch_size
        self.applied = 0
        self.parked = 0
        self.dead = 0
        self._applying = asyncio.Lock()
        self._resume = asyncio.Event()

    @property
    def durable(self) -> str:
        return f"{self.schema}_{self.projection.name}"

    async def setup(self) -> None:
        async with self.pool.acquire() as conn:
            await setup_projection(conn, self.schema, self.projection)

    async def run(self, stop: asyncio.Event) -> None:
        lock = await connect(self.dsn, f"eduplan-projection-lock-{self.projection.name}")
        try:
            key = zlib.crc32(f"eduplan.projection.{self.schema}.{self.projection.name}".encode())
            while not await lock.fetchval("SELECT pg_try_advisory_lock($1)", key):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
                if stop.is_set():
                    return
            await asyncio.gather(
                *(self._follow(source, stop) for source in self.projection.sources)
            )
        finally:
            await lock.close()

    async def checkpoint(self, source: str) -> int:
        value = await self.pool.fetchval(
            f'SELECT stream_seq FROM "{self.schema}".projection_checkpoints'
            " WHERE projection = $1 AND source = $2",
            self.projection.name,
            source,
        )
        return int(value or 0)

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """No batch is applied inside; afterwards the runner resumes from its checkpoint."""
        async with self._applying:
            yield
            await self._count_parked()
        self._resume.set()

    async def retry_dead_letters(self) -> tuple[int, int]:
        """Apply the dead letters again (after a fix); returns (applied, still dead)."""
        async with self.paused(), self.pool.acquire() as conn:
            applied, dead = await retry_dead_letters(conn, self.schema, self.projection)
        self.dead = dead
        await self.publish_dead_letters()
        return applied, dead

    async def publish_dead_letters(self) -> None:
        """Copy new dead letters to the DEADLETTERS stream (the table stays the record)."""
        rows = await self.pool.fetch(
            f'SELECT event_id, source, event_type, envelope, error, attempts FROM "{self.schema}"'
            ".projection_dead_letters WHERE projection = $1 AND NOT published",
            self.projection.name,
        )
        if not rows:
            return
        js = self.nc.jetstream()
        config = dead_letter_stream(self.namespace)
        with contextlib.suppress(Exception):
            await js.add_stream(config)
        prefix = f"{self.namespace}." if self.namespace else ""
        for r in rows:
            body = {
                "projection": self.projection.name,
                "error": r["error"],
                "attempts": r["attempts"],
                "envelope": r["envelope"],
            }
            await js.publish(
                f"{prefix}deadletters.{self.projection.name}.{r['source']}.{r['event_type']}",
                json.dumps(body, ensure_ascii=False).encode(),
                headers={"Nats-Msg-Id": f"{self.projection.name}:{r['event_id']}:{r['attempts']}"},
            )
        await self.pool.execute(
            f'UPDATE "{self.schema}".projection_dead_letters SET published = true'
            " WHERE projection = $1 AND event_id = ANY($2::uuid[])",
            self.projection.name,
            [r["event_id"] for r in rows],
        )

    async def _count_parked(self) -> None:
        """Refresh the counts of events waiting (parked) and set aside (dead letters)."""
        self.parked, self.dead = await self.pool.fetchrow(
            f'SELECT (SELECT count(*) FROM "{self.schema}".projection_parked'
            " WHERE projection = $1),"
            f' (SELECT count(*) FROM "{self.schema}".projection_dead_letters'
            " WHERE projection = $1)",
            self.projection.name,
        )

    async def _follow(self, source: str, stop: asyncio.Event) -> None:
        """Follow one source; after a failure (database, NATS) or a pause, resume from the
        checkpoint."""
        backoff = 0.5
        while not stop.is_set():
            try:
                await self._follow_once(source, stop)
                backoff = 0.5
            except (
                NotFoundError,
                OSError,
                asyncpg.PostgresError,
                asyncpg.InterfaceError,
                NatsError,
            ) as exc:
                log.warning(
                    "projection_waiting",
                    projection=self.projection.name,
                    source=source,
                    error=repr(exc),
                    retry_in=backoff,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                backoff = min(backoff * 2, 10.0)

    async def _follow_once(self, source: str, stop: asyncio.Event) -> None:
        puller = DurablePuller(
            self.nc, stream_name(source, self.namespace), self.durable, self.batch_size
        )
        async with self._applying:
            await puller.ensure_consumer(await self.checkpoint(source))
            await self._count_parked()
        self._resume.clear()
        halt = asyncio.Event()
        watcher = asyncio.create_task(_first_of(halt, stop, self._resume))
        try:
            async for batch in puller.batches(halt):
                async with self._applying:
                    if self._resume.is_set():
                        return  # paused meanwhile: what was fetched may be stale; start over
                    async with self.pool.acquire() as conn:
                        outcome = await apply_batch(
                            conn, self.schema, self.projection, source, batch, self.parked > 0
                        )
                    await puller.ack(batch[-1])
                self._note(source, outcome, batch[-1].stream_seq)
                if outcome.dead:
                    await self.publish_dead_letters()
        finally:
            watcher.cancel()

    def _note(self, source: str, outcome: BatchOutcome, last_seq: int) -> None:
        self.applied += outcome.applied
        self.parked += outcome.parked_change
        self.dead += outcome.dead
        log.debug(
            "batch_applied",
            projection=self.projection.name,
            source=source,
            applied=outcome.applied,
            skipped=outcome.skipped,
            parked=self.parked,
            dead=outcome.dead,
            last_seq=last_seq,
        )


async def _first_of(target: asyncio.Event, *events: asyncio.Event) -> None:
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        target.set()
    finally:
        for w in waiters:
            w.cancel()
