"""Stable pseudonymous ids from natural keys that are personal data (e.g. registry numbers).

A keyed hash (BLAKE2b, 256-bit key) keeps stream ids free of personal data, yet the same
roster line always maps to the same stream, so importing twice cannot register a person twice.
The key lives in the key store (shared/keystore.py), apart from the events: a dump of the
events cannot be used to test a guessed registry number. A release that kept it in the
service's own schema moves it there once (the same key, so every id stays).
"""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache
from uuid import UUID

import asyncpg

from shared import keystore
from shared.migrations import Migration, migrate

MIGRATIONS = (
    Migration(
        1,
        "pseudonym key",
        'CREATE TABLE "{schema}".pseudonym_key'
        " (id int PRIMARY KEY CHECK (id = 1), key bytea NOT NULL)",
    ),
    Migration(2, "pseudonym key moved to the key store", 'DROP TABLE "{schema}".pseudonym_key'),
)
"""Of the service's schema: run after `old_key` was copied to the key store."""


class Pseudonyms:
    def __init__(self, key: bytes) -> None:
        self._key = key
        self.uuid = lru_cache(maxsize=65536)(self._uuid)  # a command asks twice: stream, event

    def _uuid(self, kind: str, natural_key: str) -> UUID:
        digest = hashlib.blake2b(f"{kind}:{natural_key}".encode(), key=self._key, digest_size=16)
        return UUID(bytes=digest.digest())


async def load_pseudonyms(pool: asyncpg.Pool, schema: str) -> Pseudonyms:
    """The service's key from the key store; made (or moved) there first where allowed."""
    async with pool.acquire() as conn:
        await migrate(conn, keystore.SCHEMA, "keystore", keystore.MIGRATIONS)
        key = await keystore.pseudonym_key(conn, schema)
        if key is None:
            key = await keystore.store_pseudonym_key(
                conn, schema, await old_key(conn, schema) or secrets.token_bytes(32)
            )
        await migrate(conn, schema, "pseudonyms", MIGRATIONS)
        return Pseudonyms(key)


async def old_key(conn: asyncpg.Connection, schema: str) -> bytes | None:
    """The key an earlier release kept in the service's schema, if it is still there."""
    if await conn.fetchval("SELECT to_regclass($1)", f'"{schema}".pseudonym_key') is None:
        return None
    key = await conn.fetchval(f'SELECT key FROM "{schema}".pseudonym_key WHERE id = 1')
    return None if key is None else bytes(key)
