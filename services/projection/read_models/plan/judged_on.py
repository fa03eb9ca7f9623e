"""The reporting date: the one day plan statuses, cards and alerts are judged on.

Two time axes are kept apart everywhere:
- **judged on** (`judged_on`): the business date a report is about. Facts carry their own
  business dates (a visit's `visited_on`, a payment's `paid_on`); a status judged on a day
  compares what happened by then with what was due by then.
- **as known on** (`as_known_on`, formerly `as_of`): the recording time. A report as known on a
  moment answers from the events recorded by then (a snapshot), whatever dates they are about.

Default judged-on day, the same for the CLI, the HTTP API, the dashboard and the alerts (they
all ask the API or call `default_judged_on`): today, when the county has facts in the current
school year (or none at all); otherwise the last business date it has facts for. So a county
whose data stops in an earlier school year (a demo year, a county that stopped reporting) is
judged on its last day of facts, not against years in which nothing was recorded, while a
county that reports is judged on today (and shows what is overdue today).
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeAlias

import asyncpg
from pydantic import BaseModel, ConfigDict

from contracts.staffing.terms import school_year_of, term_of
from contracts.types import CountyCode

Db: TypeAlias = asyncpg.Connection | asyncpg.Pool

FACT_DATES = (
    ("aid_university_dispatches", "dispatched_on"),
    ("aid_funds_requests", "requested_on"),
    ("aid_dropout_alerts", "left_on"),
    ("staffing_caravan_visits", "visited_on"),
    ("staffing_training_orders", "placed_on"),
    ("staffing_new_teachers", "joined_on"),
    ("pairing_pairs", "start_date"),
    ("pairing_secondments", "start_date"),
    ("pairing_activities", "occurred_on"),
    ("pairing_school_system", "achieved_on"),
    ("evaluation_research_visits", "held_on"),
    ("evaluation_hs_projects", "milestone_on"),
    ("evaluation_evaluations", "decided_on"),
)
"""Business dates of facts (table, column), each table with a `county` column."""


async def last_fact_date(db: Db, schema: str, county: str | None, today: date) -> date | None:
    """The latest business date, not after `today`, of the county's (or any county's) facts."""
    latest: date | None = None
    for table, column in FACT_DATES:
        try:
            found = await db.fetchval(
                f"""SELECT max({column}) FROM "{schema}".{table}
                    WHERE ($1::text IS NULL OR county = $1) AND {column} <= $2""",
                county,
                today,
            )
        except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
            continue  # that work stream's read model is not built yet
        if found is not None and (latest is None or found > latest):
            latest = found
    return latest


async def default_judged_on(db: Db, schema: str, county: str | None, today: date) -> date:
    """Today, or the county's last day of facts when those stop before this school year."""
    last = await last_fact_date(db, schema, county, today)
    if last is None or school_year_of(last) == school_year_of(today):
        return today
    return last


async def judged_on_or_default(db: Db, schema: str, county: str | None, given: date | None) -> date:
    """The day a report asked for, else the default judged-on day: one rule for every report."""
    return given or await default_judged_on(db, schema, county, date.today())


class JudgedOnQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: CountyCode | None = None


async def judged_on_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    """The default judged-on day of a county (or the province) and its term, for clients
    (the dashboard) that pick their term and day by the same rule as every report."""
    q = JudgedOnQuery.model_validate(params)
    today = date.today()
    day = await default_judged_on(pool, schema, q.county, today)
    return {
        "county": q.county,
        "judged_on": day.isoformat(),
        "rule": "today" if day == today else "last_fact_date",
        "term": term_of(day),
        "today": today.isoformat(),
    }
