"""One events table against eight hash partitions (`eduplan provision --partition-events`):
the relay's outbox-head lookup, a load of 500 streams and an insert of 500 events, timed on
a store of N events, and the migration of an existing store. Figures in deploy/README.md.

    .venv/bin/python bench/event_partitions.py [EVENTS] [DATABASE_URL]

Uses two scratch schemas (bench_plain, bench_parts) of the database and drops them after.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import asyncpg

from shared.eventstore import EVENT_COLUMNS, MIGRATIONS, partition_events
from shared.migrations import migrate

RUNS = 20


async def fill(conn: asyncpg.Connection, schema: str, events: int, partitioned: bool) -> None:
    """`events` events of streams of four, the newest 500 waiting in the outbox."""
    await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await migrate(conn, schema, "eventstore", MIGRATIONS)
    if partitioned:
        await partition_events(conn, schema)
    await conn.execute(
        f'INSERT INTO "{schema}".events (event_id, stream_id, stream_type, version, event_type,'
        " schema_version, county, data, metadata)"
        " SELECT gen_random_uuid(), 's-' || (g / 4), 'student', (g % 4) + 1, 'E', 1, '610831',"
        """ '{"a": 1}', '{"actor": "x"}' FROM generate_series(0, $1 - 1) g""",
        events,
    )
    await conn.execute(
        f'INSERT INTO "{schema}".outbox SELECT position FROM "{schema}".events'
        " ORDER BY position DESC LIMIT 500"
    )
    await conn.execute(f'ANALYZE "{schema}".events')
    await conn.execute(f'ANALYZE "{schema}".outbox')


async def timed(conn: asyncpg.Connection, query: str, *args: Any) -> float:
    """Milliseconds per run, after one warm-up."""
    await conn.execute(query, *args)
    started = time.perf_counter()
    for _ in range(RUNS):
        await conn.execute(query, *args)
    return (time.perf_counter() - started) / RUNS * 1000


async def measure(conn: asyncpg.Connection, schema: str, events: int) -> dict[str, float]:
    columns = ", ".join("e." + c.strip() for c in EVENT_COLUMNS.split(","))
    relay = (  # shared/relay.py's batch query
        f'SELECT {columns} FROM (SELECT position FROM "{schema}".outbox ORDER BY position'
        f' LIMIT 500) o JOIN "{schema}".events e USING (position) ORDER BY e.position'
    )
    load = (  # EventStore.load_streams
        f'SELECT {EVENT_COLUMNS} FROM "{schema}".events WHERE stream_id = ANY($1::text[])'
        " ORDER BY stream_id, version"
    )
    step = max(events // 4 // 500, 1)
    streams = [f"s-{i}" for i in range(0, step * 500, step)]
    insert = (
        f'INSERT INTO "{schema}".events (event_id, stream_id, stream_type, version, event_type,'
        " schema_version, county, data, metadata) SELECT gen_random_uuid(),"
        " 'n-' || g || '-' || gen_random_uuid(), 'x', 1, 'E', 1, '610831', '{}', '{}'"
        " FROM generate_series(1, 500) g"
    )
    return {
        "relay head (ms)": await timed(conn, relay),
        "load 500 streams (ms)": await timed(conn, load, streams),
        "insert 500 events (ms)": await timed(conn, insert),
    }


async def main(events: int, dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for schema, partitioned in (("bench_plain", False), ("bench_parts", True)):
            await fill(conn, schema, events, partitioned)
            figures = await measure(conn, schema, events)
            shown = " | ".join(f"{k} {v:.1f}" for k, v in figures.items())
            print(f"{events:,} events, {'8 partitions' if partitioned else 'one table'}: {shown}")
        await fill(conn, "bench_plain", events, partitioned=False)
        started = time.perf_counter()
        await partition_events(conn, "bench_plain")
        print(f"partitioning {events:,} events: {time.perf_counter() - started:.1f} s")
    finally:
        for schema in ("bench_plain", "bench_parts"):
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    url = sys.argv[2] if len(sys.argv) > 2 else "postgresql://postgres@127.0.0.1:5432/postgres"
    asyncio.run(main(count, url))
