"""The tables of schema `access`, created by the projection service at start and by the
`eduplan users` commands when missing (the same versioned migrations either way)."""

from __future__ import annotations

import asyncpg

from shared.migrations import Migration, migrate

SCHEMA = "access"
MIGRATIONS = (
    Migration(
        1,
        "users, sessions, tokens and the log of personal-data reads",
        """
        CREATE TABLE "{schema}".users (
            name text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
            password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
            roles text[] NOT NULL CHECK (cardinality(roles) > 0 AND roles <@ ARRAY[
                'province_viewer', 'county_viewer', 'personal_data_reader', 'operator']),
            counties text[] NOT NULL DEFAULT '{}',
            created_at timestamptz NOT NULL DEFAULT now(),
            disabled_at timestamptz,
            CHECK (('county_viewer' = ANY(roles)) = (cardinality(counties) > 0)));
        CREATE TABLE "{schema}".sessions (
            token_hash bytea PRIMARY KEY,
            user_name text NOT NULL REFERENCES "{schema}".users ON DELETE CASCADE,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL);
        CREATE INDEX sessions_user_idx ON "{schema}".sessions (user_name);
        CREATE TABLE "{schema}".tokens (
            token_id text PRIMARY KEY,
            token_hash bytea NOT NULL UNIQUE,
            user_name text NOT NULL REFERENCES "{schema}".users ON DELETE CASCADE,
            label text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            revoked_at timestamptz);
        CREATE INDEX tokens_user_idx ON "{schema}".tokens (user_name);
        CREATE TABLE "{schema}".personal_data_reads (
            read_id bigserial PRIMARY KEY,
            read_at timestamptz NOT NULL DEFAULT now(),
            user_name text NOT NULL,
            via text NOT NULL CHECK (via IN ('session', 'token')),
            route text NOT NULL,
            params jsonb NOT NULL,
            rows int NOT NULL);
        CREATE INDEX personal_data_reads_user_idx
            ON "{schema}".personal_data_reads (user_name, read_at);
        CREATE INDEX personal_data_reads_time_idx ON "{schema}".personal_data_reads (read_at);
        """,
    ),
)


async def ensure_access_schema(db: asyncpg.Pool | asyncpg.Connection) -> None:
    """Create or upgrade the tables; safe from every process at once (migrations lock)."""
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn:
            await migrate(conn, SCHEMA, "access", MIGRATIONS)
    else:
        await migrate(db, SCHEMA, "access", MIGRATIONS)
