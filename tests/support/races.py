"""Force a real race on the database: every call is blocked at its insert before any commits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import asyncpg

from shared.testing import wait_for


async def raced(pool: asyncpg.Pool, *calls: Awaitable[Any]) -> list[Any]:
    """Run the calls so that each has loaded and decided before any of them may append.

    Returns each call's result, or the exception it raised, in call order.
    """
    async with pool.acquire() as gate, gate.transaction():
        await gate.execute("LOCK TABLE assistance.events IN SHARE MODE")
        tasks = [asyncio.ensure_future(c) for c in calls]

        async def all_waiting() -> bool:
            waiting = await pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return bool(waiting == len(tasks))

        await wait_for(all_waiting, timeout=10)
    return await asyncio.gather(*tasks, return_exceptions=True)
