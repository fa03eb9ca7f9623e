"""Read models of supervisory evaluation: double-high double-universal figures and verdicts,
evaluations (third-party reports) with their official outcomes, and the titles awarded."""

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
        "double-high double-universal, evaluations and outcomes",
        """
        CREATE TABLE "{schema}".evaluation_universal (
            county text NOT NULL, year int NOT NULL, figures_revision int, rates jsonb,
            source text, assessment int, assessed_revision int, thresholds_id text,
            checks jsonb, met boolean, PRIMARY KEY (county, year));
        CREATE TABLE "{schema}".evaluation_evaluations (
            evaluation_id uuid PRIMARY KEY, county text NOT NULL, year int NOT NULL,
            body text, body_kind text, scope text NOT NULL, evaluated_on date, score numeric,
            findings text, outcome text, title text, decided_on date, decided_by text);
        CREATE INDEX evaluation_evaluations_county_idx
            ON "{schema}".evaluation_evaluations (county, year);
        """,
    ),
)

UNIVERSAL = Table(
    "evaluation_universal",
    ("county", "year"),
    {
        "county": "text",
        "year": "int",
        "figures_revision": "int",
        "rates": "jsonb",
        "source": "text",
        "assessment": "int",
        "assessed_revision": "int",
        "thresholds_id": "text",
        "checks": "jsonb",
        "met": "boolean",
    },
)
EVALUATIONS = Table(
    "evaluation_evaluations",
    ("evaluation_id",),
    {
        "evaluation_id": "uuid",
        "county": "text",
        "year": "int",
        "body": "text",
        "body_kind": "text",
        "scope": "text",
        "evaluated_on": "date",
        "score": "numeric",
        "findings": "text",
        "outcome": "text",
        "title": "text",
        "decided_on": "date",
        "decided_by": "text",
    },
)


class SupervisionProjection:
    name = "evaluation_supervision"
    sources: tuple[str, ...] = ("evaluation",)
    migrations: tuple[Migration, ...] = MIGRATIONS

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        """Figures, assessments, evaluations and outcomes each fold into one row per key."""
        universal, evaluations = Folded(), Folded()
        for e in events:
            p = e.payload
            if e.event_type == "UniversalEducationFiguresRecorded":
                universal.merge(
                    (p["county"], p["year"]),
                    county=p["county"],
                    year=p["year"],
                    figures_revision=p["revision"],
                    rates=p["rates"],
                    source=p["source"],
                )
            elif e.event_type == "DualHighDualUniversalAssessed":
                universal.merge(
                    (p["county"], p["year"]),
                    county=p["county"],
                    year=p["year"],
                    assessment=p["assessment"],
                    assessed_revision=p["figures_revision"],
                    thresholds_id=p["thresholds"]["id"],
                    checks=p["checks"],
                    met=p["met"],
                )
            elif e.event_type == "SupervisoryEvaluationRecorded":
                evaluations.merge(
                    p["evaluation_id"],
                    **{k: p[k] for k in ("evaluation_id", "county", "year", "body", "body_kind")},
                    **{k: p[k] for k in ("scope", "findings")},
                    evaluated_on=day(p["evaluated_on"]),
                    score=Decimal(p["score"]) if p["score"] is not None else None,
                )
            elif e.event_type == "EvaluationOutcomeRecorded":
                evaluations.merge(
                    p["evaluation_id"],
                    **{k: p[k] for k in ("evaluation_id", "county", "year", "scope", "outcome")},
                    **{k: p[k] for k in ("title", "decided_by")},
                    decided_on=day(p["decided_on"]),
                )
        await UNIVERSAL.upsert(conn, schema, universal.rows)
        await EVALUATIONS.upsert(conn, schema, evaluations.rows)


async def universal_report(
    db: asyncpg.Pool | asyncpg.Connection, schema: str, year: int, county: str | None
) -> list[dict[str, Any]]:
    """Latest rates of the year and the latest verdict, saying whether it used those rates."""
    rows = await db.fetch(
        f"""
        SELECT * FROM "{schema}".evaluation_universal
        WHERE year = $1 AND ($2::text IS NULL OR county = $2) ORDER BY county
        """,
        year,
        county,
    )
    return [
        plain(r)
        | {
            "assessment_current": r["assessment"] is not None
            and r["assessed_revision"] == r["figures_revision"]
        }
        for r in rows
    ]


async def evaluations_report(
    db: asyncpg.Pool | asyncpg.Connection, schema: str, county: str | None, year: int | None
) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"""
        SELECT evaluation_id, county, year, body, body_kind, scope, evaluated_on, score,
               findings, outcome, title, decided_on, decided_by
        FROM "{schema}".evaluation_evaluations
        WHERE ($1::text IS NULL OR county = $1) AND ($2::int IS NULL OR year = $2)
        ORDER BY county, evaluated_on, evaluation_id
        """,
        county,
        year,
    )
    return [plain(r) for r in rows]


async def titles_report(
    db: asyncpg.Pool | asyncpg.Connection, schema: str, county: str | None, year: int | None
) -> list[dict[str, Any]]:
    """Titles awarded to counties, in the order they were decided."""
    rows = await db.fetch(
        f"""
        SELECT county, title, year, scope, body, decided_on, decided_by, evaluation_id
        FROM "{schema}".evaluation_evaluations
        WHERE outcome = 'title_awarded' AND ($1::text IS NULL OR county = $1)
          AND ($2::int IS NULL OR year = $2)
        ORDER BY county, decided_on, title
        """,
        county,
        year,
    )
    return [plain(r) for r in rows]


class YearQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Year
    county: CountyCode | None = None


class CountyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: CountyCode | None = None
    year: Year | None = None


async def universal_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = YearQuery.model_validate(params)
    return await universal_report(pool, schema, q.year, q.county)


async def evaluations_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = CountyQuery.model_validate(params)
    return await evaluations_report(pool, schema, q.county, q.year)


async def titles_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = CountyQuery.model_validate(params)
    return await titles_report(pool, schema, q.county, q.year)


ROUTES = {
    "/api/evaluation/dual-high-dual-universal": universal_route,
    "/api/evaluation/evaluations": evaluations_route,
    "/api/evaluation/titles": titles_route,
}
