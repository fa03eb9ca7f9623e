"""Read model of the counties' plans: every revision of every county's plan, each with the day
it applies from. A report judged on a day uses the revision in force that day (the latest
`effective_from` not after it, `shared.revisions`), so a revision never rewrites what earlier
reports said."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeAlias

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import EventEnvelope
from contracts.types import CountyCode
from shared.migrations import Migration
from shared.revisions import Revision, in_force

MIGRATIONS = (
    Migration(
        1,
        "county plans and their revisions",
        """
        CREATE TABLE "{schema}".county_plans (
            county text NOT NULL, revision int NOT NULL, effective_from date NOT NULL,
            plan jsonb NOT NULL, adopted_at timestamptz NOT NULL,
            PRIMARY KEY (county, revision));
        """,
    ),
)

Db: TypeAlias = asyncpg.Connection | asyncpg.Pool


class CountyPlansProjection:
    name = "county_plans"
    sources: tuple[str, ...] = ("evaluation",)
    migrations: tuple[Migration, ...] = MIGRATIONS

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        """One row per revision; a redelivered revision changes nothing."""
        rows = [
            (
                e.payload["county"],
                e.payload["revision"],
                date.fromisoformat(e.payload["effective_from"]),
                e.payload["plan"],
                e.recorded_at,
            )
            for e in events
            if e.event_type == "CountyPlanAdopted"
        ]
        if rows:
            await conn.executemany(
                f"""INSERT INTO "{schema}".county_plans
                    (county, revision, effective_from, plan, adopted_at)
                    VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT DO NOTHING""",
                rows,
            )


async def plan_in_force(db: Db, schema: str, county: str, day: date) -> dict[str, Any] | None:
    """The county's plan on `day` by `shared.revisions.in_force` (None: none in force yet)."""
    rows = await db.fetch(
        f"""SELECT plan, revision, effective_from FROM "{schema}".county_plans
            WHERE county = $1 AND effective_from <= $2""",
        county,
        day,
    )
    found = in_force((Revision(r["effective_from"], r["revision"], r) for r in rows), day)
    if found is None:
        return None
    plan: dict[str, Any] = found.value["plan"]
    return {**plan, "revision": found.revision, "effective_from": str(found.effective_from)}


async def counties_with_plans(db: Db, schema: str) -> list[str]:
    rows = await db.fetch(f'SELECT DISTINCT county FROM "{schema}".county_plans ORDER BY county')
    return [r["county"] for r in rows]


async def counties(db: Db, schema: str) -> list[dict[str, Any]]:
    """Every county with a plan: its names, period and revisions."""
    rows = await db.fetch(
        f"""SELECT county, revision, effective_from, adopted_at,
                   plan->'county' AS about, plan->'period' AS period,
                   jsonb_array_length(plan->'tasks') AS tasks
            FROM "{schema}".county_plans ORDER BY county, revision"""
    )
    found: dict[str, dict[str, Any]] = {}
    for r in rows:
        about, period = r["about"], r["period"]
        entry = found.setdefault(r["county"], {"county": r["county"], "revisions": []})
        entry.update(
            name=about["name"],
            name_zh=about["name_zh"],
            period_start=period["start"],
            period_end=period["end"],
            tasks=r["tasks"],
        )
        entry["revisions"].append(
            {
                "revision": r["revision"],
                "effective_from": str(r["effective_from"]),
                "adopted_at": r["adopted_at"].isoformat(),
            }
        )
    return list(found.values())


class CountyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: CountyCode
    judged_on: date | None = Field(None, description="Day whose plan is shown; unset: today.")


class CountiesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: CountyCode | None = Field(None, description="Only this county (a county viewer's).")


async def counties_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = CountiesQuery.model_validate(params)
    return [c for c in await counties(pool, schema) if q.county in (None, c["county"])]


async def county_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = CountyQuery.model_validate(params)
    day = q.judged_on or date.today()
    plan = await plan_in_force(pool, schema, q.county, day)
    listed = [c for c in await counties(pool, schema) if c["county"] == q.county]
    return {
        "county": q.county,
        "judged_on": day.isoformat(),
        "plan": plan,
        "revisions": listed[0]["revisions"] if listed else [],
        "message": "" if plan else f"no plan of county {q.county} in force on {day}",
    }


ROUTES = {"/api/county-plans": counties_route, "/api/county": county_route}
