"""The example downstream consumer, run as a program against the in-process assistance service."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from pathlib import Path
from uuid import uuid4

import pytest
from nats.aio.client import Client as NATS

from contracts.envelope import Accepted, EventEnvelope
from contracts.registry import latest_version
from contracts.subjects import event_subject, stream_name
from shared.commandbus import CommandClient, new_command
from shared.jetstream import connect_nats, ensure_stream
from shared.service import ServiceRuntime
from shared.testing import Sandbox, wait_for
from tests.integration import test_deploy_files as deploy
from tests.support.builders import register_student

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
CONSUMER = ROOT / "examples" / "consumer.py"
EXAMPLES = ROOT / "contracts" / "examples" / "assistance" / "events"
OTHER_COUNTY = "610802"

Line = tuple[str, str, str]
"""What a printed line says: event type with version, county, stream_id:version."""


async def register(client: CommandClient, county: str = "610831") -> list[Line]:
    command = new_command(register_student(county=county), department="aid_center")
    (result,) = await client.send([command])
    assert isinstance(result, Accepted)
    first = result.version - len(result.event_types) + 1
    return [
        (f"{t} v{latest_version(t)}", county, f"{result.stream_id}:{v}")
        for v, t in enumerate(result.event_types, start=first)
    ]


async def stream_contents(nc: NATS, sandbox: Sandbox) -> list[EventEnvelope]:
    """The stream read message by message: the oracle the consumer's output is checked against."""
    js = nc.jetstream()
    stream = stream_name("assistance", sandbox.namespace)
    last = (await js.stream_info(stream)).state.last_seq
    return [
        EventEnvelope.model_validate_json((await js.get_msg(stream, seq)).data or b"")
        for seq in range(1, last + 1)
    ]


async def published(nc: NATS, sandbox: Sandbox, lines: list[Line]) -> list[Line]:
    """Every line the stream should print, once the relay has published `lines`."""

    async def relayed() -> bool:
        return [as_line(e) for e in await stream_contents(nc, sandbox)][-len(lines) :] == lines

    await wait_for(relayed)
    return [as_line(e) for e in await stream_contents(nc, sandbox)]


def as_line(envelope: EventEnvelope) -> Line:
    return (
        f"{envelope.event_type} v{envelope.schema_version}",
        envelope.county,
        f"{envelope.stream_id}:{envelope.version}",
    )


def parse(stdout: str) -> list[Line]:
    fields = [line.split("  ") for line in stdout.splitlines()]
    return [(f[1], f[2], f[3]) for f in fields]


def on(sandbox: Sandbox) -> list[str]:
    return ["--nats", sandbox.nats_url, "--namespace", sandbox.namespace]


async def consumer(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(CONSUMER),
        "--service",
        "assistance",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run(*args: str) -> tuple[int, str, str]:
    process = await consumer(*args)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_replay_prints_every_event_of_the_stream_in_order_then_stops(
    assistance: ServiceRuntime, client: CommandClient, nc: NATS, sandbox: Sandbox
) -> None:
    ours = await register(client) + await register(client, OTHER_COUNTY) + await register(client)
    everything = await published(nc, sandbox, ours)

    code, out, err = await run(*on(sandbox), "--from-start")

    assert (code, err) == (0, "")
    assert parse(out) == everything
    assert parse(out)[-3:] == ours
    assert "personal" not in out
    assert "张小明" not in out, "names stay out of a consumer's log"

    code, out, err = await run(*on(sandbox), "--since", "2017-09-01")
    assert (code, err, parse(out)) == (0, "", everything)

    code, out, err = await run(*on(sandbox), "--since", "2100-01-01T00:00:00+08:00")
    assert (code, out, err) == (0, "", "")

    code, out, err = await run(*on(sandbox), "--from-start", "--county", OTHER_COUNTY)
    assert (code, err) == (0, "")
    assert parse(out) == [line for line in everything if line[1] == OTHER_COUNTY]
    assert ours[1] in parse(out)


async def test_follow_prints_events_published_after_it_started(
    assistance: ServiceRuntime, client: CommandClient, nc: NATS, sandbox: Sandbox
) -> None:
    before = await published(nc, sandbox, await register(client))
    process = await consumer(*on(sandbox), "--follow")
    assert process.stdout is not None
    try:
        replayed = [await asyncio.wait_for(process.stdout.readline(), 30) for _ in before]
        assert parse(b"".join(replayed).decode()) == before

        later = await register(client, OTHER_COUNTY)
        live = [await asyncio.wait_for(process.stdout.readline(), 30) for _ in later]
        assert parse(b"".join(live).decode()) == later
    finally:
        process.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert (process.returncode, err) == (0, b"")


async def test_a_missing_stream_or_server_is_a_clear_error(sandbox: Sandbox) -> None:
    code, out, err = await run(*on(sandbox))
    assert (code, out) == (4, "")
    stream = stream_name("assistance", sandbox.namespace)
    assert f"cannot read {stream} at {sandbox.nats_url}: no such stream" in err

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    code, out, err = await run("--nats", f"nats://127.0.0.1:{port}")
    assert (code, out) == (3, "")
    assert f"cannot reach NATS at nats://127.0.0.1:{port}" in err


# A reader with the permissions of deploy/nats/nats-server.conf's `downstream_610831`

secured_nats = deploy.secured_nats
"""nats-server run with deploy/nats/nats-server.conf: the users and permissions of production."""


def password(user: str) -> str:
    return deploy._test_env()[deploy._password_var(user)]


def as_user(url: str, user: str) -> str:
    return url.replace("nats://", f"nats://{user}:{password(user)}@")


async def test_a_reader_confined_to_one_county_replays_that_county(secured_nats: str) -> None:
    example = EventEnvelope.model_validate_json((EXAMPLES / "AidGranted.v1.json").read_bytes())
    events = [
        example.model_copy(update={"event_id": uuid4(), "county": c, "stream_id": str(uuid4())})
        for c in ("610831", OTHER_COUNTY, "610831")
    ]
    operator = await connect_nats(as_user(secured_nats, "operator"), "test-operator")
    await ensure_stream(operator.jetstream(), "assistance")
    await operator.close()
    nc = await connect_nats(as_user(secured_nats, "assistance"), "test-publisher")
    js = nc.jetstream()
    for e in events:
        subject = event_subject("assistance", e.county, e.stream_type, e.event_type)
        await js.publish(subject, e.model_dump_json().encode())
    await nc.close()
    reader = [
        *("--nats", as_user(secured_nats, "downstream_610831")),
        *("--consumer", "downstream_610831"),  # its inbox, _INBOX_<user>, by default
        "--no-registry",  # this user may not read the schema registry
    ]

    code, out, err = await run(*reader, "--county", "610831")

    assert (code, err) == (0, "")
    assert parse(out) == [as_line(e) for e in events if e.county == "610831"]

    code, out, err = await run(*reader)  # every county: the server refuses the consumer

    assert (code, out) == (4, "")
    assert "permissions violation" in err.lower()
    assert "cannot read ASSISTANCE at nats://127.0.0.1:" in err
    assert password("downstream_610831") not in err
