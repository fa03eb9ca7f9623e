"""The adopted staffing targets per county, which every staffing report measures against."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from contracts.envelope import EventEnvelope
from contracts.staffing.terms import school_year
from contracts.staffing.types import CountyTargets

TABLES = """
CREATE TABLE "{schema}".staffing_targets (
    county text PRIMARY KEY, targets jsonb NOT NULL, adopted_at timestamptz NOT NULL);
"""


class TargetRows:
    handles = frozenset({"StaffingTargetsAdopted"})

    def __init__(self) -> None:
        self.adopted: dict[str, tuple[object, datetime]] = {}

    def add(self, event: EventEnvelope) -> None:
        self.adopted[event.county] = (event.payload["targets"], event.recorded_at)

    async def write(self, conn: asyncpg.Connection, schema: str) -> None:
        if not self.adopted:
            return
        await conn.execute(
            f"""
            INSERT INTO "{schema}".staffing_targets (county, targets, adopted_at)
            SELECT * FROM unnest($1::text[], $2::jsonb[], $3::timestamptz[])
            ON CONFLICT (county) DO UPDATE
                SET targets = EXCLUDED.targets, adopted_at = EXCLUDED.adopted_at
            """,
            list(self.adopted),
            [t for t, _ in self.adopted.values()],
            [at for _, at in self.adopted.values()],
        )


async def adopted_targets(
    conn: asyncpg.Connection | asyncpg.Pool, schema: str, county: str | None
) -> dict[str, CountyTargets]:
    rows = await conn.fetch(
        f'SELECT county, targets FROM "{schema}".staffing_targets'
        " WHERE $1::text IS NULL OR county = $1 ORDER BY county",
        county,
    )
    return {r["county"]: CountyTargets.model_validate(r["targets"]) for r in rows}


def plan_years(targets: CountyTargets) -> range:
    return range(school_year(targets.plan_start_term), school_year(targets.plan_end_term) + 1)
