"""The rules: each finds, in the read models, the gaps of one kind that exist today.

A rule returns every gap open now, each under a stable key; the detector raises an alert for
a new key and resolves the alert of a key that is gone. Rules read the `reporting` schema
only, and a rule whose read model does not exist yet finds nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg

from contracts.alerts.events import AlertKind


@dataclass(frozen=True)
class Gap:
    key: str
    kind: AlertKind
    task_id: str
    county: str
    subject: str
    detail: str


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
            f"student {r['student_id']} ({r['stage']} grade {r['grade']}, {r['school']})",
            f"no aid granted for {r['term']} after the term's grant run",
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
            f"pupil of {r['school']} ({r['stage']} grade {r['grade']})",
            f"left school on {r['left_on']}; the dropout alert is open after "
            f"{(today - r['left_on']).days} days",
        )
        for r in rows
    ]


RULES: tuple[Rule, ...] = (missing_aid, dropout_open)
