"""Read model of the aid work done with others: the catalogue in force, university rosters
and their reports, requests to the city for per-student public funds."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeAlias

import asyncpg

from contracts.envelope import EventEnvelope
from shared.migrations import Migration

MIGRATIONS = (
    Migration(
        1,
        "catalogue versions, university dispatches and reports, funds requests",
        """
        CREATE TABLE "{schema}".aid_catalogue (
            programme text NOT NULL, effective_from text NOT NULL, term_key int NOT NULL,
            definition jsonb, PRIMARY KEY (programme, effective_from));
        CREATE TABLE "{schema}".aid_university_dispatches (
            county text NOT NULL, school_year int NOT NULL, university text NOT NULL,
            students int NOT NULL, dispatched_on date NOT NULL, report_due_on date NOT NULL,
            reports int NOT NULL DEFAULT 0, first_report_on date, late boolean,
            PRIMARY KEY (county, school_year, university));
        CREATE TABLE "{schema}".aid_university_aid (
            county text NOT NULL, school_year int NOT NULL, university text NOT NULL,
            report_no int NOT NULL, student_id uuid NOT NULL, channel text NOT NULL,
            tier int, amount numeric(14, 2) NOT NULL);
        CREATE INDEX aid_university_aid_idx
            ON "{schema}".aid_university_aid (county, school_year, university);
        CREATE TABLE "{schema}".aid_funds_requests (
            county text NOT NULL, request_id text NOT NULL, school_year int NOT NULL,
            students int NOT NULL, rate_per_student numeric(14, 2) NOT NULL,
            requested_amount numeric(14, 2) NOT NULL, requested_on date NOT NULL,
            addressed_to text NOT NULL, decision text, approved_amount numeric(14, 2),
            answered_on date, note text, PRIMARY KEY (county, request_id));
        """,
    ),
)


def term_key(term: str) -> int:
    """Terms sort as numbers: spring of a year before its autumn."""
    year, season = term.split("-")
    return int(year) * 2 + (1 if season == "autumn" else 0)


class AidCoordinationProjection:
    name = "aid_coordination"
    sources: tuple[str, ...] = ("assistance",)
    migrations: tuple[Migration, ...] = MIGRATIONS

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        rows = _Rows()
        for event in events:
            handler = getattr(rows, f"on_{event.event_type}", None)
            if handler is not None:
                handler(event)
        await rows.write(conn, f'"{schema}"')


@dataclass
class _Rows:
    catalogue: dict[tuple[str, str], str | None] = field(default_factory=dict)
    dispatches: dict[tuple[str, int, str], tuple[Any, ...]] = field(default_factory=dict)
    reports: dict[tuple[str, int, str], tuple[int, date, bool]] = field(default_factory=dict)
    aid: list[tuple[Any, ...]] = field(default_factory=list)
    requests: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    answers: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)

    def on_AidProgrammeSet(self, e: EventEnvelope) -> None:  # noqa: N802 - named for the event
        p = e.payload
        key = (p["definition"]["programme"], p["effective_from"])
        self.catalogue[key] = json.dumps(p["definition"], ensure_ascii=False)

    def on_AidProgrammeWithdrawn(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.catalogue[(p["programme"], p["effective_from"])] = None

    def on_UniversityRosterDispatched(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        key = (p["county"], p["school_year"], p["university"])
        self.dispatches[key] = (
            *key,
            len(p["student_ids"]),
            date.fromisoformat(p["dispatched_on"]),
            date.fromisoformat(p["report_due_on"]),
        )

    def on_UniversityAidReported(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        key = (p["county"], p["school_year"], p["university"])
        first = self.reports.get(key)
        received = date.fromisoformat(p["received_on"])
        self.reports[key] = (
            p["report_no"],
            first[1] if first else received,
            first[2] if first else p["late"],
        )
        self.aid += [
            (
                *key,
                p["report_no"],
                x["student_id"],
                x["channel"],
                x.get("tier"),
                Decimal(x["amount"]),
            )
            for x in p["entries"]
        ]

    def on_PublicFundsRequested(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.requests[(p["county"], p["request_id"])] = (
            p["county"],
            p["request_id"],
            p["school_year"],
            p["students"],
            Decimal(p["rate_per_student"]),
            Decimal(p["requested_amount"]),
            date.fromisoformat(p["requested_on"]),
            p["addressed_to"],
        )

    def on_PublicFundsAnswered(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.answers[(p["county"], p["request_id"])] = (
            p["county"],
            p["request_id"],
            p["decision"],
            Decimal(p["approved_amount"]),
            date.fromisoformat(p["answered_on"]),
            p["note"],
        )

    async def write(self, conn: asyncpg.Connection, s: str) -> None:
        if self.catalogue:
            await conn.execute(
                f"""INSERT INTO {s}.aid_catalogue (programme, effective_from, term_key, definition)
                    SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[]::jsonb[])
                    ON CONFLICT (programme, effective_from)
                        DO UPDATE SET definition = EXCLUDED.definition""",
                [k[0] for k in self.catalogue],
                [k[1] for k in self.catalogue],
                [term_key(k[1]) for k in self.catalogue],
                list(self.catalogue.values()),
            )
        if self.dispatches:
            await conn.execute(
                f"""INSERT INTO {s}.aid_university_dispatches (county, school_year, university,
                        students, dispatched_on, report_due_on)
                    SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::int[],
                        $5::date[], $6::date[])
                    ON CONFLICT DO NOTHING""",
                *zip(*self.dispatches.values(), strict=True),
            )
        if self.reports:
            await conn.execute(
                f"""UPDATE {s}.aid_university_dispatches d SET reports = t.reports,
                        first_report_on = coalesce(d.first_report_on, t.received),
                        late = coalesce(d.late, t.late)
                    FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::date[],
                        $6::boolean[]) AS t (county, school_year, university, reports, received,
                        late)
                    WHERE (d.county, d.school_year, d.university)
                        = (t.county, t.school_year, t.university)""",
                *zip(*((*k, *v) for k, v in self.reports.items()), strict=True),
            )
            await conn.execute(
                f"""INSERT INTO {s}.aid_university_aid (county, school_year, university,
                        report_no, student_id, channel, tier, amount)
                    SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::int[],
                        $5::uuid[], $6::text[], $7::int[], $8::numeric[])""",
                *zip(*self.aid, strict=True),
            )
        if self.requests:
            await conn.execute(
                f"""INSERT INTO {s}.aid_funds_requests (county, request_id, school_year,
                        students, rate_per_student, requested_amount, requested_on, addressed_to)
                    SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[],
                        $5::numeric[], $6::numeric[], $7::date[], $8::text[])
                    ON CONFLICT DO NOTHING""",
                *zip(*self.requests.values(), strict=True),
            )
        if self.answers:
            await conn.execute(
                f"""UPDATE {s}.aid_funds_requests r SET decision = t.decision,
                        approved_amount = t.approved, answered_on = t.answered_on, note = t.note
                    FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::date[],
                        $6::text[]) AS t (county, request_id, decision, approved, answered_on,
                        note)
                    WHERE (r.county, r.request_id) = (t.county, t.request_id)""",
                *zip(*self.answers.values(), strict=True),
            )


Db: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def catalogue_in_force(db: Db, schema: str, term: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"""
        SELECT DISTINCT ON (programme) programme, effective_from, definition
        FROM "{schema}".aid_catalogue WHERE term_key <= $1
        ORDER BY programme, term_key DESC
        """,
        term_key(term),
    )
    return [
        {"effective_from": r["effective_from"], **r["definition"]}
        for r in rows
        if r["definition"] is not None
    ]


async def university_dispatches(
    db: Db, schema: str, county: str | None, school_year: int | None, today: date
) -> list[dict[str, Any]]:
    """Each dispatch and its report status: reported (on time or late), missing, awaiting."""
    rows = await db.fetch(
        f"""
        SELECT d.*, coalesce(a.entries, 0) AS entries, coalesce(a.amount, 0) AS amount
        FROM "{schema}".aid_university_dispatches d
        LEFT JOIN (SELECT county, school_year, university, count(*) AS entries,
                          sum(amount) AS amount
                   FROM "{schema}".aid_university_aid GROUP BY 1, 2, 3) a
               USING (county, school_year, university)
        WHERE ($1::text IS NULL OR d.county = $1) AND ($2::int IS NULL OR d.school_year = $2)
        ORDER BY d.county, d.school_year, d.university
        """,
        county,
        school_year,
    )
    return [
        {
            **{k: r[k] for k in ("county", "school_year", "university", "students", "reports")},
            "dispatched_on": r["dispatched_on"].isoformat(),
            "report_due_on": r["report_due_on"].isoformat(),
            "first_report_on": r["first_report_on"].isoformat() if r["first_report_on"] else None,
            "status": _report_status(r["reports"], r["late"], r["report_due_on"], today),
            "aid_entries": r["entries"],
            "aid_amount": str(Decimal(r["amount"]).quantize(Decimal("0.01"))),
        }
        for r in rows
    ]


def _report_status(reports: int, late: bool | None, due: date, today: date) -> str:
    if reports:
        return "reported late" if late else "reported"
    return "missing" if today > due else "awaiting"


async def funds_requests(
    db: Db, schema: str, county: str | None, school_year: int | None
) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"""
        SELECT * FROM "{schema}".aid_funds_requests
        WHERE ($1::text IS NULL OR county = $1) AND ($2::int IS NULL OR school_year = $2)
        ORDER BY county, requested_on, request_id
        """,
        county,
        school_year,
    )
    return [
        {
            **{
                k: r[k]
                for k in ("county", "request_id", "school_year", "students", "addressed_to", "note")
            },
            "rate_per_student": str(r["rate_per_student"]),
            "requested_amount": str(r["requested_amount"]),
            "requested_on": r["requested_on"].isoformat(),
            "decision": r["decision"] or "awaiting answer",
            "approved_amount": str(r["approved_amount"]) if r["decision"] else None,
            "answered_on": r["answered_on"].isoformat() if r["answered_on"] else None,
        }
        for r in rows
    ]
