"""Reports on school pairing, read from the pairing read model (pairing_model.py).

`pairs` is the per-pair view; `county_summary` folds it per county (or the whole province)
against the targets in force on the day asked about (every revision is kept, each from its
day); `shadowing` lists periods, with names, for the divisions to act.
A secondment counts on a day when its agreed period covers that day.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from typing import Any, TypeAlias

import asyncpg

from shared.revisions import Revision, in_force_or_first

Db: TypeAlias = asyncpg.Connection | asyncpg.Pool
SIDES = ("helper_to_helped", "helped_to_helper")
STAGE_ORDER = "array_position(ARRAY['high_school', 'junior', 'primary', 'preschool'], p.stage)"


async def pairs(db: Db, schema: str, county: str | None, on: date) -> list[dict[str, Any]]:
    """Every pair with its status, secondments per side on `on`, shadowing, lessons, resources
    and its helped school's milestones and assessments."""
    rows = await db.fetch(
        f"""
        SELECT p.* FROM "{schema}".pairing_pairs p WHERE $1::text IS NULL OR p.county = $1
        ORDER BY p.county, {STAGE_ORDER}, p.helped_school_id, p.pair_id
        """,
        county,
    )
    targets = await targets_in_force(db, schema, county, on)
    seconded = await _secondments(db, schema, county, on)
    shadowing = await _shadowing_totals(db, schema, county)
    activities = await _activities(db, schema, county)
    school_system = await _school_system(db, schema, county)
    return [
        _pair_report(
            r,
            targets.get(r["county"]),
            seconded[r["pair_id"]],
            shadowing.get(r["pair_id"]),
            activities[r["pair_id"]],
            school_system[(r["county"], r["helped_school_id"])],
        )
        for r in rows
    ]


async def county_summary(db: Db, schema: str, county: str | None, on: date) -> dict[str, Any]:
    """Pairs active against the adopted target, and what the pairs did, for one county or
    (county None) the province: every county's figures summed."""
    report = await pairs(db, schema, county, on)
    targets = (await targets_in_force(db, schema, county, on)).values()
    target = sum(t["active_pairs"] for t in targets) if targets else None
    status = Counter(p["status"] for p in report)
    schools = {(p["county"], p["helped_school"]["id"]): p for p in report}.values()
    return {
        "county": county,
        "target_active_pairs": target,
        "active_pairs": status["active"],
        "suspended_pairs": status["suspended"],
        "ended_pairs": status["ended"],
        "meets_target": None if target is None else status["active"] >= target,
        "pairs_with_a_side_below_minimum": sum(
            1 for p in report if p["secondments"]["sides_below_minimum"]
        ),
        "managers_seconded_on_day": sum(
            p["secondments"][side]["on_day"] for p in report for side in SIDES
        ),
        "shadowing_periods": sum(p["shadowing"]["periods"] for p in report),
        "shadowing_outside_target": sum(p["shadowing"]["outside_target"] for p in report),
        "teacher_pairings": sum(p["teacher_pairings"]["plans"] for p in report),
        "model_lessons": sum(p["lessons"]["model_lessons"] for p in report),
        "exchange_visits": sum(p["lessons"]["exchange_visits"] for p in report),
        "resources_shared": sum(sum(p["resources"].values()) for p in report),
        "milestones_achieved": sum(len(p["milestones"]) for p in schools),
        "assessments_passed": sum(len(p["assessments"]) for p in schools),
        "on": on.isoformat(),
    }


async def shadowing(
    db: Db, schema: str, county: str | None, outside_target_only: bool
) -> list[dict[str, Any]]:
    """Shadowing periods with the teacher's name; those outside the target are flagged."""
    rows = await db.fetch(
        f"""
        SELECT s.shadowing_id, s.pair_id, s.county, p.helped_school_id, s.host_school_id,
               n.name AS teacher_name, s.subject, s.start_date, s.end_date, s.months,
               s.within_target, s.exception_reason
        FROM "{schema}".pairing_shadowing s
        JOIN "{schema}".pairing_pairs p USING (pair_id)
        LEFT JOIN "{schema}".pairing_personal n
            ON n.record_id = s.shadowing_id AND n.role = 'teacher'
        WHERE ($1::text IS NULL OR s.county = $1) AND (NOT $2 OR NOT s.within_target)
        ORDER BY s.start_date, s.shadowing_id
        """,
        county,
        outside_target_only,
    )
    return [
        {
            **dict(r),
            "shadowing_id": str(r["shadowing_id"]),
            "start_date": r["start_date"].isoformat(),
            "end_date": r["end_date"].isoformat(),
            "months": str(r["months"]),
            "flagged": not r["within_target"],
        }
        for r in rows
    ]


async def targets_in_force(
    db: Db, schema: str, county: str | None, on: date
) -> dict[str, asyncpg.Record]:
    """County -> its pairing targets in force on `on` (`shared.revisions.in_force_or_first`)."""
    history: defaultdict[str, list[Revision[asyncpg.Record]]] = defaultdict(list)
    for r in await db.fetch(
        f'SELECT * FROM "{schema}".pairing_targets WHERE $1::text IS NULL OR county = $1',
        county,
    ):
        history[r["county"]].append(Revision(r["effective_from"], r["revision"], r))
    found = {c: in_force_or_first(revisions, on) for c, revisions in history.items()}
    return {c: r.value for c, r in found.items() if r is not None}


def _pair_report(
    r: asyncpg.Record,
    targets: asyncpg.Record | None,
    seconded: dict[str, dict[str, int]],
    shadowing: asyncpg.Record | None,
    activities: dict[str, tuple[int, int]],
    school_system: list[asyncpg.Record],
) -> dict[str, Any]:
    minimum, maximum = (
        (targets["secondments_min"], targets["secondments_max"]) if targets else (None, None)
    )
    sides = {side: seconded.get(side, {"on_day": 0, "total": 0}) for side in SIDES}
    below = (
        [side for side in SIDES if sides[side]["on_day"] < minimum]
        if r["status"] == "active" and minimum is not None
        else []
    )
    return {
        "pair_id": r["pair_id"],
        "county": r["county"],
        "stage": r["stage"],
        "helped_school": {"id": r["helped_school_id"], "name": r["helped_school_name"]},
        "helper_school": {"id": r["helper_school_id"], "name": r["helper_school_name"]},
        "responsible_division": r["responsible_division"],
        "start_date": r["start_date"].isoformat(),
        "status": r["status"],
        "status_since": r["status_since"].isoformat(),
        "secondments": {
            "target": None if minimum is None else {"min": minimum, "max": maximum},
            **sides,
            "sides_below_minimum": below,
        },
        "shadowing": {
            "periods": shadowing["periods"] if shadowing else 0,
            "months": str(shadowing["months"] if shadowing else Decimal("0.00")),
            "outside_target": shadowing["outside_target"] if shadowing else 0,
        },
        "teacher_pairings": _counted(activities, "teacher_pairing", "plans", "weak_subject_plans"),
        "lessons": {
            **_counted(activities, "model_lesson", "model_lessons", "weak_subject_model_lessons"),
            **_counted(
                activities, "exchange_visit", "exchange_visits", "weak_subject_exchange_visits"
            ),
        },
        "resources": {
            "courseware": activities.get("courseware", (0, 0))[0],
            "teaching_results": activities.get("teaching_result", (0, 0))[0],
        },
        "milestones": [
            {"milestone": s["item"], "achieved_on": s["achieved_on"].isoformat()}
            for s in school_system
            if s["kind"] == "milestone"
        ],
        "assessments": [
            {"level": s["item"], "passed_on": s["achieved_on"].isoformat()}
            for s in school_system
            if s["kind"] == "assessment"
        ],
    }


def _counted(
    activities: dict[str, tuple[int, int]], kind: str, name: str, weak_name: str
) -> dict[str, int]:
    count, weak = activities.get(kind, (0, 0))
    return {name: count, weak_name: weak}


async def _secondments(
    db: Db, schema: str, county: str | None, on: date
) -> defaultdict[str, dict[str, dict[str, int]]]:
    rows = await db.fetch(
        f"""
        SELECT pair_id, direction, count(*) AS total,
               count(*) FILTER (WHERE start_date <= $2 AND end_date >= $2) AS on_day
        FROM "{schema}".pairing_secondments WHERE $1::text IS NULL OR county = $1
        GROUP BY pair_id, direction
        """,
        county,
        on,
    )
    found: defaultdict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    for r in rows:
        found[r["pair_id"]][r["direction"]] = {"on_day": r["on_day"], "total": r["total"]}
    return found


async def _shadowing_totals(db: Db, schema: str, county: str | None) -> dict[str, asyncpg.Record]:
    rows = await db.fetch(
        f"""
        SELECT pair_id, count(*) AS periods, sum(months) AS months,
               count(*) FILTER (WHERE NOT within_target) AS outside_target
        FROM "{schema}".pairing_shadowing WHERE $1::text IS NULL OR county = $1
        GROUP BY pair_id
        """,
        county,
    )
    return {r["pair_id"]: r for r in rows}


async def _activities(
    db: Db, schema: str, county: str | None
) -> defaultdict[str, dict[str, tuple[int, int]]]:
    rows = await db.fetch(
        f"""
        SELECT pair_id, kind, count(*) AS n, count(*) FILTER (WHERE weak_subject) AS weak
        FROM "{schema}".pairing_activities WHERE $1::text IS NULL OR county = $1
        GROUP BY pair_id, kind
        """,
        county,
    )
    found: defaultdict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for r in rows:
        found[r["pair_id"]][r["kind"]] = (r["n"], r["weak"])
    return found


async def _school_system(
    db: Db, schema: str, county: str | None
) -> defaultdict[tuple[str, str], list[asyncpg.Record]]:
    rows = await db.fetch(
        f"""
        SELECT county, helped_school_id, kind, item, achieved_on
        FROM "{schema}".pairing_school_system WHERE $1::text IS NULL OR county = $1
        ORDER BY achieved_on, item
        """,
        county,
    )
    found: defaultdict[tuple[str, str], list[asyncpg.Record]] = defaultdict(list)
    for r in rows:
        found[(r["county"], r["helped_school_id"])].append(r)
    return found
