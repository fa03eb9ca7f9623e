"""Read model of student aid: who is registered, what was granted per term, who is missing.

Personal data (registry number, name) sits in its own table so it can be shredded alone; it
is shown only in the missing-aid list, where a person must act on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import EventEnvelope
from contracts.types import CountyCode, Stage, Term
from shared.migrations import Migration

MIGRATIONS = (
    Migration(
        1,
        "aid students, personal data, grants",
        """
        CREATE TABLE "{schema}".aid_students (
            student_id uuid PRIMARY KEY, county text NOT NULL, school text NOT NULL,
            stage text NOT NULL, grade int NOT NULL, boarding boolean NOT NULL,
            registered_at timestamptz NOT NULL);
        CREATE INDEX aid_students_county_idx ON "{schema}".aid_students (county, stage);
        CREATE TABLE "{schema}".aid_student_personal (
            student_id uuid PRIMARY KEY, registry_id text NOT NULL, name text NOT NULL);
        CREATE TABLE "{schema}".aid_grants (
            student_id uuid NOT NULL, term text NOT NULL, programme text NOT NULL,
            county text NOT NULL, stage text NOT NULL, amount numeric(14, 2) NOT NULL,
            event_id uuid NOT NULL, granted_at timestamptz NOT NULL,
            PRIMARY KEY (student_id, term, programme));
        CREATE INDEX aid_grants_term_idx ON "{schema}".aid_grants (term, county);
        """,
    ),
)


class AidCoverageProjection:
    name = "aid_coverage"
    sources: tuple[str, ...] = ("assistance",)
    migrations: tuple[Migration, ...] = MIGRATIONS

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        """Fold the batch into rows per table, then write each table with one statement."""
        rows = _Rows()
        for event in events:
            if event.event_type == "StudentRegistered":
                rows.student_registered(event)
            elif event.event_type == "AidGranted":
                rows.aid_granted(event)
        await rows.write(conn, schema)


@dataclass
class _Rows:
    students: list[tuple[Any, ...]] = field(default_factory=list)
    personal: list[tuple[Any, ...]] = field(default_factory=list)
    grants: list[tuple[Any, ...]] = field(default_factory=list)

    def student_registered(self, e: EventEnvelope) -> None:
        p = e.payload
        self.students.append(
            (
                p["student_id"],
                p["county"],
                p["school"],
                p["stage"],
                p["grade"],
                p["boarding"],
                e.recorded_at,
            )
        )
        self.personal.append(
            (p["student_id"], p["personal"]["student_registry_id"], p["personal"]["name"])
        )

    def aid_granted(self, e: EventEnvelope) -> None:
        p = e.payload
        self.grants.append(
            (
                p["student_id"],
                p["term"],
                p["programme"],
                e.county,
                p["stage"],
                Decimal(p["amount"]),
                e.event_id,
                e.recorded_at,
            )
        )

    async def write(self, conn: asyncpg.Connection, schema: str) -> None:
        if self.students:
            await conn.execute(
                f"""
                INSERT INTO "{schema}".aid_students
                    (student_id, county, school, stage, grade, boarding, registered_at)
                SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[],
                                     $6::boolean[], $7::timestamptz[])
                ON CONFLICT (student_id) DO NOTHING
                """,
                *zip(*self.students, strict=True),
            )
            await conn.execute(
                f"""
                INSERT INTO "{schema}".aid_student_personal (student_id, registry_id, name)
                SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])
                ON CONFLICT (student_id) DO NOTHING
                """,
                *zip(*self.personal, strict=True),
            )
        if self.grants:
            await conn.execute(
                f"""
                INSERT INTO "{schema}".aid_grants
                    (student_id, term, programme, county, stage, amount, event_id, granted_at)
                SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                                     $6::numeric[], $7::uuid[], $8::timestamptz[])
                ON CONFLICT (student_id, term, programme) DO NOTHING
                """,
                *zip(*self.grants, strict=True),
            )


async def coverage(
    conn: asyncpg.Connection | asyncpg.Pool, schema: str, term: str, county: str | None
) -> list[dict[str, Any]]:
    """Per stage: registered, aided this term, missing, amount granted (province if no county)."""
    rows = await conn.fetch(
        f"""
        SELECT s.stage, count(*) AS registered, count(g.student_id) AS aided,
               coalesce(sum(g.amount), 0) AS amount_granted
        FROM "{schema}".aid_students s
        LEFT JOIN (SELECT student_id, sum(amount) AS amount FROM "{schema}".aid_grants
                   WHERE term = $1 GROUP BY student_id) g USING (student_id)
        WHERE $2::text IS NULL OR s.county = $2
        GROUP BY s.stage
        """,
        term,
        county,
    )
    by_stage = {r["stage"]: r for r in rows}
    report = []
    for stage in Stage:
        r = by_stage.get(stage.value)
        registered, aided = (r["registered"], r["aided"]) if r else (0, 0)
        report.append(
            {
                "stage": stage.value,
                "registered": registered,
                "aided": aided,
                "missing": registered - aided,
                "amount_granted": str(r["amount_granted"] if r else Decimal("0.00")),
            }
        )
    return report


async def missing_aid(
    conn: asyncpg.Connection | asyncpg.Pool,
    schema: str,
    term: str,
    county: str | None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Registered students with no aid granted for the term, oldest registrations first."""
    rows = await conn.fetch(
        f"""
        SELECT s.student_id, p.registry_id, p.name, s.county, s.school, s.stage, s.grade
        FROM "{schema}".aid_students s
        LEFT JOIN "{schema}".aid_student_personal p USING (student_id)
        WHERE ($2::text IS NULL OR s.county = $2)
          AND NOT EXISTS (SELECT 1 FROM "{schema}".aid_grants g
                          WHERE g.student_id = s.student_id AND g.term = $1)
        ORDER BY s.registered_at, s.student_id
        LIMIT $3
        """,
        term,
        county,
        limit,
    )
    return [
        {**dict(r), "student_id": str(r["student_id"]), "reason": f"no aid granted for {term}"}
        for r in rows
    ]


class CoverageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term: Term
    county: CountyCode | None = None


class MissingQuery(CoverageQuery):
    limit: int = Field(1000, ge=1, le=100_000)


async def coverage_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = CoverageQuery.model_validate(params)
    return await coverage(pool, schema, q.term, q.county)


async def missing_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = MissingQuery.model_validate(params)
    return await missing_aid(pool, schema, q.term, q.county, q.limit)


PROJECTIONS = (AidCoverageProjection(),)
ROUTES = {
    "/api/aid-coverage": coverage_route,
    "/api/students-missing-aid": missing_route,
}
