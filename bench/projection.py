"""The read side's rates on the events the bulk section recorded: exactly-once catch-up of the
aid read model from the first event of the stream, and a full rebuild (every read model of the
assistance stream, from sequence 1, into a new schema), each read against the peer's in-memory
fold of the same number of events."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

import asyncpg
import nats

from bench.common import Bench, say, wait_until
from contracts.subjects import stream_name
from services.projection.read_models import projections
from shared.db import create_pool
from shared.gc_tuning import tune_gc_for_batches
from shared.projections import Projection, ProjectionRunner
from shared.rebuild import build_indexes, defer_read_indexes


async def measure(bench: Bench) -> dict[str, Any]:
    box = bench.kept.get("bulk")
    if box is None:
        raise RuntimeError("the projection section reads the bulk section's events: run both")
    tune_gc_for_batches()  # as the projection service does at start
    pool = await create_pool(box.database_url, max_size=6, name="bench-projection")
    nc = await nats.connect(box.nats_url)
    try:
        info = await nc.jetstream().stream_info(stream_name("assistance", box.namespace))
        events = info.state.last_seq
        say(f"projection: exactly-once catch-up over {events} events ...")
        (aid,) = [p for p in projections() if p.name == "aid_coverage"]
        catch_up = await rebuild_seconds(pool, box.database_url, nc, [aid], "bench_catch_up",
                                         box.namespace, "assistance", events)  # fmt: skip
        readers = of_source("assistance")
        say(f"projection: full rebuild of {', '.join(p.name for p in readers)} ...")
        rebuild = await rebuild_seconds(pool, box.database_url, nc, readers, "bench_rebuild",
                                        box.namespace, "assistance", events)  # fmt: skip
    finally:
        await nc.close()
        await pool.close()
    return {
        "events": events,
        "catch_up_events_per_s": events / catch_up,
        "rebuild_read_models": [p.name for p in readers],
        "rebuild_events_per_s": events / rebuild,
    }


def of_source(source: str) -> list[Projection]:
    return [p for p in projections() if source in p.sources]


async def rebuild_seconds(
    pool: asyncpg.Pool,
    dsn: str,
    nc: nats.NATS,
    models: Sequence[Projection],
    schema: str,
    namespace: str,
    source: str,
    last_seq: int,
    *,
    keep: bool = False,
) -> float:
    """Seconds until runners of `models`, started together in a new `schema`, have every event
        of `source` up to `last_seq` (the projection service's own runner, exactly once). The schema
    is dropped afterwards unless `keep`; the runners' consumers always are."""
    runners = [ProjectionRunner(pool, dsn, nc, m, schema, namespace) for m in models]
    deferred = []
    for runner in runners:
        await runner.setup()
        deferred += await defer_read_indexes(pool, schema, runner.projection)  # as a rebuild
    stop = asyncio.Event()
    started = time.perf_counter()
    tasks = [asyncio.create_task(r.run(stop)) for r in runners]

    async def caught_up() -> bool:
        for task in tasks:
            if task.done():
                task.result()  # a runner that ended raises its error here
        seqs = [await r.checkpoint(source) for r in runners]
        return min(seqs) >= last_seq

    try:
        await wait_until(caught_up, timeout=600, interval=0.02)
        await build_indexes(pool, deferred)
        return time.perf_counter() - started
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        if not keep:
            await pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        js = nc.jetstream()
        for runner in runners:
            for s in runner.projection.sources:
                with contextlib.suppress(Exception):  # a source without a stream has none
                    await js.delete_consumer(stream_name(s, namespace), runner.durable)
