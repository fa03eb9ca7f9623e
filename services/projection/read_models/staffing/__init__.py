"""Read models of the staffing service and the HTTP routes that serve them.

One projection (one durable consumer of the STAFFING stream) keeps every staffing table,
because all of them measure against the same adopted targets. Each batch is folded in order
by the module that knows the event, then each table is written with one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import EventEnvelope
from contracts.types import CountyCode
from services.projection.http import Route
from services.projection.read_models.plan.judged_on import judged_on_or_default
from services.projection.read_models.staffing import coverage as staffing_coverage
from services.projection.read_models.staffing import supply as staffing_supply
from services.projection.read_models.staffing import targets as staffing_targets
from services.projection.read_models.staffing import training as staffing_training
from shared.migrations import Migration
from shared.projections import Projection

MIGRATIONS = (
    Migration(
        1,
        "staffing targets, posts, assignments, training, supply",
        staffing_targets.TABLES
        + staffing_coverage.TABLES
        + staffing_training.TABLES
        + staffing_supply.TABLES,
    ),
    staffing_targets.REVISIONS,
)


class _Rows(Protocol):
    handles: frozenset[str]

    def add(self, event: EventEnvelope) -> None: ...

    async def write(self, conn: asyncpg.Connection, schema: str) -> None: ...


class StaffingProjection:
    name = "staffing"
    sources: tuple[str, ...] = ("staffing",)
    migrations: tuple[Migration, ...] = MIGRATIONS

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        tables: list[_Rows] = [
            staffing_targets.TargetRows(),
            staffing_coverage.PostRows(),
            staffing_coverage.AssignmentRows(),
            staffing_training.TrainingRows(),
            staffing_supply.SupplyRows(),
        ]
        for event in events:
            for rows in tables:
                if event.event_type in rows.handles:
                    rows.add(event)
        for rows in tables:
            await rows.write(conn, schema)


class _CountyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: CountyCode | None = None
    judged_on: date | None = Field(
        None,
        description="Day whose targets in force measure the figures; unset: the default "
        "judged-on day (today, or the county's last day of facts).",
    )


def _by_county(report: Any) -> Route:
    async def route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
        q = _CountyQuery.model_validate(params)
        day = await judged_on_or_default(pool, schema, q.county, q.judged_on)
        return await report(pool, schema, q.county, day)

    return route


PROJECTIONS: tuple[Projection, ...] = (StaffingProjection(),)
ROUTES: dict[str, Route] = {
    "/api/staffing/coverage": staffing_coverage.coverage_route,
    "/api/staffing/dispatch-plan": _by_county(staffing_coverage.dispatch_plan),
    "/api/staffing/training": _by_county(staffing_training.training_calendar),
    "/api/staffing/supply": _by_county(staffing_supply.supply),
}
