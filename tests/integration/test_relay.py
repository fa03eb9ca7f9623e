"""The outbox relay: every committed event reaches JetStream once, in order, whatever NATS does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.aio.client import Client as NATS

from contracts.subjects import stream_name
from shared.eventstore import EventStore
from shared.jetstream import connect_nats, ensure_stream
from shared.relay import OutboxRelay
from shared.servers import EmbeddedNats
from shared.testing import Sandbox, wait_for
from tests.support.assistance import processor_for, register_students

pytestmark = pytest.mark.integration


@pytest.fixture
async def own_nats(state_dir: Path, sandbox: Sandbox) -> AsyncIterator[EmbeddedNats]:
    """A NATS server of this test's own, so the test may stop and restart it."""
    server = EmbeddedNats(state_dir / f"nats-{sandbox.namespace}")
    server.start()
    yield server
    server.stop()


async def stream_contents(nc: NATS, stream: str) -> list[dict[str, object]]:
    js = nc.jetstream()
    info = await js.stream_info(stream)
    sub = await js.pull_subscribe("", durable=None, stream=stream)
    messages = []
    while len(messages) < info.state.messages:
        messages += await sub.fetch(500, timeout=5)
    await sub.unsubscribe()
    return [json.loads(m.data) for m in messages]


async def outbox_size(store: EventStore) -> int:
    return int(await store.pool.fetchval("SELECT count(*) FROM assistance.outbox"))


async def start_relay(
    store: EventStore, sandbox: Sandbox, nc: NATS, **options: float
) -> tuple[OutboxRelay, asyncio.Event, asyncio.Task[None]]:
    relay = OutboxRelay(
        sandbox.database_url,
        "assistance",
        "assistance",
        nc.jetstream(),
        sandbox.namespace,
        **options,  # type: ignore[arg-type]
    )
    stop = asyncio.Event()
    return relay, stop, asyncio.create_task(relay.run(stop))


async def test_every_event_is_published_once_in_order_across_a_nats_restart(
    store: EventStore, sandbox: Sandbox, own_nats: EmbeddedNats
) -> None:
    nc = await connect_nats(own_nats.url, "relay-test")
    await ensure_stream(nc.jetstream(), "assistance", sandbox.namespace)
    processor = await processor_for(store, with_catalogue=False)
    relay, stop, task = await start_relay(store, sandbox, nc, ack_timeout=1.0)

    await register_students(processor, 300)

    async def some_published() -> bool:
        return relay.published > 0

    await wait_for(some_published)
    own_nats.stop()
    await register_students(processor, 300)  # accepted while NATS is down: waits in the outbox
    assert await outbox_size(store) > 0
    await asyncio.sleep(1.5)  # the relay meets a dead server and keeps retrying
    own_nats.start()

    async def outbox_drained() -> bool:
        return await outbox_size(store) == 0

    await wait_for(outbox_drained, timeout=60)
    stop.set()
    await task
    published = await stream_contents(nc, stream_name("assistance", sandbox.namespace))
    stored = await store.read_all(limit=10_000)
    assert len(stored) == 600
    assert [m["event_id"] for m in published] == [str(e.event_id) for e in stored]
    assert [m["position"] for m in published] == list(range(1, 601))
    await nc.close()


async def test_only_one_of_two_relays_publishes(
    store: EventStore, sandbox: Sandbox, nc: NATS
) -> None:
    await ensure_stream(nc.jetstream(), "assistance", sandbox.namespace)
    processor = await processor_for(store, with_catalogue=False)
    first, stop_first, task_first = await start_relay(store, sandbox, nc)
    second, stop_second, task_second = await start_relay(store, sandbox, nc)
    await register_students(processor, 200)

    async def drained() -> bool:
        return await outbox_size(store) == 0

    await wait_for(drained)
    stop_first.set()
    stop_second.set()
    await asyncio.gather(task_first, task_second)
    assert sorted([first.published, second.published]) == [0, 200]
    published = await stream_contents(nc, stream_name("assistance", sandbox.namespace))
    assert len(published) == 200


async def test_a_commit_wakes_the_relay_without_polling(
    store: EventStore, sandbox: Sandbox, nc: NATS
) -> None:
    await ensure_stream(nc.jetstream(), "assistance", sandbox.namespace)
    processor = await processor_for(store, with_catalogue=False)
    relay, stop, task = await start_relay(store, sandbox, nc, idle_poll=120.0)
    await asyncio.sleep(0.5)  # the relay is now waiting, with two minutes before it polls again
    await register_students(processor, 1)

    async def published() -> bool:
        return relay.published == 1

    await wait_for(published, timeout=5)
    stop.set()
    await task


async def test_a_standby_relay_takes_over_when_the_active_one_stops(
    store: EventStore, sandbox: Sandbox, nc: NATS
) -> None:
    await ensure_stream(nc.jetstream(), "assistance", sandbox.namespace)
    processor = await processor_for(store, with_catalogue=False)
    first, stop_first, task_first = await start_relay(store, sandbox, nc, idle_poll=0.2)
    await register_students(processor, 10)

    async def first_done() -> bool:
        return first.published == 10

    await wait_for(first_done)
    second, stop_second, task_second = await start_relay(store, sandbox, nc, idle_poll=0.2)
    stop_first.set()
    await task_first
    await register_students(processor, 10)

    async def second_done() -> bool:
        return second.published == 10

    await wait_for(second_done, timeout=10)
    stop_second.set()
    await task_second
    assert len(await stream_contents(nc, stream_name("assistance", sandbox.namespace))) == 20
