"""Read model of high-school development: each project at its latest milestone, and the
quality-improvement activities of a year."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
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
        "high-school projects and quality activities",
        """
        CREATE TABLE "{schema}".evaluation_hs_projects (
            project_id uuid PRIMARY KEY, county text NOT NULL, school text NOT NULL,
            name text, funding_source text, amount numeric, funded_amount numeric,
            proposed_on date, milestone text NOT NULL, milestone_on date NOT NULL);
        CREATE TABLE "{schema}".evaluation_hs_activities (
            activity_id uuid PRIMARY KEY, county text NOT NULL, year int NOT NULL,
            school text NOT NULL, held_on date NOT NULL, kind text NOT NULL,
            participants int NOT NULL, expert_count int NOT NULL);
        CREATE INDEX evaluation_hs_activities_year_idx
            ON "{schema}".evaluation_hs_activities (year, county);
        """,
    ),
)

PROJECTS = Table(
    "evaluation_hs_projects",
    ("project_id",),
    {
        "project_id": "uuid",
        "county": "text",
        "school": "text",
        "name": "text",
        "funding_source": "text",
        "amount": "numeric",
        "funded_amount": "numeric",
        "proposed_on": "date",
        "milestone": "text",
        "milestone_on": "date",
    },
)
ACTIVITIES = Table(
    "evaluation_hs_activities",
    ("activity_id",),
    {
        "activity_id": "uuid",
        "county": "text",
        "year": "int",
        "school": "text",
        "held_on": "date",
        "kind": "text",
        "participants": "int",
        "expert_count": "int",
    },
)


class HighSchoolProjection:
    name = "evaluation_high_school"
    sources: tuple[str, ...] = ("evaluation",)
    migrations: tuple[Migration, ...] = MIGRATIONS

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        """A project's row follows its milestones; each activity is one row."""
        projects, activities = Folded(), Folded()
        for e in events:
            p = e.payload
            if e.event_type == "HighSchoolProjectProposed":
                projects.merge(
                    p["project_id"],
                    **{k: p[k] for k in ("project_id", "county", "school", "name")},
                    funding_source=p["funding_source"],
                    amount=Decimal(p["amount"]),
                    proposed_on=day(p["proposed_on"]),
                    milestone="proposed",
                    milestone_on=day(p["proposed_on"]),
                )
            elif e.event_type == "HighSchoolProjectAdvanced":
                funded = p["funded_amount"]
                projects.merge(
                    p["project_id"],
                    **{k: p[k] for k in ("project_id", "county", "school", "milestone")},
                    milestone_on=day(p["reached_on"]),
                    **({"funded_amount": Decimal(funded)} if funded is not None else {}),
                )
            elif e.event_type == "QualityImprovementActivityRecorded":
                activities.put(
                    p["activity_id"],
                    **{k: p[k] for k in ("activity_id", "county", "year", "school", "kind")},
                    held_on=day(p["held_on"]),
                    participants=p["participants"],
                    expert_count=p["expert_count"],
                )
        await PROJECTS.upsert(conn, schema, projects.rows)
        await ACTIVITIES.upsert(conn, schema, activities.rows)


async def projects_report(
    db: asyncpg.Pool | asyncpg.Connection, schema: str, county: str | None
) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"""
        SELECT project_id, county, school, name, funding_source, amount, funded_amount,
               proposed_on, milestone, milestone_on
        FROM "{schema}".evaluation_hs_projects
        WHERE $1::text IS NULL OR county = $1
        ORDER BY county, proposed_on, project_id
        """,
        county,
    )
    return [plain(r) for r in rows]


async def activities_report(
    db: asyncpg.Pool | asyncpg.Connection, schema: str, year: int, county: str | None
) -> list[dict[str, Any]]:
    """Activities of the year by kind: how many, with how many participants and experts."""
    rows = await db.fetch(
        f"""
        SELECT county, kind, count(*) AS activities, sum(participants) AS participants,
               sum(expert_count) AS expert_visits
        FROM "{schema}".evaluation_hs_activities
        WHERE year = $1 AND ($2::text IS NULL OR county = $2)
        GROUP BY county, kind ORDER BY county, kind
        """,
        year,
        county,
    )
    return [plain(r) | {"year": year} for r in rows]


class ProjectsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: CountyCode | None = None


class ActivitiesQuery(ProjectsQuery):
    year: Year


async def projects_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = ProjectsQuery.model_validate(params)
    return await projects_report(pool, schema, q.county)


async def activities_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = ActivitiesQuery.model_validate(params)
    return await activities_report(pool, schema, q.year, q.county)


ROUTES = {
    "/api/evaluation/high-school-projects": projects_route,
    "/api/evaluation/quality-activities": activities_route,
}
