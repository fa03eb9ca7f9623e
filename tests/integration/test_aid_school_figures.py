"""The aid figures kept per school and term, on a real PostgreSQL: after grants, payments,
revocations, corrections of the roster and erasures, applied in batches of every size, they
equal a recount from the students and grants; a rebuild makes the same rows; the reports
built on them answer what the recount over every student answered."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from contracts.envelope import EventEnvelope
from contracts.types import Stage
from services.projection.read_models.assistance import reports
from services.projection.read_models.assistance.coverage import MIGRATIONS, AidCoverageProjection
from shared.migrations import migrate
from shared.projections import setup_projection

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).parents[2] / "contracts" / "examples" / "assistance" / "events"
COUNTIES = ("610831", "610802")
SCHOOLS = ("第一小学", "第二小学", "第一中学", "第二中学")
STAGES = ("primary", "junior", "high_school")
AUTUMN, SPRING, LATER = "2017-autumn", "2018-spring", "2019-autumn"
PASSED_OVER = SCHOOLS[1]
"""Nobody of this school is granted the autumn term: its students are the ones missing."""

RECOUNT_ROSTER = """
    SELECT county, school, stage, count(*)::int AS registered,
           count(*) FILTER (WHERE in_school)::int AS eligible
    FROM "{schema}".aid_students WHERE on_roster GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""
RECOUNT_TERMS = """
    SELECT g.term, s.county, s.school, s.stage, count(DISTINCT s.student_id)::int AS aided,
           count(DISTINCT s.student_id) FILTER (WHERE s.in_school)::int AS aided_in_school,
           coalesce(sum(g.amount) FILTER (WHERE NOT g.revoked), 0) AS amount_granted,
           sum(g.paid) AS amount_paid
    FROM "{schema}".aid_students s JOIN "{schema}".aid_grants g USING (student_id)
    WHERE s.on_roster GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"""
RECOUNT_PROGRAMMES = """
    SELECT term, county, stage, programme, coalesce(e.eligible, 0)::int AS eligible,
           coalesce(g.granted, 0)::int AS granted, coalesce(g.revoked, 0)::int AS revoked,
           coalesce(g.amount_granted, 0) AS amount_granted,
           coalesce(g.amount_paid, 0) AS amount_paid,
           coalesce(g.amount_revoked, 0) AS amount_revoked
    FROM (SELECT a.term, a.county, a.stage, p.programme, count(*) AS eligible
          FROM "{schema}".aid_assessments a, unnest(a.entitled) AS p (programme)
          GROUP BY 1, 2, 3, 4) e
    FULL JOIN (SELECT term, county, stage, programme, count(*) AS granted,
                      count(*) FILTER (WHERE revoked) AS revoked, sum(amount) AS amount_granted,
                      sum(paid) AS amount_paid, sum(amount) FILTER (WHERE revoked) AS amount_revoked
               FROM "{schema}".aid_grants GROUP BY 1, 2, 3, 4) g
         USING (term, county, stage, programme)
    ORDER BY 1, 2, 3, 4"""
RECOUNT_BY_SCHOOL = """
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
    GROUP BY s.county, s.school, s.stage
    ORDER BY s.county, s.stage, s.school"""
"""The drill-down as it was asked before the figures were kept: over every student."""
RECOUNT_PROGRAMMES_REPORT = """
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
    ORDER BY array_position($3::text[], stage), programme"""
"""The programmes report as it was asked before the figures were kept."""
RECOUNT_MISSING = """
    SELECT s.student_id::text FROM "{schema}".aid_students s
    WHERE s.on_roster AND s.in_school AND ($2::text IS NULL OR s.county = $2)
      AND NOT EXISTS (SELECT 1 FROM "{schema}".aid_grants g
                      WHERE g.student_id = s.student_id AND g.term = $1)
    ORDER BY s.registered_at, s.student_id LIMIT $3"""


class Story:
    """Events of students' streams, each stream's versions counted."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.events: list[EventEnvelope] = []
        self.versions: dict[str, int] = {}
        self.clock = datetime(2017, 9, 1, tzinfo=UTC)
        self.students: dict[str, dict[str, Any]] = {}

    def add(self, event_type: str, student_id: str, county: str, /, **payload: Any) -> None:
        example = next(iter(sorted(EXAMPLES.glob(f"{event_type}.v*.json"), reverse=True)))
        envelope = json.loads(example.read_text())
        self.versions[student_id] = self.versions.get(student_id, 0) + 1
        self.clock += timedelta(seconds=1)
        self.events.append(
            EventEnvelope.model_validate(
                {
                    **envelope,
                    "event_id": str(uuid.uuid4()),
                    "stream_id": student_id,
                    "version": self.versions[student_id],
                    "county": county,
                    "recorded_at": self.clock.isoformat(),
                    "payload": {**envelope["payload"], "student_id": student_id, **payload},
                }
            )
        )

    def register(self, n: int) -> None:
        for i in range(n):
            sid = str(uuid.uuid4())
            student = {
                "county": COUNTIES[i % 2],
                "school": self.rng.choice(SCHOOLS),
                "stage": self.rng.choice(STAGES),
                "grade": 1,
                "boarding": False,
            }
            self.students[sid] = student
            personal = {"student_registry_id": f"G{i:08d}", "name": f"学生{i}"}
            self.add("StudentRegistered", sid, student["county"], **student, personal=personal,
                     school_year=2017, roster_revision=None)  # fmt: skip

    def assess(
        self, sid: str, term: str, boarding: bool, entitled: list[str] | None = None
    ) -> None:
        s = self.students[sid]
        if entitled is None:
            entitled = ["nutrition_meal_subsidy"] + ["boarding_living_allowance"] * boarding
        self.add("StudentAidAssessed", sid, s["county"], term=term, stage=s["stage"],
                 grade=s["grade"], boarding=boarding, entitled=entitled,
                 reason="" if entitled else "not entitled this term")  # fmt: skip

    def grant(self, sid: str, term: str, programme: str, amount: str) -> None:
        s = self.students[sid]
        self.add("AidGranted", sid, s["county"], term=term, programme=programme,
                 stage=s["stage"], grade=s["grade"], amount=amount,
                 annual_amount=str(2 * float(amount)))  # fmt: skip

    def pay(self, sid: str, term: str, programme: str, amount: str) -> None:
        self.add("AidPaid", sid, self.students[sid]["county"], term=term, programme=programme,
                 amount=amount)  # fmt: skip

    def revoke(self, sid: str, term: str, programme: str) -> None:
        self.add("AidGrantRevoked", sid, self.students[sid]["county"], term=term,
                 programme=programme, reason="a correction")  # fmt: skip

    def revise(self, sid: str, **changes: Any) -> None:
        s = self.students[sid]
        s.update(changes)
        self.add("StudentDetailsRevised", sid, s["county"], **s, school_year=2017,
                 revision="2018", changed=list(changes), personal=None,
                 school_category=None)  # fmt: skip

    def transfer(self, sid: str, county: str, school: str) -> None:
        s = self.students[sid]
        self.add("StudentTransferred", sid, s["county"], from_county=s["county"],
                 from_school=s["school"], to_county=county, to_school=school,
                 boarding=s["boarding"])  # fmt: skip
        s.update(county=county, school=school)

    def on_and_off(self, sid: str, event_type: str) -> None:
        self.add(event_type, sid, self.students[sid]["county"])


def story(seed: int) -> tuple[Story, int]:
    """A year of aid in two counties; returns the story and where its erasures begin."""
    s = Story(seed)
    rng = s.rng
    s.register(240)
    ids = list(s.students)
    for sid in ids:
        if s.students[sid]["school"] != PASSED_OVER and rng.random() < 0.97:
            boarding = rng.random() < 0.4
            s.assess(sid, AUTUMN, boarding=boarding)
            s.grant(sid, AUTUMN, "nutrition_meal_subsidy", "400.00")
            if boarding:
                s.grant(sid, AUTUMN, "boarding_living_allowance", "625.00")
        else:
            s.assess(sid, AUTUMN, boarding=False, entitled=[])
    for sid in rng.sample(ids, 15):
        s.assess(sid, AUTUMN, boarding=True)  # assessed again: boarding after all
    for sid in rng.sample(ids, 120):
        s.pay(sid, AUTUMN, "nutrition_meal_subsidy", rng.choice(("100.00", "400.00")))
    for sid in rng.sample(ids, 40):
        s.pay(sid, AUTUMN, "nutrition_meal_subsidy", "50.00")
    for sid in rng.sample(ids, 20):
        s.revoke(sid, AUTUMN, "nutrition_meal_subsidy")
    correct_the_roster(s, ids)
    for sid in rng.sample(ids, 80):
        s.assess(sid, SPRING, boarding=False)
        s.grant(sid, SPRING, "nutrition_meal_subsidy", "400.00")
        s.pay(sid, SPRING, "nutrition_meal_subsidy", "400.00")
    s.register(10)  # late newcomers, missing every term
    erasures = len(s.events)
    for sid in rng.sample(ids, 30):
        s.add("PersonalDataErased", sid, s.students[sid]["county"],
              key_id=f"student:{sid}")  # fmt: skip
    return s, erasures


def correct_the_roster(s: Story, ids: list[str]) -> None:
    """Revisions, transfers, removals and restorations, leaving and returning."""
    rng = s.rng
    for sid in rng.sample(ids, 20):
        s.revise(sid, school=rng.choice(SCHOOLS), stage=rng.choice(STAGES))
    for sid in rng.sample(ids, 12):
        s.transfer(sid, COUNTIES[0], rng.choice(SCHOOLS))
    for sid in rng.sample(ids, 15):
        s.on_and_off(sid, "StudentRemovedFromRoster")
        if rng.random() < 0.5:
            s.on_and_off(sid, "StudentRestoredToRoster")
    for sid in rng.sample(ids, 15):
        s.add("StudentLeftSchool", sid, s.students[sid]["county"])
        if rng.random() < 0.5:
            s.add("StudentReturnedToSchool", sid, s.students[sid]["county"],
                  **{k: s.students[sid][k] for k in ("county", "school", "stage", "grade",
                                                     "boarding")})  # fmt: skip


async def apply_in_batches(
    pool: asyncpg.Pool, schema: str, events: list[EventEnvelope], rng: random.Random
) -> None:
    """As the runner does: each batch in a transaction of its own, in stream order."""
    projection = AidCoverageProjection()
    async with pool.acquire() as conn:
        await setup_projection(conn, schema, projection)
        i = 0
        while i < len(events):
            size = rng.choice((1, 2, 7, 40, 300))
            async with conn.transaction():
                await projection.apply(conn, schema, events[i : i + size])
            i += size


async def figures(pool: asyncpg.Pool, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "roster": [
            tuple(r)
            for r in await pool.fetch(
                f'SELECT * FROM "{schema}".aid_school_roster ORDER BY county, school, stage'
            )
        ],
        "terms": [
            tuple(r)
            for r in await pool.fetch(
                f'SELECT * FROM "{schema}".aid_school_terms ORDER BY term, county, school, stage'
            )
        ],
        "programmes": [
            tuple(r)
            for r in await pool.fetch(
                f'SELECT * FROM "{schema}".aid_programme_terms'
                " ORDER BY term, county, stage, programme"
            )
        ],
    }


async def recount(pool: asyncpg.Pool, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "roster": [tuple(r) for r in await pool.fetch(RECOUNT_ROSTER.format(schema=schema))],
        "terms": [tuple(r) for r in await pool.fetch(RECOUNT_TERMS.format(schema=schema))],
        "programmes": [
            tuple(r) for r in await pool.fetch(RECOUNT_PROGRAMMES.format(schema=schema))
        ],
    }


async def test_the_school_figures_equal_a_recount_after_every_kind_of_event_and_a_rebuild(
    pool: asyncpg.Pool,
) -> None:
    told, erasures = story(seed=7)
    rng = random.Random(3)
    await apply_in_batches(pool, "kept", told.events[:erasures], rng)
    before_erasure = await figures(pool, "kept")
    assert before_erasure == await recount(pool, "kept")

    await apply_in_batches(pool, "kept", told.events[erasures:], rng)
    kept = await figures(pool, "kept")
    assert kept == before_erasure, "erasing personal data changes no figure"
    assert kept == await recount(pool, "kept")
    assert {r[0] for r in kept["terms"]} == {AUTUMN, SPRING}
    assert any(r[4] < r[3] for r in kept["roster"]), "someone left school: not eligible"
    assert any(r[7] != r[6] for r in kept["terms"]), "payments differ from grants somewhere"
    assert await pool.fetchval('SELECT count(*) FROM "kept".aid_student_personal') == 250 - 30

    await apply_in_batches(pool, "rebuilt", told.events, random.Random(11))
    assert await figures(pool, "rebuilt") == kept


async def test_the_migration_fills_the_figures_of_a_read_model_kept_before_them(
    pool: asyncpg.Pool,
) -> None:
    told, _ = story(seed=8)
    await apply_in_batches(pool, "kept", told.events, random.Random(1))
    async with pool.acquire() as conn:
        await migrate(conn, "older", "projection:aid_coverage", MIGRATIONS[:3])
        for table in ("aid_students", "aid_grants", "aid_assessments"):
            await conn.execute(f'INSERT INTO "older".{table} SELECT * FROM "kept".{table}')
        await migrate(conn, "older", "projection:aid_coverage", MIGRATIONS)
    assert await figures(pool, "older") == await figures(pool, "kept")


async def test_the_reports_answer_what_a_recount_over_every_student_answers(
    pool: asyncpg.Pool,
) -> None:
    told, _ = story(seed=9)
    await apply_in_batches(pool, "reporting", told.events, random.Random(2))
    for term in (AUTUMN, SPRING, LATER):
        for county in (None, *COUNTIES):
            by_school = await reports.coverage_by_school(pool, "reporting", term, county, None)
            expected = [
                {**dict(r), "amount_granted": f"{r['amount_granted']:.2f}",
                 "amount_paid": f"{r['amount_paid']:.2f}"}
                for r in await pool.fetch(RECOUNT_BY_SCHOOL.format(schema="reporting"),
                                          term, county)
            ]  # fmt: skip
            assert by_school == expected, (term, county)
            coverage = await reports.coverage(pool, "reporting", term, county)
            for row in coverage:
                of_stage = [r for r in expected if r["stage"] == row["stage"]]
                for k in ("registered", "eligible", "aided", "missing"):
                    assert row[k] == sum(r[k] for r in of_stage), (term, county, row)
            programmes = await reports.programmes(pool, "reporting", term, county)
            assert programmes == [
                {**{k: r[k] for k in ("stage", "programme", "eligible", "granted", "revoked")},
                 **{k: f"{r[k]:.2f}" for k in ("amount_granted", "amount_paid", "amount_revoked")},
                 "amount_outstanding":
                     f"{r['amount_granted'] - r['amount_paid'] - r['amount_revoked']:.2f}"}
                for r in await pool.fetch(RECOUNT_PROGRAMMES_REPORT.format(schema="reporting"),
                                          term, county, [s.value for s in Stage])
            ], (term, county)  # fmt: skip
            for limit in (1, 3, 25, 1000):
                listed = await reports.missing_aid(pool, "reporting", term, county, limit)
                recounted = await pool.fetch(
                    RECOUNT_MISSING.format(schema="reporting"), term, county, limit
                )
                assert [r["student_id"] for r in listed] == [r[0] for r in recounted]
    autumn = await reports.coverage_by_school(pool, "reporting", AUTUMN, None, None)
    assert {r["school"] for r in autumn if r["missing"]} >= {PASSED_OVER}
    assert sum(r["missing"] for r in autumn) < sum(r["eligible"] for r in autumn) / 2
