"""The projection runner: events from JetStream into read models, exactly once in effect.

Each batch is applied in one transaction together with the stream sequence it reached, so a
crash anywhere leaves either the whole batch or none of it. Redelivered messages are skipped
by that checkpoint; a repeated event (same stream and version) by the per-stream version. An
event that arrives before its predecessor in the same stream is parked until the gap closes,
never skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import asyncpg
import structlog
from nats.aio.client import Client as NATS
from nats.errors import Error as NatsError
from nats.js.errors import NotFoundError

from contracts.envelope import EventEnvelope
from contracts.registry import UnknownEvent, latest_version, upcast
from contracts.subjects import stream_name
from shared.db import connect
from shared.migrations import Migration, migrate
from shared.puller import Delivery, DurablePuller

log = structlog.get_logger()

RUNNER_MIGRATIONS = (
    Migration(
        1,
        "checkpoints, stream versions, parked events",
        """
        CREATE TABLE "{schema}".projection_checkpoints (
            projection text NOT NULL, source text NOT NULL, stream_seq bigint NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (projection, source));
        CREATE TABLE "{schema}".projection_stream_versions (
            projection text NOT NULL, stream_id text NOT NULL, version int NOT NULL,
            PRIMARY KEY (projection, stream_id));
        CREATE TABLE "{schema}".projection_parked (
            projection text NOT NULL, stream_id text NOT NULL, version int NOT NULL,
            envelope jsonb NOT NULL, parked_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (projection, stream_id, version));
        """,
    ),
)


class Projection(Protocol):
    """A read model: its tables and how a batch of events (in stream order) changes them."""

    name: str
    sources: tuple[str, ...]
    migrations: tuple[Migration, ...]

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None: ...


@dataclass
class BatchOutcome:
    applied: int
    skipped: int
    parked_change: int  # events parked minus events released from parking


async def setup_projection(conn: asyncpg.Connection, schema: str, projection: Projection) -> None:
    await migrate(conn, schema, "projection_runner", RUNNER_MIGRATIONS)
    await migrate(conn, schema, f"projection:{projection.name}", projection.migrations)


async def apply_batch(
    conn: asyncpg.Connection,
    schema: str,
    projection: Projection,
    source: str,
    deliveries: Sequence[Delivery],
    parked_before: bool = True,
) -> BatchOutcome:
    """Apply one batch and advance the checkpoint, in one transaction.

    `parked_before=False` promises no event of this projection is parked, saving a query.
    """
    async with conn.transaction():
        checkpoint = (
            await conn.fetchval(
                f'SELECT stream_seq FROM "{schema}".projection_checkpoints'
                " WHERE projection = $1 AND source = $2 FOR UPDATE",
                projection.name,
                source,
            )
            or 0
        )
        fresh = sorted(
            (d for d in deliveries if d.stream_seq > checkpoint), key=lambda d: d.stream_seq
        )
        if not fresh:
            return BatchOutcome(0, len(deliveries), 0)
        envelopes = [at_latest_version(EventEnvelope.model_validate_json(d.data)) for d in fresh]
        ordered, skipped, parked_change = await _in_stream_order(
            conn, schema, projection.name, envelopes, parked_before
        )
        if ordered:
            await projection.apply(conn, schema, ordered)
        await conn.execute(
            f'INSERT INTO "{schema}".projection_checkpoints (projection, source, stream_seq)'
            " VALUES ($1, $2, $3) ON CONFLICT (projection, source)"
            " DO UPDATE SET stream_seq = EXCLUDED.stream_seq, updated_at = now()",
            projection.name,
            source,
            fresh[-1].stream_seq,
        )
    return BatchOutcome(len(ordered), len(deliveries) - len(fresh) + skipped, parked_change)


def at_latest_version(envelope: EventEnvelope) -> EventEnvelope:
    """Projections see every event at its latest schema version (upcast when older)."""
    try:
        latest = latest_version(envelope.event_type)
    except UnknownEvent:
        return envelope
    if envelope.schema_version >= latest:
        return envelope
    version, payload = upcast(envelope.event_type, envelope.schema_version, envelope.payload)
    return envelope.model_copy(update={"schema_version": version, "payload": payload})


async def _in_stream_order(
    conn: asyncpg.Connection,
    schema: str,
    name: str,
    envelopes: list[EventEnvelope],
    parked_before: bool,
) -> tuple[list[EventEnvelope], int, int]:
    """Keep each stream's next versions; drop repeats; park early arrivals, release them later."""
    stream_ids = list({e.stream_id for e in envelopes})
    known = dict(
        await conn.fetch(
            f"SELECT v.stream_id, v.version FROM unnest($2::text[]) AS s (stream_id)"
            f' JOIN "{schema}".projection_stream_versions v'
            " ON v.projection = $1 AND v.stream_id = s.stream_id",
            name,
            stream_ids,
        )
    )
    waiting: dict[str, dict[int, EventEnvelope]] = {}
    released = (
        []
        if not parked_before
        else await conn.fetch(
            f'DELETE FROM "{schema}".projection_parked p USING unnest($2::text[]) AS s (stream_id)'
            " WHERE p.projection = $1 AND p.stream_id = s.stream_id RETURNING p.envelope",
            name,
            stream_ids,
        )
    )
    for row in released:
        parked_event = EventEnvelope.model_validate(row["envelope"])
        waiting.setdefault(parked_event.stream_id, {})[parked_event.version] = parked_event
    ordered: list[EventEnvelope] = []
    skipped = 0
    for event in envelopes:
        current = known.get(event.stream_id, 0)
        if event.version <= current:
            skipped += 1
        elif event.version > current + 1:
            waiting.setdefault(event.stream_id, {})[event.version] = event
        else:
            ordered.append(event)
            current = event.version
            later = waiting.get(event.stream_id, {})
            while current + 1 in later:
                current += 1
                ordered.append(later.pop(current))
            known[event.stream_id] = current
    still_waiting = [
        e for w in waiting.values() for v, e in w.items() if v > known.get(e.stream_id, 0)
    ]
    if still_waiting:
        log.warning("events_parked", projection=name, count=len(still_waiting))
        await conn.executemany(
            f'INSERT INTO "{schema}".projection_parked (projection, stream_id, version, envelope)'
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [(name, e.stream_id, e.version, e.model_dump(mode="json")) for e in still_waiting],
        )
    changed = {e.stream_id for e in ordered}
    if changed:
        await conn.execute(
            f'INSERT INTO "{schema}".projection_stream_versions (projection, stream_id, version)'
            " SELECT $1, * FROM unnest($2::text[], $3::int[])"
            " ON CONFLICT (projection, stream_id) DO UPDATE SET version = EXCLUDED.version",
            name,
            list(changed),
            [known[s] for s in changed],
        )
    return ordered, skipped, len(still_waiting) - len(released)


def tune_gc_for_batches() -> None:
    """Collect cyclic garbage less often: batches allocate many short-lived objects, and the
    default thresholds cost a projection about a fifth of its catch-up speed (bench/run.py)."""
    gc.set_threshold(50_000, 20, 100)


class ProjectionRunner:
    """Keeps one projection up to date from each of its sources; one active per database."""

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

    async def _follow(self, source: str, stop: asyncio.Event) -> None:
        """Follow one source; after a failure (database, NATS), resume from the checkpoint."""
        backoff = 0.5
        while not stop.is_set():
            try:
                await self._follow_once(source, stop)
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
        durable = f"{self.schema}_{self.projection.name}"
        puller = DurablePuller(
            self.nc, stream_name(source, self.namespace), durable, self.batch_size
        )
        await puller.ensure_consumer(await self.checkpoint(source))
        self.parked = await self.pool.fetchval(
            f'SELECT count(*) FROM "{self.schema}".projection_parked WHERE projection = $1',
            self.projection.name,
        )
        async for batch in puller.batches(stop):
            async with self.pool.acquire() as conn:
                outcome = await apply_batch(
                    conn, self.schema, self.projection, source, batch, self.parked > 0
                )
            await puller.ack(batch[-1])
            self.applied += outcome.applied
            self.parked += outcome.parked_change
            log.debug(
                "batch_applied",
                projection=self.projection.name,
                source=source,
                applied=outcome.applied,
                skipped=outcome.skipped,
                parked=self.parked,
                last_seq=batch[-1].stream_seq,
            )
