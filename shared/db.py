"""asyncpg pools with JSON codecs, so jsonb columns read and write plain Python values."""

from __future__ import annotations

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


def _encode(value: Any) -> str:
    return value if isinstance(value, RawJson) else dumps(value)


def dumps(value: Any) -> RawJson:
    return RawJson(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))


async def create_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, name: str = "eduplan"
) -> asyncpg.Pool:
    """`name` shows as application_name in pg_stat_activity, so operators see who is who."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        server_settings={"application_name": name},
        timeout=CONNECT_TIMEOUT,
    )
    assert pool is not None
    return pool


async def connect(dsn: str, name: str = "eduplan") -> asyncpg.Connection:
    """A single connection with the same codecs as the pools (for LISTEN and locks)."""
    conn = await asyncpg.connect(dsn, server_settings={"application_name": name})
    await _init_connection(conn)
    return conn
