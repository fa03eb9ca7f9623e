"""The audit trail: every event of every service, one row each, kept forever and searchable.

Who (actor, department), when (recorded_at; occurred_at is when the command was issued),
where (county), what (event type, payload), and why (command_id, correlation_id for the user
action, causation_id). Routes:
- `GET /api/audit/events`: search (filters in `audit_search.SearchQuery`), a page at a time;
- `GET /api/audit/export.csv`: the same search as CSV (100,000 rows a request; the header
  `Eduplan-Next` carries the cursor of the rest, `Eduplan-Rows` the rows sent);
- `GET /api/audit/behind?figure=...`: the events behind a dashboard figure (`audit_figures`);
- `GET /api/audit/figures`: which figures can be traced, and their parameters.

Personal data: the `personal` part of a payload (names, registry numbers, birth dates) is not
copied into the trail; `has_personal` says there was one. So the trail can be kept forever
while personal data is shredded where it lives (per-person keys; the read models' personal
tables); the whole event stays in its service's store and stream. Payloads are stored at
their latest schema version (the runner upcasts), so searches use today's field names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from contracts.envelope import EventEnvelope
from services.projection.http import Download, Route
from services.projection.read_models.audit import figures as audit_figures
from services.projection.read_models.audit import search as audit_search
from services.projection.read_models.audit.search import ExportQuery, SearchQuery
from shared.db import dumps
from shared.migrations import Migration
from shared.projections import Projection

MIGRATIONS = (
    Migration(
        1,
        "audit events and the indexes of their searches",
        """
        CREATE TABLE "{schema}".audit_events (
            event_id uuid PRIMARY KEY, service text NOT NULL, position bigint NOT NULL,
            stream_id text NOT NULL, stream_type text NOT NULL, version int NOT NULL,
            event_type text NOT NULL, schema_version int NOT NULL, county text NOT NULL,
            occurred_at timestamptz NOT NULL, recorded_at timestamptz NOT NULL,
            actor text NOT NULL, department text NOT NULL, correlation_id uuid NOT NULL,
            causation_id uuid, command_id uuid, payload jsonb NOT NULL,
            has_personal boolean NOT NULL);
        CREATE INDEX audit_events_time_idx
            ON "{schema}".audit_events (recorded_at, service, position);
        CREATE INDEX audit_events_actor_idx ON "{schema}".audit_events (actor, recorded_at);
        CREATE INDEX audit_events_department_idx
            ON "{schema}".audit_events (department, recorded_at);
        CREATE INDEX audit_events_county_idx ON "{schema}".audit_events (county, recorded_at);
        CREATE INDEX audit_events_stream_idx ON "{schema}".audit_events (stream_id, version);
        CREATE INDEX audit_events_type_idx ON "{schema}".audit_events (event_type, recorded_at);
        CREATE INDEX audit_events_correlation_idx ON "{schema}".audit_events (correlation_id);
        CREATE INDEX audit_events_command_idx ON "{schema}".audit_events (command_id);
        CREATE INDEX audit_events_payload_idx
            ON "{schema}".audit_events USING gin (payload jsonb_path_ops);
        """,
    ),
)

INSERT = """
    INSERT INTO "{schema}".audit_events (event_id, service, position, stream_id, stream_type,
        version, event_type, schema_version, county, occurred_at, recorded_at, actor,
        department, correlation_id, causation_id, command_id, payload, has_personal)
    SELECT t.event_id, t.service, t.position, t.stream_id, t.stream_type, t.version,
           t.event_type, t.schema_version, t.county, t.occurred_at, t.recorded_at, t.actor,
           t.department, t.correlation_id, t.causation_id, t.command_id, t.payload::jsonb,
           t.has_personal
    FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::int[],
        $7::text[], $8::int[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::text[],
        $13::text[], $14::uuid[], $15::uuid[], $16::uuid[], $17::text[], $18::boolean[])
        AS t (event_id, service, position, stream_id, stream_type, version, event_type,
            schema_version, county, occurred_at, recorded_at, actor, department,
            correlation_id, causation_id, command_id, payload, has_personal)
    ON CONFLICT (event_id) DO NOTHING
"""


class AuditProjection:
    name = "audit"
    sources: tuple[str, ...] = ("assistance", "staffing", "pairing", "evaluation", "alerts")
    migrations: tuple[Migration, ...] = MIGRATIONS
    indexes_serve_reads_only = True
    """`apply` only inserts by event id: a rebuild builds the search indexes after the rows."""

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        if events:
            columns = zip(*(_row(e) for e in events), strict=True)
            await conn.execute(INSERT.replace("{schema}", schema), *map(list, columns))


def _row(e: EventEnvelope) -> tuple[Any, ...]:
    payload = {k: v for k, v in e.payload.items() if k != "personal"}
    return (
        e.event_id,
        e.service,
        e.position,
        e.stream_id,
        e.stream_type,
        e.version,
        e.event_type,
        e.schema_version,
        e.county,
        e.occurred_at,
        e.recorded_at,
        e.actor,
        e.department,
        e.correlation_id,
        e.causation_id,
        e.command_id,
        dumps(payload),
        "personal" in e.payload,
    )


async def events(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = SearchQuery.model_validate(params)
    await audit_search.check_path(pool, q.payload_path)
    return await audit_search.search(pool, schema, q)


async def export(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = ExportQuery.model_validate(params)
    await audit_search.check_path(pool, q.payload_path)
    rows, after = await audit_search.page(pool, schema, q, payload_as_text=True)
    headers = {"Eduplan-Rows": str(len(rows))} | ({"Eduplan-Next": str(after)} if after else {})
    return Download(audit_search.to_csv(rows), "text/csv; charset=utf-8", "audit.csv", headers)


async def behind(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    name, search = audit_figures.figure_search(params)
    found = await audit_search.search(pool, schema, SearchQuery.model_validate(search))
    figure = audit_figures.FIGURES[name]
    about = {"figure": name, "report": figure.report, "about": figure.about, "search": search}
    return about | found


async def figures(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    return audit_figures.catalogue()


PROJECTIONS: tuple[Projection, ...] = (AuditProjection(),)
ROUTES: dict[str, Route] = {
    "/api/audit/events": events,
    "/api/audit/export.csv": export,
    "/api/audit/behind": behind,
    "/api/audit/figures": figures,
}
