"""Aid figures pre-aggregated per term, county, stage and programme, so that the programmes
report of a province reads a few hundred rows instead of every assessment and grant.

`aid_programme_terms` holds how many students the term's assessments entitled to each
programme (by the county and stage they were assessed in) and the term's grants: how many,
how many revoked, the money granted, paid and revoked (by the county and stage of the grant).
Kept like the school figures: a batch takes away the contribution of every student whose
assessments or grants it writes, writes them, and adds the contribution back, in the same
transaction; a key left with nothing loses its row.
"""

from __future__ import annotations

from collections.abc import Collection

import asyncpg

_ENTITLED = """
    SELECT a.term, a.county, a.stage, p.programme, {sign} count(*) AS eligible,
           0 AS granted, 0 AS revoked, 0 AS amount_granted, 0 AS amount_paid,
           0 AS amount_revoked
    FROM "{schema}".aid_assessments a, unnest(a.entitled) AS p (programme)
    {where_a}
    GROUP BY a.term, a.county, a.stage, p.programme"""

_GRANTED = """
    SELECT term, county, stage, programme, 0 AS eligible, {sign} count(*) AS granted,
           {sign} count(*) FILTER (WHERE revoked) AS revoked,
           {sign} sum(amount) AS amount_granted, {sign} sum(paid) AS amount_paid,
           {sign} coalesce(sum(amount) FILTER (WHERE revoked), 0) AS amount_revoked
    FROM "{schema}".aid_grants {where}
    GROUP BY term, county, stage, programme"""

_FIGURES = (
    "SELECT term, county, stage, programme, sum(eligible) AS eligible, sum(granted) AS granted,"
    " sum(revoked) AS revoked, sum(amount_granted) AS amount_granted,"
    " sum(amount_paid) AS amount_paid, sum(amount_revoked) AS amount_revoked"
    " FROM (" + _ENTITLED + " UNION ALL " + _GRANTED + ") f"
    " GROUP BY term, county, stage, programme"
)

MIGRATION_SQL = (
    """
    CREATE TABLE "{schema}".aid_programme_terms (
        term text NOT NULL, county text NOT NULL, stage text NOT NULL, programme text NOT NULL,
        eligible int NOT NULL, granted int NOT NULL, revoked int NOT NULL,
        amount_granted numeric(14, 2) NOT NULL, amount_paid numeric(14, 2) NOT NULL,
        amount_revoked numeric(14, 2) NOT NULL,
        PRIMARY KEY (term, county, stage, programme));
    INSERT INTO "{schema}".aid_programme_terms """
    + _FIGURES.format(schema="{schema}", sign="", where_a="", where="")
    + ";"
)
"""Creates the figures and fills them from the detail rows an existing read model holds."""


async def take_away(conn: asyncpg.Connection, schema: str, students: Collection[str]) -> None:
    """Subtract the students' contributions as the detail rows hold them now; a key left with
    nothing loses its row."""
    emptied = await _add(conn, schema, students, "-")
    if emptied:
        await conn.execute(
            f"""DELETE FROM "{schema}".aid_programme_terms
                WHERE (term, county, stage, programme) IN (SELECT * FROM unnest($1::text[],
                    $2::text[], $3::text[], $4::text[])) AND eligible = 0 AND granted = 0""",
            *zip(*emptied, strict=True),
        )


async def add_back(conn: asyncpg.Connection, schema: str, students: Collection[str]) -> None:
    """Add the students' contributions as the detail rows hold them after the batch."""
    await _add(conn, schema, students, "")


async def _add(
    conn: asyncpg.Connection, schema: str, students: Collection[str], sign: str
) -> list[tuple[str, ...]]:
    """Adds (or with sign '-' subtracts) the students' figures; returns the keys left with
    nothing."""
    figures = _FIGURES.format(
        schema=schema,
        sign=sign,
        where_a="WHERE a.student_id = ANY($1::uuid[])",
        where="WHERE student_id = ANY($1::uuid[])",
    )
    columns = ("eligible", "granted", "revoked", "amount_granted", "amount_paid", "amount_revoked")
    rows = await conn.fetch(
        f"""INSERT INTO "{schema}".aid_programme_terms AS t (term, county, stage, programme,
                {", ".join(columns)})
            {figures}
            ON CONFLICT (term, county, stage, programme) DO UPDATE
                SET {", ".join(f"{c} = t.{c} + EXCLUDED.{c}" for c in columns)}
            RETURNING term, county, stage, programme, eligible, granted""",
        list(students),
    )
    return [
        (r["term"], r["county"], r["stage"], r["programme"])
        for r in rows
        if not r["eligible"] and not r["granted"]
    ]
