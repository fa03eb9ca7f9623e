"""Read model of teaching-research guidance: each institution's visits of the year against the
plan's 1–2, and the institutions with no visit yet. Experts' names are not kept here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict

from contracts.envelope import EventEnvelope
from contracts.evaluation.types import Year
from contracts.types import CountyCode
from services.projection.read_models.evaluation.rows import Folded, Table, day, plain
from shared.migrations import Migration

MIGRATIONS = (
    Migration(
        1,
        "guidance institutions and research visits",
        """
        CREATE TABLE "{schema}".evaluation_guidance_institutions (
            county text NOT NULL, year int NOT NULL, institution text NOT NULL,
            name text NOT NULL, visits_min int NOT NULL, visits_max int NOT NULL,
            PRIMARY KEY (county, year, institution));
        CREATE TABLE "{schema}".evaluation_research_visits (
            visit_id uuid PRIMARY KEY, county text NOT NULL, year int NOT NULL,
            institution text NOT NULL, status text NOT NULL, planned_on date, held_on date,
            was_planned boolean, topics jsonb, expert_count int);
        CREATE INDEX evaluation_research_visits_year_idx
            ON "{schema}".evaluation_research_visits (year, county, institution);
        """,
    ),
)

VISITS = Table(
    "evaluation_research_visits",
    ("visit_id",),
    {
        "visit_id": "uuid",
        "county": "text",
        "year": "int",
        "institution": "text",
        "status": "text",
        "planned_on": "date",
        "held_on": "date",
        "was_planned": "boolean",
        "topics": "jsonb",
        "expert_count": "int",
    },
)


class GuidanceProjection:
    name = "evaluation_guidance"
    sources: tuple[str, ...] = ("evaluation",)
    migrations: tuple[Migration, ...] = MIGRATIONS

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        """A year's latest plan replaces its institutions; visits fold into one row each."""
        plans: dict[tuple[str, int], dict[str, Any]] = {}
        visits = Folded()
        for e in events:
            p = e.payload
            if e.event_type == "GuidancePlanAdopted":
                plans[(p["county"], p["year"])] = p
            elif e.event_type in ("ResearchVisitPlanned", "ResearchVisitHeld"):
                held = e.event_type == "ResearchVisitHeld"
                visits.merge(
                    p["visit_id"],
                    **_where(p),
                    status="held" if held else "planned",
                    topics=p["topics"],
                    expert_count=p["expert_count"],  # in the event since its sealed version
                    **(
                        {"held_on": day(p["held_on"]), "was_planned": p["was_planned"]}
                        if held
                        else {"planned_on": day(p["planned_on"])}
                    ),
                )
            elif e.event_type == "ResearchVisitCancelled":
                visits.merge(p["visit_id"], **_where(p), status="cancelled")
        await _replace_plans(conn, schema, plans)
        await VISITS.upsert(conn, schema, visits.rows)


def _where(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "visit_id": p["visit_id"],
        "county": p["county"],
        "year": p["year"],
        "institution": p["institution"],
    }


async def _replace_plans(
    conn: asyncpg.Connection, schema: str, plans: dict[tuple[str, int], dict[str, Any]]
) -> None:
    if not plans:
        return
    await conn.execute(
        f"""
        DELETE FROM "{schema}".evaluation_guidance_institutions i
        USING unnest($1::text[], $2::int[]) AS p (county, year)
        WHERE i.county = p.county AND i.year = p.year
        """,
        [county for county, _ in plans],
        [year for _, year in plans],
    )
    rows = [
        (p["county"], p["year"], i["institution"], i["name"], p["visits_min"], p["visits_max"])
        for p in plans.values()
        for i in p["institutions"]
    ]
    await conn.execute(
        f"""
        INSERT INTO "{schema}".evaluation_guidance_institutions
            (county, year, institution, name, visits_min, visits_max)
        SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::int[], $6::int[])
        """,
        *zip(*rows, strict=True),
    )


async def visits_per_institution(
    db: asyncpg.Pool | asyncpg.Connection, schema: str, year: int, county: str | None
) -> list[dict[str, Any]]:
    """Each planned institution's visits held and still planned, against its target."""
    rows = await db.fetch(
        f"""
        SELECT i.county, i.institution, i.name, i.visits_min, i.visits_max,
               count(*) FILTER (WHERE v.status = 'held') AS held,
               count(*) FILTER (WHERE v.status = 'planned') AS planned,
               max(v.held_on) AS last_held_on
        FROM "{schema}".evaluation_guidance_institutions i
        LEFT JOIN "{schema}".evaluation_research_visits v
          ON v.county = i.county AND v.year = i.year AND v.institution = i.institution
        WHERE i.year = $1 AND ($2::text IS NULL OR i.county = $2)
        GROUP BY i.county, i.institution, i.name, i.visits_min, i.visits_max
        ORDER BY i.county, i.institution
        """,
        year,
        county,
    )
    return [
        plain(r) | {"year": year, "status": _status(r["held"], r["visits_min"], r["visits_max"])}
        for r in rows
    ]


def _status(held: int, low: int, high: int) -> str:
    if held == 0:
        return "none"
    if held < low:
        return "below_target"
    return "above_target" if held > high else "on_target"


class VisitsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Year
    county: CountyCode | None = None


async def visits_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = VisitsQuery.model_validate(params)
    return await visits_per_institution(pool, schema, q.year, q.county)


async def without_visits_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = VisitsQuery.model_validate(params)
    rows = await visits_per_institution(pool, schema, q.year, q.county)
    return [
        {k: r[k] for k in ("county", "year", "institution", "name", "planned")}
        for r in rows
        if r["held"] == 0
    ]


ROUTES = {
    "/api/evaluation/research-visits": visits_route,
    "/api/evaluation/institutions-without-visits": without_visits_route,
}
