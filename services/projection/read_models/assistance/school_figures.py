"""Aid figures pre-aggregated per school and stage (and term), so that a province's coverage
reports read a few thousand rows instead of every student.

`aid_school_roster` holds, per (county, school, stage) of the students on the roster today,
how many are registered and how many in school; `aid_school_terms` holds, per term and the
same key, the students with a grant of the term (all of them, and those in school) and the
money granted (not revoked) and paid. Both are sums of one contribution per student, taken
from the detail rows: a batch takes away the contribution of every student it touches before
writing the detail rows and adds it back after, in the same transaction. So the figures equal
a recount of `aid_students` and `aid_grants` after any batch, a rebuild ends with the same
rows (a group without students has no row) and erasing a person's data changes no figure.
"""

from __future__ import annotations

from collections.abc import Collection

import asyncpg

_PER_STUDENT_GRANTS = """
    SELECT student_id, term, sum(amount) FILTER (WHERE NOT revoked) AS amount,
           sum(paid) AS paid
    FROM "{schema}".aid_grants {where} GROUP BY student_id, term"""

_ROSTER_FIGURES = """
    SELECT county, school, stage, {sign} count(*) AS registered,
           {sign} count(*) FILTER (WHERE in_school) AS eligible
    FROM "{schema}".aid_students WHERE on_roster {and_students}
    GROUP BY county, school, stage"""

_TERM_FIGURES = """
    SELECT g.term, s.county, s.school, s.stage, {sign} count(*) AS aided,
           {sign} count(*) FILTER (WHERE s.in_school) AS aided_in_school,
           {sign} coalesce(sum(g.amount), 0) AS amount_granted,
           {sign} coalesce(sum(g.paid), 0) AS amount_paid
    FROM "{schema}".aid_students s JOIN ({grants}) g USING (student_id)
    WHERE s.on_roster {and_students}
    GROUP BY g.term, s.county, s.school, s.stage"""

MIGRATION_SQL = (
    """
    CREATE TABLE "{schema}".aid_school_roster (
        county text NOT NULL, school text NOT NULL, stage text NOT NULL,
        registered int NOT NULL, eligible int NOT NULL,
        PRIMARY KEY (county, school, stage));
    CREATE TABLE "{schema}".aid_school_terms (
        term text NOT NULL, county text NOT NULL, school text NOT NULL, stage text NOT NULL,
        aided int NOT NULL, aided_in_school int NOT NULL,
        amount_granted numeric(14, 2) NOT NULL, amount_paid numeric(14, 2) NOT NULL,
        PRIMARY KEY (term, county, school, stage));
    -- the students missing aid, listed in registration order: for the province, for a county,
    -- and within the schools the figures above say have someone missing
    CREATE INDEX aid_students_waiting_idx ON "{schema}".aid_students (registered_at, student_id)
        WHERE on_roster AND in_school;
    CREATE INDEX aid_students_county_waiting_idx
        ON "{schema}".aid_students (county, registered_at, student_id)
        WHERE on_roster AND in_school;
    CREATE INDEX aid_students_school_waiting_idx
        ON "{schema}".aid_students (county, school, stage, registered_at, student_id)
        WHERE on_roster AND in_school;
    """
    + 'INSERT INTO "{schema}".aid_school_roster '
    + _ROSTER_FIGURES.format(schema="{schema}", sign="", and_students="")
    + ';\nINSERT INTO "{schema}".aid_school_terms '
    + _TERM_FIGURES.format(
        schema="{schema}",
        sign="",
        and_students="",
        grants=_PER_STUDENT_GRANTS.format(schema="{schema}", where=""),
    )
    + ";"
)
"""Creates the figures and fills them from the detail rows an existing read model holds."""

_STUDENTS = "AND student_id = ANY($1::uuid[])"


async def take_away(
    conn: asyncpg.Connection, schema: str, at_roster: Collection[str], at_terms: Collection[str]
) -> None:
    """Subtract the contributions of students as the detail rows hold them now: to the roster
    figures, and to the term figures; a group left with nobody loses its row."""
    s = f'"{schema}"'
    if at_roster:
        emptied = await _roster(conn, schema, at_roster, "-")
        if emptied:
            await conn.execute(
                f"""DELETE FROM {s}.aid_school_roster
                    WHERE (county, school, stage) IN (SELECT * FROM unnest($1::text[],
                        $2::text[], $3::text[])) AND registered = 0""",
                *zip(*emptied, strict=True),
            )
    if at_terms:
        emptied = await _terms(conn, schema, at_terms, "-")
        if emptied:
            await conn.execute(
                f"""DELETE FROM {s}.aid_school_terms
                    WHERE (term, county, school, stage) IN (SELECT * FROM unnest($1::text[],
                        $2::text[], $3::text[], $4::text[])) AND aided = 0""",
                *zip(*emptied, strict=True),
            )


async def add_back(
    conn: asyncpg.Connection, schema: str, at_roster: Collection[str], at_terms: Collection[str]
) -> None:
    """Add the students' contributions as the detail rows hold them after the batch."""
    if at_roster:
        await _roster(conn, schema, at_roster, "")
    if at_terms:
        await _terms(conn, schema, at_terms, "")


async def _roster(
    conn: asyncpg.Connection, schema: str, students: Collection[str], sign: str
) -> list[tuple[str, ...]]:
    """Adds (or with sign '-' subtracts) the students' roster figures; returns the groups
    now without anyone."""
    rows = await conn.fetch(
        f"""INSERT INTO "{schema}".aid_school_roster AS r (county, school, stage, registered,
                eligible)
            {_ROSTER_FIGURES.format(schema=schema, sign=sign, and_students=_STUDENTS)}
            ON CONFLICT (county, school, stage) DO UPDATE
                SET registered = r.registered + EXCLUDED.registered,
                    eligible = r.eligible + EXCLUDED.eligible
            RETURNING county, school, stage, registered""",
        list(students),
    )
    return [(r["county"], r["school"], r["stage"]) for r in rows if not r["registered"]]


async def _terms(
    conn: asyncpg.Connection, schema: str, students: Collection[str], sign: str
) -> list[tuple[str, ...]]:
    """Adds (or subtracts) the students' term figures; returns the groups now without aid."""
    grants = _PER_STUDENT_GRANTS.format(schema=schema, where="WHERE student_id = ANY($1::uuid[])")
    terms = _TERM_FIGURES.format(
        schema=schema, sign=sign, and_students="AND s.student_id = ANY($1::uuid[])", grants=grants
    )
    rows = await conn.fetch(
        f"""INSERT INTO "{schema}".aid_school_terms AS t (term, county, school, stage, aided,
                aided_in_school, amount_granted, amount_paid)
            {terms}
            ON CONFLICT (term, county, school, stage) DO UPDATE
                SET aided = t.aided + EXCLUDED.aided,
                    aided_in_school = t.aided_in_school + EXCLUDED.aided_in_school,
                    amount_granted = t.amount_granted + EXCLUDED.amount_granted,
                    amount_paid = t.amount_paid + EXCLUDED.amount_paid
            RETURNING term, county, school, stage, aided""",
        list(students),
    )
    return [(r["term"], r["county"], r["school"], r["stage"]) for r in rows if not r["aided"]]
