"""A new person's data key is stored in the transaction of the events it seals, on a real
PostgreSQL: no key without its events, an existing key is used rather than replaced, and a
person erased before ever being recorded stays unrecordable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest

from contracts.envelope import Accepted, Rejected
from services.assistance.app import build_processor
from shared.commandbus import new_command
from shared.db import create_pool
from shared.eventstore import EventStore, NewEvent, StreamWrite
from shared.keystore import KeysTaken
from shared.personal_data import open_part
from shared.processor import CommandProcessor
from shared.testing import Sandbox
from tests.support.builders import register_student

pytestmark = pytest.mark.integration


@pytest.fixture
async def processor(sandbox: Sandbox) -> AsyncIterator[CommandProcessor]:
    pool = await create_pool(sandbox.database_url, max_size=2)
    store = EventStore(pool, "assistance")
    await store.setup()
    built, _ = await build_processor(store)
    yield built
    await pool.close()


def key_id_of(processor: CommandProcessor, command: Any) -> str:
    return f"student:{processor.handlers['RegisterStudent'].stream_id(command)}"


async def stored_keys(processor: CommandProcessor) -> set[str]:
    rows = await processor.store.pool.fetch("SELECT key_id FROM keystore.data_keys")
    return {r["key_id"] for r in rows}


async def sealed_part(processor: CommandProcessor, stream_id: str) -> dict[str, Any]:
    (event,) = await processor.store.load(stream_id)
    part: dict[str, Any] = event.data["personal"]
    return part


async def test_keys_of_a_request_whose_events_fail_are_not_kept(
    processor: CommandProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = [register_student(name=f"学生{i}") for i in range(3)]

    async def refused(*_: object) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(processor.store, "_insert", refused)
    with pytest.raises(RuntimeError, match="disk is full"):
        await processor.handle([new_command(c, department="aid_center") for c in commands])
    monkeypatch.undo()

    assert not {key_id_of(processor, c) for c in commands} & await stored_keys(processor)
    results = await processor.handle([new_command(c, department="aid_center") for c in commands])
    assert all(isinstance(r, Accepted) for r in results)
    assert {key_id_of(processor, c) for c in commands} <= await stored_keys(processor)


async def test_a_person_who_has_a_key_already_is_sealed_with_that_key(
    processor: CommandProcessor,
) -> None:
    command = register_student(name="欧阳已有")
    key_id = key_id_of(processor, command)
    keystore = (await processor.personal_data()).keystore
    async with processor.store.pool.acquire() as conn:
        existing = (await keystore.fetch_or_create(conn, [key_id]))[key_id]
    assert existing is not None

    (result,) = await processor.handle([new_command(command, department="aid_center")])

    assert isinstance(result, Accepted)
    part = await sealed_part(processor, result.stream_id)
    assert part["key_id"] == key_id
    assert open_part(existing, part)["name"] == "欧阳已有"


async def test_a_person_erased_before_being_recorded_cannot_be_recorded(
    processor: CommandProcessor,
) -> None:
    erased, other = register_student(name="欧阳抹去"), register_student(name="司马留存")
    keystore = (await processor.personal_data()).keystore
    async with processor.store.pool.acquire() as conn:
        assert await keystore.erase(conn, key_id_of(processor, erased))

    results = await processor.handle(
        [new_command(c, department="aid_center") for c in (erased, other)]
    )

    assert isinstance(results[0], Rejected)
    assert results[0].code == "personal_data_erased"
    assert isinstance(results[1], Accepted)
    assert not await processor.store.load(processor.handlers["RegisterStudent"].stream_id(erased))


async def test_a_key_taken_meanwhile_fails_the_whole_append(processor: CommandProcessor) -> None:
    """The fresh keys ride in the append's own statement: when one id got a key meanwhile
    (another replica), `KeysTaken` is raised and neither the events nor any key is stored."""
    keystore = (await processor.personal_data()).keystore
    taken, fresh = "student:" + str(uuid4()), "student:" + str(uuid4())
    async with processor.store.pool.acquire() as conn:
        await keystore.fetch_or_create(conn, [taken])
    write = StreamWrite(
        "s-1", "student", "610831", 0, [NewEvent(uuid4(), "Noted", 1, {"n": 1})], {}
    )

    with pytest.raises(KeysTaken):
        await processor.store.append([write], keystore.rider(keystore.new_keys([taken, fresh])))

    assert await processor.store.load("s-1") == []
    assert fresh not in await stored_keys(processor)
    await processor.store.append([write], keystore.rider(keystore.new_keys([fresh])))
    assert [e.event_type for e in await processor.store.load("s-1")] == ["Noted"]
    assert fresh in await stored_keys(processor)
