"""Versioned, idempotent schema migrations for one component inside one Postgres schema."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str  # `{schema}` stands for the schema name; runs in one transaction


async def migrate(
    conn: asyncpg.Connection, schema: str, component: str, migrations: Sequence[Migration]
) -> list[int]:
    """Apply the migrations not yet recorded; safe to call from every process at start-up.

    An advisory lock serialises concurrent starters, so each version runs exactly once.
    """
    applied_now: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_key(schema))
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations ('
            " component text NOT NULL, version int NOT NULL, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))"
        )
        done = {
            r["version"]
            for r in await conn.fetch(
                f'SELECT version FROM "{schema}".schema_migrations WHERE component = $1',
                component,
            )
        }
        for m in sorted(migrations, key=lambda m: m.version):
            if m.version in done:
                continue
            await conn.execute(m.sql.replace("{schema}", schema))
            await conn.execute(
                f'INSERT INTO "{schema}".schema_migrations (component, version, name)'
                " VALUES ($1, $2, $3)",
                component,
                m.version,
                m.name,
            )
            applied_now.append(m.version)
    return applied_now


def _lock_key(schema: str) -> int:
    return zlib.crc32(f"eduplan.migrate.{schema}".encode())
