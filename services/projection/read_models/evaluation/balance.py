"""Read model of balanced development: the census (who submitted, who is missing) and each
county's latest assessment per year and stage, with every indicator's coefficient, its
pass/fail and its trend across the years assessed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict

from contracts.envelope import EventEnvelope
from contracts.evaluation.types import CompulsoryStage, Year
from contracts.types import CountyCode
from services.projection.read_models.evaluation.rows import Folded, Table, plain, text
from shared.migrations import Migration

MIGRATIONS = (
    Migration(
        1,
        "census schools, balance assessments and coefficients",
        """
        CREATE TABLE "{schema}".evaluation_census_schools (
            county text NOT NULL, year int NOT NULL, stage text NOT NULL, school text NOT NULL,
            name text, registered boolean, revision int, submitted_at timestamptz,
            PRIMARY KEY (county, year, stage, school));
        CREATE TABLE "{schema}".evaluation_balance_assessments (
            county text NOT NULL, year int NOT NULL, stage text NOT NULL,
            assessment int NOT NULL, thresholds_id text NOT NULL, composite numeric NOT NULL,
            composite_max numeric NOT NULL, basic_balance_met boolean NOT NULL,
            quality_balance_met boolean, schools int NOT NULL, schools_meeting_standards int,
            assessed_at timestamptz NOT NULL, event_id uuid NOT NULL,
            PRIMARY KEY (county, year, stage));
        CREATE TABLE "{schema}".evaluation_balance_coefficients (
            county text NOT NULL, year int NOT NULL, stage text NOT NULL,
            indicator text NOT NULL, ordinal int NOT NULL, per int NOT NULL,
            county_value numeric NOT NULL, coefficient numeric NOT NULL,
            in_composite boolean NOT NULL, quality_max numeric, within_quality_max boolean,
            assessment int NOT NULL,
            PRIMARY KEY (county, year, stage, indicator));
        """,
    ),
)

SCHOOLS = Table(
    "evaluation_census_schools",
    ("county", "year", "stage", "school"),
    {
        "county": "text",
        "year": "int",
        "stage": "text",
        "school": "text",
        "name": "text",
        "registered": "boolean",
        "revision": "int",
        "submitted_at": "timestamptz",
    },
)
ASSESSMENTS = Table(
    "evaluation_balance_assessments",
    ("county", "year", "stage"),
    {
        "county": "text",
        "year": "int",
        "stage": "text",
        "assessment": "int",
        "thresholds_id": "text",
        "composite": "numeric",
        "composite_max": "numeric",
        "basic_balance_met": "boolean",
        "quality_balance_met": "boolean",
        "schools": "int",
        "schools_meeting_standards": "int",
        "assessed_at": "timestamptz",
        "event_id": "uuid",
    },
    replace=True,
    newer="assessment",
)
COEFFICIENTS = Table(
    "evaluation_balance_coefficients",
    ("county", "year", "stage", "indicator"),
    {
        "county": "text",
        "year": "int",
        "stage": "text",
        "indicator": "text",
        "ordinal": "int",
        "per": "int",
        "county_value": "numeric",
        "coefficient": "numeric",
        "in_composite": "boolean",
        "quality_max": "numeric",
        "within_quality_max": "boolean",
        "assessment": "int",
    },
    replace=True,
    newer="assessment",
)


class BalanceProjection:
    name = "evaluation_balance"
    sources: tuple[str, ...] = ("evaluation",)
    migrations: tuple[Migration, ...] = MIGRATIONS

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        """Census rows merge per school; an assessment replaces the stage-year's previous one."""
        schools, assessments, coefficients = Folded(), Folded(), Folded()
        for e in events:
            p = e.payload
            if e.event_type == "BalancedDevelopmentAssessed":
                _assessed(e, assessments, coefficients)
                continue
            key = (p.get("county"), p.get("year"), p.get("stage"), p.get("school"))
            if e.event_type == "CensusSchoolRegistered":
                schools.merge(key, **_school(p), name=p["name"], registered=True)
            elif e.event_type == "CensusSchoolDeregistered":
                schools.merge(key, **_school(p), registered=False)
            elif e.event_type in ("SchoolStatisticsSubmitted", "SchoolStatisticsCorrected"):
                schools.merge(key, **_school(p), revision=p["revision"], submitted_at=e.recorded_at)
        await SCHOOLS.upsert(conn, schema, schools.rows)
        await ASSESSMENTS.upsert(conn, schema, assessments.rows)
        await COEFFICIENTS.upsert(conn, schema, coefficients.rows)


def _school(p: dict[str, Any]) -> dict[str, Any]:
    return {k: p[k] for k in ("county", "year", "stage", "school")}


def _assessed(e: EventEnvelope, assessments: Folded, coefficients: Folded) -> None:
    p = e.payload
    where = {"county": p["county"], "year": p["year"], "stage": p["stage"]}
    quality = p["quality_balance"]
    assessments.put(
        tuple(where.values()),
        **where,
        assessment=p["assessment"],
        thresholds_id=p["thresholds"]["id"],
        composite=Decimal(p["composite"]),
        composite_max=Decimal(p["thresholds"]["composite_max"]),
        basic_balance_met=p["basic_balance_met"],
        quality_balance_met=quality["met"] if quality else None,
        schools=len(p["schools"]),
        schools_meeting_standards=quality["schools_passed"] if quality else None,
        assessed_at=e.recorded_at,
        event_id=e.event_id,
    )
    for ordinal, i in enumerate(p["indicators"], start=1):
        coefficients.put(
            (*where.values(), i["indicator"]),
            **where,
            indicator=i["indicator"],
            ordinal=ordinal,
            per=i["per"],
            county_value=Decimal(i["county_value"]),
            coefficient=Decimal(i["coefficient"]),
            in_composite=i["in_composite"],
            quality_max=Decimal(i["quality_max"]) if i["quality_max"] is not None else None,
            within_quality_max=i["within_quality_max"],
            assessment=p["assessment"],
        )


async def census(
    db: asyncpg.Pool | asyncpg.Connection,
    schema: str,
    year: int,
    county: str | None,
    stage: str | None,
) -> list[dict[str, Any]]:
    """Every school registered for the census, and whether its statistics are in."""
    rows = await db.fetch(
        f"""
        SELECT county, year, stage, school, name, registered, revision, submitted_at
        FROM "{schema}".evaluation_census_schools
        WHERE year = $1 AND ($2::text IS NULL OR county = $2) AND ($3::text IS NULL OR stage = $3)
        ORDER BY county, stage, school
        """,
        year,
        county,
        stage,
    )
    return [
        plain(r)
        | {
            "status": "deregistered"
            if not r["registered"]
            else ("submitted" if r["revision"] else "missing")
        }
        for r in rows
    ]


async def balance(
    db: asyncpg.Pool | asyncpg.Connection,
    schema: str,
    year: int,
    county: str | None,
    stage: str | None,
) -> list[dict[str, Any]]:
    """Per county and stage assessed in `year`: the verdicts and the coefficient table, each
    indicator with its coefficients of every year assessed up to `year` (the trend)."""
    heads = await db.fetch(
        f"""
        SELECT * FROM "{schema}".evaluation_balance_assessments
        WHERE year = $1 AND ($2::text IS NULL OR county = $2) AND ($3::text IS NULL OR stage = $3)
        ORDER BY county, stage DESC
        """,
        year,
        county,
        stage,
    )
    history = await db.fetch(
        f"""
        SELECT c.county, c.stage, c.year, c.indicator, c.ordinal, c.per, c.county_value,
               c.coefficient, c.in_composite, c.quality_max, c.within_quality_max, a.composite
        FROM "{schema}".evaluation_balance_coefficients c
        JOIN "{schema}".evaluation_balance_assessments a USING (county, year, stage)
        WHERE c.year <= $1 AND ($2::text IS NULL OR c.county = $2)
          AND ($3::text IS NULL OR c.stage = $3)
        ORDER BY c.county, c.stage, c.ordinal, c.year
        """,
        year,
        county,
        stage,
    )
    by_stage: dict[tuple[str, str], list[asyncpg.Record]] = defaultdict(list)
    for r in history:
        by_stage[(r["county"], r["stage"])].append(r)
    return [_stage_report(head, by_stage[(head["county"], head["stage"])]) for head in heads]


def _stage_report(head: asyncpg.Record, history: list[asyncpg.Record]) -> dict[str, Any]:
    year = head["year"]
    indicators: dict[str, dict[str, Any]] = {}
    composites: dict[int, str] = {}
    for r in history:
        composites[r["year"]] = text(r["composite"])
        row = indicators.setdefault(r["indicator"], {"indicator": r["indicator"], "trend": []})
        row["trend"].append({"year": r["year"], "coefficient": text(r["coefficient"])})
        if r["year"] == year:
            row.update(
                per=r["per"],
                county_value=text(r["county_value"]),
                coefficient=text(r["coefficient"]),
                in_composite=r["in_composite"],
                quality_max=None if r["quality_max"] is None else text(r["quality_max"]),
                passed=r["within_quality_max"],
            )
    return {
        "county": head["county"],
        "year": year,
        "stage": head["stage"],
        "assessment": head["assessment"],
        "thresholds_id": head["thresholds_id"],
        "schools": head["schools"],
        "composite": text(head["composite"]),
        "composite_max": text(head["composite_max"]),
        "basic_balance_met": head["basic_balance_met"],
        "quality_balance_met": head["quality_balance_met"],
        "schools_meeting_standards": head["schools_meeting_standards"],
        "composite_trend": [{"year": y, "composite": c} for y, c in sorted(composites.items())],
        "indicators": [row for row in indicators.values() if "per" in row],
    }


class CensusQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Year
    county: CountyCode | None = None
    stage: CompulsoryStage | None = None


async def census_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = CensusQuery.model_validate(params)
    return await census(pool, schema, q.year, q.county, q.stage.value if q.stage else None)


async def balance_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = CensusQuery.model_validate(params)
    return await balance(pool, schema, q.year, q.county, q.stage.value if q.stage else None)


ROUTES = {
    "/api/evaluation/census": census_route,
    "/api/evaluation/balance": balance_route,
}
