"""The rules: each finds, in the read models, the gaps of one kind that exist today.

A rule returns every gap open now, each under a stable key; the detector raises an alert for
a new key and resolves the alert of a key that is gone. Rules read the `reporting` schema
only (through the work streams' own report functions where they have one), and a rule whose
read model does not exist yet finds nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg

from contracts.alerts.events import AlertKind
from contracts.staffing.terms import term_of
from services.projection.read_models.evaluation import guidance as evaluation_guidance
from services.projection.read_models.pairing import reports as pairing_reports
from services.projection.read_models.plan.rules import SEASON_ENDS, post_lacking
from services.projection.read_models.staffing import coverage as staffing_coverage
from services.projection.read_models.staffing import training as staffing_training
from shared.i18n import Phrase, named, phrase


@dataclass(frozen=True)
class Gap:
    key: str
    kind: AlertKind
    task_id: str
    county: str
    subject: Phrase
    detail: Phrase


Rule = Callable[[asyncpg.Connection, str, date], Awaitable[list[Gap]]]
DROPOUT_OPEN_DAYS = 30


async def missing_aid(conn: asyncpg.Connection, schema: str, today: date) -> list[Gap]:
    """Eligible students with no grant for their county's latest term with a grant run,
    though registered before that run."""
    rows = await conn.fetch(
        f"""
        WITH runs AS (
            SELECT DISTINCT ON (county) county, term, max(granted_at) AS last_run
            FROM "{schema}".aid_grants GROUP BY county, term
            ORDER BY county, split_part(term, '-', 1) DESC, split_part(term, '-', 2) ASC)
        SELECT s.student_id, s.county, s.stage, s.grade, s.school, r.term
        FROM runs r JOIN "{schema}".aid_students s ON s.county = r.county
        WHERE s.on_roster AND s.in_school AND s.registered_at < r.last_run
          AND NOT EXISTS (SELECT 1 FROM "{schema}".aid_grants g
                          WHERE g.student_id = s.student_id AND g.term = r.term)
        """
    )
    return [
        Gap(
            f"missing_aid/{r['term']}/{r['student_id']}",
            AlertKind.MISSING_AID,
            "1.2",
            r["county"],
            phrase(
                "alert.student_subject",
                student_id=r["student_id"],
                stage=named("stage", r["stage"]),
                grade=r["grade"],
                school=named("school", r["school"]),
            ),
            phrase("alert.missing_aid_detail", term=named("term", r["term"])),
        )
        for r in rows
    ]


async def dropout_open(conn: asyncpg.Connection, schema: str, today: date) -> list[Gap]:
    """Dropout alerts still open a month after the pupil left."""
    rows = await conn.fetch(
        f"""SELECT alert_id, county, school, stage, grade, left_on
            FROM "{schema}".aid_dropout_alerts
            WHERE resolution IS NULL AND left_on <= $1""",
        today - timedelta(days=DROPOUT_OPEN_DAYS),
    )
    return [
        Gap(
            f"dropout_open/{r['alert_id']}",
            AlertKind.DROPOUT_OPEN,
            "1.2",
            r["county"],
            phrase(
                "alert.pupil_of_school",
                school=named("school", r["school"]),
                stage=named("stage", r["stage"]),
                grade=r["grade"],
            ),
            phrase(
                "alert.dropout_open_detail", left_on=r["left_on"], days=(today - r["left_on"]).days
            ),
        )
        for r in rows
    ]


async def subject_without_master_teacher(
    conn: asyncpg.Connection, schema: str, today: date
) -> list[Gap]:
    """A targeted subject of a host school with no master teacher serving this term."""
    term = term_of(today)
    counties = [
        r["county"]
        for r in await conn.fetch(f'SELECT DISTINCT county FROM "{schema}".staffing_targets')
    ]
    gaps = []
    for county in counties:
        for post in await staffing_coverage.coverage(conn, schema, term, county, today):
            if post_lacking(post):
                gaps.append(
                    Gap(
                        f"subject_without_master_teacher/{county}/{post['host_school']}/"
                        f"{post['subject']}",
                        AlertKind.SUBJECT_WITHOUT_MASTER_TEACHER,
                        "2.1",
                        county,
                        phrase(
                            "alert.subject_at_school",
                            subject=named("subject", post["subject"]),
                            school=post["host_school_name"] or named("school", post["host_school"]),
                        ),
                        phrase(
                            "alert.master_teachers_detail",
                            teachers=post["teachers"],
                            term=named("term", term),
                            min=post["min"],
                            max=post["max"],
                        ),
                    )
                )
    return gaps


def season_term(school_year: int, season: str) -> str:
    """The term a season of a school year is: its autumn starts it, its spring is next year's."""
    return f"{school_year}-autumn" if season == "autumn" else f"{school_year + 1}-spring"


async def caravan_visit_missing(conn: asyncpg.Connection, schema: str, today: date) -> list[Gap]:
    """A season of caravan visits that ended with none held."""
    counties = [
        r["county"]
        for r in await conn.fetch(f'SELECT DISTINCT county FROM "{schema}".staffing_targets')
    ]
    gaps = []
    for county in counties:
        for year in await staffing_training.training_calendar(conn, schema, county, today):
            for season in SEASON_ENDS:
                if year[season] == "missing":
                    gaps.append(
                        Gap(
                            f"caravan_visit_missing/{county}/{year['year']}/{season}",
                            AlertKind.CARAVAN_VISIT_MISSING,
                            "2.2",
                            county,
                            phrase(
                                "alert.caravan_subject",
                                term=named("term", season_term(year["year"], season)),
                            ),
                            phrase(
                                "alert.caravan_detail",
                                season=named("season", season),
                                year=year["year"],
                                next_year=year["year"] + 1,
                            ),
                        )
                    )
    return gaps


async def pair_without_secondment(conn: asyncpg.Connection, schema: str, today: date) -> list[Gap]:
    """An active pair with a side below the minimum of managers seconded today."""
    return [
        Gap(
            f"pair_without_secondment/{pair['pair_id']}/{side}",
            AlertKind.PAIR_WITHOUT_SECONDMENT,
            "3.2",
            pair["county"],
            phrase(
                "alert.pair_subject",
                helped=pair["helped_school"]["name"],
                helper=pair["helper_school"]["name"],
            ),
            phrase(
                "alert.pair_detail",
                side=named("direction", side),
                managers=pair["secondments"][side]["on_day"],
                day=today,
                min=pair["secondments"]["target"]["min"],
            ),
        )
        for pair in await pairing_reports.pairs(conn, schema, None, today)
        for side in pair["secondments"]["sides_below_minimum"]
    ]


async def institution_without_research_visit(
    conn: asyncpg.Connection, schema: str, today: date
) -> list[Gap]:
    """An institution of last year's guidance plan that had no research visit all year."""
    year = today.year - 1
    return [
        Gap(
            f"institution_without_research_visit/{r['county']}/{year}/{r['institution']}",
            AlertKind.INSTITUTION_WITHOUT_RESEARCH_VISIT,
            "4.1",
            r["county"],
            phrase("alert.institution_subject", institution=str(r["name"] or r["institution"])),
            phrase(
                "alert.research_visit_detail",
                year=year,
                min=r["visits_min"],
                max=r["visits_max"],
            ),
        )
        for r in await evaluation_guidance.visits_per_institution(conn, schema, year, None)
        if r["status"] == "none"
    ]


RULES: tuple[Rule, ...] = (
    missing_aid,
    dropout_open,
    subject_without_master_teacher,
    caravan_visit_missing,
    pair_without_secondment,
    institution_without_research_visit,
)
