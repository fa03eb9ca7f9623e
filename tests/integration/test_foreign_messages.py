"""Messages the platform did not write, on its own subjects: a buggy producer must not stop a
read model, and must not stop the outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from nats.js.errors import NotFoundError

from contracts.envelope import EventEnvelope
from contracts.subjects import event_subject, stream_name
from shared.eventstore import EventStore
from shared.jetstream import ensure_stream
from shared.migrations import Migration
from shared.projections import ProjectionRunner
from shared.relay import OutboxRelay
from shared.testing import Sandbox, wait_for
from tests.support.assistance import processor_for, register_students

pytestmark = pytest.mark.integration


class Notes:
    """A read model that keeps each event's stream, version and note text."""

    name = "notes"
    sources: tuple[str, ...] = ("assistance",)
    migrations: tuple[Migration, ...] = (
        Migration(
            1, "notes", 'CREATE TABLE "{schema}".notes (stream_id text, version int, text text)'
        ),
    )

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        await conn.executemany(
            f'INSERT INTO "{schema}".notes VALUES ($1, $2, $3)',
            [(e.stream_id, e.version, e.payload.get("text", "")) for e in events],
        )


def note(stream_id: str, version: int, text: str = "") -> EventEnvelope:
    now = datetime.now(UTC)
    return EventEnvelope(
        event_id=uuid.uuid4(),
        event_type="NoteTaken",
        schema_version=1,
        service="assistance",
        position=version,
        stream_id=stream_id,
        stream_type="note",
        version=version,
        county="610831",
        occurred_at=now,
        recorded_at=now,
        actor="tester",
        department="aid_center",
        correlation_id=uuid.uuid4(),
        causation_id=None,
        command_id=None,
        payload={"text": text},
    )


async def publish(nc: NATS, namespace: str, *messages: EventEnvelope | bytes) -> None:
    js = nc.jetstream()
    for m in messages:
        subject = event_subject("assistance", "610831", "note", "NoteTaken", namespace)
        await js.publish(subject, m if isinstance(m, bytes) else m.model_dump_json().encode())


async def notes(pool: asyncpg.Pool) -> list[tuple[str, int]]:
    rows = await pool.fetch("SELECT stream_id, version FROM reporting.notes ORDER BY 1, 2")
    return [(r["stream_id"], r["version"]) for r in rows]


async def dead_letter_copies(nc: NATS, namespace: str) -> int:
    with contextlib.suppress(NotFoundError):
        info = await nc.jetstream().stream_info(stream_name("deadletters", namespace))
        return int(info.state.messages)
    return 0


async def test_messages_that_are_not_events_are_dead_lettered_and_the_stream_goes_on(
    pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox
) -> None:
    await ensure_stream(nc.jetstream(), "assistance", sandbox.namespace)
    runner = ProjectionRunner(pool, sandbox.database_url, nc, Notes(), namespace=sandbox.namespace)
    await runner.setup()
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    deeply_nested = b"[" * 5000 + b"]" * 5000
    await publish(
        nc,
        sandbox.namespace,
        note("a", 1),
        b"not an event",
        b'{"event_id": 1}',
        deeply_nested,
        note("a", 2),
        note("b", 1, "NUL \x00 inside"),  # PostgreSQL text cannot hold it: the read model fails
        note("b", 2),
        note("c", 1),
    )

    async def through(seq: int) -> bool:
        assert not task.done(), task
        return await runner.checkpoint("assistance") >= seq

    await wait_for(lambda: through(8), timeout=20)
    assert await notes(pool) == [("a", 1), ("a", 2), ("c", 1)], "b waits behind its poison"
    letters = await pool.fetch(
        "SELECT event_type, stream_id, version, error, envelope"
        " FROM reporting.projection_dead_letters ORDER BY failed_at, event_type"
    )
    unreadable = sorted(
        (r for r in letters if r["event_type"] == "unreadable"),
        key=lambda r: r["envelope"]["stream_seq"],
    )
    assert [r["envelope"]["stream_seq"] for r in unreadable] == [2, 3, 4]
    assert unreadable[0]["envelope"]["unreadable"] == "not an event"
    assert all(r["error"].startswith("ValidationError") for r in unreadable)
    (poison,) = [r for r in letters if r["event_type"] == "NoteTaken"]
    assert (poison["stream_id"], poison["version"]) == ("b", 1)
    assert runner.dead == 4

    async def all_copied() -> bool:
        return await dead_letter_copies(nc, sandbox.namespace) == 4

    await wait_for(all_copied)
    await publish(nc, sandbox.namespace, note("a", 3))
    await wait_for(lambda: through(9))
    assert ("a", 3) in await notes(pool), "the stream goes on"
    stop.set()
    await task


async def test_the_relay_publishes_after_a_foreign_message_without_an_id(
    store: EventStore, nc: NATS, sandbox: Sandbox
) -> None:
    js = nc.jetstream()
    await ensure_stream(js, "assistance", sandbox.namespace)
    subject = event_subject("assistance", "610831", "note", "Foreign", sandbox.namespace)
    await js.publish(subject, b"written by someone else, first")
    processor = await processor_for(store, with_catalogue=False)
    relay = OutboxRelay(sandbox.database_url, "assistance", "assistance", js, sandbox.namespace)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))

    async def published(count: int) -> bool:
        assert not task.done(), task
        return relay.published == count

    await register_students(processor, 5)
    await wait_for(lambda: published(5), timeout=15)
    await js.publish(subject, b"and again, between two batches of the relay")
    await register_students(processor, 5)
    await wait_for(lambda: published(10), timeout=15)
    stop.set()
    await task

    stream = stream_name("assistance", sandbox.namespace)
    info = await js.stream_info(stream)
    assert info.state.messages == 12
    ours = []
    for seq in range(1, 13):
        message = await js.get_msg(stream, seq)
        if (message.headers or {}).get("Nats-Msg-Id"):
            ours.append(json.loads(message.data)["position"])
    assert ours == list(range(1, 11)), "every event once, in order"
