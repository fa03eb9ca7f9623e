"""The example consumer checks every event it reads against the schema registry on the bus:
it reports an event that does not match, and says so and reads on when a schema (or the whole
registry) cannot be found."""

from __future__ import annotations

from uuid import uuid4

import pytest
from nats.aio.client import Client as NATS

from contracts.envelope import EventEnvelope
from contracts.registry import latest_version
from contracts.schema_registry import bucket_name, schema_key
from contracts.subjects import event_subject, stream_name
from shared.commandbus import CommandClient
from shared.jetstream import ensure_stream
from shared.service import ServiceRuntime
from shared.testing import Sandbox
from tests.integration.test_example_consumer import (
    EXAMPLES,
    as_line,
    on,
    parse,
    published,
    register,
    run,
)

pytestmark = pytest.mark.integration


def aid_granted(**payload: object) -> EventEnvelope:
    example = EventEnvelope.model_validate_json((EXAMPLES / "AidGranted.v1.json").read_bytes())
    return example.model_copy(
        update={"event_id": uuid4(), "payload": {**example.payload, **payload}}
    )


async def publish(nc: NATS, sandbox: Sandbox, envelope: EventEnvelope) -> int:
    subject = event_subject(
        "assistance", envelope.county, envelope.stream_type, envelope.event_type, sandbox.namespace
    )
    ack = await nc.jetstream().publish(subject, envelope.model_dump_json().encode())
    return ack.seq


async def test_an_event_that_does_not_match_its_registered_schema_is_reported(
    assistance: ServiceRuntime, client: CommandClient, nc: NATS, sandbox: Sandbox
) -> None:
    everything = await published(nc, sandbox, await register(client))
    odd = aid_granted(bank_batch="B-17")  # a field the schema does not have
    seq = await publish(nc, sandbox, odd)

    code, out, err = await run(*on(sandbox))

    assert code == 1
    assert parse(out) == [*everything, as_line(odd)], "the consumer reads on"
    stream = stream_name("assistance", sandbox.namespace)
    assert err.splitlines() == [
        f"{stream} #{seq}: AidGranted v1 does not match its registered schema: payload: "
        "Additional properties are not allowed ('bank_batch' was unexpected)"
    ]


async def test_an_event_whose_schema_is_not_registered_is_said_once_and_read(
    assistance: ServiceRuntime, client: CommandClient, nc: NATS, sandbox: Sandbox
) -> None:
    kv = await nc.jetstream().key_value(bucket_name(sandbox.namespace))
    version = latest_version("StudentRegistered")
    await kv.delete(schema_key("StudentRegistered", version))
    lines = await register(client) + await register(client)
    everything = await published(nc, sandbox, lines)

    code, out, err = await run(*on(sandbox))

    assert code == 0
    assert parse(out) == everything
    assert err.splitlines() == [
        f"no schema for StudentRegistered v{version} in the registry: its events are not checked"
    ]


async def test_without_a_registry_the_consumer_says_so_and_reads_on(
    nc: NATS, sandbox: Sandbox
) -> None:
    await ensure_stream(nc.jetstream(), "assistance", sandbox.namespace)
    events = [aid_granted(), aid_granted()]
    for event in events:
        await publish(nc, sandbox, event)

    code, out, err = await run(*on(sandbox))

    assert code == 0
    assert parse(out) == [as_line(e) for e in events]
    assert err.splitlines() == [
        f"cannot read the schema registry ({bucket_name(sandbox.namespace)} did not answer: "
        "no bucket, or no permission): events are not checked"
    ]
