"""The projection runner: keeps a read model up to date from JetStream, exactly once in effect.

Batches are applied by `shared.batch_apply` (checkpoint in the same transaction, per-stream
order, parking, dead letters). One runner per projection and schema is active (advisory lock);
it can be paused (for a swap after a rebuild, or a retry of dead letters) and told to resume
from its checkpoint. Each source's state (following, waiting for a server, standby) is kept
for `/health` and `eduplan projection status`; an unexpected error ends `run`, and its
supervisor restarts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

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
    apply_or_set_aside,
    at_latest_version,
    release_stranded,
    retry_dead_letters,
)
from shared.db import SessionLocks
from shared.migrations import migrate
from shared.partitions import Partition
from shared.puller import DurablePuller

__all__ = [
    "RUNNER_MIGRATIONS",
    "BatchOutcome",
    "Projection",
    "ProjectionRunner",
    "apply_batch",
    "at_latest_version",
    "setup_projection",
]

log = structlog.get_logger()
DEAD_LETTER_MAX_BYTES = 256 * 1024
"""A dead letter bigger than this is copied to the stream without its envelope (the table
keeps it whole): NATS refuses messages above its max payload."""
STRANDED_SWEEP = 5.0
"""Seconds between two looks of a partitioned runner for events a race left parked."""
OUTAGES = (NotFoundError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError, NatsError)
"""Failures of a server (or a stream not created yet): a source waits and tries again."""


@dataclass
class SourceState:
    """How following one source goes: `following`; `waiting` for a server (with why);
    `no_stream` yet; `standby` while another process holds the read model; `stopped`."""

    state: str = "starting"
    error: str = ""
    since: float = field(default_factory=time.time)

    def set(self, state: str, error: str = "") -> None:
        if (state, error) != (self.state, self.error):
            self.state, self.error, self.since = state, error, time.time()

    @property
    def stalled(self) -> bool:
        """The source cannot make progress (a server is missing)."""
        return self.state == "waiting"

    def as_dict(self) -> dict[str, object]:
        return {"state": self.state, "error": self.error, "since": round(self.since, 3)}


async def setup_projection(conn: asyncpg.Connection, schema: str, projection: Projection) -> None:
    await migrate(conn, schema, "projection_runner", RUNNER_MIGRATIONS)
    await migrate(conn, schema, f"projection:{projection.name}", projection.migrations)


def lock_key(schema: str, name: str) -> int:
    """The advisory lock the active runner of projection `name` in `schema` holds."""
    return zlib.crc32(f"eduplan.projection.{schema}.{name}".encode())


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
        locks: SessionLocks | None = None,
        partition: Partition | None = None,
    ) -> None:
        """`locks`: the process's shared lock connection; without it the runner opens one.
        `partition`: only its counties, with checkpoints and a lock of its own."""
        self.partition = partition
        self.pool = pool
        self.dsn = dsn
        self.nc = nc
        self.projection = projection
        self.schema = schema
        self.namespace = namespace
        self.batch_size = batch_size
        self.locks = locks
        self.applied = 0
        self.parked = 0
        self.dead = 0
        self.sources = {source: SourceState() for source in projection.sources}
        self._applying = asyncio.Lock()
        self._resume = asyncio.Event()

    @property
    def durable(self) -> str:
        base = f"{self.schema}_{self.projection.name}"
        return f"{base}_{self.partition.name}" if self.partition else base

    def _key(self, source: str) -> str:
        """Where the checkpoint of `source` is kept: per partition when partitioned."""
        return self.partition.key(source) if self.partition else source

    async def setup(self) -> None:
        async with self.pool.acquire() as conn:
            await setup_projection(conn, self.schema, self.projection)

    async def run(self, stop: asyncio.Event) -> None:
        """Follow every source until `stop`; raises what it cannot handle (for a supervisor)."""
        own_locks = self.locks is None
        locks = self.locks or SessionLocks(
            self.dsn, f"eduplan-projection-lock-{self.projection.name}"
        )
        key = lock_key(self.schema, self._key(self.projection.name))
        try:
            while (lost := await locks.try_acquire(key)) is None:
                self._set_all("standby", "another process holds this read model")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
                if stop.is_set():
                    return
            try:
                async with asyncio.TaskGroup() as group:
                    for source in self.projection.sources:
                        group.create_task(self._follow(source, stop))
                    if self.partition is not None:
                        group.create_task(self._release_stranded(stop))
                    group.create_task(_raise_when(lost, stop, "the advisory lock was lost"))
            finally:
                await locks.release(key)
        finally:
            if own_locks:
                await locks.close()
            if stop.is_set():
                self._set_all("stopped")

    def _set_all(self, state: str, error: str = "") -> None:
        for source in self.sources.values():
            source.set(state, error)

    async def checkpoint(self, source: str) -> int:
        value = await self.pool.fetchval(
            f'SELECT stream_seq FROM "{self.schema}".projection_checkpoints'
            " WHERE projection = $1 AND source = $2",
            self.projection.name,
            self._key(source),
        )
        return int(value or 0)

    async def applied_through(self, source: str, stream_last: int) -> int:
        """The stream sequence up to which this runner has applied all it owns: its checkpoint;
        for a partition, the stream's end once its consumer has nothing left to deliver or
        acknowledge (the other counties' events are not its to apply)."""
        checkpoint = await self.checkpoint(source)
        if self.partition is None or checkpoint >= stream_last:
            return checkpoint
        try:
            info = await self.nc.jetstream(timeout=2).consumer_info(
                stream_name(source, self.namespace), self.durable
            )
        except NotFoundError:
            return checkpoint
        return stream_last if not info.num_pending and not info.num_ack_pending else checkpoint

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
            event_type = _subject_token(r["event_type"])
            await js.publish(
                f"{prefix}deadletters.{self.projection.name}.{r['source']}.{event_type}",
                _dead_letter_body(self.projection.name, r),
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
        state = self.sources[source]
        while not stop.is_set():
            try:
                await self._follow_once(source, stop)
                backoff = 0.5
            except NotFoundError:
                stream = stream_name(source, self.namespace)
                state.set("no_stream", f"stream {stream} not created yet")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
            except OUTAGES as exc:
                if state.state != "waiting":
                    log.warning(
                        "projection_waiting",
                        projection=self.projection.name,
                        source=source,
                        error=repr(exc),
                    )
                state.set("waiting", f"{type(exc).__name__}: {exc}"[:500])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                backoff = min(backoff * 2, 10.0)

    async def _follow_once(self, source: str, stop: asyncio.Event) -> None:
        filters = self.partition.subjects(source, self.namespace) if self.partition else None
        puller = DurablePuller(
            self.nc,
            stream_name(source, self.namespace),
            self.durable,
            self.batch_size,
            filter_subjects=filters,
        )
        async with self._applying:
            await puller.ensure_consumer(await self.checkpoint(source))
            await self._count_parked()
        self.sources[source].set("following")
        await self._publish_dead_letters_quietly()
        self._resume.clear()
        halt = asyncio.Event()
        watcher = asyncio.create_task(_first_of(halt, stop, self._resume))
        try:
            async for batch in puller.batches(halt):
                async with self._applying:
                    if self._resume.is_set():
                        return  # paused meanwhile: what was fetched may be stale; start over
                    async with self.pool.acquire() as conn:
                        # Another partition may have parked a stream's event (a student
                        # moved between counties): look for waiters in every batch.
                        parked = self.parked > 0 or self.partition is not None
                        outcome = await apply_or_set_aside(
                            conn, self.schema, self.projection, self._key(source), batch, parked
                        )
                    await puller.ack(batch[-1])
                self.sources[source].set("following")
                self._note(source, outcome, batch[-1].stream_seq)
                if outcome.dead:
                    await self._publish_dead_letters_quietly()
        finally:
            watcher.cancel()

    async def _release_stranded(self, stop: asyncio.Event, every: float = STRANDED_SWEEP) -> None:
        """Partitioned: now and then apply what a race with another partition left parked."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            if stop.is_set():
                return
            try:
                async with self._applying, self.pool.acquire() as conn:
                    outcome = await release_stranded(conn, self.schema, self.projection, self._key)
                self.parked += outcome.parked_change
                self.applied += outcome.applied
            except OUTAGES as exc:  # the sources report the outage; try again next time
                log.debug("stranded_sweep_failed", projection=self.projection.name, error=repr(exc))

    async def _publish_dead_letters_quietly(self) -> None:
        """The table is the record: a copy that cannot be published now is tried again later."""
        try:
            await self.publish_dead_letters()
        except Exception as exc:
            log.warning(
                "dead_letters_not_published", projection=self.projection.name, error=repr(exc)
            )

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


def _subject_token(text: str) -> str:
    """An event type as one subject token (a foreign message may carry anything)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)[:64] or "unknown"


def _dead_letter_body(projection: str, row: asyncpg.Record) -> bytes:
    body = {
        "projection": projection,
        "error": row["error"],
        "attempts": row["attempts"],
        "envelope": row["envelope"],
    }
    data = json.dumps(body, ensure_ascii=False).encode()
    if len(data) <= DEAD_LETTER_MAX_BYTES:
        return data
    body["envelope"] = {"event_id": str(row["event_id"]), "omitted": f"{len(data)} bytes"}
    body["error"] = str(row["error"])[:2000]
    return json.dumps(body, ensure_ascii=False).encode()


async def _raise_when(lost: asyncio.Event, stop: asyncio.Event, reason: str) -> None:
    """End a task group with an error when `lost` is set (unless stopping)."""
    await _first_of(asyncio.Event(), lost, stop)
    if lost.is_set() and not stop.is_set():
        raise ConnectionError(reason)


async def _first_of(target: asyncio.Event, *events: asyncio.Event) -> None:
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        target.set()
    finally:
        for w in waiters:
            w.cancel()
