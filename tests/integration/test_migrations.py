"""Versioned migrations on a real database: order, idempotence, atomicity, concurrent starters."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from shared.migrations import Migration, migrate

pytestmark = pytest.mark.integration

FIRST = Migration(1, "things", 'CREATE TABLE "{schema}".things (id int PRIMARY KEY)')
SECOND = Migration(2, "thing names", 'ALTER TABLE "{schema}".things ADD COLUMN name text')
SLOW = Migration(
    3, "slow", 'SELECT pg_sleep(0.2); CREATE INDEX things_name_idx ON "{schema}".things (name)'
)
BROKEN = Migration(3, "broken", 'ALTER TABLE "{schema}".nothing ADD COLUMN x int')


async def recorded(pool: asyncpg.Pool, schema: str) -> list[tuple[str, int]]:
    rows = await pool.fetch(
        f'SELECT component, version FROM "{schema}".schema_migrations ORDER BY component, version'
    )
    return [(r["component"], r["version"]) for r in rows]


async def migrate_once(pool: asyncpg.Pool, migrations: list[Migration]) -> list[int]:
    async with pool.acquire() as conn:
        return await migrate(conn, "m", "widgets", migrations)


async def test_migrations_apply_in_version_order_and_only_once(pool: asyncpg.Pool) -> None:
    assert await migrate_once(pool, [SECOND, FIRST]) == [1, 2]
    assert await migrate_once(pool, [FIRST, SECOND]) == []
    await pool.execute("INSERT INTO m.things (id, name) VALUES (1, 'a')")
    assert await recorded(pool, "m") == [("widgets", 1), ("widgets", 2)]


async def test_a_new_migration_applies_alone_on_an_existing_schema(pool: asyncpg.Pool) -> None:
    await migrate_once(pool, [FIRST])
    await pool.execute("INSERT INTO m.things (id) VALUES (1)")
    assert await migrate_once(pool, [FIRST, SECOND]) == [2]
    assert await pool.fetchval("SELECT count(*) FROM m.things") == 1


async def test_a_failing_migration_rolls_back_the_whole_run(pool: asyncpg.Pool) -> None:
    await migrate_once(pool, [FIRST])
    with pytest.raises(asyncpg.UndefinedTableError):
        await migrate_once(pool, [FIRST, SECOND, BROKEN])
    assert await recorded(pool, "m") == [("widgets", 1)]
    columns = await pool.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'm' AND table_name = 'things'"
    )
    assert [c["column_name"] for c in columns] == ["id"]


async def test_a_failed_first_run_leaves_no_schema_behind(pool: asyncpg.Pool) -> None:
    with pytest.raises(asyncpg.UndefinedTableError):
        await migrate_once(pool, [BROKEN])
    assert await pool.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = 'm'") == 0


async def test_concurrent_starters_apply_each_migration_exactly_once(pool: asyncpg.Pool) -> None:
    runs = await asyncio.gather(*(migrate_once(pool, [FIRST, SECOND, SLOW]) for _ in range(4)))
    assert sorted(runs) == [[], [], [], [1, 2, 3]]
    assert await recorded(pool, "m") == [("widgets", 1), ("widgets", 2), ("widgets", 3)]


async def test_components_in_one_schema_keep_their_own_versions(pool: asyncpg.Pool) -> None:
    await migrate_once(pool, [FIRST])
    async with pool.acquire() as conn:
        other = Migration(1, "gadgets", 'CREATE TABLE "{schema}".gadgets (id int)')
        assert await migrate(conn, "m", "gadgets", [other]) == [1]
    assert await recorded(pool, "m") == [("gadgets", 1), ("widgets", 1)]
