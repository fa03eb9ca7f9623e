"""Plan progress: every task of a county's plan, its target, responsible units, the actual
figure from the read models, and a status (done, on track, behind, not started).

A county's plan is data adopted by command (`eduplan county adopt --plan FILE.yaml`, read
model `county_plans`); the revision in force on the judged-on day applies. Each task names a
metric; `MEASURES` maps a task to the function that measures it from the read models on a
given day. The province is every county with a plan in force that day.

What a task reached and what it lacks are phrases of the catalogue (`progress.*`) with their
figures, said in the reader's language when the HTTP answer is written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeAlias

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from contracts.evaluation.plan import TaskTarget
from contracts.staffing.terms import term_of
from contracts.types import CountyCode
from services.projection.read_models.evaluation import county_plans
from services.projection.read_models.evaluation import guidance as evaluation_guidance
from services.projection.read_models.evaluation import high_school as evaluation_high_school
from services.projection.read_models.evaluation import supervision as evaluation_supervision
from services.projection.read_models.pairing import reports as pairing_reports
from services.projection.read_models.plan.judged_on import judged_on_or_default
from services.projection.read_models.plan.rules import (
    COMPULSORY_STAGES,
    assessments_status,
    balanced_county,
    dual_high_dual_universal,
    met,
    post_lacking,
    secondments_status,
    stage_verdict,
)
from services.projection.read_models.staffing import coverage as staffing_coverage
from services.projection.read_models.staffing import supply as staffing_supply
from services.projection.read_models.staffing import training as staffing_training
from shared.i18n import Said, listing, named, phrase

Db: TypeAlias = asyncpg.Connection | asyncpg.Pool
STATUSES = ("done", "on_track", "behind", "not_started", "no_target")


@dataclass(frozen=True)
class Measure:
    actual: Said
    status: str
    detail: Said | str = ""
    events: dict[str, Any] | None = None  # the audit figure behind `actual`, with its parameters

    def as_dict(self) -> dict[str, Any]:
        return {
            "actual": self.actual,
            "status": self.status,
            "detail": self.detail,
            "events": self.events,
        }


def school_years(year: int) -> str:
    return f"{year}-{year + 1}"


Task: TypeAlias = dict[str, Any]
"""A task of the plan in force on the judged-on day, as the plan file gives it."""
Measurer = Callable[[Db, str, str, date, Task], Awaitable[Measure]]


def school_year(day: date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def by_share(done: int, of: int, due: bool) -> str:
    """done when all are done; nothing yet is 'not started' (or 'behind' once due)."""
    if of and done >= of:
        return "done"
    if done == 0:
        return "behind" if due else "not_started"
    return "behind" if due else "on_track"


# Work stream 1: assistance ---------------------------------------------------------------


async def university_dispatch(db: Db, schema: str, county: str, day: date, task: Task) -> Measure:
    year = school_year(day)
    students = await db.fetchval(
        f"""SELECT count(*) FROM "{schema}".aid_students WHERE county = $1 AND on_roster
            AND in_school AND stage IN ('undergraduate', 'junior_college')""",
        county,
    )
    dispatched = await db.fetchval(
        f"""SELECT coalesce(sum(students), 0) FROM "{schema}".aid_university_dispatches
            WHERE county = $1 AND school_year = $2""",
        county,
        year,
    )
    if not students:
        return Measure(phrase("progress.no_university_students"), "no_target")
    due = day > date(year, 11, 30)  # the autumn semester's dispatch
    return Measure(
        phrase(
            "progress.university_dispatched",
            dispatched=dispatched,
            students=students,
            years=school_years(year),
        ),
        by_share(dispatched, students, due),
        events={"figure": "university-dispatches", "school_year": year},
    )


async def basic_aid(db: Db, schema: str, county: str, day: date, task: Task) -> Measure:
    term = await db.fetchval(
        f"""SELECT term FROM "{schema}".aid_grants WHERE county = $1 GROUP BY term
            ORDER BY split_part(term, '-', 1) DESC, split_part(term, '-', 2) ASC LIMIT 1""",
        county,
    )
    if term is None:
        return Measure(phrase("progress.no_grant_run"), "not_started")
    row = await db.fetchrow(
        f"""SELECT count(*) FILTER (WHERE s.in_school) AS eligible,
                   count(*) FILTER (WHERE s.in_school AND EXISTS (
                       SELECT 1 FROM "{schema}".aid_grants g
                       WHERE g.student_id = s.student_id AND g.term = $2)) AS aided
            FROM "{schema}".aid_students s WHERE s.county = $1 AND s.on_roster""",
        county,
        term,
    )
    missing = row["eligible"] - row["aided"]
    return Measure(
        phrase(
            "progress.students_aided",
            aided=row["aided"],
            eligible=row["eligible"],
            term=named("term", term),
        ),
        "done" if missing == 0 else "behind",
        phrase("progress.students_missing", missing=missing) if missing else "",
        {"figure": "aid-coverage", "term": term},
    )


# Work stream 2: staffing -----------------------------------------------------------------


def year_over(day: date) -> bool:
    """The school year of `day` has ended (its spring term closes in July)."""
    return day.month == 8


async def master_teachers(db: Db, schema: str, county: str, day: date, task: Task) -> Measure:
    posts = await staffing_coverage.coverage(db, schema, term_of(day), county, day)
    targeted = [p for p in posts if p["min"] is not None]
    if not targeted:
        return Measure(phrase("progress.no_master_teacher_posts"), "no_target")
    lacking = [p for p in targeted if post_lacking(p)]
    covered = len(targeted) - len(lacking)
    missing = [
        phrase(
            "progress.post_at_school",
            subject=named("subject", p["subject"]),
            school=named("school", p["host_school"]),
        )
        for p in sorted(lacking, key=lambda p: (p["subject"], p["host_school"]))
    ]
    return Measure(
        phrase(
            "progress.posts_covered",
            covered=covered,
            posts=len(targeted),
            term=named("term", term_of(day)),
        ),
        by_share(covered, len(targeted), due=False),
        phrase("progress.posts_lacking", posts=listing(missing)) if missing else "",
        {"figure": "master-teachers"},
    )


async def yearly_dispatch(db: Db, schema: str, county: str, day: date, task: Task) -> Measure:
    plan = await staffing_coverage.dispatch_plan(db, schema, county, day)
    row = next((r for r in plan.get("years", []) if r["year"] == school_year(day)), None)
    if row is None:
        return Measure(phrase("progress.no_dispatch_plan"), "no_target")
    actual = phrase(
        "progress.dispatched_in_year",
        dispatched=row["dispatched"],
        years=school_years(row["year"]),
        min=row["min"],
        max=row["max"],
    )
    events = {"figure": "master-teachers"}
    if row["status"] in ("within", "above", "covered"):
        return Measure(actual, "done", events=events)
    return Measure(actual, by_share(row["dispatched"], row["min"], year_over(day)), events=events)


async def caravan_visits(db: Db, schema: str, county: str, day: date, task: Task) -> Measure:
    rows = await staffing_training.training_calendar(db, schema, county, day)
    row = next((r for r in rows if r["year"] == school_year(day)), None)
    if row is None:
        return Measure(phrase("progress.no_training_plan"), "no_target")
    seasons = [s for s in ("autumn", "spring") if row[s] != "not_due"]
    held = [s for s in seasons if row[s] == "held"]
    missing = [s for s in seasons if row[s] == "missing"]
    actual = phrase(
        "progress.caravan_visits", autumn=row["autumn_visits"], spring=row["spring_visits"]
    )
    events = {"figure": "caravan-visits"}
    if missing:
        gone = phrase(
            "progress.seasons_missing", seasons=listing(named("season", s) for s in missing)
        )
        return Measure(actual, "behind", gone, events)
    status = "done" if len(held) == len(seasons) else "on_track" if held else "not_started"
    return Measure(actual, status, events=events)


async def teacher_supply(db: Db, schema: str, county: str, day: date, task: Task) -> Measure:
    rows = await staffing_supply.supply(db, schema, county, day)
    row = next((r for r in rows if r["year"] == school_year(day)), None)
    if row is None:
        return Measure(phrase("progress.no_supply_targets"), "no_target")
    placed = row["normal_graduates_placed"]
    planned = task.get("target", {}).get("value")
    target = planned if planned is not None else row["normal_graduates_target"]
    return Measure(
        phrase(
            "progress.teachers_placed",
            placed=placed,
            target=target,
            filled=row["special_posts_filled"],
            quota=row["special_post_quota"],
        ),
        by_share(placed, target, year_over(day)),
        events={"figure": "teacher-supply", "school_year": row["year"]},
    )


# Work stream 3: pairing ------------------------------------------------------------------


async def active_pairs(db: Db, schema: str, county: str, day: date, task: Task) -> Measure:
    s = await pairing_reports.county_summary(db, schema, county, day)
    planned = task.get("target", {}).get("value")
    target = planned if planned is not None else s["target_active_pairs"]  # the plan in force
    events = {"figure": "pairs"}
    if target is None:
        return Measure(
            phrase("progress.active_pairs", active=s["active_pairs"]), "no_target", events=events
        )
    return Measure(
        phrase("progress.pairs_active_of", active=s["active_pairs"], target=target),
        by_share(s["active_pairs"], target, due=False),
        events=events,
    )


async def secondments(db: Db, schema: str, county: str, day: date, task: Task) -> Measure:
    s = await pairing_reports.county_summary(db, schema, county, day)
    below = s["pairs_with_a_side_below_minimum"]
    if not s["active_pairs"]:
        return Measure(phrase("progress.no_active_pair"), "not_started")
    return Measure(
        phrase("progress.managers_seconded", managers=s["managers_seconded_on_day"], day=day),
        secondments_status(s["active_pairs"], below),
        phrase("progress.sides_below_minimum", pairs=below) if below else "",
        {"figure": "secondments"},
    )


async def shadowing(db: Db, schema: str, county: str, day: date, task: Task) -> Measure:
    s = await pairing_reports.county_summary(db, schema, county, day)
    periods, outside = s["shadowing_periods"], s["shadowing_outside_target"]
    if not periods:
        return Measure(phrase("progress.no_shadowing"), "not_started")
    return Measure(
        phrase(
            "progress.shadowing_period" if periods == 1 else "progress.shadowing_periods",
            periods=periods,
        ),
        "on_track" if outside == 0 else "behind",
        phrase("progress.shadowing_outside", outside=outside) if outside else "",
        {"figure": "shadowing"},
    )


async def school_system(db: Db, schema: str, county: str, day: date, task: Task) -> Measure:
    s = await pairing_reports.county_summary(db, schema, county, day)
    passed, milestones = s["assessments_passed"], s["milestones_achieved"]
    actual = phrase("progress.school_system", passed=passed, milestones=milestones)
    if not passed and not milestones:
        return Measure(actual, "not_started")
    return Measure(
        actual,
        "on_track",
        events={"figure": "school-system"},
    )


# Work streams 4 and 5: evaluation, high school -------------------------------------------


async def research_visits(db: Db, schema: str, county: str, day: date, task: Task) -> Measure:
    rows = await evaluation_guidance.visits_per_institution(db, schema, day.year, county)
    if not rows:
        return Measure(phrase("progress.no_guidance_plan", year=day.year), "no_target")
    visited = sum(1 for r in rows if r["status"] in ("on_target", "above_target"))
    none = [r["name"] or r["institution"] for r in rows if r["status"] == "none"]
    return Measure(
        phrase(
            "progress.institutions_visited", visited=visited, institutions=len(rows), year=day.year
        ),
        by_share(visited, len(rows), due=False),
        phrase("progress.not_yet_visited", names=listing(none)) if none else "",
        {"figure": "research-visits", "year": day.year},
    )


async def assessments(db: Db, schema: str, county: str, day: date, task: Task) -> Measure:
    balance = await db.fetch(
        f"""SELECT DISTINCT ON (stage) stage, year, basic_balance_met, quality_balance_met
            FROM "{schema}".evaluation_balance_assessments WHERE county = $1
            ORDER BY stage, year DESC""",
        county,
    )
    universal = await db.fetchrow(
        f"""SELECT year, met FROM "{schema}".evaluation_universal
            WHERE county = $1 AND met IS NOT NULL ORDER BY year DESC LIMIT 1""",
        county,
    )
    titles = await evaluation_supervision.titles_report(db, schema, county, None)
    parts = [stage_verdict(b) for b in balance]
    if universal:
        parts.append(
            phrase("progress.universal_verdict", year=universal["year"], met=met(universal["met"]))
        )
    parts += [phrase("progress.title_part", title=named("title", t["title"])) for t in titles]
    status = assessments_status(
        [dict(b) for b in balance],
        universal["met"] if universal else None,
        [t["title"] for t in titles],
    )
    unassessed = [s for s in COMPULSORY_STAGES if s not in {b["stage"] for b in balance}]
    not_assessed = listing(named("stage", s) for s in unassessed)
    return Measure(
        listing(parts, clauses=True) if parts else phrase("progress.nothing_assessed"),
        status,
        phrase("progress.not_assessed", stages=not_assessed) if unassessed and parts else "",
        {"figure": "assessments"},
    )


async def high_school_projects(db: Db, schema: str, county: str, day: date, task: Task) -> Measure:
    projects = await evaluation_high_school.projects_report(db, schema, county)
    if not projects:
        return Measure(phrase("progress.no_project"), "not_started")
    funded = [p for p in projects if p["milestone"] in ("funded", "started", "completed")]
    return Measure(
        phrase("progress.projects_funded", funded=len(funded), projects=len(projects)),
        "on_track" if funded else "not_started",
        events={"figure": "high-school"},
    )


MEASURES: dict[str, Measurer] = {
    "1.1": university_dispatch,
    "1.2": basic_aid,
    "2.1": master_teachers,
    "2.1b": yearly_dispatch,
    "2.2": caravan_visits,
    "2.3": teacher_supply,
    "3.1": active_pairs,
    "3.2": secondments,
    "3.3": shadowing,
    "3.4": school_system,
    "4.1": research_visits,
    "4.2": assessments,
    "5.1": high_school_projects,
}


def _baseline(task: dict[str, Any]) -> str:
    b = task.get("baseline")
    return f"{b['value']:,} {b['of']}" if b else ""


def _target(target: TaskTarget) -> Said:
    """The target as a person reads it (`TaskTarget.describe`), in the reader's language."""
    metric = named("metric", target.metric)
    if target.value is not None:
        return phrase("progress.target_value", metric=metric, value=target.value)
    if target.all:
        return phrase("progress.target_all", metric=metric)
    if target.min is not None:
        return phrase("progress.target_range", metric=metric, min=target.min, max=target.max or "")
    return metric


async def county_progress(
    db: Db, schema: str, county: str, day: date, plan: dict[str, Any]
) -> list[dict[str, Any]]:
    units = plan.get("units", {})
    rows = []
    for task in plan["tasks"]:
        measure = MEASURES.get(task["id"])
        try:
            result = await measure(db, schema, county, day, task) if measure else None
        except asyncpg.UndefinedTableError:
            result = Measure(phrase("progress.read_model_not_built"), "not_started")
        result = result or Measure(phrase("progress.not_measured"), "no_target")
        rows.append(
            {
                "county": county,
                "task_id": task["id"],
                "stream": task["stream"],
                "task_zh": task["zh"],
                "target": _target(TaskTarget.model_validate(task["target"]))
                if task.get("target")
                else "",
                "baseline": _baseline(task),
                "rhythm": task.get("rhythm", ""),
                "units": [f"{u} {units.get(u, '')}".strip() for u in task.get("units", [])],
                **result.as_dict(),
            }
        )
    return rows


async def goal_progress(
    db: Db, schema: str, county: str, day: date, plan: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each goal of the plan on `day`: reached (its title awarded, or for the 2017 goals the
    assessments that define them), else behind once due, else open."""
    facts = await goal_facts(db, schema, county, day)
    rows = []
    for goal in plan.get("goals", []):
        reached, evidence = goal_reached(goal, facts)
        due = date.fromisoformat(str(goal["due"]))
        status = "done" if reached else "behind" if due < day else "on_track"
        rows.append({**goal, "due": due.isoformat(), "status": status, "actual": evidence})
    return rows


async def goal_facts(db: Db, schema: str, county: str, day: date) -> dict[str, Any]:
    try:
        balance = await db.fetch(
            f"""SELECT DISTINCT ON (stage) stage, year, basic_balance_met, quality_balance_met
                FROM "{schema}".evaluation_balance_assessments WHERE county = $1 AND year <= $2
                ORDER BY stage, year DESC""",
            county,
            day.year,
        )
        universal = await db.fetchval(
            f"""SELECT met FROM "{schema}".evaluation_universal
                WHERE county = $1 AND met IS NOT NULL AND year <= $2
                ORDER BY year DESC LIMIT 1""",
            county,
            day.year,
        )
        titles = [
            t["title"]
            for t in await evaluation_supervision.titles_report(db, schema, county, None)
            if t["decided_on"] is None or date.fromisoformat(str(t["decided_on"])) <= day
        ]
    except asyncpg.UndefinedTableError:
        return {"balance": [], "universal": None, "titles": []}
    return {"balance": [dict(b) for b in balance], "universal": universal, "titles": titles}


def goal_reached(goal: dict[str, Any], facts: dict[str, Any]) -> tuple[bool, Said]:
    title = goal.get("title")
    if title and title in facts["titles"]:
        return True, phrase("progress.title_awarded", title=named("title", title))
    if title == "basic_balanced_compulsory_education_county":
        reached = balanced_county(facts["balance"], facts["titles"])
        verdicts = [stage_verdict(b) for b in facts["balance"]]
        if not verdicts:
            return reached, phrase("progress.no_balance_assessment")
        return reached, listing(verdicts, clauses=True)
    if title == "dual_high_dual_universal_county":
        reached = dual_high_dual_universal(facts["universal"], facts["titles"])
        if facts["universal"] is None:
            return reached, phrase("progress.goal_not_assessed")
        return reached, phrase("progress.goal_assessed", met=met(reached))
    return False, phrase("progress.title_not_awarded")


class ProgressQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: CountyCode | None = None
    judged_on: date | None = Field(
        None,
        description="Business date the statuses are judged on; unset: the default judged-on "
        "day (services/projection/read_models/plan/judged_on.py).",
    )
    today: date | None = Field(None, description="Former name of judged_on.")


async def progress_route(pool: asyncpg.Pool, schema: str, params: dict[str, str]) -> Any:
    """One county's goals and tasks, or (no county) every county's, per task the count of
    statuses, and a comparison of the counties task by task."""
    q = ProgressQuery.model_validate(params)
    given = q.judged_on or q.today
    day = await judged_on_or_default(pool, schema, q.county, given)
    rule = "given" if given else ("today" if day == date.today() else "last_fact_date")
    counties = [q.county] if q.county else await county_plans.counties_with_plans(pool, schema)
    plans = {c: await county_plans.plan_in_force(pool, schema, c, day) for c in counties}
    head = {"county": q.county, "judged_on": day.isoformat(), "judged_on_rule": rule}
    if q.county and plans[q.county] is None:
        message = phrase("progress.no_plan_in_force", county=named("county", q.county), day=day)
        return {**head, "today": day.isoformat(), "tasks": [], "goals": [], "message": message}
    tasks, goals, comparison = [], [], []
    for county, plan in plans.items():
        if plan is None:
            continue
        rows = await county_progress(pool, schema, county, day, plan)
        tasks += rows
        goals += [
            {"county": county, **g} for g in await goal_progress(pool, schema, county, day, plan)
        ]
        comparison.append(
            {
                "county": county,
                "name": plan["county"]["name"],
                "name_zh": plan["county"]["name_zh"],
                "plan_revision": plan["revision"],
                "statuses": {r["task_id"]: r["status"] for r in rows},
                **{s: sum(r["status"] == s for r in rows) for s in STATUSES},
            }
        )
    summary: dict[str, Counter[str]] = {}
    for row in tasks:
        summary.setdefault(row["task_id"], Counter())[row["status"]] += 1
    return {
        **head,
        "today": day.isoformat(),
        "plan": _plan_head(plans[q.county]) if q.county else None,
        "goals": goals,
        "tasks": tasks,
        "province": [
            {"task_id": t, **{s: c.get(s, 0) for s in STATUSES}} for t, c in summary.items()
        ],
        "counties": comparison,
    }


def _plan_head(plan: dict[str, Any] | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    keys = ("county", "period", "revision", "effective_from")
    return {k: plan[k] for k in keys}
