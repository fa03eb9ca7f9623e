"""asyncpg pools with JSON codecs, so jsonb columns read and write plain Python values."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import asyncpg

UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, unreachable
    TimeoutError,
    asyncpg.InterfaceError,  # a pooled connection the server closed
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.TooManyConnectionsError,  # "too many clients"
    asyncpg.AdminShutdownError,
)
"""Errors that say the database cannot be reached now, not that a request was wrong."""

CONNECT_TIMEOUT = 3.0
"""Seconds to open a connection: a server that does not answer is reported, not waited for."""


class RawJson(str):
    """JSON text already serialised (e.g. by pydantic); written to json/jsonb as it is."""


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=_encode, decoder=json.loads, schema="pg_catalog", format="text"
        )


async def _keep(conn: asyncpg.Connection) -> None:
    """Nothing to reset when a connection goes back to its pool: pooled connections hold no
    session state (locks and LISTEN have connections of their own). asyncpg's default reset
    is one more round trip per acquire."""
    del conn


def _encode(value: Any) -> str:
    return value if isinstance(value, RawJson) else dumps(value)


def dumps(value: Any) -> RawJson:
    return RawJson(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))


async def create_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    name: str = "eduplan",
    read_only: bool = False,
) -> asyncpg.Pool:
    """`name` shows as application_name in pg_stat_activity, so operators see who is who.
    `read_only`: every transaction is read-only (reports; a hot standby allows no other)."""
    settings = {"application_name": name}
    if read_only:
        settings["default_transaction_read_only"] = "on"
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep,
        server_settings=settings,
        timeout=CONNECT_TIMEOUT,
    )
    assert pool is not None
    return pool


async def connect(dsn: str, name: str = "eduplan") -> asyncpg.Connection:
    """A single connection with the same codecs as the pools (for LISTEN and locks)."""
    conn = await asyncpg.connect(dsn, server_settings={"application_name": name})
    await _init_connection(conn)
    return conn


def pool_usage(pool: asyncpg.Pool) -> tuple[int, int, int]:
    """(in use, open, most) connections of a pool, for health and metrics."""
    size = pool.get_size()
    return size - pool.get_idle_size(), size, pool.get_max_size()


class SessionLocks:
    """Session advisory locks of one process, all held on one connection of their own.

    One connection per lock would cost a Postgres connection per read model. If the connection
    is lost, so is every lock on it: `lost()` then returns a set event, and holders stop and
    take their lock again (the checkpoint in each batch keeps the effect exactly-once even
    while two holders overlap).
    """

    def __init__(self, dsn: str, name: str) -> None:
        self.dsn = dsn
        self.name = name
        self._conn: asyncpg.Connection | None = None
        self._mutex = asyncio.Lock()
        self._held: set[int] = set()
        self._lost = asyncio.Event()

    async def try_acquire(self, key: int) -> asyncio.Event | None:
        """Take the lock if free: returns the event set when it is lost, else None."""
        async with self._mutex:
            if self._conn is None or self._conn.is_closed():
                self._lost.set()
                self._held.clear()
                self._lost = asyncio.Event()
                self._conn = await connect(self.dsn, self.name)
                self._conn.add_termination_listener(lambda _: self._lost.set())
            if key in self._held:
                return None
            if not await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
                return None
            self._held.add(key)
            return self._lost

    async def release(self, key: int) -> None:
        async with self._mutex:
            if key not in self._held:
                return
            self._held.discard(key)
            if self._conn is not None and not self._conn.is_closed():
                with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                    await self._conn.execute("SELECT pg_advisory_unlock($1)", key)

    async def close(self) -> None:
        async with self._mutex:
            self._held.clear()
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    await self._conn.close(timeout=1)
                self._conn = None


async def close_pool(pool: asyncpg.Pool, grace: float = 1.0) -> None:
    """Close a pool, waiting at most `grace` seconds for connections in use; then cut them."""
    try:
        await asyncio.wait_for(pool.close(), grace)
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        pool.terminate()
