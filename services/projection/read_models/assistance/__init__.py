"""The student-aid read models and the routes of the reporting API that serve them."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from contracts.assistance.types import RevisionId, SchoolYear
from contracts.types import CountyCode, Stage, Term
from services.projection.http import Route
from services.projection.read_models.assistance import coordination as aid_coordination
from services.projection.read_models.assistance import reports as aid_reports
from services.projection.read_models.assistance.coordination import AidCoordinationProjection
from services.projection.read_models.assistance.coverage import AidCoverageProjection


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TermQuery(_Query):
    term: Term
    county: CountyCode | None = None


class SchoolsQuery(TermQuery):
    stage: Stage | None = None


class MissingQuery(TermQuery):
    limit: int = Field(1000, ge=1, le=100_000)


class AlertQuery(_Query):
    county: CountyCode | None = None
    status: Literal["open", "resolved", "all"] = "open"


class RevisionQuery(_Query):
    revision: RevisionId
    county: CountyCode | None = None


class CountyQuery(_Query):
    county: CountyCode


class YearQuery(_Query):
    county: CountyCode | None = None
    school_year: SchoolYear | None = None


class DispatchQuery(YearQuery):
    today: date = Field(default_factory=date.today, description="Date missing reports are due by.")


class CatalogueQuery(_Query):
    term: Term


async def coverage(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = TermQuery.model_validate(params)
    return await aid_reports.coverage(pool, schema, q.term, q.county)


async def coverage_by_school(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = SchoolsQuery.model_validate(params)
    stage = q.stage.value if q.stage else None
    return await aid_reports.coverage_by_school(pool, schema, q.term, q.county, stage)


async def programmes(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = TermQuery.model_validate(params)
    return await aid_reports.programmes(pool, schema, q.term, q.county)


async def missing(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = MissingQuery.model_validate(params)
    return await aid_reports.missing_aid(pool, schema, q.term, q.county, q.limit)


async def alerts(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = AlertQuery.model_validate(params)
    return await aid_reports.dropout_alerts(pool, schema, q.county, q.status)


async def revision(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = RevisionQuery.model_validate(params)
    return await aid_reports.revision(pool, schema, q.county, q.revision)


async def university_students(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = CountyQuery.model_validate(params)
    return await aid_reports.university_students(pool, schema, q.county)


async def dispatches(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = DispatchQuery.model_validate(params)
    return await aid_coordination.university_dispatches(
        pool, schema, q.county, q.school_year, q.today
    )


async def funds(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = YearQuery.model_validate(params)
    return await aid_coordination.funds_requests(pool, schema, q.county, q.school_year)


async def catalogue(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = CatalogueQuery.model_validate(params)
    return await aid_coordination.catalogue_in_force(pool, schema, q.term)


PROJECTIONS = (AidCoverageProjection(), AidCoordinationProjection())
ROUTES: dict[str, Route] = {
    "/api/aid-coverage": coverage,
    "/api/aid-coverage/schools": coverage_by_school,
    "/api/aid-programmes": programmes,
    "/api/students-missing-aid": missing,
    "/api/dropout-alerts": alerts,
    "/api/roster-revision": revision,
    "/api/university-students": university_students,
    "/api/university-dispatches": dispatches,
    "/api/funding-requests": funds,
    "/api/aid-catalogue": catalogue,
}
