"""The command processor of the assistance service on the real event store (no NATS)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from pydantic import BaseModel

from contracts.assistance.commands import (
    GrantTermAid,
    LoadAidCatalogue,
    PayAid,
    RemoveFromRoster,
)
from contracts.assistance.types import PaymentChannel
from contracts.envelope import Accepted, CommandEnvelope, CommandResult, Rejected
from contracts.files.aid_catalogue import read_catalogue_file
from contracts.types import Stage
from services.assistance.handlers import student_id
from shared.commandbus import new_command
from shared.eventstore import EventStore, NewEvent, StreamWrite
from shared.limits import Limits, depth
from shared.processor import CommandProcessor, fingerprint
from shared.pseudonyms import load_pseudonyms
from tests.support.assistance import processor_for
from tests.support.builders import register_student
from tests.support.races import raced

pytestmark = pytest.mark.integration

TERM = "2017-autumn"
PRIMARY_BOARDER_PROGRAMMES = 2  # boarding living allowance and nutrition meal subsidy
FIRST_GRANT_EVENTS = 1 + PRIMARY_BOARDER_PROGRAMMES  # StudentAidAssessed, then one AidGranted each
GRANT_EVENT_TYPES = ["StudentAidAssessed"] + ["AidGranted"] * PRIMARY_BOARDER_PROGRAMMES


@pytest.fixture
async def processor(store: EventStore) -> CommandProcessor:
    return await processor_for(store)


def issued(payload: BaseModel, department: str = "aid_center") -> CommandEnvelope:
    return new_command(payload, department=department)


def with_payload(envelope: CommandEnvelope, **changes: Any) -> CommandEnvelope:
    return envelope.model_copy(update={"payload": {**envelope.payload, **changes}})


def accepted(result: CommandResult) -> Accepted:
    assert isinstance(result, Accepted), result
    return result


def rejected(result: CommandResult) -> Rejected:
    assert isinstance(result, Rejected), result
    return result


async def registered(processor: CommandProcessor) -> UUID:
    (result,) = await processor.handle([issued(register_student())])
    return UUID(accepted(result).stream_id)


async def counts(pool: asyncpg.Pool) -> dict[str, int]:
    tables = ("events", "outbox", "commands", "streams")
    return {t: await pool.fetchval(f"SELECT count(*) FROM assistance.{t}") for t in tables}


async def event_types(store: EventStore, stream_id: UUID) -> list[str]:
    return [e.event_type for e in await store.load(str(stream_id))]


class RacingStore(EventStore):
    """Before each append touching a target stream, a competitor really appends to it first."""

    def __init__(self, pool: asyncpg.Pool, targets: set[str], times: int = 1_000) -> None:
        super().__init__(pool, "assistance")
        self.targets = targets
        self.times = times
        self.competitors: list[UUID] = []

    async def append(self, writes: Sequence[StreamWrite]) -> None:
        for w in writes:
            if w.stream_id in self.targets and w.events and len(self.competitors) < self.times:
                await super().append([self._competing(w)])
        await super().append(writes)

    def _competing(self, w: StreamWrite) -> StreamWrite:
        event_id = uuid4()
        self.competitors.append(event_id)
        grant = {
            "student_id": w.stream_id,
            "term": f"{2000 + len(self.competitors)}-spring",
            "programme": "competitor",
            "stage": "primary",
            "grade": 2,
            "amount": "1.00",
            "annual_amount": "2.00",
        }
        event = NewEvent(event_id, "AidGranted", 1, grant)
        return StreamWrite(w.stream_id, w.stream_type, w.county, w.expected_version, [event], {})


async def test_the_same_command_handled_twice_in_sequence_is_stored_once(
    processor: CommandProcessor, store: EventStore
) -> None:
    student = await registered(processor)
    command = issued(GrantTermAid(student_id=student, term=TERM))
    (first,) = await processor.handle([command])
    (second,) = await processor.handle([command])
    assert first == second
    assert len(accepted(first).event_ids) == FIRST_GRANT_EVENTS
    assert await event_types(store, student) == ["StudentRegistered", *GRANT_EVENT_TYPES]


async def test_the_same_command_handled_twice_concurrently_is_stored_once(
    processor: CommandProcessor, store: EventStore
) -> None:
    student = await registered(processor)
    command = issued(GrantTermAid(student_id=student, term=TERM))
    (first,), (second,) = await raced(
        store.pool, processor.handle([command]), processor.handle([command])
    )
    assert first == second
    stored = [e.event_id for e in await store.load(str(student))][1:]
    assert accepted(first).event_ids == stored
    assert len(stored) == FIRST_GRANT_EVENTS


async def test_a_command_repeated_in_one_request_gets_the_first_answer_and_applies_once(
    processor: CommandProcessor, store: EventStore
) -> None:
    student = await registered(processor)
    command = issued(GrantTermAid(student_id=student, term=TERM))
    other = issued(GrantTermAid(student_id=student, term="2018-spring"))
    results = await processor.handle([command, other, command])
    assert len(results) == 3
    assert results[0] == results[2]
    assert accepted(results[0]).command_id == command.command_id
    assert accepted(results[1]).command_id == other.command_id
    assert await event_types(store, student) == ["StudentRegistered", *GRANT_EVENT_TYPES * 2]


async def test_of_two_concurrent_grants_one_stores_and_the_loser_retries_to_no_change(
    processor: CommandProcessor, store: EventStore
) -> None:
    student = await registered(processor)
    grants = [issued(GrantTermAid(student_id=student, term=TERM)) for _ in range(2)]
    (a,), (b,) = await raced(store.pool, *(processor.handle([g]) for g in grants))
    event_counts = sorted([len(accepted(a).event_ids), len(accepted(b).event_ids)])
    assert event_counts == [0, FIRST_GRANT_EVENTS]
    assert accepted(a).version == accepted(b).version == 1 + FIRST_GRANT_EVENTS
    assert await event_types(store, student) == ["StudentRegistered", *GRANT_EVENT_TYPES]


async def test_when_retries_are_exhausted_the_answer_is_conflict_and_only_the_competitor_is_stored(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    student = await registered(processor)
    racing = RacingStore(pool, {str(student)})
    command = issued(GrantTermAid(student_id=student, term=TERM))
    (result,) = await (await processor_for(racing, max_attempts=1)).handle([command])
    assert rejected(result).code == "conflict"
    stored = await racing.load(str(student))
    assert [e.event_type for e in stored] == ["StudentRegistered", "AidGranted", "AidGranted"]
    assert [e.event_id for e in stored[1:]] == racing.competitors
    assert await racing.command_results([command.command_id]) == {}


async def test_a_command_that_lost_a_race_once_is_retried_and_accepted(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    student = await registered(processor)
    racing = RacingStore(pool, {str(student)}, times=1)
    command = issued(GrantTermAid(student_id=student, term=TERM))
    (result,) = await (await processor_for(racing)).handle([command])
    assert accepted(result).version == 2 + FIRST_GRANT_EVENTS  # after the competitor's event
    stored = (await racing.command_results([command.command_id]))[command.command_id]
    assert stored.result == result.model_dump(mode="json")
    assert stored.fingerprint == fingerprint(command)


async def test_a_batch_with_one_conflicting_command_falls_back_and_accepts_the_others(
    processor: CommandProcessor, pool: asyncpg.Pool, store: EventStore
) -> None:
    contested, *others = [await registered(processor) for _ in range(3)]
    racing = RacingStore(pool, {str(contested)})
    grants = [issued(GrantTermAid(student_id=s, term=TERM)) for s in (contested, *others)]
    results = await (await processor_for(racing, max_attempts=1)).handle(grants)
    assert rejected(results[0]).code == "conflict"
    for student, result in zip(others, results[1:], strict=True):
        assert len(accepted(result).event_ids) == FIRST_GRANT_EVENTS
        assert [e.event_id for e in await store.load(str(student))][1:] == result.event_ids
    assert await event_types(store, contested) == ["StudentRegistered"] + ["AidGranted"] * 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"stage": "primary", "grade": 9}, "grade"),
        ({"school": ""}, "school"),
        ({"county": "6108"}, "county"),
    ],
)
async def test_an_invalid_registration_is_rejected_naming_the_field_and_writes_nothing(
    processor: CommandProcessor, pool: asyncpg.Pool, changes: dict[str, Any], field: str
) -> None:
    await registered(processor)
    before = await counts(pool)
    (result,) = await processor.handle([with_payload(issued(register_student()), **changes)])
    assert rejected(result).code == "invalid_command"
    assert field in result.message
    assert await counts(pool) == before


async def test_a_bad_registry_id_is_rejected_naming_the_field_and_writes_nothing(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    command = issued(register_student())
    personal = {**command.payload["personal"], "student_registry_id": "12345"}
    before = await counts(pool)
    (result,) = await processor.handle([with_payload(command, personal=personal)])
    assert rejected(result).code == "invalid_command"
    assert "personal.student_registry_id" in result.message
    assert await counts(pool) == before


async def test_a_bad_term_is_rejected_naming_the_field_and_writes_nothing(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    student = await registered(processor)
    command = issued(GrantTermAid(student_id=student, term=TERM))
    before = await counts(pool)
    (result,) = await processor.handle([with_payload(command, term="2017-summer")])
    assert rejected(result).code == "invalid_command"
    assert result.message.startswith("term:")
    assert await counts(pool) == before


async def test_a_command_from_a_department_without_permission_is_refused(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    before = await counts(pool)
    (result,) = await processor.handle([issued(register_student(), department="finance")])
    assert rejected(result).code == "not_permitted"
    assert "aid_center" in result.message
    assert await counts(pool) == before


async def test_an_unknown_command_type_is_refused(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    command = issued(register_student()).model_copy(update={"command_type": "ExpelStudent"})
    before = await counts(pool)
    (result,) = await processor.handle([command])
    assert rejected(result).code == "unknown_command"
    assert "ExpelStudent" in result.message
    assert await counts(pool) == before


async def test_a_grant_for_an_unknown_student_is_refused(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    await registered(processor)
    before = await counts(pool)
    command = issued(GrantTermAid(student_id=uuid4(), term=TERM))
    (result,) = await processor.handle([command])
    assert rejected(result).code == "not_registered"
    assert await counts(pool) == before


async def test_a_rejected_command_in_a_batch_does_not_stop_the_others(
    processor: CommandProcessor, store: EventStore
) -> None:
    student = await registered(processor)
    results = await processor.handle(
        [
            issued(GrantTermAid(student_id=uuid4(), term=TERM)),
            issued(GrantTermAid(student_id=student, term=TERM)),
        ]
    )
    assert rejected(results[0]).code == "not_registered"
    assert len(accepted(results[1]).event_ids) == FIRST_GRANT_EVENTS


async def test_registering_the_same_roster_line_twice_registers_once(
    processor: CommandProcessor, store: EventStore
) -> None:
    line = register_student()
    (first,) = await processor.handle([issued(line)])
    (second,) = await processor.handle([issued(line)])
    assert len(accepted(first).event_ids) == 1
    assert accepted(second).event_ids == []
    assert second.stream_id == first.stream_id
    assert second.version == 1
    assert await store.stream_ids("student", "610831") == [first.stream_id]


async def test_a_changed_roster_line_for_a_registered_student_is_refused(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    line = register_student(grade=2)
    await processor.handle([issued(line)])
    before = await counts(pool)
    changed = register_student(grade=3, registry=line.personal.student_registry_id)
    (result,) = await processor.handle([issued(changed)])
    assert rejected(result).code == "already_registered"
    assert await counts(pool) == before


async def test_registering_one_roster_line_twice_concurrently_registers_once(
    processor: CommandProcessor, store: EventStore
) -> None:
    line = register_student()
    (a,), (b,) = await raced(
        store.pool, processor.handle([issued(line)]), processor.handle([issued(line)])
    )
    assert sorted([len(accepted(a).event_ids), len(accepted(b).event_ids)]) == [0, 1]
    assert await event_types(store, UUID(a.stream_id)) == ["StudentRegistered"]


async def test_the_student_stream_id_is_stable_and_free_of_the_registry_number(
    processor: CommandProcessor, store: EventStore
) -> None:
    line = register_student()
    registry = line.personal.student_registry_id
    (result,) = await processor.handle([issued(line)])
    stream_id = accepted(result).stream_id
    assert registry not in stream_id
    assert registry[1:] not in stream_id
    assert registry[7:15] not in stream_id.replace("-", "")  # not even the birth date
    reloaded = await load_pseudonyms(store.pool, "assistance")
    assert student_id(reloaded, registry) == stream_id
    assert (await store.load(stream_id))[0].stream_id == stream_id
    assert student_id(reloaded, register_student().personal.student_registry_id) != stream_id


async def test_a_repeated_command_that_changed_nothing_gets_its_first_answer(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    (registered,) = await processor.handle([issued(register_student())])
    student = UUID(accepted(registered).stream_id)
    await processor.handle([issued(GrantTermAid(student_id=student, term=TERM))])
    repeat = issued(GrantTermAid(student_id=student, term=TERM))
    (first,) = await processor.handle([repeat])
    assert accepted(first).event_ids == []
    await processor.handle([issued(GrantTermAid(student_id=student, term="2018-spring"))])
    before = await counts(pool)
    (again,) = await processor.handle([repeat])
    assert again == first, "the stored answer, not a new decision at the newer version"
    assert await counts(pool) == before


async def test_a_grant_for_a_student_removed_from_the_roster_is_refused_and_writes_nothing(
    processor: CommandProcessor, pool: asyncpg.Pool, store: EventStore
) -> None:
    student = await registered(processor)
    (removal,) = await processor.handle(
        [issued(RemoveFromRoster(student_id=student, revision="2018"))]
    )
    assert len(accepted(removal).event_ids) == 1
    before = await counts(pool)

    (result,) = await processor.handle([issued(GrantTermAid(student_id=student, term=TERM))])

    assert rejected(result).code == "not_eligible"
    assert "2018" in result.message
    assert await counts(pool) == before
    assert await event_types(store, student) == ["StudentRegistered", "StudentRemovedFromRoster"]


async def test_a_payment_over_the_grant_is_refused_and_writes_nothing(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    student = await registered(processor)
    await processor.handle([issued(GrantTermAid(student_id=student, term=TERM))])
    payment = PayAid(
        student_id=student,
        term=TERM,
        programme="boarding_living_allowance",
        amount=Decimal("500.01"),
        paid_on=date(2017, 10, 10),
        channel=PaymentChannel.ONE_CARD_ACCOUNT,
        reference="ZZ-2017-10",
    )
    before = await counts(pool)

    (result,) = await processor.handle([issued(payment, department="finance")])

    assert rejected(result).code == "payment_exceeds_grant"
    assert await counts(pool) == before


async def test_a_catalogue_change_applies_from_its_term_and_keeps_earlier_grants(
    processor: CommandProcessor, store: EventStore
) -> None:
    student = await registered(processor)
    await processor.handle([issued(GrantTermAid(student_id=student, term=TERM))])
    allowance = next(p for p in read_catalogue_file() if p.programme == "boarding_living_allowance")
    dearer = allowance.model_copy(
        update={"amounts": {**allowance.amounts, Stage.PRIMARY: Decimal("1200.00")}}
    )
    programmes = [dearer if p.programme == dearer.programme else p for p in read_catalogue_file()]
    change = LoadAidCatalogue(effective_from="2018-autumn", programmes=programmes)

    (loaded,) = await processor.handle([issued(change, department="finance")])
    await processor.handle(
        [issued(GrantTermAid(student_id=student, term=t)) for t in ("2018-spring", "2018-autumn")]
    )

    assert len(accepted(loaded).event_ids) == 1, "only the changed programme is recorded"
    allowances = {
        e.data["term"]: e.data["amount"]
        for e in await store.load(str(student))
        if e.event_type == "AidGranted" and e.data["programme"] == "boarding_living_allowance"
    }
    assert allowances == {TERM: "500.00", "2018-spring": "500.00", "2018-autumn": "600.00"}


async def test_an_event_above_the_size_limit_is_refused_and_nothing_written(
    processor: CommandProcessor, store: EventStore
) -> None:
    processor.limits = Limits(event_bytes=300)
    before = await store.pool.fetchval("SELECT count(*) FROM assistance.events")

    result = rejected((await processor.handle([issued(register_student())]))[0])

    assert result.code == "event_too_large"
    assert "StudentRegistered would take" in result.message
    assert await store.pool.fetchval("SELECT count(*) FROM assistance.events") == before
    processor.limits = Limits()
    accepted((await processor.handle([issued(register_student())]))[0])


def test_nesting_is_measured_outside_strings() -> None:
    assert depth(b'{"a": [1, {"b": "[[[["}]}') == 3
    assert depth(b'"\\"[[["') == 0, "an escaped quote does not end the string"
    assert depth(b"[" * 40 + b"]" * 40) == 40
    refusal = Limits(nesting=32).refusal(b"[" * 40 + b"]" * 40)
    assert refusal is not None
    assert (refusal.code, refusal.message) == (
        "too_deeply_nested",
        "a request nests at most 32 levels",
    )
    assert Limits().refusal(b'{"commands": []}') is None


async def test_a_command_id_reused_for_another_command_is_refused(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    first = issued(register_student())
    (answer,) = await processor.handle([first])
    accepted(answer)
    before = await counts(pool)
    other_payload = issued(register_student()).model_copy(update={"command_id": first.command_id})
    student = UUID(accepted(answer).stream_id)
    other_type = issued(GrantTermAid(student_id=student, term=TERM)).model_copy(
        update={"command_id": first.command_id}
    )

    for reuse in (other_payload, other_type):
        (result,) = await processor.handle([reuse])
        assert rejected(result).code == "command_id_reused"
    assert await counts(pool) == before
    (same,) = await processor.handle([first])
    assert same == answer, "the very same command still gets its first answer"

    twins = [issued(register_student()), issued(register_student())]
    twins[1] = twins[1].model_copy(update={"command_id": twins[0].command_id})
    results = await processor.handle(twins)
    assert accepted(results[0])
    assert rejected(results[1]).code == "command_id_reused", "within one request too"
