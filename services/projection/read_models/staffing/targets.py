"""Every revision of each county's staffing targets, with the day it applies from.

A report judged on a day measures against the targets in force that day
(`shared.revisions.in_force_or_first`: the latest revision effective by then; before the
first, the first), so a revision from a date never rewrites what earlier reports said. A
period's figures (a term, a school year) are judged on the reporting day, or on the period's
last day once it has ended (`judged_day`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import asyncpg

from contracts.envelope import EventEnvelope
from contracts.staffing.events import StaffingTargetsAdopted
from contracts.staffing.terms import school_year
from contracts.staffing.types import CountyTargets
from shared.migrations import Migration
from shared.revisions import Revision, in_force_or_first

TABLES = """
CREATE TABLE "{schema}".staffing_targets (
    county text PRIMARY KEY, targets jsonb NOT NULL, adopted_at timestamptz NOT NULL);
"""

REVISIONS = Migration(
    2,
    "every revision of the staffing targets, each from its day",
    """
    ALTER TABLE "{schema}".staffing_targets
        ADD COLUMN revision int NOT NULL DEFAULT 0,
        ADD COLUMN effective_from date NOT NULL DEFAULT '0001-01-01',
        DROP CONSTRAINT staffing_targets_pkey,
        ADD PRIMARY KEY (county, revision);
    ALTER TABLE "{schema}".staffing_targets
        ALTER COLUMN revision DROP DEFAULT, ALTER COLUMN effective_from DROP DEFAULT;
    """,
)
"""The targets kept before this migration stay as revision 0, in force from the first day;
a rebuild of the read model brings back every revision with its own day."""

History = dict[str, list[Revision[CountyTargets]]]
"""County -> every revision of its targets."""


def year_end(year: int) -> date:
    """Last day of a school year (its spring term runs to the end of August)."""
    return date(year + 1, 8, 31)


def judged_day(on: date, period_end: date) -> date:
    """The day a period's figures are judged on: the reporting day, or the period's last day
    when it ended before."""
    return min(on, period_end)


class TargetRows:
    handles = frozenset({"StaffingTargetsAdopted"})

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []

    def add(self, event: EventEnvelope) -> None:
        p = event.payload
        day = StaffingTargetsAdopted.model_validate(p).applies_from()
        self.rows.append((event.county, event.version, day, p["targets"], event.recorded_at))

    async def write(self, conn: asyncpg.Connection, schema: str) -> None:
        """One row per revision (its stream version); a redelivered one changes nothing."""
        if not self.rows:
            return
        await conn.execute(
            f"""
            INSERT INTO "{schema}".staffing_targets
                (county, revision, effective_from, targets, adopted_at)
            SELECT * FROM unnest($1::text[], $2::int[], $3::date[], $4::jsonb[],
                                 $5::timestamptz[])
            ON CONFLICT DO NOTHING
            """,
            *zip(*self.rows, strict=True),
        )


async def target_history(
    conn: asyncpg.Connection | asyncpg.Pool, schema: str, county: str | None
) -> History:
    rows = await conn.fetch(
        f"""SELECT county, revision, effective_from, targets FROM "{schema}".staffing_targets
            WHERE $1::text IS NULL OR county = $1 ORDER BY county, effective_from, revision""",
        county,
    )
    history: History = defaultdict(list)
    for r in rows:
        targets = CountyTargets.model_validate(r["targets"])
        history[r["county"]].append(Revision(r["effective_from"], r["revision"], targets))
    return dict(history)


def on_day(history: History, day: date) -> dict[str, CountyTargets]:
    """County -> its targets in force on `day`."""
    found = {county: in_force_or_first(revisions, day) for county, revisions in history.items()}
    return {county: r.value for county, r in found.items() if r is not None}


async def adopted_targets(
    conn: asyncpg.Connection | asyncpg.Pool, schema: str, county: str | None, day: date
) -> dict[str, CountyTargets]:
    """County -> its targets in force on `day` (every county with targets, or only `county`)."""
    return on_day(await target_history(conn, schema, county), day)


def for_year(history: History, county: str, year: int, on: date) -> CountyTargets:
    """The targets the county's school year is judged by on `on` (the county has some)."""
    found = in_force_or_first(history[county], judged_day(on, year_end(year)))
    assert found is not None, f"county {county} has no targets"
    return found.value


def plan_years(targets: CountyTargets) -> range:
    return range(school_year(targets.plan_start_term), school_year(targets.plan_end_term) + 1)
