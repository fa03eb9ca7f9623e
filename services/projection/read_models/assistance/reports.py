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


async def coverage(db: Db, schema: str, term: str, county: str | None) -> list[dict[str, Any]]:
    """Per stage: on the roster, eligible (and in school), aided this term, missing, money."""
    # For one county, only its students' grants are read (by key): summing the whole
    # province's grants first made a county's report as slow as the province's (0.9 s at
    # 100k students). A grant counts for the student's county of today, wherever granted.
    of_students = (
        f'AND student_id IN (SELECT student_id FROM "{schema}".aid_students WHERE county = $2)'
        if county is not None
        else "AND $2::text IS NULL"
    )
    rows = await db.fetch(
        f"""
        SELECT s.stage, count(*) AS registered,
               count(*) FILTER (WHERE s.in_school) AS eligible,
               count(g.student_id) AS aided,
               count(*) FILTER (WHERE s.in_school AND g.student_id IS NULL) AS missing,
               coalesce(sum(g.amount), 0) AS amount_granted,
               coalesce(sum(g.paid), 0) AS amount_paid
        FROM "{schema}".aid_students s
        LEFT JOIN (SELECT student_id, sum(amount) FILTER (WHERE NOT revoked) AS amount,
                          sum(paid) AS paid
                   FROM "{schema}".aid_grants WHERE term = $1 {of_students}
                   GROUP BY student_id) g
               USING (student_id)
        WHERE s.on_roster AND ($2::text IS NULL OR s.county = $2)
        GROUP BY s.stage
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
        f"""
        SELECT s.county, s.school, s.stage, count(*) AS registered,
               count(*) FILTER (WHERE s.in_school) AS eligible,
               count(g.student_id) AS aided,
               count(*) FILTER (WHERE s.in_school AND g.student_id IS NULL) AS missing,
               coalesce(sum(g.amount), 0) AS amount_granted,
               coalesce(sum(g.paid), 0) AS amount_paid
        FROM "{schema}".aid_students s
        LEFT JOIN (SELECT student_id, sum(amount) FILTER (WHERE NOT revoked) AS amount,
                          sum(paid) AS paid
                   FROM "{schema}".aid_grants WHERE term = $1 GROUP BY student_id) g
               USING (student_id)
        WHERE s.on_roster AND ($2::text IS NULL OR s.county = $2)
          AND ($3::text IS NULL OR s.stage = $3)
        GROUP BY s.county, s.school, s.stage
        ORDER BY s.county, s.stage, s.school
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
        WITH eligible AS (
            SELECT a.stage, p.programme, count(*) AS eligible
            FROM "{schema}".aid_assessments a, unnest(a.entitled) AS p (programme)
            WHERE a.term = $1 AND ($2::text IS NULL OR a.county = $2)
            GROUP BY a.stage, p.programme),
        granted AS (
            SELECT stage, programme, count(*) AS granted, sum(amount) AS amount_granted,
                   sum(paid) AS amount_paid,
                   count(*) FILTER (WHERE revoked) AS revoked,
                   coalesce(sum(amount) FILTER (WHERE revoked), 0) AS amount_revoked
            FROM "{schema}".aid_grants
            WHERE term = $1 AND ($2::text IS NULL OR county = $2)
            GROUP BY stage, programme)
        SELECT stage, programme, coalesce(e.eligible, 0) AS eligible,
               coalesce(g.granted, 0) AS granted, coalesce(g.amount_granted, 0) AS amount_granted,
               coalesce(g.amount_paid, 0) AS amount_paid, coalesce(g.revoked, 0) AS revoked,
               coalesce(g.amount_revoked, 0) AS amount_revoked
        FROM eligible e FULL JOIN granted g USING (stage, programme)
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
    """Eligible students with no grant for the term, and why, oldest registrations first."""
    rows = await db.fetch(
        f"""
        SELECT s.student_id, p.registry_id, p.name, s.county, s.school, s.stage, s.grade,
               a.reason AS assessed_reason, a.student_id IS NOT NULL AS assessed,
               a.county AS assessed_county, a.stage AS assessed_stage,
               a.grade AS assessed_grade, a.boarding AS assessed_boarding
        FROM "{schema}".aid_students s
        LEFT JOIN "{schema}".aid_student_personal p USING (student_id)
        LEFT JOIN "{schema}".aid_assessments a ON a.student_id = s.student_id AND a.term = $1
        WHERE s.on_roster AND s.in_school AND ($2::text IS NULL OR s.county = $2)
          AND NOT EXISTS (SELECT 1 FROM "{schema}".aid_grants g
                          WHERE g.student_id = s.student_id AND g.term = $1)
        ORDER BY s.registered_at, s.student_id
        LIMIT $3
        """,
        term,
        county,
        limit,
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
