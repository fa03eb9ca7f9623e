"""Read model of teacher supply: special posts against quota, new teachers against targets.

Per county and school year: the special-post quota and the posts filled, the normal graduates
placed under the mountain-area plan against the yearly target (20 in the pilot), and the
tuition-free normal graduates recruited (against a target only where the county sets one).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from contracts.envelope import EventEnvelope
from services.projection.read_models.staffing.targets import (
    for_year,
    on_day,
    plan_years,
    target_history,
)

TABLES = """
CREATE TABLE "{schema}".staffing_special_posts (
    county text NOT NULL, school_year int NOT NULL, quota int, filled int,
    PRIMARY KEY (county, school_year));
CREATE TABLE "{schema}".staffing_new_teachers (
    graduate_id uuid PRIMARY KEY, kind text NOT NULL, county text NOT NULL,
    school_year int NOT NULL, subject text NOT NULL, joined_on date NOT NULL);
"""

_KINDS = {"NormalGraduatePlaced": "normal_graduate", "TuitionFreeGraduateRecruited": "tuition_free"}


class SupplyRows:
    handles = frozenset({"SpecialPostQuotaAllocated", "SpecialPostsFilled", *_KINDS})

    def __init__(self) -> None:
        self.quotas: dict[tuple[str, int], dict[str, int | None]] = {}
        self.new_teachers: list[tuple[Any, ...]] = []

    def add(self, event: EventEnvelope) -> None:
        p = event.payload
        if event.event_type in _KINDS:
            joined = p.get("placed_on") or p["recruited_on"]
            self.new_teachers.append(
                (
                    p["graduate_id"],
                    _KINDS[event.event_type],
                    event.county,
                    p["school_year"],
                    p["subject"],
                    date.fromisoformat(joined),
                )
            )
            return
        row = self.quotas.setdefault(
            (event.county, p["school_year"]), {"quota": None, "filled": None}
        )
        row["quota"] = p["quota"]
        if event.event_type == "SpecialPostsFilled":
            row["filled"] = p["filled"]

    async def write(self, conn: asyncpg.Connection, schema: str) -> None:
        if self.quotas:
            keys = list(self.quotas)
            await conn.execute(
                f"""
                INSERT INTO "{schema}".staffing_special_posts AS q (county, school_year, quota,
                    filled)
                SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::int[])
                ON CONFLICT (county, school_year) DO UPDATE SET
                    quota = EXCLUDED.quota, filled = coalesce(EXCLUDED.filled, q.filled)
                """,
                [county for county, _ in keys],
                [year for _, year in keys],
                [self.quotas[k]["quota"] for k in keys],
                [self.quotas[k]["filled"] for k in keys],
            )
        if self.new_teachers:
            await conn.execute(
                f"""
                INSERT INTO "{schema}".staffing_new_teachers (graduate_id, kind, county,
                    school_year, subject, joined_on)
                SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[],
                                     $6::date[])
                ON CONFLICT DO NOTHING
                """,
                *zip(*self.new_teachers, strict=True),
            )


async def supply(
    conn: asyncpg.Connection | asyncpg.Pool,
    schema: str,
    county: str | None,
    on: date | None = None,
) -> list[dict[str, Any]]:
    """Per school year of the plan: quota and posts filled; graduates against their targets.

    Each year is measured by the targets in force on `on` (default today), or on the year's
    last day once it ended. Without a county: the province, summed over the counties with
    adopted targets.
    """
    on = on or date.today()
    history = await target_history(conn, schema, county)
    targets = on_day(history, on)
    counties = list(targets)
    quotas = await conn.fetch(
        f"""SELECT county, school_year, quota, coalesce(filled, 0) AS filled
            FROM "{schema}".staffing_special_posts WHERE county = ANY($1)""",
        counties,
    )
    joined = await conn.fetch(
        f"""SELECT county, school_year, kind, count(*) AS teachers
            FROM "{schema}".staffing_new_teachers WHERE county = ANY($1)
            GROUP BY county, school_year, kind""",
        counties,
    )
    quota = {(r["county"], r["school_year"]): r for r in quotas}
    teachers = {(r["county"], r["school_year"], r["kind"]): r["teachers"] for r in joined}
    data_years = {r["school_year"] for r in (*quotas, *joined)}
    rows: dict[int, dict[str, Any]] = {}
    for name, now in targets.items():
        for year in sorted(set(plan_years(now)) | data_years):
            t = for_year(history, name, year, on)
            row = rows.setdefault(year, _empty(county, year))
            allocated = quota.get((name, year))
            row["special_post_quota"] += allocated["quota"] if allocated else 0
            row["special_posts_filled"] += allocated["filled"] if allocated else 0
            row["normal_graduates_placed"] += teachers.get((name, year, "normal_graduate"), 0)
            row["normal_graduates_target"] += t.normal_graduates_per_year
            row["tuition_free_recruited"] += teachers.get((name, year, "tuition_free"), 0)
            if t.tuition_free_graduates_per_year is not None:
                row["tuition_free_target"] = (
                    row["tuition_free_target"] or 0
                ) + t.tuition_free_graduates_per_year
    return [_with_status(rows[year]) for year in sorted(rows)]


def _empty(county: str | None, year: int) -> dict[str, Any]:
    return {
        "county": county,
        "year": year,
        "special_post_quota": 0,
        "special_posts_filled": 0,
        "normal_graduates_placed": 0,
        "normal_graduates_target": 0,
        "tuition_free_recruited": 0,
        "tuition_free_target": None,
    }


def _with_status(row: dict[str, Any]) -> dict[str, Any]:
    def against(actual: int, target: int | None) -> str:
        if target is None:
            return "no_target"
        return "met" if actual >= target else "below"

    return {
        **row,
        "normal_graduates_status": against(
            row["normal_graduates_placed"], row["normal_graduates_target"]
        ),
        "tuition_free_status": against(row["tuition_free_recruited"], row["tuition_free_target"]),
    }
