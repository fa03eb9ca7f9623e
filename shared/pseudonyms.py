"""Stable pseudonymous ids from natural keys that are personal data (e.g. registry numbers).

A keyed hash (BLAKE2b, 256-bit key) keeps stream ids free of personal data, yet the same
roster line always maps to the same stream, so importing twice cannot register a person twice.
The key lives in the service's own schema, created once, and travels with its backups.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache
from uuid import UUID

import asyncpg

from shared.migrations import Grants, Migration, migrate

MIGRATIONS = (
    Migration(
        1,
        "pseudonym key",
        'CREATE TABLE "{schema}".pseudonym_key'
        " (id int PRIMARY KEY CHECK (id = 1), key bytea NOT NULL)",
    ),
)


RUNTIME_GRANTS: Grants = {"pseudonym_key": "SELECT"}


class Pseudonyms:
    def __init__(self, key: bytes) -> None:
        self._key = key
        self.uuid = lru_cache(maxsize=65536)(self._uuid)  # a command asks twice: stream, event

    def _uuid(self, kind: str, natural_key: str) -> UUID:
        digest = hashlib.blake2b(f"{kind}:{natural_key}".encode(), key=self._key, digest_size=16)
        return UUID(bytes=digest.digest())


async def load_pseudonyms(pool: asyncpg.Pool, schema: str) -> Pseudonyms:
    async with pool.acquire() as conn:
        await migrate(conn, schema, "pseudonyms", MIGRATIONS)
        return Pseudonyms(await ensure_key(conn, schema))


async def ensure_key(conn: asyncpg.Connection, schema: str) -> bytes:
    """The schema's key, made once by whoever migrates it (the service role only reads it)."""
    key = await conn.fetchval(f'SELECT key FROM "{schema}".pseudonym_key WHERE id = 1')
    if key is None:
        await conn.execute(
            f'INSERT INTO "{schema}".pseudonym_key (id, key) VALUES (1, $1) ON CONFLICT DO NOTHING',
            secrets.token_bytes(32),
        )
        key = await conn.fetchval(f'SELECT key FROM "{schema}".pseudonym_key WHERE id = 1')
    return bytes(key)
