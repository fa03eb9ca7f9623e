"""Searching the audit trail: filters from query parameters, one SQL query per page, CSV.

Pages are ordered by (recorded_at, service, position): the order each service recorded its
events in. Events written by one transaction share recorded_at, so an order by event id would
shuffle the versions of a stream; position keeps them in order and the triple is unique. The
`after` cursor is `<recorded_at in µs since 1970>.<service>.<position>` of a page's last event.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from uuid import UUID

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from contracts.types import CountyCode
from services.projection.http import HttpError
from shared.db import dumps
from shared.moments import moment
from shared.spreadsheet import neutralise

"""A date, or a time without offset, is China Standard Time (as `as_of` in app.py)."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COUNT_CAP = 100_000
"""Counting stops here: the count stays cheap however wide the search."""
COLUMNS = (
    "event_id",
    "recorded_at",
    "occurred_at",
    "service",
    "position",
    "stream_type",
    "stream_id",
    "version",
    "event_type",
    "schema_version",
    "county",
    "actor",
    "department",
    "correlation_id",
    "causation_id",
    "command_id",
    "has_personal",
    "payload",
)
EQUALS = ("actor", "department", "county", "service", "stream_id", "stream_type")


class Cursor(NamedTuple):
    recorded_at: datetime
    service: str
    position: int

    def __str__(self) -> str:
        micros = (self.recorded_at - EPOCH) // timedelta(microseconds=1)
        return f"{micros}.{self.service}.{self.position}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        parts = text.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit():
            raise PydanticCustomError("cursor", "not a cursor of this search (use a page's `next`)")
        return cls(EPOCH + timedelta(microseconds=int(parts[0])), parts[1], int(parts[2]))


class SearchQuery(BaseModel):
    """What `/api/audit/events` and `/api/audit/export.csv` accept; all filters combine."""

    model_config = ConfigDict(extra="forbid")

    actor: str | None = None
    department: str | None = None
    county: CountyCode | None = None
    service: str | None = None
    stream_id: str | None = None
    stream_type: str | None = None
    event_type: list[str] | None = Field(None, description="One type or several, comma-separated.")
    correlation_id: UUID | None = None
    command_id: UUID | None = None
    since: datetime | None = Field(None, description="Recorded at or after; a date: that day.")
    until: datetime | None = Field(
        None, description="Recorded before this (exclusive): given a date, the end of that day."
    )
    payload: dict[str, Any] | None = Field(None, description="JSON object the payload contains.")
    payload_path: str | None = Field(
        None, description="SQL/JSON path predicate on the payload, e.g. $.entitled.size() == 0."
    )
    limit: int = Field(100, ge=1, le=10_000)
    after: Cursor | None = None

    @field_validator("event_type", mode="before")
    @classmethod
    def _types(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [t.strip() for t in value.split(",") if t.strip()] or None
        return value

    @field_validator("since", mode="before")
    @classmethod
    def _since(cls, value: Any) -> Any:
        return moment(value) if isinstance(value, str) else value

    @field_validator("until", mode="before")
    @classmethod
    def _until(cls, value: Any) -> Any:
        return moment(value, end_of_day=True) if isinstance(value, str) else value

    @field_validator("payload", mode="before")
    @classmethod
    def _payload(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise PydanticCustomError("json", "not JSON: {error}", {"error": str(exc)}) from None
        if not isinstance(parsed, dict):
            raise PydanticCustomError("json", 'a JSON object, e.g. {"term":"2017-autumn"}')
        return parsed

    @field_validator("after", mode="before")
    @classmethod
    def _after(cls, value: Any) -> Any:
        return Cursor.parse(value) if isinstance(value, str) else value


class ExportQuery(SearchQuery):
    limit: int = Field(COUNT_CAP, ge=1, le=COUNT_CAP)


def where(q: SearchQuery) -> tuple[str, list[Any]]:
    """The WHERE clause of the filters (TRUE when none) and its arguments, $1 onwards."""
    conditions: list[str] = []
    args: list[Any] = []

    def add(condition: str, value: Any) -> None:
        args.append(value)
        conditions.append(condition.format(f"${len(args)}"))

    for column in EQUALS:
        if getattr(q, column) is not None:
            add(f"{column} = {{}}", getattr(q, column))
    if q.event_type:
        add("event_type = ANY({}::text[])", q.event_type)
    if q.correlation_id:
        add("correlation_id = {}", q.correlation_id)
    if q.command_id:
        add("command_id = {}", q.command_id)
    if q.since:
        add("recorded_at >= {}", q.since)
    if q.until:
        add("recorded_at < {}", q.until)
    if q.payload is not None:
        add("payload @> {}::jsonb", dumps(q.payload))
    if q.payload_path:
        add("payload @@ {}::jsonpath", q.payload_path)
    return " AND ".join(conditions) or "TRUE", args


async def search(pool: asyncpg.Pool, schema: str, q: SearchQuery) -> dict[str, Any]:
    """{count: events matching (at most COUNT_CAP), count_capped, events: one page, next}."""
    condition, args = where(q)
    count = await pool.fetchval(
        f'SELECT count(*) FROM (SELECT 1 FROM "{schema}".audit_events WHERE {condition}'
        f" LIMIT {COUNT_CAP + 1}) AS matching",
        *args,
    )
    rows, after = await page(pool, schema, q)
    return {
        "count": min(count, COUNT_CAP),
        "count_capped": count > COUNT_CAP,
        "events": [event(r) for r in rows],
        "next": str(after) if after else None,
    }


async def page(
    pool: asyncpg.Pool, schema: str, q: SearchQuery, payload_as_text: bool = False
) -> tuple[list[asyncpg.Record], Cursor | None]:
    """One page in trail order, and the cursor of the next page (None on the last); the
    payload as JSON text saves decoding it for a CSV."""
    text = {"payload": "payload::text AS payload"} if payload_as_text else {}
    columns = ", ".join(text.get(c, c) for c in COLUMNS)
    condition, args = where(q)
    if q.after:
        n = len(args)
        condition += f" AND (recorded_at, service, position) > (${n + 1}, ${n + 2}, ${n + 3})"
        args += list(q.after)
    rows = await pool.fetch(
        f'SELECT {columns} FROM "{schema}".audit_events WHERE {condition}'
        f" ORDER BY recorded_at, service, position LIMIT {q.limit + 1}",
        *args,
    )
    if len(rows) <= q.limit:
        return rows, None
    last = rows[q.limit - 1]
    return rows[: q.limit], Cursor(last["recorded_at"], last["service"], last["position"])


def event(row: asyncpg.Record) -> dict[str, Any]:
    return {c: _json_value(row[c]) for c in COLUMNS}


def to_csv(rows: list[asyncpg.Record]) -> bytes:
    """UTF-8 CSV with a header row; the payload is a JSON column. It starts with a byte-order
    mark: without one, Excel (what an office opens a CSV with) reads Chinese as GBK. A text
    that a spreadsheet would run as a formula starts with a quote (shared/spreadsheet.py)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(_csv_value(r[c]) for c in COLUMNS)
    return out.getvalue().encode()


async def check_path(pool: asyncpg.Pool, path: str | None) -> None:
    """A malformed SQL/JSON path is the caller's mistake (400), not a server error."""
    if path:
        try:
            await pool.fetchval("SELECT $1::jsonpath", path)
        except asyncpg.PostgresError as exc:
            raise HttpError(400, "bad_request", f"payload_path: {exc}") from None


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict):
        return dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    value = _json_value(value)
    return neutralise(value) if isinstance(value, str) else value
