"""The pairing service's command processing on the real event store: the one-helper-per-stage
and three-per-side rules under concurrent commands, idempotence, and rejections that write
nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest
from pydantic import BaseModel

from contracts.envelope import Accepted, CommandEnvelope, CommandResult, Rejected
from contracts.files.pairing_seed import load_seed
from contracts.pairing.commands import AdoptPairingTargets
from shared.commandbus import new_command
from shared.eventstore import EventStore
from shared.processor import CommandProcessor
from tests.support.pairing import (
    establish,
    processor_for,
    raced,
    second,
    shadow,
)

pytestmark = pytest.mark.integration

AUTUMN = (date(2017, 9, 15), date(2018, 1, 15))


@pytest.fixture
async def pairing_store(pool: asyncpg.Pool) -> EventStore:
    store = EventStore(pool, "pairing")
    await store.setup()
    return store


@pytest.fixture
def processor(pairing_store: EventStore) -> CommandProcessor:
    return processor_for(pairing_store)


def issued(payload: BaseModel, department: str = "basic_ed_2") -> CommandEnvelope:
    return new_command(payload, department=department)


def accepted(result: CommandResult) -> Accepted:
    assert isinstance(result, Accepted), result
    return result


def rejected(result: CommandResult) -> Rejected:
    assert isinstance(result, Rejected), result
    return result


async def counts(pool: asyncpg.Pool) -> dict[str, int]:
    tables = ("events", "outbox", "commands", "streams")
    return {t: await pool.fetchval(f"SELECT count(*) FROM pairing.{t}") for t in tables}


async def event_types(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch("SELECT event_type FROM pairing.events ORDER BY position")
    return [r["event_type"] for r in rows]


async def test_of_two_helpers_racing_for_one_school_stage_exactly_one_is_paired(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    first, other = establish(), establish("xian_model_high_school")

    (a,), (b,) = await raced(
        pool, processor.handle([issued(first)]), processor.handle([issued(other)])
    )

    outcomes = sorted([a.status, b.status])
    assert outcomes == ["accepted", "rejected"]
    loser = a if isinstance(a, Rejected) else b
    assert rejected(loser).code == "stage_already_helped"
    assert await event_types(pool) == ["PairEstablished"]
    helper = await pool.fetchval("SELECT data->>'helper_school_id' FROM pairing.events")
    winner_command = first if isinstance(b, Rejected) else other
    assert helper == winner_command.helper_school_id


async def test_four_secondments_racing_on_one_side_leave_exactly_three(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    await processor.handle([issued(establish())])
    commands = [issued(second(*AUTUMN), "personnel") for _ in range(4)]

    results = await raced(pool, *(processor.handle([c]) for c in commands))

    statuses = sorted(r.status for (r,) in results)
    assert statuses == ["accepted", "accepted", "accepted", "rejected"]
    (loser,) = [r for (r,) in results if isinstance(r, Rejected)]
    assert loser.code == "too_many_secondments"
    assert (await event_types(pool)).count("ManagerSeconded") == 3


async def test_the_pilot_seed_twice_establishes_seven_pairs_once(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    seed = load_seed()
    commands = [AdoptPairingTargets(county=seed.county, active_pairs=7), *seed.pairs]

    first = [await processor.handle([issued(c)]) for c in commands]
    again = [await processor.handle([issued(c)]) for c in commands]

    assert [len(accepted(r).event_ids) for (r,) in first] == [1] * 8
    assert [len(accepted(r).event_ids) for (r,) in again] == [0] * 8
    assert sorted(await event_types(pool)) == ["PairEstablished"] * 7 + ["PairingTargetsAdopted"]
    streams = await pool.fetch("SELECT stream_id FROM pairing.streams ORDER BY stream_id")
    assert [r["stream_id"] for r in streams] == sorted(
        [f"610831:{p.helped_school_id}" for p in seed.pairs] + ["targets:610831"]
    )


async def test_a_repeated_command_gets_its_first_answer(
    processor: CommandProcessor, pool: asyncpg.Pool
) -> None:
    await processor.handle([issued(establish())])
    command = issued(second(*AUTUMN), "personnel")

    (first,) = await processor.handle([command])
    before = await counts(pool)
    (again,) = await processor.handle([command])

    assert again == first
    assert len(accepted(first).event_ids) == 1
    assert await counts(pool) == before


def with_payload(envelope: CommandEnvelope, **changes: Any) -> CommandEnvelope:
    return envelope.model_copy(update={"payload": {**envelope.payload, **changes}})


@pytest.mark.parametrize(
    ("envelope", "code", "mentions"),
    [
        (issued(establish("xian_model_high_school")), "stage_already_helped", "placeholder"),
        (issued(second(*AUTUMN), "finance"), "not_permitted", "personnel"),
        (
            with_payload(issued(second(*AUTUMN), "personnel"), end_date="2017-01-01"),
            "invalid_command",
            "end_date is before start_date",
        ),
        (
            with_payload(issued(establish()), stage="vocational"),
            "invalid_command",
            "stage",
        ),
        (
            issued(shadow(date(2017, 10, 9), date(2017, 10, 20))),
            "shadowing_outside_target",
            "0.39 months",
        ),
        (
            issued(second(date(2017, 8, 1), date(2017, 9, 30)), "personnel"),
            "before_pair_start",
            "2017-09-01",
        ),
    ],
    ids=["second helper", "permission", "period", "stage", "shadowing", "before start"],
)
async def test_a_rejected_command_writes_nothing(
    processor: CommandProcessor,
    pool: asyncpg.Pool,
    envelope: CommandEnvelope,
    code: str,
    mentions: str,
) -> None:
    await processor.handle([issued(establish())])
    before = await counts(pool)
    now = envelope.model_copy(update={"issued_at": datetime.now(UTC)})  # built at collection

    (result,) = await processor.handle([now])

    assert rejected(result).code == code
    assert mentions in result.message
    assert await counts(pool) == before
