"""The Postgres event store on a real database: order, outbox, concurrency, atomicity."""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

import asyncpg
import pytest

from shared.eventstore import (
    ConcurrencyConflict,
    DuplicateCommand,
    EventStore,
    NewEvent,
    StoredAnswer,
    StreamWrite,
)
from tests.support.races import raced

pytestmark = pytest.mark.integration

COUNTY = "610831"
OTHER_COUNTY = "610802"


def events(n: int, label: str = "e") -> list[NewEvent]:
    return [NewEvent(uuid4(), "Noted", 1, {"label": label, "n": i}) for i in range(n)]


def write(
    stream_id: str,
    expected: int,
    new: list[NewEvent],
    *,
    county: str = COUNTY,
    command_id: UUID | None = None,
) -> StreamWrite:
    return StreamWrite(
        stream_id=stream_id,
        stream_type="note",
        county=county,
        expected_version=expected,
        events=new,
        metadata={"actor": "tester"},
        command_id=command_id,
        command_type="Note" if command_id else "",
        result={"status": "accepted"} if command_id else None,
    )


async def counts(store: EventStore) -> dict[str, int]:
    tables = ("events", "outbox", "commands", "streams")
    return {t: await store.pool.fetchval(f"SELECT count(*) FROM assistance.{t}") for t in tables}


async def test_append_then_load_gives_versions_one_to_n_in_position_order(
    store: EventStore,
) -> None:
    await store.append([write("s-1", 0, events(3))])
    await store.append([write("s-1", 3, events(2))])
    loaded = await store.load("s-1")
    assert [e.version for e in loaded] == [1, 2, 3, 4, 5]
    positions = [e.position for e in loaded]
    assert positions == sorted(positions)
    assert len(set(positions)) == 5
    assert [e.data["n"] for e in loaded] == [0, 1, 2, 0, 1]
    assert loaded[0].metadata == {"actor": "tester"}


async def test_loading_an_unknown_stream_gives_no_events(store: EventStore) -> None:
    assert await store.load("nobody") == []


async def test_every_appended_event_has_one_outbox_row_written_in_its_transaction(
    store: EventStore,
) -> None:
    await store.append([write("s-1", 0, events(2)), write("s-2", 0, events(3))])
    await store.append([write("s-1", 2, events(1))])
    rows = await store.pool.fetch(
        "SELECT e.position, e.xmin::text AS event_tx, o.xmin::text AS outbox_tx,"
        " (SELECT count(*) FROM assistance.outbox x WHERE x.position = e.position) AS n"
        " FROM assistance.events e LEFT JOIN assistance.outbox o USING (position)"
    )
    assert len(rows) == 6
    assert all(r["n"] == 1 for r in rows)
    assert all(r["event_tx"] == r["outbox_tx"] for r in rows)
    assert len({r["event_tx"] for r in rows}) == 2  # one transaction per append


async def test_the_streams_index_holds_the_head_version_and_county(store: EventStore) -> None:
    await store.append([write("s-1", 0, events(2))])
    await store.append([write("s-1", 2, events(3), county=OTHER_COUNTY)])
    row = await store.pool.fetchrow(
        "SELECT stream_type, county, version FROM assistance.streams WHERE stream_id = 's-1'"
    )
    assert dict(row) == {"stream_type": "note", "county": OTHER_COUNTY, "version": 5}


async def test_stream_ids_pages_through_one_county_only(store: EventStore) -> None:
    ids = [f"s-{i}" for i in range(5)]
    await store.append([write(i, 0, events(1)) for i in ids])
    await store.append([write("elsewhere", 0, events(1), county=OTHER_COUNTY)])
    first = await store.stream_ids("note", COUNTY, limit=2)
    second = await store.stream_ids("note", COUNTY, after=first[-1], limit=2)
    third = await store.stream_ids("note", COUNTY, after=second[-1], limit=2)
    assert (first, second, third) == (ids[:2], ids[2:4], ids[4:])
    assert await store.stream_ids("note", COUNTY, after=third[-1]) == []
    assert await store.stream_ids("note", OTHER_COUNTY) == ["elsewhere"]
    assert await store.stream_ids("student", COUNTY) == []


async def test_of_two_concurrent_appends_at_one_version_exactly_one_wins(
    store: EventStore,
) -> None:
    await store.append([write("s-1", 0, events(1))])
    mine, theirs = events(20, "mine"), events(20, "theirs")
    outcomes = await raced(
        store.pool, store.append([write("s-1", 1, mine)]), store.append([write("s-1", 1, theirs)])
    )
    assert sum(o is None for o in outcomes) == 1
    assert sum(isinstance(o, ConcurrencyConflict) for o in outcomes) == 1
    winner = mine if outcomes[0] is None else theirs
    loaded = await store.load("s-1")
    assert [e.event_id for e in loaded[1:]] == [e.event_id for e in winner]
    assert [e.version for e in loaded] == list(range(1, 22))
    assert (await counts(store))["outbox"] == 21


async def test_a_multi_stream_append_with_one_conflict_writes_nothing(
    store: EventStore,
) -> None:
    await store.append([write("taken", 0, events(1))])
    before = await counts(store)
    fresh_command = uuid4()
    with pytest.raises(ConcurrencyConflict):
        await store.append(
            [
                write("fresh", 0, events(2), command_id=fresh_command),
                write("taken", 0, events(1), command_id=uuid4()),
            ]
        )
    assert await counts(store) == before
    assert await store.load("fresh") == []
    assert await store.command_results([fresh_command]) == {}
    assert await store.stream_ids("note", COUNTY) == ["taken"]


async def test_a_reused_command_id_raises_duplicate_command_and_writes_nothing(
    store: EventStore,
) -> None:
    command_id = uuid4()
    await store.append([write("s-1", 0, events(1), command_id=command_id)])
    before = await counts(store)
    with pytest.raises(DuplicateCommand):
        await store.append([write("s-2", 0, events(2), command_id=command_id)])
    assert await counts(store) == before
    assert await store.load("s-2") == []
    assert await store.command_results([command_id]) == {
        command_id: StoredAnswer({"status": "accepted"}, None)
    }


async def test_a_write_without_events_keeps_only_the_commands_answer(store: EventStore) -> None:
    command_id = uuid4()
    await store.append([write("s-1", 0, [], command_id=command_id)])
    assert await counts(store) == {"events": 0, "outbox": 0, "commands": 1, "streams": 0}
    assert await store.command_results([command_id]) == {
        command_id: StoredAnswer({"status": "accepted"}, None)
    }


async def test_a_write_without_events_or_command_appends_nothing(store: EventStore) -> None:
    await store.append([write("s-1", 0, [], command_id=None)])
    assert await counts(store) == {"events": 0, "outbox": 0, "commands": 0, "streams": 0}


async def test_read_all_pages_in_position_order(store: EventStore) -> None:
    await store.append([write("a", 0, events(3)), write("b", 0, events(2))])
    await store.append([write("a", 3, events(2))])
    everything = await store.read_all()
    pages, after = [], 0
    while page := await store.read_all(after=after, limit=2):
        assert len(page) <= 2
        pages.append(page)
        after = page[-1].position
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    paged = [e for page in pages for e in page]
    assert [e.event_id for e in paged] == [e.event_id for e in everything]
    positions = [e.position for e in paged]
    assert positions == sorted(positions)
    assert len(set(positions)) == 7


async def test_setup_is_idempotent(store: EventStore) -> None:
    await store.append([write("s-1", 0, events(1))])
    await store.setup()
    await store.setup()
    versions = await store.pool.fetch(
        "SELECT version FROM assistance.schema_migrations WHERE component = 'eventstore'"
    )
    assert [r["version"] for r in versions] == [1, 2]
    assert len(await store.load("s-1")) == 1


async def test_concurrent_setups_on_a_fresh_schema_migrate_each_version_once(
    pool: asyncpg.Pool,
) -> None:
    stores = [EventStore(pool, "fresh") for _ in range(3)]
    await asyncio.gather(*(s.setup() for s in stores))
    rows = await pool.fetch(
        "SELECT component, version, count(*) AS n FROM fresh.schema_migrations"
        " GROUP BY component, version ORDER BY version"
    )
    applied = [(r["component"], r["version"], r["n"]) for r in rows]
    assert applied == [("eventstore", 1, 1), ("eventstore", 2, 1)]
    await stores[0].append([write("s-1", 0, events(1))])
    assert [e.version for e in await stores[2].load("s-1")] == [1]
