"""Read model of teacher training: caravan visits per season, training orders, shadowing.

Per county and school year (the autumn term and the spring term after it): the caravan
visits held in each season against the seasons the targets make due, the model lessons
given, the demand-driven orders placed, fulfilled and outstanding, and shadow trainings begun.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import asyncpg

from contracts.envelope import EventEnvelope
from contracts.staffing.terms import school_year
from contracts.staffing.types import Season
from services.projection.read_models.plan.rules import season_status
from services.projection.read_models.staffing.targets import (
    for_year,
    on_day,
    plan_years,
    target_history,
)

TABLES = """
CREATE TABLE "{schema}".staffing_caravan_visits (
    county text NOT NULL, visited_on date NOT NULL, visiting_school text NOT NULL,
    term text NOT NULL, school_year int NOT NULL, season text NOT NULL, lessons int NOT NULL,
    PRIMARY KEY (county, visited_on, visiting_school));
CREATE TABLE "{schema}".staffing_training_orders (
    order_id uuid PRIMARY KEY, county text NOT NULL, school_year int NOT NULL,
    placed_on date NOT NULL, audience text NOT NULL, seats int NOT NULL,
    held_on date, attendance int);
CREATE TABLE "{schema}".staffing_shadow_trainings (
    trainee_id uuid NOT NULL, starts_on date NOT NULL, county text NOT NULL,
    school_year int NOT NULL, ends_on date NOT NULL, PRIMARY KEY (trainee_id, starts_on));
"""


class TrainingRows:
    handles = frozenset(
        {
            "CaravanVisitRecorded",
            "TrainingOrderPlaced",
            "TrainingOrderFulfilled",
            "ShadowTrainingRecorded",
        }
    )

    def __init__(self) -> None:
        self.visits: list[tuple[Any, ...]] = []
        self.orders: list[tuple[Any, ...]] = []
        self.fulfilled: dict[str, tuple[date, int]] = {}
        self.shadowing: list[tuple[Any, ...]] = []

    def add(self, event: EventEnvelope) -> None:
        p = event.payload
        if event.event_type == "CaravanVisitRecorded":
            self.visits.append(
                (
                    event.county,
                    date.fromisoformat(p["visited_on"]),
                    p["visiting_school"],
                    p["term"],
                    school_year(p["term"]),
                    p["term"].split("-")[1],
                    sum(lesson["lessons"] for lesson in p["lessons"]),
                )
            )
        elif event.event_type == "TrainingOrderPlaced":
            self.orders.append(
                (
                    p["order_id"],
                    event.county,
                    p["school_year"],
                    date.fromisoformat(p["placed_on"]),
                    p["audience"],
                    p["seats"],
                )
            )
        elif event.event_type == "TrainingOrderFulfilled":
            self.fulfilled[p["order_id"]] = (date.fromisoformat(p["held_on"]), p["attendance"])
        else:
            self.shadowing.append(
                (
                    p["trainee_id"],
                    date.fromisoformat(p["starts_on"]),
                    event.county,
                    p["school_year"],
                    date.fromisoformat(p["ends_on"]),
                )
            )

    async def write(self, conn: asyncpg.Connection, schema: str) -> None:
        """Visits, orders and shadowing never change once recorded; a fulfilment patches its
        order, which an earlier statement of the same batch may just have inserted."""
        if self.visits:
            await conn.execute(
                f"""
                INSERT INTO "{schema}".staffing_caravan_visits (county, visited_on,
                    visiting_school, term, school_year, season, lessons)
                SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::int[],
                                     $6::text[], $7::int[])
                ON CONFLICT DO NOTHING
                """,
                *zip(*self.visits, strict=True),
            )
        if self.orders:
            await conn.execute(
                f"""
                INSERT INTO "{schema}".staffing_training_orders (order_id, county, school_year,
                    placed_on, audience, seats)
                SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::date[], $5::text[],
                                     $6::int[])
                ON CONFLICT DO NOTHING
                """,
                *zip(*self.orders, strict=True),
            )
        if self.fulfilled:
            await conn.execute(
                f"""
                UPDATE "{schema}".staffing_training_orders o
                SET held_on = f.held_on, attendance = f.attendance
                FROM unnest($1::uuid[], $2::date[], $3::int[]) AS f (order_id, held_on, attendance)
                WHERE o.order_id = f.order_id
                """,
                list(self.fulfilled),
                [held for held, _ in self.fulfilled.values()],
                [attended for _, attended in self.fulfilled.values()],
            )
        if self.shadowing:
            await conn.execute(
                f"""
                INSERT INTO "{schema}".staffing_shadow_trainings (trainee_id, starts_on, county,
                    school_year, ends_on)
                SELECT * FROM unnest($1::uuid[], $2::date[], $3::text[], $4::int[], $5::date[])
                ON CONFLICT DO NOTHING
                """,
                *zip(*self.shadowing, strict=True),
            )


async def training_calendar(
    conn: asyncpg.Connection | asyncpg.Pool,
    schema: str,
    county: str | None,
    day: date | None = None,
) -> list[dict[str, Any]]:
    """Per school year of the plan: each season's caravan visits `held`, `missing` (a due
    season ended on `day` with none), `pending` (not ended yet) or `not_due`, lessons given,
    orders placed/fulfilled/outstanding, shadow trainings begun. `day` defaults to today.

    Without a county: the province, summed over the counties with adopted targets; a season
    is missing there when any county missed it (`counties_missing` says how many). Each year
    is measured by the targets in force on `day`, or on the year's last day once it ended.
    """
    day = day or date.today()
    history = await target_history(conn, schema, county)
    targets = on_day(history, day)
    counties = list(targets)
    visits = await conn.fetch(
        f"""SELECT county, school_year, season, count(*) AS visits, sum(lessons) AS lessons
            FROM "{schema}".staffing_caravan_visits WHERE county = ANY($1)
            GROUP BY county, school_year, season""",
        counties,
    )
    orders = await conn.fetch(
        f"""SELECT county, school_year, count(*) AS placed, count(held_on) AS fulfilled
            FROM "{schema}".staffing_training_orders WHERE county = ANY($1)
            GROUP BY county, school_year""",
        counties,
    )
    shadowing = await conn.fetch(
        f"""SELECT county, school_year, count(*) AS trainings
            FROM "{schema}".staffing_shadow_trainings WHERE county = ANY($1)
            GROUP BY county, school_year""",
        counties,
    )
    held = {(r["county"], r["school_year"], r["season"]): r for r in visits}
    placed = {(r["county"], r["school_year"]): r for r in orders}
    begun = {(r["county"], r["school_year"]): r["trainings"] for r in shadowing}
    data_years = {r["school_year"] for r in (*visits, *orders, *shadowing)}
    rows: dict[int, dict[str, Any]] = {}
    for name, now in targets.items():
        for year in sorted(set(plan_years(now)) | data_years):
            t = for_year(history, name, year, day)
            row = rows.setdefault(year, _empty(county, year))
            for season in Season:
                visited = held.get((name, year, season.value))
                count = visited["visits"] if visited else 0
                row[f"{season.value}_visits"] += count
                row["model_lessons"] += visited["lessons"] if visited else 0
                due = season in t.caravan_seasons
                status = season_status(due, count, year, season.value, day)
                row["counties_missing"][season.value] += int(status == "missing")
                row["counties_pending"][season.value] += int(status == "pending")
                row["due"][season.value] |= due
            order = placed.get((name, year))
            row["orders_placed"] += order["placed"] if order else 0
            row["orders_fulfilled"] += order["fulfilled"] if order else 0
            row["shadow_trainings"] += begun.get((name, year), 0)
    return [_finished(rows[year]) for year in sorted(rows)]


def _empty(county: str | None, year: int) -> dict[str, Any]:
    return {
        "county": county,
        "year": year,
        "autumn_visits": 0,
        "spring_visits": 0,
        "model_lessons": 0,
        "orders_placed": 0,
        "orders_fulfilled": 0,
        "shadow_trainings": 0,
        "counties_missing": defaultdict(int),
        "counties_pending": defaultdict(int),
        "due": defaultdict(bool),
    }


def _finished(row: dict[str, Any]) -> dict[str, Any]:
    due, missing = row.pop("due"), row.pop("counties_missing")
    pending = row.pop("counties_pending")
    for season in Season:
        s = season.value
        row[s] = (
            "not_due"
            if not due[s]
            else "missing"
            if missing[s]
            else "pending"
            if pending[s]
            else "held"
        )
    return {
        **row,
        "orders_outstanding": row["orders_placed"] - row["orders_fulfilled"],
        "counties_missing": {s.value: missing[s.value] for s in Season},
    }
