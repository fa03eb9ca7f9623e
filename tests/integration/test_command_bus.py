"""Commands over real NATS request-reply to the in-process assistance service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from contracts.assistance.commands import GrantTermAid
from contracts.assistance.queries import ListStudentIds, StudentIdPage
from contracts.envelope import Accepted, CommandEnvelope, CommandReply, CommandRequest, Rejected
from contracts.subjects import command_subject
from shared.commandbus import CommandClient, Refused, ServiceUnavailable, new_command
from shared.service import ServiceRuntime
from tests.support.builders import register_student

pytestmark = pytest.mark.integration


def issued(payload: object, department: str = "aid_center") -> CommandEnvelope:
    return new_command(payload, department=department)  # type: ignore[arg-type]


async def test_a_command_gets_a_typed_answer(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    (result,) = await client.send([issued(register_student())])
    assert isinstance(result, Accepted)
    assert result.version == 1
    assert len(result.event_ids) == 1


async def request(client: CommandClient, subject: str, *commands: CommandEnvelope) -> bytes:
    body = CommandRequest(commands=list(commands)).model_dump_json().encode()
    return (await client.nc.request(subject, body, timeout=10)).data


async def test_each_command_of_a_request_is_answered_in_order(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    good, bad = register_student(), register_student()
    forged = issued(bad, department="finance")  # the subject says aid_center
    subject = command_subject(
        "assistance", "RegisterStudent", client.sender("aid_center"), client.namespace
    )
    reply = CommandReply.model_validate_json(await request(client, subject, issued(good), forged))

    assert [r.status for r in reply.results] == ["accepted", "rejected"]
    assert isinstance(reply.results[1], Rejected)
    assert reply.results[1].code == "department_mismatch"
    assert reply.results[1].command_id == forged.command_id


async def test_a_department_the_service_does_not_allow_is_refused(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    (result,) = await client.send([issued(register_student(), department="finance")])

    assert isinstance(result, Rejected)
    assert result.code == "not_permitted"
    assert "finance may not issue RegisterStudent" in result.message


async def test_the_actor_recorded_is_the_sender_of_the_subject(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    clerk = CommandClient(client.nc, "assistance", client.namespace, actor="zhang_wei")
    (result,) = await clerk.send([issued(register_student())])

    assert isinstance(result, Accepted)
    metadata = await assistance.pool.fetchval(
        "SELECT metadata FROM assistance.events WHERE event_id = $1", result.event_ids[0]
    )
    assert metadata["actor"] == "zhang_wei"
    assert metadata["department"] == "aid_center"


async def test_a_county_acts_only_on_its_own_streams(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    neighbour = CommandClient(client.nc, "assistance", client.namespace, jurisdiction="610802")
    city = CommandClient(client.nc, "assistance", client.namespace, jurisdiction="610800")
    before = await assistance.pool.fetchval("SELECT count(*) FROM assistance.events")

    (outside,) = await neighbour.send([issued(register_student(county="610831"))])
    assert isinstance(outside, Rejected)
    assert outside.code == "outside_jurisdiction"
    assert await assistance.pool.fetchval("SELECT count(*) FROM assistance.events") == before

    (by_city,) = await city.send([issued(register_student(county="610831"))])
    assert isinstance(by_city, Accepted)
    (own,) = await neighbour.send([issued(register_student(county="610802"))])
    assert isinstance(own, Accepted)
    # an existing stream is judged by its county: the neighbour cannot grant 610831's student
    (reach,) = await neighbour.send(
        [issued(GrantTermAid(student_id=by_stream(by_city), term="2017-autumn"))]
    )
    assert isinstance(reach, Rejected)
    assert reach.code == "outside_jurisdiction"
    with pytest.raises(Refused, match="outside_jurisdiction"):
        await neighbour.query(ListStudentIds(county="610831"), StudentIdPage)
    page = await city.query(ListStudentIds(county="610831"), StudentIdPage)
    assert by_city.stream_id in page.student_ids


def by_stream(result: Accepted) -> UUID:
    return UUID(result.stream_id)


async def test_a_command_issued_far_from_the_server_clock_is_refused(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    """The client stamps `issued_at` as it sends; one that back-dates it is refused."""
    stale = issued(register_student()).model_copy(
        update={"issued_at": datetime.now(UTC) - timedelta(hours=1)}
    )
    subject = command_subject(
        "assistance", "RegisterStudent", client.sender("aid_center"), client.namespace
    )
    (result,) = CommandReply.model_validate_json(await request(client, subject, stale)).results

    assert isinstance(result, Rejected)
    assert result.code == "clock_skew"
    (resent,) = await client.send([stale])  # the client's own send is issued now
    assert isinstance(resent, Accepted)


async def test_a_command_on_another_commands_subject_is_refused(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    command = issued(GrantTermAid(student_id=uuid4(), term="2017-autumn"))
    sender = client.sender("aid_center")
    subject = command_subject("assistance", "RegisterStudent", sender, client.namespace)
    assert b'"wrong_subject"' in await request(client, subject, command)


async def test_a_malformed_request_is_refused_as_a_whole(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    sender = client.sender("aid_center")
    subject = command_subject("assistance", "RegisterStudent", sender, client.namespace)
    reply = await client.nc.request(subject, b'{"commands": "nope"}', timeout=10)
    assert b'"invalid_request"' in reply.data


async def test_no_service_means_a_clear_error(
    client: CommandClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.retries = 0
    monkeypatch.setenv("EDUPLAN_LANG", "zh")
    with pytest.raises(ServiceUnavailable, match=r"没有学生资助服务.*应答；服务是否在运行"):
        await client.send([issued(register_student())])
    monkeypatch.setenv("EDUPLAN_LANG", "en")
    with pytest.raises(ServiceUnavailable, match=r"no student assistance service .* is it running"):
        await client.send([issued(register_student())])


async def test_a_deeply_nested_request_gets_a_typed_refusal(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    sender = client.sender("aid_center")
    subject = command_subject("assistance", "RegisterStudent", sender, client.namespace)
    deep = b'{"commands": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"

    reply = await client.nc.request(subject, deep, timeout=5)

    (refusal,) = CommandReply.model_validate_json(reply.data).results
    assert isinstance(refusal, Rejected)
    assert refusal.code == "too_deeply_nested"


async def test_a_request_above_the_size_limit_gets_a_typed_refusal(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    sender = client.sender("aid_center")
    subject = command_subject("assistance", "RegisterStudent", sender, client.namespace)
    huge = b'{"commands": [], "padding": "' + b"x" * 600_000 + b'"}'

    reply = await client.nc.request(subject, huge, timeout=5)

    (refusal,) = CommandReply.model_validate_json(reply.data).results
    assert isinstance(refusal, Rejected)
    assert refusal.code == "request_too_large"
