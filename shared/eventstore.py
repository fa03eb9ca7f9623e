"""The Postgres event store of one service: the source of truth, with its outbox.

`unique (stream_id, version)` is the optimistic concurrency control; the events, their outbox
rows, the stream index and the command results of one append commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from contracts.envelope import EventEnvelope
from shared.db import RawJson, dumps
from shared.migrations import Grants, Migration, migrate

MIGRATIONS = (
    Migration(
        1,
        "events, streams, outbox, commands",
        """
        CREATE TABLE "{schema}".events (
            position       bigserial PRIMARY KEY,
            event_id       uuid NOT NULL CONSTRAINT events_event_id_key UNIQUE,
            stream_id      text NOT NULL,
            stream_type    text NOT NULL,
            version        int  NOT NULL CHECK (version > 0),
            event_type     text NOT NULL,
            schema_version int  NOT NULL,
            county         text NOT NULL,
            data           jsonb NOT NULL,
            metadata       jsonb NOT NULL,
            recorded_at    timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
        );
        CREATE INDEX events_recorded_at_idx ON "{schema}".events (recorded_at);
        CREATE TABLE "{schema}".streams (
            stream_id   text PRIMARY KEY,
            stream_type text NOT NULL,
            county      text NOT NULL,
            version     int  NOT NULL,
            updated_at  timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX streams_type_county_idx ON "{schema}".streams (stream_type, county, stream_id);
        CREATE TABLE "{schema}".outbox (
            position bigint PRIMARY KEY REFERENCES "{schema}".events (position)
        );
        CREATE TABLE "{schema}".commands (
            command_id   uuid PRIMARY KEY,
            command_type text NOT NULL,
            stream_id    text NOT NULL,
            result       jsonb NOT NULL,
            recorded_at  timestamptz NOT NULL DEFAULT now()
        );
        """,
    ),
    Migration(
        2,
        "what each command said, to tell a reused command id",
        'ALTER TABLE "{schema}".commands ADD COLUMN fingerprint bytea',
    ),
)


EVENT_PARTITIONS = 8
"""Hash partitions of a service's events table once partitioned; fixed once migrated."""

PARTITIONING = (
    Migration(
        1,
        f"events partitioned by hash of stream id ({EVENT_PARTITIONS} partitions)",
        # Why by stream and not by month: `unique (stream_id, version)` is the concurrency
        # control, and a unique constraint of a partitioned table must hold its partition key;
        # by month it could not be enforced across months. A stream's load reads one partition.
        # The outbox keeps its positions without a foreign key (one cannot reference a column
        # that is unique only with the partition key); both are written in one transaction.
        # Event ids are uuid4, unique with the stream id here and by construction across them.
        """
        ALTER TABLE "{schema}".outbox DROP CONSTRAINT IF EXISTS outbox_position_fkey;
        ALTER SEQUENCE "{schema}".events_position_seq OWNED BY NONE;
        CREATE TABLE "{schema}".events_by_stream (
            position       bigint NOT NULL DEFAULT nextval('"{schema}".events_position_seq'),
            event_id       uuid NOT NULL,
            stream_id      text NOT NULL,
            stream_type    text NOT NULL,
            version        int  NOT NULL CHECK (version > 0),
            event_type     text NOT NULL,
            schema_version int  NOT NULL,
            county         text NOT NULL,
            data           jsonb NOT NULL,
            metadata       jsonb NOT NULL,
            recorded_at    timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT events_by_stream_pkey PRIMARY KEY (position, stream_id),
            CONSTRAINT events_by_stream_version_key UNIQUE (stream_id, version),
            CONSTRAINT events_by_stream_event_id_key UNIQUE (event_id, stream_id)
        ) PARTITION BY HASH (stream_id);
        DO $$ BEGIN
            FOR i IN 0..EVENT_PARTITIONS - 1 LOOP
                EXECUTE format(
                    'CREATE TABLE %I.%I PARTITION OF %I.events_by_stream'
                    ' FOR VALUES WITH (MODULUS EVENT_PARTITIONS, REMAINDER %s)',
                    '{schema}', 'events_p' || i, '{schema}', i);
            END LOOP;
        END $$;
        INSERT INTO "{schema}".events_by_stream
            SELECT position, event_id, stream_id, stream_type, version, event_type,
                   schema_version, county, data, metadata, recorded_at
            FROM "{schema}".events ORDER BY position;
        DROP TABLE "{schema}".events;
        ALTER TABLE "{schema}".events_by_stream RENAME TO events;
        ALTER TABLE "{schema}".events RENAME CONSTRAINT events_by_stream_pkey TO events_pkey;
        ALTER TABLE "{schema}".events
            RENAME CONSTRAINT events_by_stream_version_key TO events_stream_version_key;
        ALTER TABLE "{schema}".events
            RENAME CONSTRAINT events_by_stream_event_id_key TO events_event_id_key;
        CREATE INDEX events_recorded_at_idx ON "{schema}".events (recorded_at);
        ALTER SEQUENCE "{schema}".events_position_seq OWNED BY "{schema}".events.position;
        """.replace("EVENT_PARTITIONS", str(EVENT_PARTITIONS)),
    ),
)
"""Opt-in (`eduplan provision --partition-events`), component `eventstore_partitions`: below
some millions of events one table is faster (deploy/README.md, "Growing the event store")."""


RUNTIME_GRANTS: Grants = {
    "events": "SELECT, INSERT",  # never UPDATE or DELETE: events are facts
    "events_position_seq": "USAGE",
    "streams": "SELECT, INSERT, UPDATE",
    "outbox": "SELECT, INSERT, DELETE",
    "commands": "SELECT, INSERT",
}


@dataclass(frozen=True)
class NewEvent:
    event_id: UUID
    event_type: str
    schema_version: int
    data: dict[str, Any] | RawJson


@dataclass(frozen=True)
class StreamWrite:
    """New events for one stream, appended only if the stream is still at expected_version."""

    stream_id: str
    stream_type: str
    county: str
    expected_version: int
    events: Sequence[NewEvent]
    metadata: dict[str, Any]
    command_id: UUID | None = None
    command_type: str = ""
    result: dict[str, Any] | RawJson | None = field(default=None)
    fingerprint: bytes | None = None
    """Digest of what the command said (type, department, payload); see StoredAnswer."""


@dataclass(frozen=True)
class StoredAnswer:
    """A command's first answer, and a digest of what it said: a command id sent again with
    something else is not the same command (None for answers kept before digests were)."""

    result: dict[str, Any]
    fingerprint: bytes | None


@dataclass(frozen=True)
class RecordedEvent:
    position: int
    event_id: UUID
    stream_id: str
    stream_type: str
    version: int
    event_type: str
    schema_version: int
    county: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime

    def envelope(self, service: str) -> EventEnvelope:
        """The event as published on the bus."""
        m = self.metadata
        return EventEnvelope(
            event_id=self.event_id,
            event_type=self.event_type,
            schema_version=self.schema_version,
            service=service,
            position=self.position,
            stream_id=self.stream_id,
            stream_type=self.stream_type,
            version=self.version,
            county=self.county,
            occurred_at=m["occurred_at"],
            recorded_at=self.recorded_at,
            actor=m["actor"],
            department=m["department"],
            correlation_id=m["correlation_id"],
            causation_id=m.get("causation_id"),
            command_id=m.get("command_id"),
            payload=self.data,
        )


@dataclass(frozen=True)
class CommandsRead:
    """What deciding a request needs, read in one round trip and one snapshot."""

    answers: dict[UUID, StoredAnswer]
    """The first answers of the commands already handled."""
    streams: dict[str, list[RecordedEvent]]
    marks: dict[str, int]
    """Per watched stream type, the sum of its streams' versions: it grows whenever one of
    them is appended to (versions only grow, streams are never deleted)."""


@dataclass(frozen=True)
class Rider:
    """Rows of another table stored by an append's own statement (one round trip, one
    transaction: e.g. the data keys its events are sealed with). `cte(first)` is the body of
    a data-modifying CTE whose parameters are numbered from `$first`; a unique violation of
    `constraint` raises `conflict` instead."""

    cte: Callable[[int], str]
    args: list[Any]
    constraint: str
    conflict: Callable[[str], Exception]


class ConcurrencyConflict(Exception):
    """Another writer appended to the stream since it was loaded."""


class DuplicateCommand(Exception):
    """The command id was already recorded by a concurrent writer."""


EVENT_COLUMNS = (
    "position, event_id, stream_id, stream_type, version, event_type, schema_version,"
    " county, data, metadata, recorded_at"
)


_EVENT_FIELDS = tuple(c.strip() for c in EVENT_COLUMNS.split(","))


def to_recorded(row: asyncpg.Record) -> RecordedEvent:
    return RecordedEvent(**dict(row))


class EventStore:
    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        self.schema = schema
        self.notify_channel = f"eduplan_outbox_{schema}"

    async def setup(self) -> None:
        async with self.pool.acquire() as conn:
            await migrate(conn, self.schema, "eventstore", MIGRATIONS)

    async def load(self, stream_id: str) -> list[RecordedEvent]:
        return (await self.load_streams([stream_id]))[stream_id]

    async def load_streams(self, stream_ids: Iterable[str]) -> dict[str, list[RecordedEvent]]:
        ids = list(dict.fromkeys(stream_ids))
        rows = await self.pool.fetch(
            f'SELECT {EVENT_COLUMNS} FROM "{self.schema}".events'
            " WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, version",
            ids,
        )
        streams: dict[str, list[RecordedEvent]] = {i: [] for i in ids}
        for row in rows:
            streams[row["stream_id"]].append(to_recorded(row))
        return streams

    async def read_for_commands(
        self,
        command_ids: Iterable[UUID],
        stream_ids: Iterable[str],
        watched: Iterable[str] = (),
    ) -> CommandsRead:
        """The stored answers of `command_ids`, the events of `stream_ids` and the marks of
        the `watched` stream types, in one statement (one round trip instead of three)."""
        ids = list(dict.fromkeys(stream_ids))
        nulls = ", ".join(["NULL"] * 11)
        rows = await self.pool.fetch(
            f"SELECT 1 AS kind, {EVENT_COLUMNS}, NULL::uuid AS command_id,"
            " NULL::jsonb AS result, NULL::bytea AS fingerprint"
            f' FROM "{self.schema}".events WHERE stream_id = ANY($1::text[])'
            f" UNION ALL SELECT 2, {nulls}, command_id, result, fingerprint"
            f' FROM "{self.schema}".commands WHERE command_id = ANY($2::uuid[])'
            " UNION ALL SELECT 3, sum(version)::bigint, NULL, NULL, stream_type,"
            f" {', '.join(['NULL'] * 10)}"
            f' FROM "{self.schema}".streams WHERE stream_type = ANY($3::text[])'
            " GROUP BY stream_type"
            " ORDER BY kind, stream_id, version",
            ids,
            list(command_ids),
            list(watched),
        )
        streams: dict[str, list[RecordedEvent]] = {i: [] for i in ids}
        answers: dict[UUID, StoredAnswer] = {}
        marks: dict[str, int] = {}
        for row in rows:
            kind = row["kind"]
            if kind == 1:
                streams[row["stream_id"]].append(RecordedEvent(*(row[c] for c in _EVENT_FIELDS)))
            elif kind == 2:
                answers[row["command_id"]] = StoredAnswer(row["result"], row["fingerprint"])
            else:
                marks[row["stream_type"]] = int(row["position"])
        return CommandsRead(answers, streams, marks)

    async def load_moved_streams(
        self, stream_type: str, seen: dict[str, int]
    ) -> dict[str, list[RecordedEvent]]:
        """Every stream of `stream_type` whose version is not the one in `seen`, loaded whole
        (one query when nothing moved); `seen` is brought up to date. For data a service keeps
        in memory from its own streams, refreshed before a request."""
        rows = await self.pool.fetch(
            f'SELECT stream_id, version FROM "{self.schema}".streams WHERE stream_type = $1',
            stream_type,
        )
        moved = [r["stream_id"] for r in rows if seen.get(r["stream_id"]) != r["version"]]
        if not moved:
            return {}
        streams = await self.load_streams(moved)
        seen.update((stream_id, len(events)) for stream_id, events in streams.items())
        return streams

    async def read_all(self, after: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        rows = await self.pool.fetch(
            f'SELECT {EVENT_COLUMNS} FROM "{self.schema}".events'
            " WHERE position > $1 ORDER BY position LIMIT $2",
            after,
            limit,
        )
        return [to_recorded(r) for r in rows]

    async def stream_version(self, stream_id: str) -> int:
        """The stream's current version; 0 when it has no events."""
        version = await self.pool.fetchval(
            f'SELECT version FROM "{self.schema}".streams WHERE stream_id = $1', stream_id
        )
        return int(version or 0)

    async def existing_streams(self, stream_ids: Iterable[str]) -> set[str]:
        rows = await self.pool.fetch(
            f"SELECT s.stream_id FROM unnest($1::text[]) AS x (stream_id)"
            f' JOIN "{self.schema}".streams s USING (stream_id)',
            list(stream_ids),
        )
        return {r["stream_id"] for r in rows}

    async def stream_ids(
        self, stream_type: str, county: str, after: str = "", limit: int = 1000
    ) -> list[str]:
        rows = await self.pool.fetch(
            f'SELECT stream_id FROM "{self.schema}".streams'
            " WHERE stream_type = $1 AND county = $2 AND stream_id > $3"
            " ORDER BY stream_id LIMIT $4",
            stream_type,
            county,
            after,
            limit,
        )
        return [r["stream_id"] for r in rows]

    async def command_results(self, command_ids: Iterable[UUID]) -> dict[UUID, StoredAnswer]:
        rows = await self.pool.fetch(
            f'SELECT command_id, result, fingerprint FROM "{self.schema}".commands'
            " WHERE command_id = ANY($1::uuid[])",
            list(command_ids),
        )
        return {r["command_id"]: StoredAnswer(r["result"], r["fingerprint"]) for r in rows}

    async def append(
        self,
        writes: Sequence[StreamWrite],
        rider: Rider | None = None,
    ) -> None:
        """Append all writes in one statement, or raise and append nothing.

        Writes to the same stream must come in version order with consecutive expectations.
        A write without events but with a command id records only the command's answer.
        `rider`'s rows are stored by the same statement; its conflict rolls everything back.
        """
        with_events = [w for w in writes if w.events]
        commands = [
            (w.command_id, w.command_type, w.stream_id, w.result, w.fingerprint)
            for w in writes
            if w.command_id is not None
        ]
        if not with_events and not commands:
            return
        events = [
            (
                e.event_id,
                w.stream_id,
                w.stream_type,
                w.expected_version + i,
                e.event_type,
                e.schema_version,
                w.county,
                e.data,
                metadata,
            )
            for w, metadata in ((w, dumps(w.metadata)) for w in with_events)
            for i, e in enumerate(w.events, start=1)
        ]
        heads = {
            w.stream_id: (w.stream_type, w.county, w.expected_version + len(w.events))
            for w in with_events
        }
        statement, args = self._append_statement(events, heads, commands, rider)
        try:  # one statement is one transaction: one round trip
            await self._insert(self.pool, statement, args)
        except asyncpg.UniqueViolationError as exc:
            if rider is not None and exc.constraint_name == rider.constraint:
                raise rider.conflict(exc.detail or str(exc)) from exc
            if _is_version_conflict(exc):
                raise ConcurrencyConflict(exc.detail or str(exc)) from exc
            if exc.constraint_name == "commands_pkey":
                raise DuplicateCommand(exc.detail or str(exc)) from exc
            raise

    async def _insert(
        self, on: asyncpg.Pool | asyncpg.Connection, statement: str, args: list[Any]
    ) -> None:
        await on.execute(statement, *args)

    def _append_statement(
        self,
        events: list[tuple[Any, ...]],
        heads: dict[str, tuple[str, str, int]],
        commands: list[tuple[Any, ...]],
        rider: Rider | None = None,
    ) -> tuple[str, list[Any]]:
        """One statement for the whole append: events and their outbox rows, the streams'
        heads, the commands' answers and the relay's wake-up (it was six round trips, with
        BEGIN and COMMIT). Each part is a data-modifying CTE, all run to completion."""
        parts: list[str] = []
        args: list[Any] = []
        schema = self.schema
        if events:
            args += list(zip(*events, strict=True))
            parts.append(
                f"""ins AS (
                INSERT INTO "{schema}".events (event_id, stream_id, stream_type, version,
                    event_type, schema_version, county, data, metadata)
                SELECT e, s, st, v, t, sv, c, d, m
                FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[],
                            $7::text[], $8::jsonb[], $9::jsonb[])
                     WITH ORDINALITY AS x(e, s, st, v, t, sv, c, d, m, n)
                ORDER BY n
                RETURNING position),
            queued AS (INSERT INTO "{schema}".outbox (position) SELECT position FROM ins),
            heads AS (
                INSERT INTO "{schema}".streams (stream_id, stream_type, county, version)
                SELECT * FROM unnest($10::text[], $11::text[], $12::text[], $13::int[])
                ON CONFLICT (stream_id) DO UPDATE
                    SET version = EXCLUDED.version, county = EXCLUDED.county, updated_at = now())"""
            )
            args += [
                list(heads),
                [h[0] for h in heads.values()],
                [h[1] for h in heads.values()],
                [h[2] for h in heads.values()],
            ]
        if commands:
            n = len(args)
            parts.append(
                f"""answers AS (
                INSERT INTO "{schema}".commands
                    (command_id, command_type, stream_id, result, fingerprint)
                SELECT * FROM unnest(${n + 1}::uuid[], ${n + 2}::text[], ${n + 3}::text[],
                                     ${n + 4}::jsonb[], ${n + 5}::bytea[]))"""
            )
            args += list(zip(*commands, strict=True))
        if rider is not None:
            parts.append(f"rider AS ({rider.cte(len(args) + 1)})")
            args += rider.args
        if events:
            args.append(self.notify_channel)
            last = f"SELECT pg_notify(${len(args)}, '')"
        else:
            last = "SELECT 1"
        return f"WITH {', '.join(parts)} {last}", args


def _is_version_conflict(exc: asyncpg.UniqueViolationError) -> bool:
    """`unique (stream_id, version)` refused the write: named on the table before partitioning,
    after it by the partition's own index (e.g. events_p3_stream_id_version_key)."""
    name = exc.constraint_name or ""
    return name == "events_stream_version_key" or (
        name.startswith("events_p") and name.endswith("_stream_id_version_key")
    )


async def partition_events(conn: asyncpg.Connection, schema: str) -> list[int]:
    """Partition a service's events table by hash of stream id, keeping every event (after
    the eventstore migrations; as the schema's owner). Returns the versions applied now."""
    return await migrate(conn, schema, "eventstore_partitions", PARTITIONING)
