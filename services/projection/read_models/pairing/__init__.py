"""Read models of the pairing service and the HTTP routes that serve them.

`GET /api/pairing/pairs?county=&on=`: every pair (county omitted: the province), secondments
counted on day `on` (default today). `GET /api/pairing/county?county=&on=`: one county's pairs
active against its target, or the province's totals. `GET /api/pairing/shadowing?county=
&outside_target_only=`: shadowing periods, flagged when outside the target months.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from contracts.types import CountyCode
from services.projection.http import Route
from services.projection.read_models.pairing import reports as pairing_reports
from services.projection.read_models.pairing.model import PairingProjection
from services.projection.read_models.plan.judged_on import judged_on_or_default
from shared.projections import Projection


class PairsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: CountyCode | None = None
    on: date | None = Field(
        None,
        description="Day judged on; unset: the default judged-on day (today, or the "
        "county's last day of facts).",
    )


class ShadowingQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: CountyCode | None = None
    outside_target_only: bool = False


async def pairs_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = PairsQuery.model_validate(params)
    day = await judged_on_or_default(pool, schema, q.county, q.on)
    return await pairing_reports.pairs(pool, schema, q.county, day)


async def county_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = PairsQuery.model_validate(params)
    day = await judged_on_or_default(pool, schema, q.county, q.on)
    return await pairing_reports.county_summary(pool, schema, q.county, day)


async def shadowing_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = ShadowingQuery.model_validate(params)
    return await pairing_reports.shadowing(pool, schema, q.county, q.outside_target_only)


PROJECTIONS: tuple[Projection, ...] = (PairingProjection(),)
ROUTES: dict[str, Route] = {
    "/api/pairing/pairs": pairs_route,
    "/api/pairing/county": county_route,
    "/api/pairing/shadowing": shadowing_route,
}
