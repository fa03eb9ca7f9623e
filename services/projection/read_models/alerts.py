"""Read model of alerts: open and resolved, per county and kind (from the ALERTS stream)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel, ConfigDict

from contracts.alerts.events import AlertKind
from contracts.envelope import EventEnvelope
from contracts.sentence import Sentence
from contracts.types import CountyCode
from services.projection.http import Route
from shared.i18n import Phrase, spoken
from shared.migrations import Migration

MIGRATIONS = (
    Migration(
        1,
        "alerts",
        """
        CREATE TABLE "{schema}".alerts (
            alert_key text PRIMARY KEY, kind text NOT NULL, task_id text NOT NULL,
            county text NOT NULL, subject text NOT NULL, detail text NOT NULL,
            raised_on date NOT NULL, resolved_on date, how text);
        CREATE INDEX alerts_open_idx ON "{schema}".alerts (county, kind) WHERE resolved_on IS NULL;
        """,
    ),
    Migration(
        2,
        "alerts said in the reader's language",
        """
        ALTER TABLE "{schema}".alerts ADD COLUMN subject_said jsonb, ADD COLUMN detail_said jsonb;
        """,
    ),
)


class AlertsProjection:
    name = "alerts"
    sources: tuple[str, ...] = ("alerts",)
    migrations: tuple[Migration, ...] = MIGRATIONS

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        """Latest state per alert key within the batch: an upsert for alerts raised in it, an
        update for alerts raised in an earlier batch and resolved in this one."""
        raised: dict[str, list[Any]] = {}
        resolved: dict[str, tuple[date, str]] = {}
        for e in events:
            p = e.payload
            key = p["alert_key"]
            if e.event_type == "AlertRaised":
                raised[key] = [
                    key,
                    p["kind"],
                    p["task_id"],
                    p["county"],
                    p["subject"],
                    p["detail"],
                    date.fromisoformat(p["raised_on"]),
                    None,
                    None,
                    p.get("subject_said"),  # none before version 2: the text is all there is
                    p.get("detail_said"),
                ]
                resolved.pop(key, None)
            elif e.event_type == "AlertResolved":
                closing = (date.fromisoformat(p["resolved_on"]), p["how"])
                if key in raised:
                    raised[key][7:9] = closing
                else:
                    resolved[key] = closing
        if raised:
            await conn.execute(
                f"""
                INSERT INTO "{schema}".alerts (alert_key, kind, task_id, county, subject, detail,
                    raised_on, resolved_on, how, subject_said, detail_said)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                    $6::text[], $7::date[], $8::date[], $9::text[], $10::jsonb[], $11::jsonb[])
                ON CONFLICT (alert_key) DO UPDATE SET task_id = EXCLUDED.task_id,
                    subject = EXCLUDED.subject, detail = EXCLUDED.detail,
                    raised_on = EXCLUDED.raised_on, resolved_on = EXCLUDED.resolved_on,
                    how = EXCLUDED.how, subject_said = EXCLUDED.subject_said,
                    detail_said = EXCLUDED.detail_said
                """,
                *zip(*raised.values(), strict=True),
            )
        if resolved:
            await conn.execute(
                f"""UPDATE "{schema}".alerts a SET resolved_on = t.resolved_on, how = t.how
                    FROM unnest($1::text[], $2::date[], $3::text[])
                        AS t (alert_key, resolved_on, how)
                    WHERE a.alert_key = t.alert_key""",
                list(resolved),
                [r[0] for r in resolved.values()],
                [r[1] for r in resolved.values()],
            )


class AlertQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: CountyCode | None = None
    status: Literal["open", "resolved", "all"] = "open"
    kind: AlertKind | None = None


async def alerts(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = AlertQuery.model_validate(params)
    rows = await pool.fetch(
        f"""
        SELECT * FROM "{schema}".alerts
        WHERE ($1::text IS NULL OR county = $1) AND ($2::text IS NULL OR kind = $2)
          AND ($3 = 'all' OR ($3 = 'open') = (resolved_on IS NULL))
        ORDER BY raised_on, alert_key
        """,
        q.county,
        q.kind.value if q.kind else None,
        q.status,
    )
    return [
        {
            **{k: r[k] for k in ("alert_key", "kind", "task_id", "county", "how")},
            "subject": _said(r["subject_said"], r["subject"]),
            "detail": _said(r["detail_said"], r["detail"]),
            "status": "open" if r["resolved_on"] is None else "resolved",
            "raised_on": r["raised_on"].isoformat() if r["raised_on"] else None,
            "resolved_on": r["resolved_on"].isoformat() if r["resolved_on"] else None,
        }
        for r in rows
    ]


def _said(kept: dict[str, Any] | None, text: str) -> Phrase | str:
    """A sentence the answer says in the reader's language; a version 1 alert's stored text."""
    return spoken(Sentence.model_validate(kept)) if kept else text


async def alert_counts(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    """Open alerts per county and kind (for the dashboard)."""
    q = AlertQuery.model_validate(params)
    rows = await pool.fetch(
        f"""SELECT county, kind, count(*) AS open FROM "{schema}".alerts
            WHERE resolved_on IS NULL AND ($1::text IS NULL OR county = $1)
            GROUP BY county, kind ORDER BY county, kind""",
        q.county,
    )
    return [dict(r) for r in rows]


PROJECTIONS = (AlertsProjection(),)
ROUTES: dict[str, Route] = {"/api/alerts": alerts, "/api/alerts/open-counts": alert_counts}
