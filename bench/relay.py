"""The outbox relay's rate: events from the outbox to JetStream, acknowledged and deleted, with
an empty store before the outbox head and with a deep one (about a million events, at scale 1),
read against the raw JetStream publish rate of the same run.

The store is filled inside PostgreSQL (generate_series), with events shaped like the
assistance service's grants; the relay is the service's own (`shared.relay.OutboxRelay`)."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import nats

from bench.common import Bench, Timer, say
from shared import eventstore
from shared.db import connect
from shared.jetstream import ensure_stream
from shared.migrations import migrate
from shared.relay import OutboxRelay

FILL = """
INSERT INTO assistance.events (event_id, stream_id, stream_type, version, event_type,
    schema_version, county, data, metadata, recorded_at)
SELECT gen_random_uuid(), s::text || '-' || $3, 'student', 1, 'AidGranted', 1, '610831',
    jsonb_build_object('student_id', gen_random_uuid(), 'term', '2017-autumn',
        'programme', 'boarding_living_allowance', 'amount', '625.00', 'county', '610831',
        'stage', 'primary', 'grade', 3, 'rule', 'boarding primary students, per term'),
    jsonb_build_object('occurred_at', now(), 'actor', 'bench', 'department', 'aid_center',
        'correlation_id', gen_random_uuid(), 'command_id', gen_random_uuid()),
    now()
FROM generate_series($1::bigint, $2::bigint) s
"""


async def measure(bench: Bench) -> dict[str, Any]:
    relayed = bench.sized(30_000, 5000)
    deep = bench.sized(1_000_000, 50_000)
    async with bench.sandbox("relay") as box:
        conn = await connect(box.database_url, "bench-relay")
        nc = await nats.connect(box.nats_url)
        try:
            await migrate(conn, "assistance", "eventstore", eventstore.MIGRATIONS)
            js = nc.jetstream()
            await ensure_stream(js, "assistance", box.namespace)
            relay = OutboxRelay(box.database_url, "assistance", "assistance", js, box.namespace)
            say(f"relay: {relayed} events, nothing before them ...")
            empty = await _relay_rate(conn, relay, 0, relayed)
            say(f"relay: filling the store with {deep} events ...")
            fill = Timer()
            await conn.execute(FILL, relayed + 1, deep, "deep")
            await conn.execute("ANALYZE assistance.events")
            filled = fill.elapsed
            say(f"relay: {relayed} events behind {deep} ...")
            deep_rate = await _relay_rate(conn, relay, deep, relayed)
        finally:
            await nc.close()
            await conn.close()
    return {
        "events": relayed,
        "empty_events_per_s": empty,
        "deep_before_head": deep,
        "deep_events_per_s": deep_rate,
        "fill_rows_per_s": (deep - relayed) / filled,
        "empty_ratio_to_raw_publish": _ratio(empty, bench),
        "deep_ratio_to_raw_publish": _ratio(deep_rate, bench),
    }


async def _relay_rate(conn: asyncpg.Connection, relay: OutboxRelay, after: int, n: int) -> float:
    """Append `n` events after position `after` with their outbox rows, then relay them all."""
    first, last = after + 1, after + n
    await conn.execute("SELECT setval('assistance.events_position_seq', $1, false)", first)
    await conn.execute(FILL, first, last, f"r{after}")
    await conn.execute(
        "INSERT INTO assistance.outbox (position) SELECT position FROM assistance.events"
        " WHERE position >= $1",
        first,
    )
    await conn.execute("ANALYZE assistance.outbox")
    await conn.execute("CHECKPOINT")  # the fill's dirty pages written now, not while measured
    started = time.perf_counter()
    while await relay.publish_pending(conn):
        pass
    rate = n / (time.perf_counter() - started)
    assert not await conn.fetchval("SELECT count(*) FROM assistance.outbox")
    return rate


def _ratio(rate: float, bench: Bench) -> float | None:
    raw = bench.results.get("raw", {}).get("publish_msgs_per_s")
    return rate / raw if raw else None
