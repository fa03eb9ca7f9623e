"""The schema registry on a real NATS: every schema round-trips, publishing is idempotent and
never downgrades, and it works with no more than the permissions it reports."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import nats.js.errors
import pytest
from jsonschema import Draft202012Validator
from nats.aio.client import Client as NATS

from contracts.catalogue import messages
from contracts.registry import SERVICES
from contracts.schema_registry import (
    RegistryUnavailable,
    bucket_name,
    fetch_schema,
    key_subject,
    kv_stream,
)
from shared.jetstream import connect_nats
from shared.schema_registry import (
    open_bucket,
    permissions,
    publish_schemas,
    put_schema,
    schemas_of,
)
from shared.servers import _free_port, _nats_binary, port_open, terminate
from shared.service import ServiceRuntime
from shared.testing import Sandbox

pytestmark = pytest.mark.integration

SERVICE_NAMES = [p.__name__.rsplit(".", 1)[-1] for p in SERVICES]


@pytest.fixture
async def registry(nc: NATS, sandbox: Sandbox) -> AsyncIterator[str]:
    """The sandbox's namespace; its bucket is deleted afterwards."""
    yield sandbox.namespace
    with contextlib.suppress(nats.js.errors.NotFoundError):
        await nc.jetstream().delete_key_value(bucket_name(sandbox.namespace))


async def last_revision(nc: NATS, namespace: str) -> int:
    return (await nc.jetstream().stream_info(kv_stream(namespace))).state.last_seq


async def test_every_schema_round_trips_with_an_example_that_it_accepts(
    nc: NATS, registry: str
) -> None:
    for service in SERVICE_NAMES:
        outcomes = await publish_schemas(nc, service, registry)
        assert outcomes["failed"] == 0, outcomes

    js = nc.jetstream()
    for message in messages():
        found = await fetch_schema(js, message.name, message.version, registry)

        assert found is not None, message.key
        assert (found.kind, found.service, found.version) == (
            message.kind,
            message.service,
            message.version,
        )
        assert found.json_schema == message.schema(), message.key
        assert found.mode == message.mode.value
        assert found.released is not None, f"{message.key} is in the released record"
        if message.example() is not None:
            Draft202012Validator(found.json_schema).validate(found.example)
    assert await fetch_schema(js, "StudentExpelled", 1, registry) is None
    assert await last_revision(nc, registry) == len(messages()), "envelopes registered once"


async def test_publishing_the_same_schemas_again_adds_no_revision(nc: NATS, registry: str) -> None:
    first = await publish_schemas(nc, "assistance", registry)
    revision = await last_revision(nc, registry)

    again = await publish_schemas(nc, "assistance", registry)

    assert first["created"] == len(schemas_of("assistance")) > 20
    assert again == {"unchanged": len(schemas_of("assistance"))}
    assert await last_revision(nc, registry) == revision


async def test_an_older_build_never_puts_back_a_schema_a_newer_one_registered(
    nc: NATS, registry: str
) -> None:
    kv = await open_bucket(nc, registry)
    ours = next(s for s in schemas_of("alerts") if s.key == "AlertRaised.v1")
    newer = ours.model_copy(update={"revision": ours.revision + 1, "released": None})
    await kv.put(ours.key, newer.to_bytes())

    outcomes = await publish_schemas(nc, "alerts", registry)

    assert outcomes["kept"] == 1
    assert await fetch_schema(nc.jetstream(), "AlertRaised", 1, registry) == newer
    assert await put_schema(kv, newer.model_copy(update={"revision": newer.revision + 1})) == (
        "updated"
    )


async def test_a_released_schema_replaces_the_same_one_registered_as_a_draft(
    nc: NATS, registry: str
) -> None:
    kv = await open_bucket(nc, registry)
    ours = next(s for s in schemas_of("alerts") if s.key == "AlertResolved.v1")
    await kv.put(ours.key, ours.model_copy(update={"released": None}).to_bytes())

    outcomes = await publish_schemas(nc, "alerts", registry)

    assert outcomes["updated"] == 1
    assert await fetch_schema(nc.jetstream(), "AlertResolved", 1, registry) == ours


async def test_a_service_registers_its_schemas_when_it_starts(
    assistance: ServiceRuntime, nc: NATS, sandbox: Sandbox
) -> None:
    js = nc.jetstream()
    try:
        registered = await fetch_schema(js, "StudentRegistered", 2, sandbox.namespace)
        command = await fetch_schema(js, "GrantTermAid", 1, sandbox.namespace)
        other = await fetch_schema(js, "AlertRaised", 1, sandbox.namespace)
    finally:
        await js.delete_key_value(bucket_name(sandbox.namespace))

    assert registered is not None
    assert registered.example is not None
    assert registered.example["student_id"]
    assert command is not None
    assert command.kind == "command"
    assert other is None, "a service registers its own schemas only"


async def test_without_a_bucket_the_reader_says_the_registry_is_unavailable(nc: NATS) -> None:
    with pytest.raises(RegistryUnavailable, match="NOBODY_SCHEMAS"):
        await fetch_schema(nc.jetstream(), "AidGranted", 1, "nobody")


# With the deployment's kind of permissions


@pytest.fixture(scope="module")
def permissioned_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server where `assistance` may do only what `permissions()` lists, `reader` only direct
    gets, and `operator` everything (it creates the bucket)."""
    work = tmp_path_factory.mktemp("nats-registry")
    own = _allow(permissions("assistance")["publish"], "assistance")
    reader = _allow([f"$JS.API.DIRECT.GET.{kv_stream()}.>"], "reader")
    conf = work / "nats.conf"
    conf.write_text(
        f'jetstream {{ store_dir: "{work / "js"}" }}\n'
        "authorization { users = [\n"
        "  { user: operator, password: op }\n"
        f"  {{ user: assistance, password: pw, permissions: {own} }}\n"
        f"  {{ user: reader, password: rd, permissions: {reader} }}\n"
        "] }\n"
    )
    port = _free_port()
    process = subprocess.Popen(
        [_nats_binary(), "-c", str(conf), "-a", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", port, timeout=0.1):
            assert process.poll() is None, "nats-server stopped"
            assert time.monotonic() < deadline, "nats-server did not start"
            time.sleep(0.02)
        yield f"127.0.0.1:{port}"
    finally:
        terminate(process)


def _allow(publish: list[str], user: str) -> str:
    return json.dumps({"publish": publish, "subscribe": [f"_INBOX_{user}.>"]})


async def test_a_service_registers_with_only_the_permissions_it_reports(
    permissioned_nats: str, tmp_path: Path
) -> None:
    operator = await connect_nats(f"nats://operator:op@{permissioned_nats}", "operator")
    service = await connect_nats(f"nats://assistance:pw@{permissioned_nats}", "assistance")
    reader = await connect_nats(f"nats://reader:rd@{permissioned_nats}", "reader")
    try:
        await open_bucket(operator)

        outcomes = await publish_schemas(service, "assistance")
        again = await publish_schemas(service, "assistance")
        found = await fetch_schema(reader.jetstream(timeout=2), "AidGranted", 1)
        with pytest.raises(nats.errors.TimeoutError):
            await service.jetstream(timeout=1).publish(key_subject("AlertRaised.v1"), b"{}")
    finally:
        await operator.jetstream().delete_key_value(bucket_name())
        for client in (operator, service, reader):
            await client.close()

    assert outcomes == {"created": len(schemas_of("assistance"))}
    assert again == {"unchanged": len(schemas_of("assistance"))}
    assert found is not None
    assert found.type == "AidGranted"
