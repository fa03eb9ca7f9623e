"""The raw limits of this machine in this run: asyncpg COPY into an events-shaped table,
pipelined JetStream publishing, and pulling with one ack per batch. Every other figure is read
against these."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import asyncpg
import nats
from nats.js.api import AckPolicy, ConsumerConfig

from bench.common import Bench, say
from contracts.subjects import stream_name

BODY = json.dumps({"payload": "x" * 900}).encode()  # about an event envelope's size


async def measure(bench: Bench) -> dict[str, Any]:
    async with bench.sandbox("raw") as box:
        say("raw limits: COPY, JetStream publish, fetch+ack ...")
        copy = await copy_rows_per_s(box.database_url, bench.sized(100_000, 10_000))
        nc = await nats.connect(box.nats_url)
        try:
            publish, fetch = await publish_and_fetch(nc, box.namespace, bench.sized(50_000, 5000))
        finally:
            await nc.close()
    return {
        "copy_rows_per_s": copy,
        "publish_msgs_per_s": publish,
        "fetch_ack_msgs_per_s": fetch,
    }


async def copy_rows_per_s(dsn: str, rows: int) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE copy_probe (position bigserial PRIMARY KEY, event_id uuid UNIQUE,"
            " stream_id text, version int, event_type text, data jsonb,"
            " UNIQUE (stream_id, version))"
        )
        data = json.dumps({"student_id": str(uuid.uuid4()), "note": "x" * 400})
        records = [(uuid.uuid4(), f"s{i}", 1, "AidGranted", data) for i in range(rows)]
        columns = ["event_id", "stream_id", "version", "event_type", "data"]
        start = time.perf_counter()
        await conn.copy_records_to_table("copy_probe", records=records, columns=columns)
        return rows / (time.perf_counter() - start)
    finally:
        await conn.close()


async def publish_and_fetch(nc: nats.NATS, namespace: str, messages: int) -> tuple[float, float]:
    """Pipelined publish with `Nats-Msg-Id` (as the relay publishes), then a durable pull
    consumer fetching 500 at a time with one ack per batch (AckAll, as projections pull)."""
    js = nc.jetstream()
    name = stream_name("probe", namespace)
    await js.add_stream(name=name, subjects=[f"{namespace}.probe.>"])
    start = time.perf_counter()
    futures = [
        await js.publish_async(
            f"{namespace}.probe.x", BODY, headers={"Nats-Msg-Id": str(uuid.uuid4())}
        )
        for _ in range(messages)
    ]
    await asyncio.gather(*futures)
    publish = messages / (time.perf_counter() - start)

    sub = await js.pull_subscribe(
        f"{namespace}.probe.>",
        durable="probe",
        stream=name,
        config=ConsumerConfig(ack_policy=AckPolicy.ALL, max_ack_pending=-1),
    )
    received = 0
    start = time.perf_counter()
    while received < messages:
        batch = await sub.fetch(500, timeout=5)
        received += len(batch)
        await batch[-1].ack()
    fetch = received / (time.perf_counter() - start)
    await js.delete_stream(name)
    return publish, fetch
