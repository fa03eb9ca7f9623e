"""Read models of master-teacher support teaching: subject coverage and the yearly dispatch plan.

A post is one subject at one host school. Its rows come from the adopted targets (with the
minimum, the maximum and any raise) and from the assignments dispatched to it; an assignment
counts in every term from its start to its end (last term served, else planned end), unless
its dispatch was withdrawn. Term indexes (`contracts.staffing.terms`) make spans comparable.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import EventEnvelope
from contracts.staffing.terms import last_day, school_year, term_at, term_index, term_of, year_terms
from contracts.staffing.types import CountyTargets
from contracts.types import CountyCode, Term
from services.projection.read_models.plan.judged_on import judged_on_or_default
from services.projection.read_models.staffing.targets import (
    History,
    adopted_targets,
    for_year,
    judged_day,
    on_day,
    plan_years,
    target_history,
)

TABLES = """
CREATE TABLE "{schema}".staffing_posts (
    county text NOT NULL, host_school text NOT NULL, subject text NOT NULL,
    host_school_name text, position int, min_teachers int, default_max int, raised_max int,
    PRIMARY KEY (county, host_school, subject));
CREATE TABLE "{schema}".staffing_assignments (
    county text NOT NULL, host_school text NOT NULL, subject text NOT NULL,
    teacher_id uuid NOT NULL, start_index int NOT NULL, start_term text NOT NULL,
    planned_end_index int NOT NULL, last_index int, arrived_on date, arrived_index int,
    withdrawn boolean NOT NULL,
    PRIMARY KEY (county, host_school, subject, teacher_id, start_index));
CREATE INDEX staffing_assignments_span_idx
    ON "{schema}".staffing_assignments (county, start_index);
"""

ASSIGNMENT_EVENTS = frozenset(
    {
        "MasterTeacherDispatched",
        "MasterTeacherArrived",
        "MasterTeacherSupportExtended",
        "MasterTeacherSupportEnded",
        "MasterTeacherDispatchWithdrawn",
        "MasterTeacherExtensionWithdrawn",
    }
)


class PostRows:
    """Posts of the adopted targets, in report order, and raised targets."""

    handles = frozenset({"StaffingTargetsAdopted", "SubjectTargetRaised"})

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.adopted: set[str] = set()

    def add(self, event: EventEnvelope) -> None:
        p = event.payload
        if event.event_type == "SubjectTargetRaised":
            row = self._row((event.county, p["host_school"], p["subject"]))
            row.update(min_teachers=p["min_teachers"], raised_max=p["max_teachers"])
            return
        self.adopted.add(event.county)
        for key, row in self.rows.items():
            if key[0] == event.county:
                row["position"] = None
        targets = p["targets"]
        for school in targets["host_schools"]:
            for position, subject in enumerate(targets["subjects"]):
                self._row((event.county, school["id"], subject)).update(
                    host_school_name=school["name"],
                    position=position,
                    min_teachers=school["teachers_per_subject"]["min"],
                    default_max=school["teachers_per_subject"]["max"],
                )

    def _row(self, key: tuple[str, str, str]) -> dict[str, Any]:
        return self.rows.setdefault(key, dict.fromkeys(_POST_FIELDS))

    async def write(self, conn: asyncpg.Connection, schema: str) -> None:
        if self.adopted:
            await conn.execute(
                f'UPDATE "{schema}".staffing_posts SET position = NULL WHERE county = ANY($1)',
                list(self.adopted),
            )
        if not self.rows:
            return
        keys = list(self.rows)
        await conn.execute(
            f"""
            INSERT INTO "{schema}".staffing_posts AS p (county, host_school, subject,
                host_school_name, position, min_teachers, default_max, raised_max)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[],
                                 $6::int[], $7::int[], $8::int[])
            ON CONFLICT (county, host_school, subject) DO UPDATE SET
                host_school_name = coalesce(EXCLUDED.host_school_name, p.host_school_name),
                position = coalesce(EXCLUDED.position, p.position),
                min_teachers = coalesce(EXCLUDED.min_teachers, p.min_teachers),
                default_max = coalesce(EXCLUDED.default_max, p.default_max),
                raised_max = coalesce(EXCLUDED.raised_max, p.raised_max)
            """,
            *zip(*keys, strict=True),
            *([self.rows[k][f] for k in keys] for f in _POST_FIELDS),
        )


_POST_FIELDS = ("host_school_name", "position", "min_teachers", "default_max", "raised_max")


class AssignmentRows:
    """Each assignment as it stands after the batch.

    A dispatch in the batch gives a fresh row that replaces any earlier one under the same key
    (a teacher dispatched again after a withdrawal); later events only patch a row.
    """

    handles = ASSIGNMENT_EVENTS

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str, str, int], dict[str, Any]] = {}

    def add(self, event: EventEnvelope) -> None:
        p = event.payload
        start = term_index(p["start_term"])
        key = (event.county, p["host_school"], p["subject"], p["teacher_id"], start)
        if event.event_type == "MasterTeacherDispatched" or key not in self.rows:
            fresh = event.event_type == "MasterTeacherDispatched"
            self.rows[key] = {
                "fresh": fresh,
                "start_term": p["start_term"],
                "last_index": None,
                "arrived_on": None,
                "arrived_index": None,
                "withdrawn": False,
            }
        row = self.rows[key]
        row["planned_end_index"] = term_index(p["planned_end_term"])
        if event.event_type == "MasterTeacherArrived":
            arrived = date.fromisoformat(p["arrived_on"])
            row.update(arrived_on=arrived, arrived_index=_index_of_day(arrived))
        elif event.event_type == "MasterTeacherSupportEnded":
            row["last_index"] = term_index(p["last_term"])
        elif event.event_type == "MasterTeacherDispatchWithdrawn":
            row["withdrawn"] = True

    async def write(self, conn: asyncpg.Connection, schema: str) -> None:
        for fresh, update in ((True, _REPLACE), (False, _PATCH)):
            keys = [k for k, row in self.rows.items() if row["fresh"] is fresh]
            if not keys:
                continue
            await conn.execute(
                f"""
                INSERT INTO "{schema}".staffing_assignments AS a (county, host_school, subject,
                    teacher_id, start_index, start_term, planned_end_index, last_index,
                    arrived_on, arrived_index, withdrawn)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::int[],
                                     $6::text[], $7::int[], $8::int[], $9::date[], $10::int[],
                                     $11::boolean[])
                ON CONFLICT (county, host_school, subject, teacher_id, start_index)
                DO UPDATE SET {update}
                """,
                *zip(*keys, strict=True),
                *([self.rows[k][f] for k in keys] for f in _ASSIGNMENT_FIELDS),
            )


_ASSIGNMENT_FIELDS = (
    "start_term",
    "planned_end_index",
    "last_index",
    "arrived_on",
    "arrived_index",
    "withdrawn",
)
_REPLACE = ", ".join(f"{f} = EXCLUDED.{f}" for f in _ASSIGNMENT_FIELDS)
_PATCH = """planned_end_index = EXCLUDED.planned_end_index,
    last_index = coalesce(EXCLUDED.last_index, a.last_index),
    arrived_on = coalesce(EXCLUDED.arrived_on, a.arrived_on),
    arrived_index = coalesce(EXCLUDED.arrived_index, a.arrived_index),
    withdrawn = a.withdrawn OR EXCLUDED.withdrawn"""


def _index_of_day(day: date) -> int:
    return term_index(term_of(day))


# Reports


@dataclass(frozen=True)
class _Post:
    county: str
    host_school: str
    subject: str
    min_teachers: int


@dataclass(frozen=True)
class _Span:
    county: str
    host_school: str
    subject: str
    start: int
    end: int

    def counts_in(self, term: int) -> bool:
        return self.start <= term <= self.end


async def coverage(
    conn: asyncpg.Connection | asyncpg.Pool,
    schema: str,
    term: str,
    county: str | None,
    on: date | None = None,
) -> list[dict[str, Any]]:
    """Per post (county, host school, subject): teachers serving in the term against 1-2.

    The posts and their range are those of the targets in force on `on` (default today), or
    on the term's last day when it ended before; a raised maximum stays raised. A post with
    assignments that those targets do not list shows without a target.
    Without a county: the province, per subject, summed over every post.
    """
    index = term_index(term)
    targets = await adopted_targets(
        conn, schema, county, judged_day(on or date.today(), last_day(term))
    )
    known = {
        (r["county"], r["host_school"], r["subject"]): r
        for r in await conn.fetch(
            f"""SELECT county, host_school, subject, host_school_name, raised_max
                FROM "{schema}".staffing_posts WHERE $1::text IS NULL OR county = $1""",
            county,
        )
    }
    served = {
        (r["county"], r["host_school"], r["subject"]): r
        for r in await conn.fetch(
            f"""
            SELECT county, host_school, subject,
                   count(*) FILTER (WHERE serving) AS teachers,
                   count(*) FILTER (WHERE serving AND arrived_index <= $1) AS arrived
            FROM (SELECT *, start_index <= $1
                            AND coalesce(last_index, planned_end_index) >= $1 AS serving
                  FROM "{schema}".staffing_assignments
                  WHERE NOT withdrawn AND ($2::text IS NULL OR county = $2)) a
            GROUP BY county, host_school, subject
            """,
            index,
            county,
        )
    }
    targeted = {
        (c, school.id, subject): (school.name, position, school.teachers_per_subject)
        for c, t in targets.items()
        for school in t.host_schools
        for position, subject in enumerate(t.subjects)
    }

    def order(key: tuple[str, str, str]) -> tuple[Any, ...]:
        """County, host school, then the targets' subjects in report order, then the rest."""
        position = targeted[key][1] if key in targeted else None
        return (key[0], key[1], position is None, position or 0, key[2])

    posts = []
    for key in sorted(targeted.keys() | served.keys(), key=order):
        name, _, range_ = targeted.get(key, (None, None, None))
        post = known.get(key, {"host_school_name": None, "raised_max": None})
        serving = served.get(key, {"teachers": 0, "arrived": 0})
        low = range_.min if range_ else None
        high = max(range_.max, post["raised_max"] or 0) if range_ else post["raised_max"]
        posts.append(
            {
                "county": key[0],
                "host_school": key[1],
                "host_school_name": name or post["host_school_name"],
                "subject": key[2],
                "teachers": serving["teachers"],
                "arrived": serving["arrived"],
                "min": low,
                "max": high,
                "posts": 1,
                "posts_missing": int(low is not None and serving["teachers"] < low),
            }
        )
    return [_with_status(p) for p in (posts if county else _by_subject(posts))]


def _by_subject(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    totals: dict[str, dict[str, Any]] = {}
    for p in posts:
        total = totals.setdefault(
            p["subject"],
            {
                "county": None,
                "host_school": None,
                "host_school_name": None,
                "subject": p["subject"],
                "teachers": 0,
                "arrived": 0,
                "min": None,
                "max": None,
                "posts": 0,
                "posts_missing": 0,
            },
        )
        for field in ("teachers", "arrived", "posts", "posts_missing"):
            total[field] += p[field]
        for field in ("min", "max"):
            if p[field] is not None:
                total[field] = (total[field] or 0) + p[field]
    return list(totals.values())


def _with_status(row: dict[str, Any]) -> dict[str, Any]:
    if row["min"] is None:
        status = "no_target"
    elif row["posts_missing"]:
        status = "missing"
    elif row["max"] is not None and row["teachers"] > row["max"]:
        status = "above"
    else:
        status = "on_target"
    return {**row, "status": status}


async def dispatch_plan(
    conn: asyncpg.Connection | asyncpg.Pool,
    schema: str,
    county: str | None,
    on: date | None = None,
) -> dict[str, Any]:
    """Per school year of the plan: master teachers dispatched against the yearly range, and
    the posts still below their minimum in the spring term that closes the year.

    Each year is measured by the targets in force on `on` (default today), or on the year's
    last day when it ended before; the plan's years and baseline are those of the targets in
    force on `on`. The baseline is the teachers in place when the plan starts (dispatched
    before it). A year in which every post was covered from its first term is `covered`,
    whatever was dispatched.
    """
    on = on or date.today()
    history = await target_history(conn, schema, county)
    spans = [
        _Span(r["county"], r["host_school"], r["subject"], r["start_index"], r["end_index"])
        for r in await conn.fetch(
            f"""SELECT county, host_school, subject, start_index,
                       coalesce(last_index, planned_end_index) AS end_index
                FROM "{schema}".staffing_assignments
                WHERE NOT withdrawn AND county = ANY($1)""",
            list(history),
        )
    ]
    plans = [_county_plan(c, history, on, spans) for c in history]
    return plans[0] if county and plans else _province(plans)


def _posts(county: str, targets: CountyTargets) -> list[_Post]:
    return [
        _Post(county, school.id, subject, school.teachers_per_subject.min)
        for school in sorted(targets.host_schools, key=lambda school: school.id)
        for subject in targets.subjects
    ]


def _county_plan(county: str, history: History, on: date, spans: list[_Span]) -> dict[str, Any]:
    targets = on_day(history, on)[county]
    spans = [s for s in spans if s.county == county]
    start = term_index(targets.plan_start_term)
    dispatched = Counter(school_year(term_at(s.start)) for s in spans if s.start >= start)
    rows = []
    for year in sorted(set(plan_years(targets)) | set(dispatched)):
        that_year = for_year(history, county, year, on)
        posts = _posts(county, that_year)
        autumn, spring = (term_index(t) for t in year_terms(year))
        row = {
            "year": year,
            "dispatched": dispatched[year],
            "min": that_year.new_master_teachers_per_year.min,
            "max": that_year.new_master_teachers_per_year.max,
            "lacking_at_start": _lacking(posts, spans, autumn),
            "lacking_at_end": _lacking(posts, spans, spring),
        }
        rows.append({**row, "status": _status(row)})
    return {
        "county": county,
        "baseline": {
            "expected": targets.baseline_master_teachers,
            "in_place": sum(1 for s in spans if s.start < start <= s.end),
        },
        "years": rows,
    }


def _status(row: dict[str, Any]) -> str:
    """`covered` when every post had its minimum as the year began, so fewer were needed."""
    if row["dispatched"] > row["max"]:
        return "above"
    if row["dispatched"] >= row["min"]:
        return "within"
    return "below" if row["lacking_at_start"] else "covered"


def _lacking(posts: list[_Post], spans: list[_Span], term: int) -> list[dict[str, str]]:
    serving = Counter((s.county, s.host_school, s.subject) for s in spans if s.counts_in(term))
    return [
        {"county": p.county, "host_school": p.host_school, "subject": p.subject}
        for p in posts
        if serving[(p.county, p.host_school, p.subject)] < p.min_teachers
    ]


def _province(plans: list[dict[str, Any]]) -> dict[str, Any]:
    """Every county's plan summed year by year; the posts lacking are listed with their county."""
    years: dict[int, dict[str, Any]] = {}
    for plan in plans:
        for row in plan["years"]:
            total = years.setdefault(
                row["year"],
                {
                    "year": row["year"],
                    "dispatched": 0,
                    "min": 0,
                    "max": 0,
                    "lacking_at_start": [],
                    "lacking_at_end": [],
                },
            )
            for field in ("dispatched", "min", "max", "lacking_at_start", "lacking_at_end"):
                total[field] += row[field]
    return {
        "county": None,
        "baseline": {
            field: sum(p["baseline"][field] for p in plans) for field in ("expected", "in_place")
        },
        "years": [{**years[y], "status": _status(years[y])} for y in sorted(years)],
    }


class CoverageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term: Term
    county: CountyCode | None = None
    judged_on: date | None = Field(
        None,
        description="Day whose targets in force measure the term; unset: the default "
        "judged-on day (today, or the county's last day of facts).",
    )


async def coverage_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    q = CoverageQuery.model_validate(params)
    day = await judged_on_or_default(pool, schema, q.county, q.judged_on)
    return await coverage(pool, schema, q.term, q.county, day)
