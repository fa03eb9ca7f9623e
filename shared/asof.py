"""Time travel: read models as they were at a past moment or stream position.

A snapshot is built into a schema of its own from sequence 1 of each source stream, by the
same projection code, keeping only the events recorded by the moment (or up to the
position). So a report "as of" equals the report computed when only those events existed.
Snapshots are cached for a while and dropped afterwards; a snapshot whose build failed is
dropped at once, and snapshots a stopped process left behind are dropped by the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import zlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog
from nats.aio.client import Client as NATS
from nats.js.errors import NotFoundError

from contracts.envelope import EventEnvelope
from contracts.subjects import stream_name
from shared.batch_apply import Projection, apply_or_set_aside
from shared.projections import setup_projection
from shared.puller import DurablePuller

log = structlog.get_logger()


@dataclass(frozen=True)
class AsOf:
    """A past moment (events recorded up to it) or stream positions (source -> sequence)."""

    moment: datetime | None = None
    positions: tuple[tuple[str, int], ...] = ()

    def key(self) -> str:
        text = f"{self.moment.isoformat() if self.moment else ''}|{self.positions}"
        return hashlib.sha1(text.encode()).hexdigest()[:12]


SLOTS = 2
"""Sources replayed for snapshots at the same time, across every projection process: each
borrows one of the consumer names `asof_0`, `asof_1` (the projection's NATS user may use
these names and its durables' only, deploy/nats/generated.conf), and one connection."""


def slot_names() -> list[str]:
    return [f"asof_{n}" for n in range(SLOTS)]


@contextlib.asynccontextmanager
async def consumer_slot(conn: asyncpg.Connection, wait: float = 30.0) -> AsyncIterator[str]:
    """A consumer name no other snapshot uses meanwhile, held by an advisory lock on `conn`."""
    deadline = time.monotonic() + wait
    while True:
        for name in slot_names():
            key = zlib.crc32(f"eduplan.asof.{name}".encode())
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
                try:
                    yield name
                finally:
                    await conn.execute("SELECT pg_advisory_unlock($1)", key)
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{SLOTS} snapshots are being built; try again shortly")
        await asyncio.sleep(0.2)


class Snapshots:
    def __init__(self, pool: asyncpg.Pool, nc: NATS, namespace: str, ttl: float = 900.0) -> None:
        self.pool = pool
        self.nc = nc
        self.namespace = namespace
        self.ttl = ttl
        self._built: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def schema_for(self, projections: Sequence[Projection], as_of: AsOf) -> str:
        """The schema of a snapshot of these projections as of that point (built if needed)."""
        names = "_".join(sorted(p.name for p in projections))
        schema = f"asof_{hashlib.sha1(names.encode()).hexdigest()[:6]}_{as_of.key()}"
        async with self._locks.setdefault(schema, asyncio.Lock()):
            if time.monotonic() - self._built.get(schema, -self.ttl) >= self.ttl:
                await self._build(schema, projections, as_of)
                self._built[schema] = time.monotonic()
        await self._expire()
        return schema

    async def drop_abandoned(self) -> list[str]:
        """Drop `asof_*` schemas started more than two lifetimes ago by any process: their
        owner, if alive, no longer uses them."""
        rows = await self.pool.fetch(
            "SELECT nspname, obj_description(oid, 'pg_namespace') AS built FROM pg_namespace"
            " WHERE nspname LIKE 'asof\\_%'"
        )
        now = time.time()
        stale = [
            r["nspname"]
            for r in rows
            if r["nspname"] not in self._built and now - _built_at(r["built"]) > 2 * self.ttl
        ]
        for schema in stale:
            await self.pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        if stale:
            log.info("abandoned_snapshots_dropped", schemas=stale)
        return stale

    async def _build(self, schema: str, projections: Sequence[Projection], as_of: AsOf) -> None:
        started = time.monotonic()
        await self.pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        try:
            async with self.pool.acquire() as conn:
                for projection in projections:
                    await setup_projection(conn, schema, projection)
                await conn.execute(f"COMMENT ON SCHEMA \"{schema}\" IS '{time.time():.0f}'")
            limits = dict(as_of.positions)
            sources = sorted({s for p in projections for s in p.sources})
            for source in sources:
                readers = [p for p in projections if source in p.sources]
                await self._replay(schema, source, readers, as_of, limits.get(source))
        except BaseException:
            await asyncio.shield(self._drop(schema))
            raise
        log.info("snapshot_built", schema=schema, seconds=round(time.monotonic() - started, 2))

    async def _drop(self, schema: str) -> None:
        with contextlib.suppress(Exception):
            await self.pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    async def _replay(
        self,
        schema: str,
        source: str,
        projections: Sequence[Projection],
        as_of: AsOf,
        limit: int | None,
    ) -> None:
        stream = stream_name(source, self.namespace)
        js = self.nc.jetstream()
        try:
            last = (await js.stream_info(stream)).state.last_seq
        except NotFoundError:
            return
        end = min(last, limit) if limit is not None else last
        if end == 0:
            return
        async with self.pool.acquire() as conn, consumer_slot(conn) as consumer:
            await self._pull(conn, schema, source, projections, as_of, stream, end, consumer)

    async def _pull(
        self,
        conn: asyncpg.Connection,
        schema: str,
        source: str,
        projections: Sequence[Projection],
        as_of: AsOf,
        stream: str,
        end: int,
        consumer: str,
    ) -> None:
        js = self.nc.jetstream()
        puller = DurablePuller(self.nc, stream, consumer)
        await puller.ensure_consumer(0)

        def keep(e: EventEnvelope) -> bool:
            return as_of.moment is None or e.recorded_at <= as_of.moment

        stop = asyncio.Event()
        try:
            async for batch in puller.batches(stop):
                within = [d for d in batch if d.stream_seq <= end]
                for projection in projections:
                    await apply_or_set_aside(conn, schema, projection, source, within, True, keep)
                await puller.ack(batch[-1])
                if batch[-1].stream_seq >= end:
                    stop.set()
        finally:
            with contextlib.suppress(NotFoundError):
                await js.delete_consumer(stream, puller.durable)

    async def close(self) -> None:
        """Drop the snapshots this process built."""
        for schema in list(self._built):
            del self._built[schema]
            await self._drop(schema)

    async def _expire(self) -> None:
        now = time.monotonic()
        for schema, built in list(self._built.items()):
            if now - built > self.ttl:
                del self._built[schema]
                await self.pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _built_at(comment: str | None) -> float:
    """When a snapshot's build started, from its schema's comment (0 if none)."""
    try:
        return float(comment or 0)
    except ValueError:
        return 0.0
