"""Who read personal data: one row per answer of a personal report to a reader, written
before the answer is sent (no row, no answer). Operators read it at `/admin/access-log`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.accounts.roles import Principal
from shared.accounts.schema import SCHEMA
from shared.moments import moment


async def record_read(
    pool: asyncpg.Pool, who: Principal, route: str, params: dict[str, str], rows: int
) -> None:
    await pool.execute(
        f'INSERT INTO "{SCHEMA}".personal_data_reads (user_name, via, route, params, rows)'
        " VALUES ($1, $2, $3, $4::text::jsonb, $5)",
        who.name,
        who.via,
        route,
        json.dumps(params, ensure_ascii=False, sort_keys=True),
        rows,
    )


class AccessLogQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str | None = None
    route: str | None = None
    since: datetime | None = None
    limit: int = Field(100, ge=1, le=10_000)

    @field_validator("since", mode="before")
    @classmethod
    def _since(cls, value: Any) -> Any:
        """A date or a time, China Standard Time without an offset (as the audit search)."""
        return moment(value) if isinstance(value, str) else value


async def access_log(
    db: asyncpg.Pool | asyncpg.Connection, params: dict[str, str]
) -> dict[str, Any]:
    """The latest reads first, filtered by user, route and time (`/admin/access-log`, and
    `eduplan users access-log` on the database)."""
    q = AccessLogQuery.model_validate(params)
    rows = await db.fetch(
        f"""SELECT read_id, read_at, user_name, via, route, params::text AS params, rows
            FROM "{SCHEMA}".personal_data_reads
            WHERE ($1::text IS NULL OR user_name = $1) AND ($2::text IS NULL OR route = $2)
              AND ($3::timestamptz IS NULL OR read_at >= $3)
            ORDER BY read_at DESC, read_id DESC LIMIT $4""",
        q.user,
        q.route,
        q.since,
        q.limit,
    )
    reads = [
        {
            "read_at": r["read_at"].isoformat(),
            "user": r["user_name"],
            "via": r["via"],
            "route": r["route"],
            "params": json.loads(r["params"]),
            "rows": r["rows"],
        }
        for r in rows
    ]
    return {"count": len(reads), "reads": reads}
