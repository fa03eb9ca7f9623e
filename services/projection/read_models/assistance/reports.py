"""Reports on the aid read model: coverage by stage and programme, who is missing aid and why,
dropout alerts, roster revisions, university students. County omitted means the province."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeAlias

import asyncpg

from contracts.types import Stage
from shared.i18n import named, phrase

Db: TypeAlias = asyncpg.Connection | asyncpg.Pool
UNIVERSITY_STAGES = [Stage.UNDERGRADUATE.value, Stage.JUNIOR_COLLEGE.value]


_SCHOOL_FIGURES = """
    SELECT r.county, r.school, r.stage, r.registered, r.eligible,
           coalesce(t.aided, 0) AS aided,
           r.eligible - coalesce(t.aided_in_school, 0) AS missing,
           coalesce(t.amount_granted, 0) AS amount_granted,
           coalesce(t.amount_paid, 0) AS amount_paid
    FROM "{schema}".aid_school_roster r
    LEFT JOIN "{schema}".aid_school_terms t
           ON (t.term, t.county, t.school, t.stage) = ($1, r.county, r.school, r.stage)
    WHERE ($2::text IS NULL OR r.county = $2)"""
"""Per school and stage of a term, from the figures the projection keeps per school (see
school_figures): a student counts for their county and school of today, wherever granted."""


async def coverage(db: Db, schema: str, term: str, county: str | None) -> list[dict[str, Any]]:
    """Per stage: on the roster, eligible (and in school), aided this term, missing, money."""
    rows = await db.fetch(
        f"""
        SELECT stage, sum(registered) AS registered, sum(eligible) AS eligible,
               sum(aided) AS aided, sum(missing) AS missing,
               sum(amount_granted) AS amount_granted, sum(amount_paid) AS amount_paid
        FROM ({_SCHOOL_FIGURES.format(schema=schema)}) f
        GROUP BY stage
        """,
        term,
        county,
    )
    by_stage = {r["stage"]: r for r in rows}
    report = []
    for stage in Stage:
        r = by_stage.get(stage.value)
        counts = {k: r[k] if r else 0 for k in ("registered", "eligible", "aided", "missing")}
        report.append(
            {
                "stage": stage.value,
                **counts,
                "amount_granted": _money(r["amount_granted"] if r else 0),
                "amount_paid": _money(r["amount_paid"] if r else 0),
            }
        )
    return report


async def coverage_by_school(
    db: Db, schema: str, term: str, county: str | None, stage: str | None
) -> list[dict[str, Any]]:
    """A county's aid drilled down to its schools: per school and stage, the same figures as
    `coverage` (the dashboard's drill-down from a stage to its schools)."""
    rows = await db.fetch(
        f"""{_SCHOOL_FIGURES.format(schema=schema)} AND ($3::text IS NULL OR r.stage = $3)
        ORDER BY r.county, r.stage, r.school
        """,
        term,
        county,
        stage,
    )
    return [
        {
            **{k: r[k] for k in ("county", "school", "stage", "registered", "eligible")},
            **{k: r[k] for k in ("aided", "missing")},
            "amount_granted": _money(r["amount_granted"]),
            "amount_paid": _money(r["amount_paid"]),
        }
        for r in rows
    ]


async def programmes(db: Db, schema: str, term: str, county: str | None) -> list[dict[str, Any]]:
    """Per stage and programme: eligible, granted, paid, revoked, outstanding; they reconcile:
    granted amount = paid + revoked + outstanding."""
    rows = await db.fetch(
        f"""
        SELECT stage, programme, sum(eligible) AS eligible, sum(granted) AS granted,
               sum(amount_granted) AS amount_granted, sum(amount_paid) AS amount_paid,
               sum(revoked) AS revoked, sum(amount_revoked) AS amount_revoked
        FROM "{schema}".aid_programme_terms
        WHERE term = $1 AND ($2::text IS NULL OR county = $2)
        GROUP BY stage, programme
        ORDER BY array_position($3::text[], stage), programme
        """,
        term,
        county,
        [s.value for s in Stage],
    )
    return [
        {
            **{k: r[k] for k in ("stage", "programme", "eligible", "granted", "revoked")},
            "amount_granted": _money(r["amount_granted"]),
            "amount_paid": _money(r["amount_paid"]),
            "amount_revoked": _money(r["amount_revoked"]),
            "amount_outstanding": _money(
                r["amount_granted"] - r["amount_paid"] - r["amount_revoked"]
            ),
        }
        for r in rows
    ]


async def missing_aid(
    db: Db, schema: str, term: str, county: str | None, limit: int = 1000
) -> list[dict[str, Any]]:
    """Eligible students with no grant for the term, and why, oldest registrations first.

    The school figures say how many are missing and in which schools, so the students are
    read by one of two index paths, whichever reads fewer: in registration order until `limit`
    are found (about limit x eligible / missing rows), or school by school where someone is
    missing, each in registration order up to `limit`."""
    schools = await db.fetch(
        f"SELECT county, school, stage, eligible, missing FROM ({_SCHOOL_FIGURES}) f".format(
            schema=schema
        ),
        term,
        county,
    )
    eligible = sum(r["eligible"] for r in schools)
    missing = [r for r in schools if r["missing"]]
    total = sum(r["missing"] for r in missing)
    if not total:
        return []
    in_order = min(eligible, limit * eligible / total)
    listed, schools_missing = _IN_ORDER, []
    if in_order > sum(r["eligible"] for r in missing):
        listed = _IN_SCHOOLS
        schools_missing = [[r[k] for r in missing] for k in ("county", "school", "stage")]
    rows = await db.fetch(
        _MISSING.format(schema=schema, listed=listed.format(schema=schema)),
        term,
        county,
        limit,
        *schools_missing,
    )
    return [
        {
            "student_id": str(r["student_id"]),
            **{k: r[k] for k in ("registry_id", "name", "county", "school", "stage", "grade")},
            "reason": _why_missing(r, term),
        }
        for r in rows
    ]


def _why_missing(row: asyncpg.Record, term: str) -> object:
    """Why a student has no grant, as a phrase said in the reader's language: not assessed
    yet, or no programme covering them as they were when assessed (the assessment's English
    text is what the event keeps; the phrase says the same from the assessment's facts)."""
    if not row["assessed"]:
        return phrase("ui.aid_not_assessed", term=named("term", term))
    if not row["assessed_reason"]:
        return ""
    return phrase(
        "ui.no_programme_covers" if row["assessed_boarding"] else "ui.no_programme_covers_day",
        term=named("term", term),
        county=named("county", row["assessed_county"]),
        stage=named("stage", row["assessed_stage"]),
        grade=row["assessed_grade"],
    )


_WITHOUT_GRANT = """s.on_roster AND s.in_school
          AND NOT EXISTS (SELECT 1 FROM "{schema}".aid_grants g
                          WHERE g.student_id = s.student_id AND g.term = $1)"""
_IN_ORDER = (
    """SELECT s.* FROM "{schema}".aid_students s
        WHERE ($2::text IS NULL OR s.county = $2) AND """
    + _WITHOUT_GRANT
    + """
        ORDER BY s.registered_at, s.student_id LIMIT $3"""
)
_IN_SCHOOLS = (
    """SELECT s.* FROM unnest($4::text[], $5::text[], $6::text[]) AS k (county, school, stage)
        CROSS JOIN LATERAL (
            SELECT s.* FROM "{schema}".aid_students s
            WHERE (s.county, s.school, s.stage) = (k.county, k.school, k.stage) AND """
    + _WITHOUT_GRANT
    + """
            ORDER BY s.registered_at, s.student_id LIMIT $3) s
        WHERE $2::text IS NULL OR s.county = $2
        ORDER BY s.registered_at, s.student_id LIMIT $3"""
)
_MISSING = """
        SELECT s.student_id, p.registry_id, p.name, s.county, s.school, s.stage, s.grade,
               a.reason AS assessed_reason, a.student_id IS NOT NULL AS assessed,
               a.county AS assessed_county, a.stage AS assessed_stage,
               a.grade AS assessed_grade, a.boarding AS assessed_boarding
        FROM ({listed}) s
        LEFT JOIN LATERAL (SELECT registry_id, name FROM "{schema}".aid_student_personal
                           WHERE student_id = s.student_id LIMIT 1) p ON true
        LEFT JOIN LATERAL (SELECT student_id, reason, county, stage, grade, boarding
                           FROM "{schema}".aid_assessments
                           WHERE student_id = s.student_id AND term = $1 LIMIT 1) a ON true
        ORDER BY s.registered_at, s.student_id
        """
"""The listed students' names and reasons are looked up row by row (LIMIT keeps the planner
from hashing the whole personal and assessment tables when it expects no assessments)."""


async def dropout_alerts(
    db: Db, schema: str, county: str | None, status: str
) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"""
        SELECT a.*, p.registry_id, p.name FROM "{schema}".aid_dropout_alerts a
        LEFT JOIN "{schema}".aid_student_personal p USING (student_id)
        WHERE ($1::text IS NULL OR a.county = $1)
          AND ($2 = 'all' OR ($2 = 'open') = (a.resolution IS NULL))
        ORDER BY a.left_on, a.alert_id
        """,
        county,
        status,
    )
    return [
        {
            **{
                k: r[k]
                for k in (
                    "alert_id",
                    "registry_id",
                    "name",
                    "county",
                    "school",
                    "stage",
                    "grade",
                    "reason",
                    "resolution",
                    "note",
                )
            },
            "student_id": str(r["student_id"]),
            "status": "open" if r["resolution"] is None else "resolved",
            "left_on": r["left_on"].isoformat(),
            "resolved_on": r["resolved_on"].isoformat() if r["resolved_on"] else None,
        }
        for r in rows
    ]


async def revision(db: Db, schema: str, county: str | None, name: str) -> dict[str, Any]:
    """What a roster revision changed: counts per kind of change and the changes themselves."""
    rows = await db.fetch(
        f"""
        SELECT c.change, c.fields, c.student_id, c.county, p.registry_id, p.name
        FROM "{schema}".aid_roster_changes c
        LEFT JOIN "{schema}".aid_student_personal p USING (student_id)
        WHERE c.revision = $1 AND ($2::text IS NULL OR c.county = $2)
        ORDER BY c.change, p.registry_id
        """,
        name,
        county,
    )
    counts = dict.fromkeys(("registered", "revised", "removed", "restored"), 0)
    for r in rows:
        counts[r["change"]] += 1
    changes = [
        {
            **{k: r[k] for k in ("change", "county", "registry_id", "name")},
            "fields": list(r["fields"]),
            "student_id": str(r["student_id"]),
        }
        for r in rows
    ]
    return {"revision": name, "county": county, "counts": counts, "changes": changes}


async def university_students(db: Db, schema: str, county: str) -> list[dict[str, Any]]:
    """Registered poor university students in school, grouped by university (for dispatch)."""
    rows = await db.fetch(
        f"""
        SELECT school AS university, array_agg(student_id::text ORDER BY student_id) AS ids
        FROM "{schema}".aid_students
        WHERE county = $1 AND on_roster AND in_school AND stage = ANY($2::text[])
        GROUP BY school ORDER BY school
        """,
        county,
        UNIVERSITY_STAGES,
    )
    return [{"university": r["university"], "student_ids": list(r["ids"])} for r in rows]


def _money(value: Decimal | int) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))
