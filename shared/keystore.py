"""The key store: per-person data keys, wrapped by a master key, apart from the events.

Schema `keystore` (owner `keystore_owner`), never in a service's event schema, so a copy of
the events (a dump, the JetStream files, an export) holds no key. Erasing a person deletes
their wrapped key (the row stays as a tombstone: who erased, when), and every copy of their
personal data, sealed with it, is unreadable from then on. Rotating the master key re-wraps
the data keys; no event is rewritten.

Rights (deploy/postgres/init.sql, `eduplan provision`): a domain service reads, creates and
erases only its own keys (row-level security on `service = current_user`); members of
`keystore_readers` (the projection) read every key; nobody else reads any. The pseudonym
keys (the keyed hash that makes student ids) live here too, one per service.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.eventstore import Rider
from shared.migrations import Grants, Migration, migrate

SCHEMA = "keystore"

MIGRATIONS = (
    Migration(
        1,
        "data keys and pseudonym keys",
        """
        CREATE TABLE "{schema}".data_keys (
            key_id        text PRIMARY KEY,
            service       text NOT NULL,
            wrapped       bytea,
            master_key_id text,
            created_at    timestamptz NOT NULL DEFAULT now(),
            erased_at     timestamptz,
            CONSTRAINT data_keys_erased_check CHECK ((wrapped IS NULL) = (erased_at IS NOT NULL))
        );
        CREATE TABLE "{schema}".pseudonym_keys (
            service text PRIMARY KEY,
            key     bytea NOT NULL
        );
        ALTER TABLE "{schema}".data_keys ENABLE ROW LEVEL SECURITY;
        ALTER TABLE "{schema}".pseudonym_keys ENABLE ROW LEVEL SECURITY;
        CREATE POLICY own_keys ON "{schema}".data_keys
            USING (service = current_user) WITH CHECK (service = current_user);
        CREATE POLICY own_key ON "{schema}".pseudonym_keys FOR SELECT
            USING (service = current_user);
        DO $$ BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'keystore_readers') THEN
                CREATE POLICY readers ON "{schema}".data_keys FOR SELECT
                    TO keystore_readers USING (true);
            END IF;
        END $$;
        """,
    ),
)

SERVICE_GRANTS: Grants = {"data_keys": "SELECT, INSERT, UPDATE", "pseudonym_keys": "SELECT"}
"""A domain service: its own rows only (row-level security)."""
READER_GRANTS: Grants = {"data_keys": "SELECT"}
"""`keystore_readers` (the projection): reads every data key, to open personal parts."""


class MasterKeyMissing(LookupError):
    """A data key is wrapped by a master key this process was not given."""


@dataclass(frozen=True)
class MasterKeys:
    """Master keys by id; `current` wraps new data keys, every one unwraps."""

    current: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, text: str) -> MasterKeys:
        """`id:base64` items, by comma or line; the first is current."""
        keys: dict[str, bytes] = {}
        for item in text.replace("\n", ",").split(","):
            if not item.strip():
                continue
            key_id, sep, encoded = item.strip().partition(":")
            try:
                key = base64.b64decode(encoded, validate=True) if sep else b""
            except ValueError:
                key = b""
            if not key_id or len(key) != 32:
                raise ValueError(f"master key {key_id or '?'!r}: expected id:base64 of 32 bytes")
            keys[key_id] = key
        if not keys:
            raise ValueError("no master key given")
        return cls(next(iter(keys)), keys)

    @staticmethod
    def generate(key_id: str) -> str:
        """A new master key as `id:base64`."""
        return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"

    def _cipher(self, master_key_id: str) -> AESGCM:
        cipher = _CIPHERS.get((master_key_id, self.keys.get(master_key_id, b"")))
        if cipher is None:
            master = self.keys.get(master_key_id)
            if master is None:
                raise MasterKeyMissing(f"master key {master_key_id!r} is not given here")
            cipher = _CIPHERS[(master_key_id, master)] = AESGCM(master)
        return cipher

    def wrap(self, key_id: str, data_key: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + self._cipher(self.current).encrypt(nonce, data_key, key_id.encode())

    def wrap_all(self, keys: dict[str, bytes], nonces: Iterable[bytes]) -> list[bytes]:
        """`keys` wrapped as `wrap` does, with the fresh 12-byte `nonces` given."""
        encrypt = self._cipher(self.current).encrypt
        return [
            nonce + encrypt(nonce, key, key_id.encode())
            for (key_id, key), nonce in zip(keys.items(), nonces, strict=True)
        ]

    def unwrap(self, key_id: str, master_key_id: str, wrapped: bytes) -> bytes:
        if master_key_id not in self.keys:
            raise MasterKeyMissing(
                f"data key {key_id} is wrapped by master key {master_key_id!r}, not given here"
            )
        cipher = self._cipher(master_key_id)
        return cipher.decrypt(wrapped[:12], wrapped[12:], key_id.encode())


@dataclass(frozen=True)
class NewKeys:
    """Data keys made for people who had none, with their wrapped form to store."""

    keys: dict[str, bytes]
    wrapped: list[bytes]


class KeysTaken(RuntimeError):
    """Some of the fresh keys to store had a key already: nothing sealed with them may be
    stored."""


_CIPHERS: dict[tuple[str, bytes], AESGCM] = {}
"""AES-GCM objects of the master keys, made once (a few per process)."""


class KeyStore:
    """Data keys of one service (or, for a reader, of all), fetched and created in batches."""

    def __init__(self, master: MasterKeys, service: str = "", schema: str = SCHEMA) -> None:
        self.master = master
        self.service = service
        self.schema = schema
        self._unwrap = lru_cache(maxsize=100_000)(self._unwrap_uncached)

    def _unwrap_uncached(self, key_id: str, master_key_id: str, wrapped: bytes) -> bytes:
        return self.master.unwrap(key_id, master_key_id, wrapped)

    async def setup(self, conn: asyncpg.Connection) -> None:
        try:
            await migrate(conn, self.schema, "keystore", MIGRATIONS)
        except asyncpg.UniqueViolationError:  # another process created the schema meanwhile
            await migrate(conn, self.schema, "keystore", MIGRATIONS)

    async def fetch(
        self, conn: asyncpg.Connection, key_ids: Iterable[str]
    ) -> dict[str, bytes | None]:
        """Data keys by id; None for an erased key; absent when never made (or not visible)."""
        rows = await conn.fetch(
            f'SELECT key_id, wrapped, master_key_id FROM "{self.schema}".data_keys'
            " WHERE key_id = ANY($1::text[])",
            list(set(key_ids)),
        )
        return {
            r["key_id"]: None
            if r["wrapped"] is None
            else self._unwrap(r["key_id"], r["master_key_id"], bytes(r["wrapped"]))
            for r in rows
        }

    def new_keys(self, key_ids: Iterable[str]) -> NewKeys:
        """Fresh data keys for `key_ids`, wrapped, to be stored by `rider` in the
        transaction that stores what they seal."""
        ids = sorted(set(key_ids))
        random = os.urandom(44 * len(ids))  # a key and a nonce each, one call for the batch
        fresh = {k: random[44 * i : 44 * i + 32] for i, k in enumerate(ids)}
        nonces = (random[44 * i + 32 : 44 * i + 44] for i in range(len(ids)))
        return NewKeys(fresh, self.master.wrap_all(fresh, nonces))

    def rider(self, keys: NewKeys) -> Rider:
        """Fresh keys stored by the statement that appends what they seal (no round trip of
        their own). An id that has a key already (made meanwhile by another request, or
        erased) fails that statement with `KeysTaken`: nothing sealed with them is stored."""

        def cte(first: int) -> str:
            return (
                f'INSERT INTO "{self.schema}".data_keys (key_id, service, wrapped, master_key_id)'
                f" SELECT k, ${first + 1}, w, ${first + 2}"
                f" FROM unnest(${first}::text[], ${first + 3}::bytea[]) AS x (k, w)"
            )

        return Rider(
            cte,
            [list(keys.keys), self.service, self.master.current, keys.wrapped],
            constraint="data_keys_pkey",
            conflict=KeysTaken,
        )

    async def fetch_or_create(
        self, conn: asyncpg.Connection, key_ids: Iterable[str]
    ) -> dict[str, bytes | None]:
        """Data keys by id, made where missing; None: erased. New people (an import) cost
        one insert; the ids that already had a key, one more query."""
        wanted = sorted(set(key_ids))
        fresh = {k: secrets.token_bytes(32) for k in wanted}
        # One round trip, its own transaction, committed without waiting for the disk: the
        # events sealed with these keys commit after it, and their flush carries it along.
        made = await conn.fetch(
            "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true))"
            f' INSERT INTO "{self.schema}".data_keys (key_id, service, wrapped, master_key_id)'
            " SELECT k, $2, w, $3 FROM unnest($1::text[], $4::bytea[]) AS x (k, w), quick"
            " ON CONFLICT (key_id) DO NOTHING RETURNING key_id",
            wanted,
            self.service,
            self.master.current,
            [self.master.wrap(k, fresh[k]) for k in wanted],
        )
        inserted = {r["key_id"] for r in made}
        found: dict[str, bytes | None] = {k: fresh[k] for k in inserted}
        if len(inserted) < len(wanted):
            found |= await self.fetch(conn, [k for k in wanted if k not in inserted])
        return found

    async def erase(self, conn: asyncpg.Connection, key_id: str) -> bool:
        """Destroy a data key (a tombstone stays); False when it was erased already. A key
        never made gets a tombstone too, so nothing can be sealed for that person again."""
        erased = await conn.fetchval(
            f'INSERT INTO "{self.schema}".data_keys (key_id, service, erased_at)'
            " VALUES ($1, $2, now())"
            " ON CONFLICT (key_id) DO UPDATE SET wrapped = NULL, master_key_id = NULL,"
            f' erased_at = now() WHERE "{self.schema}".data_keys.erased_at IS NULL'
            " RETURNING key_id",
            key_id,
            self.service,
        )
        return erased is not None

    async def rotate(self, conn: asyncpg.Connection, batch: int = 1000) -> int:
        """Re-wrap every data key not wrapped by the current master key; how many."""
        done = 0
        while True:
            async with conn.transaction():
                rows = await conn.fetch(
                    f'SELECT key_id, wrapped, master_key_id FROM "{self.schema}".data_keys'
                    " WHERE wrapped IS NOT NULL AND master_key_id <> $1"
                    " ORDER BY key_id LIMIT $2 FOR UPDATE SKIP LOCKED",
                    self.master.current,
                    batch,
                )
                if not rows:
                    return done
                ids = [r["key_id"] for r in rows]
                rewrapped = [
                    self.master.wrap(
                        r["key_id"],
                        self.master.unwrap(r["key_id"], r["master_key_id"], bytes(r["wrapped"])),
                    )
                    for r in rows
                ]
                await conn.execute(
                    f'UPDATE "{self.schema}".data_keys d SET wrapped = x.w, master_key_id = $3'
                    " FROM unnest($1::text[], $2::bytea[]) AS x (k, w) WHERE d.key_id = x.k",
                    ids,
                    rewrapped,
                    self.master.current,
                )
                done += len(rows)


async def pseudonym_key(
    conn: asyncpg.Connection, service: str, schema: str = SCHEMA
) -> bytes | None:
    key = await conn.fetchval(
        f'SELECT key FROM "{schema}".pseudonym_keys WHERE service = $1', service
    )
    return None if key is None else bytes(key)


async def store_pseudonym_key(
    conn: asyncpg.Connection, service: str, key: bytes, schema: str = SCHEMA
) -> bytes:
    """Keep `key` unless the service has one already; the one kept."""
    await conn.execute(
        f'INSERT INTO "{schema}".pseudonym_keys (service, key) VALUES ($1, $2)'
        " ON CONFLICT DO NOTHING",
        service,
        key,
    )
    kept = await pseudonym_key(conn, service, schema)
    assert kept is not None
    return kept


__all__ = ["InvalidTag", "KeyStore", "KeysTaken", "MasterKeyMissing", "MasterKeys", "NewKeys"]
