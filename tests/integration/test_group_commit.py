"""Group commit under load, through the bus: concurrent requests decided and written together
still get every answer right and write every event exactly once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from contracts.assistance.commands import GrantTermAid, PayAid
from contracts.assistance.types import PaymentChannel
from contracts.envelope import Accepted, CommandEnvelope, Rejected
from shared.commandbus import CommandClient, new_command
from shared.service import ServiceRuntime
from tests.support.builders import new_registry_id, register_student

pytestmark = pytest.mark.integration
TERM = "2017-autumn"


def issued(payload: object, department: str = "aid_center") -> CommandEnvelope:
    return new_command(payload, department=department)  # type: ignore[arg-type]


async def test_fifty_concurrent_writers_on_one_stream(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    (registered,) = await client.send([issued(register_student(stage="primary"))])
    assert isinstance(registered, Accepted)
    student = UUID(registered.stream_id)
    (granted,) = await client.send([issued(GrantTermAid(student_id=student, term=TERM))])
    assert isinstance(granted, Accepted)
    grant = await assistance.pool.fetchrow(
        "SELECT data FROM assistance.events WHERE stream_id = $1 AND event_type = 'AidGranted'"
        " ORDER BY version LIMIT 1",
        str(student),
    )
    programme, amount = grant["data"]["programme"], Decimal(grant["data"]["amount"])
    share = (amount / 50).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    clerks = [CommandClient(client.nc, "assistance", client.namespace, actor=f"clerk{n % 5}")
              for n in range(50)]  # fmt: skip

    def payment(n: int) -> CommandEnvelope:
        return issued(
            PayAid(
                student_id=student, term=TERM, programme=programme, amount=share,
                paid_on=date(2017, 11, 20), channel=PaymentChannel.ONE_CARD_ACCOUNT,
                reference=f"GC-{n}",
            ),
            department="finance",
        )  # fmt: skip

    answers = await asyncio.gather(*(clerks[n].send([payment(n)]) for n in range(50)))

    results = [r for (r,) in answers]
    assert all(isinstance(r, Accepted) for r in results), [
        r.message for r in results if isinstance(r, Rejected)
    ]
    versions = sorted(r.version for r in results if isinstance(r, Accepted))
    assert len(set(versions)) == 50, "each payment its own version of the stream"
    paid = await assistance.pool.fetch(
        "SELECT version, metadata->>'actor' AS actor FROM assistance.events"
        " WHERE stream_id = $1 AND event_type = 'AidPaid' ORDER BY version",
        str(student),
    )
    assert len(paid) == 50
    assert [p["version"] for p in paid] == versions
    assert {p["actor"] for p in paid} == {f"clerk{n}" for n in range(5)}


async def test_five_thousand_concurrent_single_commands_across_streams(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    births = [date(2005, 1, 1) + timedelta(days=n) for n in range(5000)]  # ids differ by birth
    commands = [
        issued(register_student(registry=new_registry_id(birth=born), birth_date=born))
        for born in births
    ]
    gate = asyncio.Semaphore(256)

    async def send(command: CommandEnvelope) -> list[object]:
        async with gate:
            return list(await client.send([command]))

    # every command once, and a tenth of them sent again at the same time (a resend)
    answers = await asyncio.gather(*(send(c) for c in [*commands, *commands[::10]]))

    first = {c.command_id: a[0] for c, a in zip(commands, answers, strict=False)}
    again = answers[len(commands) :]
    refused = [r for r in first.values() if not isinstance(r, Accepted)]
    assert not refused, refused[:3]
    assert all(isinstance(r, Accepted) and len(r.event_ids) == 1 for r in first.values())
    for command, (resent,) in zip(commands[::10], again, strict=True):
        assert resent == first[command.command_id], "a resend gets the first answer"
    rows = await assistance.pool.fetch(
        "SELECT event_id, metadata->>'command_id' AS command_id FROM assistance.events"
        " WHERE event_type = 'StudentRegistered'"
    )
    assert len(rows) == 5000, "every command's event, once"
    recorded = {r["event_id"] for r in rows}
    answered = {e for r in first.values() if isinstance(r, Accepted) for e in r.event_ids}
    assert recorded == answered
