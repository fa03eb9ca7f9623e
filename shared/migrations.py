"""Versioned, idempotent schema migrations for one component inside one Postgres schema.

In a secured deployment a service's login role may not change its tables (its events must
stay as written): an operator runs the migrations as the schema's owner (`eduplan provision`)
and grants the service role what it uses; the service then only checks they are applied.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import asyncpg

Grants = Mapping[str, str]
"""Table -> privileges its service role needs at run time, e.g. {"events": "SELECT, INSERT"}."""


class MigrationsPending(Exception):
    """The schema lacks migrations this role may not apply."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str  # `{schema}` stands for the schema name; runs in one transaction


async def migrate(
    conn: asyncpg.Connection, schema: str, component: str, migrations: Sequence[Migration]
) -> list[int]:
    """Apply the migrations not yet recorded; safe to call from every process at start-up.

    An advisory lock serialises concurrent starters, so each version runs exactly once. When
    every version is recorded already, nothing is locked or created, so a role without DDL
    rights starts too; one that would have to migrate gets `MigrationsPending`.
    """
    if await _recorded(conn, schema, component) >= {m.version for m in migrations}:
        return []
    try:
        return await _apply(conn, schema, component, migrations)
    except asyncpg.InsufficientPrivilegeError as exc:
        raise MigrationsPending(
            f"schema {schema} needs the {component} migrations and role"
            f" {await conn.fetchval('SELECT current_user')} may not apply them:"
            " run `eduplan provision` as an operator first"
        ) from exc


async def _recorded(conn: asyncpg.Connection, schema: str, component: str) -> set[int]:
    if await conn.fetchval("SELECT to_regclass($1)", f'"{schema}".schema_migrations') is None:
        return set()
    rows = await conn.fetch(
        f'SELECT version FROM "{schema}".schema_migrations WHERE component = $1', component
    )
    return {r["version"] for r in rows}


async def _apply(
    conn: asyncpg.Connection, schema: str, component: str, migrations: Sequence[Migration]
) -> list[int]:
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


async def grant(conn: asyncpg.Connection, schema: str, role: str, grants: Grants) -> None:
    """Give a service role what it uses of its schema, and nothing more (run as the owner)."""
    await conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
    await conn.execute(f'GRANT SELECT ON "{schema}".schema_migrations TO "{role}"')
    for table, privileges in grants.items():
        target = (
            f'SEQUENCE "{schema}"."{table}"' if table.endswith("_seq") else f'"{schema}"."{table}"'
        )
        await conn.execute(f'GRANT {privileges} ON {target} TO "{role}"')


def hidden_from_readers(*tables: str) -> str:
    """SQL taking a read-model table with personal data away from `reporting_readers` (the
    role deploy/postgres/init.sql gives every read-model table by default), where it exists."""
    revokes = " ".join(
        f'REVOKE ALL ON "{{schema}}".{table} FROM reporting_readers;' for table in tables
    )
    return (
        "DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'reporting_readers')"
        f" THEN {revokes} END IF; END $$;"
    )


def _lock_key(schema: str) -> int:
    return zlib.crc32(f"eduplan.migrate.{schema}".encode())
