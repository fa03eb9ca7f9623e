"""Commands over real NATS request-reply to the in-process assistance service."""

from __future__ import annotations

from uuid import uuid4

import pytest

from contracts.assistance.commands import GrantTermAid
from contracts.envelope import Accepted, CommandEnvelope, Rejected
from contracts.subjects import command_subject
from shared.commandbus import CommandClient, ServiceUnavailable, new_command
from shared.service import ServiceRuntime
from tests.support.builders import register_student

pytestmark = pytest.mark.integration


def issued(payload: object, department: str = "aid_center") -> CommandEnvelope:
    return new_command(payload, actor="tester", department=department)  # type: ignore[arg-type]


async def test_a_command_gets_a_typed_answer(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    (result,) = await client.send([issued(register_student())])
    assert isinstance(result, Accepted)
    assert result.version == 1
    assert len(result.event_ids) == 1


async def test_each_command_of_a_request_is_answered_in_order(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    good, bad = register_student(), register_student()
    forbidden = issued(bad, department="finance")
    results = await client.send([issued(good), forbidden])
    assert [r.status for r in results] == ["accepted", "rejected"]
    assert isinstance(results[1], Rejected)
    assert results[1].code == "not_permitted"
    assert results[1].command_id == forbidden.command_id


async def test_a_command_on_another_commands_subject_is_refused(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    command = issued(GrantTermAid(student_id=uuid4(), term="2017-autumn"))
    subject = command_subject("assistance", "RegisterStudent", client.namespace)
    body = b'{"commands": [' + command.model_dump_json().encode() + b"]}"
    reply = await client.nc.request(subject, body, timeout=10)
    assert b'"wrong_subject"' in reply.data


async def test_a_malformed_request_is_refused_as_a_whole(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    subject = command_subject("assistance", "RegisterStudent", client.namespace)
    reply = await client.nc.request(subject, b'{"commands": "nope"}', timeout=10)
    assert b'"invalid_request"' in reply.data


async def test_no_service_means_a_clear_error(client: CommandClient) -> None:
    client.retries = 0
    with pytest.raises(ServiceUnavailable, match="is it running"):
        await client.send([issued(register_student())])
