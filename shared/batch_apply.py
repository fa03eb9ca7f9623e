"""Applying one batch of events to a read model: exactly once, in stream order, poison-proof.

The batch and the stream sequence it reached commit together, so a crash leaves all of a
batch or none of it and redelivered messages are skipped by that checkpoint. Each stream's
versions are checked: a repeat is skipped, an event ahead of its predecessor is parked until
the gap closes, never skipped. An event the projection cannot apply is set aside as a dead
letter with the error; later events of its stream wait (parked) until it is retried. A message
that is not an event envelope at all (a buggy producer) is set aside too, and the stream goes
on: nothing a producer publishes can stop a read model.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg
import structlog

from contracts.envelope import EventEnvelope
from contracts.registry import UnknownEvent, latest_version, upcast
from shared.db import RawJson
from shared.migrations import Migration
from shared.puller import Delivery

log = structlog.get_logger()

# In projection_stream_versions and projection_parked, `stream_id` holds the stream key
# '<service>/<stream id>' (see stream_key): a projection may read several services' streams.
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
    Migration(
        2,
        "dead letters",
        """
        CREATE TABLE "{schema}".projection_dead_letters (
            projection text NOT NULL, event_id uuid NOT NULL, source text NOT NULL,
            stream_id text NOT NULL, version int NOT NULL, event_type text NOT NULL,
            envelope jsonb NOT NULL, error text NOT NULL, attempts int NOT NULL DEFAULT 1,
            failed_at timestamptz NOT NULL DEFAULT now(),
            published boolean NOT NULL DEFAULT false, PRIMARY KEY (projection, event_id));
        """,
    ),
)
RUNNER_TABLES = (
    "projection_checkpoints",
    "projection_stream_versions",
    "projection_parked",
    "projection_dead_letters",
    "schema_migrations",
)


CONNECTION_ERRORS = (
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,  # shutdown, cannot connect now, statement cancelled
    asyncpg.InsufficientResourcesError,  # too many connections, disk full
    asyncpg.TransactionRollbackError,  # deadlock, serialization failure
    OSError,
)
"""Failures of the database of the moment, not of an event: they stop the batch, which is
retried as it was."""
UNREADABLE = "unreadable"
"""Event type recorded for a dead letter whose message is not an event envelope."""


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
    dead: int = 0

    def __add__(self, other: BatchOutcome) -> BatchOutcome:
        return BatchOutcome(
            self.applied + other.applied,
            self.skipped + other.skipped,
            self.parked_change + other.parked_change,
            self.dead + other.dead,
        )


@dataclass
class _Plan:
    ordered: list[EventEnvelope]
    skipped: int
    waiting: list[EventEnvelope]
    released: int
    versions: dict[str, int] = field(default_factory=dict)  # stream -> version before the batch


def stream_key(event: EventEnvelope) -> str:
    """Streams are per service: the same stream id in two services are two streams."""
    return f"{event.service}/{event.stream_id}"


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


async def apply_batch(
    conn: asyncpg.Connection,
    schema: str,
    projection: Projection,
    source: str,
    deliveries: Sequence[Delivery],
    parked_before: bool = True,
    keep: Callable[[EventEnvelope], bool] | None = None,
    isolate: bool = True,
) -> BatchOutcome:
    """Apply one batch and advance the checkpoint, in one transaction.

    `parked_before=False` promises no event of this projection is parked, saving a query;
    `keep` leaves out events (e.g. after an as-of date) while still advancing the checkpoint.
    `isolate=False` applies without a savepoint: a failing event then fails the whole batch
    (`apply_or_set_aside` applies it again isolated), two statements fewer when none fails.
    """
    async with conn.transaction():
        checkpoint = await conn.fetchval(
            f'SELECT stream_seq FROM "{schema}".projection_checkpoints'
            " WHERE projection = $1 AND source = $2 FOR UPDATE",
            projection.name,
            source,
        )
        fresh = sorted(
            (d for d in deliveries if d.stream_seq > (checkpoint or 0)), key=lambda d: d.stream_seq
        )
        if not fresh:
            return BatchOutcome(0, len(deliveries), 0)
        envelopes, not_upcast, unreadable = _read(fresh)
        if keep is not None:
            envelopes = [e for e in envelopes if keep(e)]
        outcome = await _apply(
            conn,
            schema,
            projection,
            source,
            envelopes,
            parked_before,
            advance_to=fresh[-1].stream_seq,
            isolate=isolate,
        )
        if not_upcast:
            await _record_dead(conn, schema, projection.name, source, not_upcast, {})
        if unreadable:
            await _record_unreadable(conn, schema, projection.name, source, unreadable)
        outcome.dead += len(not_upcast) + len(unreadable)
    outcome.skipped += len(deliveries) - len(fresh)
    return outcome


async def apply_or_set_aside(
    conn: asyncpg.Connection,
    schema: str,
    projection: Projection,
    source: str,
    deliveries: Sequence[Delivery],
    parked_before: bool = True,
    keep: Callable[[EventEnvelope], bool] | None = None,
) -> BatchOutcome:
    """`apply_batch`; if the batch fails for a reason of its own (not the database's), apply
    it one message at a time and set aside, as a dead letter, a message that fails alone.

    So a message no step can handle (e.g. text PostgreSQL refuses even in a dead letter) is
    recorded with its reason and the stream goes on. The batch is first tried without a
    savepoint around the read model's statements (the common case: nothing fails); if that
    fails, it is rolled back and applied as before, each poisonous event isolated.
    """
    try:
        return await apply_batch(
            conn, schema, projection, source, deliveries, parked_before, keep, isolate=False
        )
    except CONNECTION_ERRORS:
        raise
    except Exception as exc:
        log.info("batch_failed_isolating", projection=projection.name, error=repr(exc))
    try:
        return await apply_batch(conn, schema, projection, source, deliveries, parked_before, keep)
    except CONNECTION_ERRORS:
        raise
    except Exception as exc:
        log.warning("batch_failed_one_by_one", projection=projection.name, error=repr(exc))
    total = BatchOutcome(0, 0, 0)
    for delivery in deliveries:
        try:
            total += await apply_batch(conn, schema, projection, source, [delivery], True, keep)
        except CONNECTION_ERRORS:
            raise
        except Exception as exc:
            total += await _set_aside(conn, schema, projection.name, source, delivery, exc)
    return total


def _read(
    deliveries: Sequence[Delivery],
) -> tuple[list[EventEnvelope], list[tuple[EventEnvelope, str]], list[tuple[Delivery, str]]]:
    """Envelopes at their latest version; envelopes that could not be upcast (they block their
    stream like any dead event); messages that are not envelopes (they block nothing)."""
    envelopes: list[EventEnvelope] = []
    not_upcast: list[tuple[EventEnvelope, str]] = []
    unreadable: list[tuple[Delivery, str]] = []
    for d in deliveries:
        try:
            envelope = EventEnvelope.model_validate_json(d.data)
        except (ValueError, RecursionError) as exc:
            unreadable.append((d, _reason(exc)))
            continue
        try:
            envelopes.append(at_latest_version(envelope))
        except Exception as exc:
            not_upcast.append((envelope, _reason(exc)))
    return envelopes, not_upcast, unreadable


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:4000]


async def _advance(conn: asyncpg.Connection, schema: str, name: str, source: str, seq: int) -> None:
    await conn.execute(
        f'INSERT INTO "{schema}".projection_checkpoints (projection, source, stream_seq)'
        " VALUES ($1, $2, $3) ON CONFLICT (projection, source)"
        " DO UPDATE SET stream_seq = EXCLUDED.stream_seq, updated_at = now()",
        name,
        source,
        seq,
    )


async def _set_aside(
    conn: asyncpg.Connection,
    schema: str,
    name: str,
    source: str,
    delivery: Delivery,
    exc: Exception,
) -> BatchOutcome:
    """Record one message as it came (no parsing) as a dead letter and move past it."""
    async with conn.transaction():
        checkpoint = await conn.fetchval(
            f'SELECT stream_seq FROM "{schema}".projection_checkpoints'
            " WHERE projection = $1 AND source = $2 FOR UPDATE",
            name,
            source,
        )
        if delivery.stream_seq <= (checkpoint or 0):
            return BatchOutcome(0, 1, 0)
        await _record_unreadable(conn, schema, name, source, [(delivery, _reason(exc))])
        await _advance(conn, schema, name, source, delivery.stream_seq)
    return BatchOutcome(0, 0, 0, 1)


def unreadable_id(name: str, source: str, stream_seq: int) -> uuid.UUID:
    """A stable id for a dead letter that has no event id of its own."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"eduplan:{name}:{source}:{stream_seq}")


async def _record_unreadable(
    conn: asyncpg.Connection,
    schema: str,
    name: str,
    source: str,
    unreadable: list[tuple[Delivery, str]],
) -> None:
    log.error(
        "messages_dead_lettered",
        projection=name,
        source=source,
        count=len(unreadable),
        first=unreadable[0][1],
    )
    await conn.executemany(
        f'INSERT INTO "{schema}".projection_dead_letters (projection, event_id, source,'
        " stream_id, version, event_type, envelope, error, attempts)"
        " VALUES ($1, $2, $3, '', 0, $4, $5, $6, 1) ON CONFLICT (projection, event_id)"
        " DO UPDATE SET error = EXCLUDED.error, attempts = projection_dead_letters.attempts + 1,"
        " failed_at = now(), published = false",
        [
            (
                name,
                unreadable_id(name, source, d.stream_seq),
                source,
                UNREADABLE,
                {
                    "unreadable": _storable(d.data.decode("utf-8", "replace")),
                    "subject": d.subject,
                    "stream_seq": d.stream_seq,
                },
                _storable(error),
            )
            for d, error in unreadable
        ],
    )


def _storable(text: str) -> str:
    """PostgreSQL text and jsonb cannot hold NUL characters."""
    return text.replace("\x00", "\ufffd")


async def retry_dead_letters(
    conn: asyncpg.Connection, schema: str, projection: Projection
) -> tuple[int, int]:
    """Apply the projection's dead letters again (after a fix); returns (applied, still dead).

    Events of their streams that waited behind them follow in the same transaction.
    """
    async with conn.transaction():
        rows = await conn.fetch(
            f'DELETE FROM "{schema}".projection_dead_letters WHERE projection = $1'
            " RETURNING source, envelope, attempts",
            projection.name,
        )
        attempts: dict[str, int] = {}
        by_source: dict[str, list[EventEnvelope]] = {}
        dead = 0
        for r in rows:
            try:
                envelope = _from_dead_letter(r["envelope"])
            except Exception as exc:
                await _record_unreadable_again(conn, schema, projection.name, r, _reason(exc))
                dead += 1
                continue
            attempts[str(envelope.event_id)] = r["attempts"]
            by_source.setdefault(r["source"], []).append(envelope)
        applied = 0
        for source, envelopes in by_source.items():
            envelopes.sort(key=lambda e: (e.stream_id, e.version))
            outcome = await _apply(conn, schema, projection, source, envelopes, True, attempts)
            applied += outcome.applied
            dead += outcome.dead
    return applied, dead


def _from_dead_letter(stored: dict[str, Any]) -> EventEnvelope:
    """The envelope of a dead letter at its latest version (read again if it was unreadable)."""
    if "unreadable" in stored:
        return at_latest_version(EventEnvelope.model_validate_json(stored["unreadable"]))
    return at_latest_version(EventEnvelope.model_validate(stored))


async def _record_unreadable_again(
    conn: asyncpg.Connection, schema: str, name: str, row: asyncpg.Record, error: str
) -> None:
    stored = row["envelope"]
    await conn.execute(
        f'INSERT INTO "{schema}".projection_dead_letters (projection, event_id, source,'
        " stream_id, version, event_type, envelope, error, attempts)"
        " VALUES ($1, $2, $3, '', 0, $4, $5, $6, $7)",
        name,
        unreadable_id(name, row["source"], int(stored.get("stream_seq", 0))),
        row["source"],
        UNREADABLE,
        stored,
        _storable(error),
        row["attempts"] + 1,
    )


async def _apply(
    conn: asyncpg.Connection,
    schema: str,
    projection: Projection,
    source: str,
    envelopes: list[EventEnvelope],
    parked_before: bool,
    attempts: dict[str, int] | None = None,
    *,
    advance_to: int | None = None,
    isolate: bool = True,
) -> BatchOutcome:
    """`advance_to`: also move the source's checkpoint there (in the versions' statement)."""
    name = projection.name
    plan = await _plan(conn, schema, name, envelopes, parked_before)
    if isolate:
        applied, dead, blocked = await _apply_isolating_poison(
            conn, schema, projection, plan.ordered
        )
    else:
        if plan.ordered:
            await projection.apply(conn, schema, plan.ordered)
        applied, dead, blocked = plan.ordered, [], []
    checkpoint = (source, advance_to) if advance_to is not None else None
    await _save_versions(conn, schema, name, plan.versions, applied, checkpoint)
    waiting = plan.waiting + blocked
    await _park(conn, schema, name, waiting)
    if dead:
        await _record_dead(conn, schema, name, source, dead, attempts or {})
    parked_change = len(waiting) - plan.released
    return BatchOutcome(len(applied), plan.skipped, parked_change, len(dead))


async def _plan(
    conn: asyncpg.Connection,
    schema: str,
    name: str,
    envelopes: list[EventEnvelope],
    parked_before: bool,
) -> _Plan:
    """Keep each stream's next versions; drop repeats; hold early arrivals, release waiters."""
    stream_ids = list({stream_key(e) for e in envelopes})
    versions = dict(
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
        waiting.setdefault(stream_key(parked_event), {})[parked_event.version] = parked_event
    known = dict(versions)
    ordered: list[EventEnvelope] = []
    skipped = 0
    for event in envelopes:
        current = known.get(stream_key(event), 0)
        if event.version <= current:
            skipped += 1
        elif event.version > current + 1:
            waiting.setdefault(stream_key(event), {})[event.version] = event
        else:
            ordered.append(event)
            current = event.version
            later = waiting.get(stream_key(event), {})
            while current + 1 in later:
                current += 1
                ordered.append(later.pop(current))
            known[stream_key(event)] = current
    still = [e for w in waiting.values() for v, e in w.items() if v > known.get(stream_key(e), 0)]
    return _Plan(ordered, skipped, still, len(released), versions)


async def _apply_isolating_poison(
    conn: asyncpg.Connection, schema: str, projection: Projection, ordered: list[EventEnvelope]
) -> tuple[list[EventEnvelope], list[tuple[EventEnvelope, str]], list[EventEnvelope]]:
    """Apply the batch; if it fails, apply event by event to find the poison.

    Returns (applied, dead with their error, blocked behind a dead event of their stream).
    """
    if not ordered:
        return [], [], []
    try:
        async with conn.transaction():
            await projection.apply(conn, schema, ordered)
        return ordered, [], []
    except CONNECTION_ERRORS:
        raise
    except Exception as exc:
        log.warning("batch_failed_isolating", projection=projection.name, error=repr(exc))
    applied: list[EventEnvelope] = []
    dead: list[tuple[EventEnvelope, str]] = []
    blocked: list[EventEnvelope] = []
    bad_streams: set[str] = set()
    for event in ordered:
        if stream_key(event) in bad_streams:
            blocked.append(event)
            continue
        try:
            async with conn.transaction():
                await projection.apply(conn, schema, [event])
            applied.append(event)
        except CONNECTION_ERRORS:
            raise
        except Exception as exc:
            dead.append((event, f"{type(exc).__name__}: {exc}"))
            bad_streams.add(stream_key(event))
    return applied, dead, blocked


async def _save_versions(
    conn: asyncpg.Connection,
    schema: str,
    name: str,
    before: dict[str, int],
    applied: list[EventEnvelope],
    checkpoint: tuple[str, int] | None = None,
) -> None:
    """Record the streams' new versions and, with `checkpoint` (source, stream sequence),
    advance it in the same statement: one round trip fewer per batch."""
    latest: dict[str, int] = {}
    for event in applied:
        latest[stream_key(event)] = max(event.version, latest.get(stream_key(event), 0))
    changed = {s: v for s, v in latest.items() if v > before.get(s, 0)}
    versions = (
        f'INSERT INTO "{schema}".projection_stream_versions (projection, stream_id, version)'
        " SELECT $1, * FROM unnest($2::text[], $3::int[])"
        " ON CONFLICT (projection, stream_id) DO UPDATE SET version = EXCLUDED.version"
    )
    if checkpoint is None:
        if changed:
            await conn.execute(versions, name, list(changed), list(changed.values()))
        return
    source, seq = checkpoint
    if not changed:
        await _advance(conn, schema, name, source, seq)
        return
    await conn.execute(
        f"WITH versions AS ({versions})"
        f' INSERT INTO "{schema}".projection_checkpoints (projection, source, stream_seq)'
        " VALUES ($1, $4, $5) ON CONFLICT (projection, source)"
        " DO UPDATE SET stream_seq = EXCLUDED.stream_seq, updated_at = now()",
        name,
        list(changed),
        list(changed.values()),
        source,
        seq,
    )


async def _park(
    conn: asyncpg.Connection, schema: str, name: str, waiting: list[EventEnvelope]
) -> None:
    if waiting:
        log.warning("events_parked", projection=name, count=len(waiting))
        await conn.executemany(
            f'INSERT INTO "{schema}".projection_parked (projection, stream_id, version, envelope)'
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [(name, stream_key(e), e.version, e.model_dump(mode="json")) for e in waiting],
        )


async def _record_dead(
    conn: asyncpg.Connection,
    schema: str,
    name: str,
    source: str,
    dead: list[tuple[EventEnvelope, str]],
    attempts: dict[str, Any],
) -> None:
    log.error("events_dead_lettered", projection=name, count=len(dead), first=dead[0][1])
    await conn.executemany(
        f'INSERT INTO "{schema}".projection_dead_letters (projection, event_id, source,'
        " stream_id, version, event_type, envelope, error, attempts)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (projection, event_id)"
        " DO UPDATE SET error = EXCLUDED.error, attempts = EXCLUDED.attempts,"
        " failed_at = now(), published = false",
        [
            (
                name,
                e.event_id,
                source,
                e.stream_id,
                e.version,
                e.event_type,
                RawJson(e.model_dump_json().replace("\\u0000", "\\ufffd")),
                _storable(error),
                attempts.get(str(e.event_id), 0) + 1,
            )
            for e, error in dead
        ],
    )


async def release_stranded(
    conn: asyncpg.Connection,
    schema: str,
    projection: Projection,
    source_of: Callable[[str], str] = str,
) -> BatchOutcome:
    """Apply the parked events whose predecessor is applied already.

    A batch releases the waiters of the streams it holds, so this never happens with one
    runner per read model. With partitions (shared/partitions.py) a stream can move between
    two runners: an event parked while the other runner applied its predecessor, both at the
    same moment, has nobody left to release it. `source_of` names the source a service's
    dead letters are recorded under (its partition key).
    """
    async with conn.transaction():
        rows = await conn.fetch(
            f'SELECT p.envelope FROM "{schema}".projection_parked p'
            f' JOIN "{schema}".projection_stream_versions v'
            " ON v.projection = p.projection AND v.stream_id = p.stream_id"
            " WHERE p.projection = $1 AND p.version = v.version + 1",
            projection.name,
        )
        total = BatchOutcome(0, 0, 0)
        by_service: dict[str, list[EventEnvelope]] = {}
        for row in rows:
            envelope = EventEnvelope.model_validate(row["envelope"])
            by_service.setdefault(envelope.service, []).append(envelope)
        for service, envelopes in by_service.items():
            total += await _apply(conn, schema, projection, source_of(service), envelopes, True)
    if total.applied:
        log.info("stranded_events_released", projection=projection.name, count=total.applied)
    return total
