"""Read model of student aid: the roster, assessments, grants and payments, dropout alerts.

Folded from the assistance service's student streams. Personal data (registry number,
name) sits in its own table so it can be shredded alone; it is shown only in lists a person
must act on (students missing aid). The events carry it sealed: it is opened here with the
student's data key; after `PersonalDataErased` the row is deleted, and a replay cannot
bring it back (the key is gone), while every figure stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg

from contracts.envelope import EventEnvelope
from services.projection.read_models.assistance import programme_figures, school_figures
from shared.migrations import Migration, hidden_from_readers
from shared.personal_data import Opener, opener_for

MIGRATIONS = (
    Migration(
        1,
        "aid students, personal data, grants",
        """
        CREATE TABLE "{schema}".aid_students (
            student_id uuid PRIMARY KEY, county text NOT NULL, school text NOT NULL,
            stage text NOT NULL, grade int NOT NULL, boarding boolean NOT NULL,
            registered_at timestamptz NOT NULL);
        CREATE INDEX aid_students_county_idx ON "{schema}".aid_students (county, stage);
        CREATE TABLE "{schema}".aid_student_personal (
            student_id uuid PRIMARY KEY, registry_id text NOT NULL, name text NOT NULL);
        CREATE TABLE "{schema}".aid_grants (
            student_id uuid NOT NULL, term text NOT NULL, programme text NOT NULL,
            county text NOT NULL, stage text NOT NULL, amount numeric(14, 2) NOT NULL,
            event_id uuid NOT NULL, granted_at timestamptz NOT NULL,
            PRIMARY KEY (student_id, term, programme));
        CREATE INDEX aid_grants_term_idx ON "{schema}".aid_grants (term, county);
        """,
    ),
    Migration(
        2,
        "roster status, assessments, payments, revocations, roster changes, dropout alerts",
        """
        ALTER TABLE "{schema}".aid_students
            ADD COLUMN school_year int,
            ADD COLUMN on_roster boolean NOT NULL DEFAULT true,
            ADD COLUMN in_school boolean NOT NULL DEFAULT true,
            ADD COLUMN status_note text NOT NULL DEFAULT '';
        ALTER TABLE "{schema}".aid_grants
            ADD COLUMN paid numeric(14, 2) NOT NULL DEFAULT 0,
            ADD COLUMN revoked boolean NOT NULL DEFAULT false,
            ADD COLUMN revoke_reason text NOT NULL DEFAULT '';
        CREATE TABLE "{schema}".aid_assessments (
            student_id uuid NOT NULL, term text NOT NULL, county text NOT NULL,
            stage text NOT NULL, grade int NOT NULL, boarding boolean NOT NULL,
            entitled text[] NOT NULL, reason text NOT NULL, PRIMARY KEY (student_id, term));
        CREATE TABLE "{schema}".aid_payments (
            event_id uuid PRIMARY KEY, student_id uuid NOT NULL, term text NOT NULL,
            programme text NOT NULL, county text NOT NULL, amount numeric(14, 2) NOT NULL,
            paid_on date NOT NULL, channel text NOT NULL, reference text NOT NULL);
        CREATE INDEX aid_payments_grant_idx ON "{schema}".aid_payments (student_id, term);
        CREATE TABLE "{schema}".aid_roster_changes (
            event_id uuid PRIMARY KEY, revision text NOT NULL, student_id uuid NOT NULL,
            county text NOT NULL, change text NOT NULL, fields text[] NOT NULL,
            recorded_at timestamptz NOT NULL);
        CREATE INDEX aid_roster_changes_idx ON "{schema}".aid_roster_changes (county, revision);
        CREATE TABLE "{schema}".aid_dropout_alerts (
            alert_id text PRIMARY KEY, student_id uuid NOT NULL, county text NOT NULL,
            school text NOT NULL, stage text NOT NULL, grade int NOT NULL, reason text NOT NULL,
            left_on date NOT NULL, resolution text, resolved_on date,
            note text NOT NULL DEFAULT '');
        """,
    ),
    Migration(3, "names for those who may see them", hidden_from_readers("aid_student_personal")),
    Migration(
        4,
        "figures per school and term; indexes listing students missing aid",
        school_figures.MIGRATION_SQL,
    ),
    Migration(5, "figures per term, county, stage and programme", programme_figures.MIGRATION_SQL),
)

_STUDENT_COLUMNS = (
    "county",
    "school",
    "stage",
    "grade",
    "boarding",
    "school_year",
    "on_roster",
    "in_school",
    "status_note",
)
_PG_TYPES = {
    "grade": "int",
    "school_year": "int",
    "boarding": "boolean",
    "on_roster": "boolean",
    "in_school": "boolean",
}
_GROUPING = frozenset(("county", "school", "stage", "on_roster", "in_school"))
"""The student columns the school figures are grouped and counted by."""
GrantKey = tuple[str, str, str]  # (student_id, term, programme)


class AidCoverageProjection:
    name = "aid_coverage"
    sources: tuple[str, ...] = ("assistance",)
    migrations: tuple[Migration, ...] = MIGRATIONS

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        """Fold the batch into rows per table, then write each table with one statement."""
        rows = _Rows(opener=await opener_for(conn, (e.payload for e in events)))
        for event in events:
            handler = getattr(rows, f"on_{event.event_type}", None)
            if handler is not None:
                handler(event)
        await rows.write(conn, schema)


@dataclass
class _Rows:
    """A batch folded into inserts and per-row patches; later events overwrite earlier ones."""

    opener: Opener = field(default_factory=lambda: Opener({}))
    students: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    personal: dict[str, tuple[str, str]] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)
    patches: dict[str, dict[str, Any]] = field(default_factory=dict)
    assessments: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    grants: list[tuple[Any, ...]] = field(default_factory=list)
    paid: dict[GrantKey, Decimal] = field(default_factory=dict)
    revoked: dict[GrantKey, str] = field(default_factory=dict)
    payments: list[tuple[Any, ...]] = field(default_factory=list)
    changes: list[tuple[Any, ...]] = field(default_factory=list)
    alerts: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    resolved: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def patch(self, student_id: str, **columns: Any) -> None:
        self.patches.setdefault(student_id, {}).update(columns)

    def change(self, e: EventEnvelope, revision: str, change: str, fields: list[str]) -> None:
        p = e.payload
        self.changes.append(
            (e.event_id, revision, p["student_id"], e.county, change, fields, e.recorded_at)
        )

    # Roster

    def on_StudentRegistered(self, e: EventEnvelope) -> None:  # noqa: N802 - named for the event
        p = e.payload
        sid = p["student_id"]
        self.students[sid] = (
            sid,
            p["county"],
            p["school"],
            p["stage"],
            p["grade"],
            p["boarding"],
            e.recorded_at,
            p.get("school_year"),
        )
        self.name(sid, p)
        if p.get("roster_revision"):
            self.change(e, p["roster_revision"], "registered", [])

    def on_StudentDetailsRevised(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.patch(
            p["student_id"],
            county=p["county"],
            school=p["school"],
            stage=p["stage"],
            grade=p["grade"],
            boarding=p["boarding"],
            school_year=p["school_year"],
        )
        self.name(p["student_id"], p)
        self.change(e, p["revision"], "revised", p["changed"])

    def name(self, student_id: str, payload: dict[str, Any]) -> None:
        """The student's registry number and name, where their key still opens them."""
        personal = self.opener.personal(payload)
        if personal is not None:
            self.personal[student_id] = (personal["student_registry_id"], personal["name"])

    def on_PersonalDataErased(self, e: EventEnvelope) -> None:  # noqa: N802
        """The student's personal row goes; their figures stay."""
        sid = e.payload["student_id"]
        self.personal.pop(sid, None)
        self.erased.add(sid)

    def on_StudentRemovedFromRoster(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.patch(p["student_id"], on_roster=False, status_note=f"removed: {p['reason']}")
        self.change(e, p["revision"], "removed", [])

    def on_StudentRestoredToRoster(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.patch(p["student_id"], on_roster=True, status_note="")
        self.change(e, p["revision"], "restored", [])

    def on_StudentPromoted(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.patch(p["student_id"], grade=p["to_grade"], school_year=p["school_year"])

    def on_StudentGraduated(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.patch(
            p["student_id"],
            stage=p["to_stage"],
            grade=1,
            school=p["school"],
            boarding=p["boarding"],
            school_year=p["school_year"],
        )

    def on_StudentTransferred(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.patch(
            p["student_id"], county=p["to_county"], school=p["to_school"], boarding=p["boarding"]
        )

    def on_StudentLeftSchool(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.patch(
            p["student_id"],
            in_school=False,
            status_note=f"left school: {p['reason']} on {p['left_on']}",
        )

    def on_StudentReturnedToSchool(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.patch(
            p["student_id"],
            in_school=True,
            status_note="",
            county=p["county"],
            school=p["school"],
            stage=p["stage"],
            grade=p["grade"],
            boarding=p["boarding"],
        )

    def on_DropoutAlertRaised(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.alerts[p["alert_id"]] = (
            p["alert_id"],
            p["student_id"],
            p["county"],
            p["school"],
            p["stage"],
            p["grade"],
            p["reason"],
            p["left_on"],
        )

    def on_DropoutAlertResolved(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.resolved[p["alert_id"]] = (p["alert_id"], p["resolution"], p["resolved_on"], p["note"])

    # Aid

    def on_StudentAidAssessed(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        key = (p["student_id"], p["term"])
        self.assessments[key] = (
            p["student_id"],
            p["term"],
            e.county,
            p["stage"],
            p["grade"],
            p["boarding"],
            p["entitled"],
            p["reason"],
        )

    def on_AidGranted(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.grants.append(
            (
                p["student_id"],
                p["term"],
                p["programme"],
                e.county,
                p["stage"],
                Decimal(p["amount"]),
                e.event_id,
                e.recorded_at,
            )
        )

    def on_AidPaid(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        key = (p["student_id"], p["term"], p["programme"])
        self.paid[key] = self.paid.get(key, Decimal(0)) + Decimal(p["amount"])
        self.payments.append(
            (
                e.event_id,
                p["student_id"],
                p["term"],
                p["programme"],
                e.county,
                Decimal(p["amount"]),
                p["paid_on"],
                p["channel"],
                p["reference"],
            )
        )

    def on_AidGrantRevoked(self, e: EventEnvelope) -> None:  # noqa: N802
        p = e.payload
        self.revoked[(p["student_id"], p["term"], p["programme"])] = p["reason"]

    def counted(self) -> tuple[set[str], set[str], set[str]]:
        """The students whose contribution this batch may change: to the school roster, to
        the school term figures, and to the programme figures."""
        moved = {sid for sid, columns in self.patches.items() if _GROUPING & columns.keys()}
        granted = {g[0] for g in self.grants} | {k[0] for k in (*self.paid, *self.revoked)}
        assessed = {a[0] for a in self.assessments}
        return set(self.students) | moved, moved | granted, assessed | granted

    async def write(self, conn: asyncpg.Connection, schema: str) -> None:
        """The detail rows, and the figures kept from them: the contributions of the students
        written taken away before, added back after. A student registered in this batch had
        nothing written before (a stream starts with its registration): nothing to take."""
        at_roster, at_terms, in_programmes = self.counted()
        new = self.students.keys()
        await school_figures.take_away(conn, schema, at_roster - new, at_terms - new)
        if in_programmes - new:
            await programme_figures.take_away(conn, schema, in_programmes - new)
        await self._write_rows(conn, schema)
        await school_figures.add_back(conn, schema, at_roster, at_terms)
        if in_programmes:
            await programme_figures.add_back(conn, schema, in_programmes)

    async def _write_rows(self, conn: asyncpg.Connection, schema: str) -> None:
        s = f'"{schema}"'
        if self.students:
            await conn.execute(
                f"""INSERT INTO {s}.aid_students (student_id, county, school, stage, grade,
                        boarding, registered_at, school_year)
                    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[],
                        $5::int[], $6::boolean[], $7::timestamptz[], $8::int[])
                    ON CONFLICT (student_id) DO NOTHING""",
                *zip(*self.students.values(), strict=True),
            )
        if self.personal:
            await conn.execute(
                f"""INSERT INTO {s}.aid_student_personal (student_id, registry_id, name)
                    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])
                    ON CONFLICT (student_id) DO UPDATE
                        SET registry_id = EXCLUDED.registry_id, name = EXCLUDED.name""",
                list(self.personal),
                *zip(*self.personal.values(), strict=True),
            )
        if self.erased:
            await conn.execute(
                f"DELETE FROM {s}.aid_student_personal WHERE student_id = ANY($1::uuid[])",
                list(self.erased),
            )
        if self.patches:
            await self._write_patches(conn, s)
        if self.assessments:
            await conn.execute(
                f"""INSERT INTO {s}.aid_assessments (student_id, term, county, stage, grade,
                        boarding, entitled, reason)
                    SELECT t.student_id, t.term, t.county, t.stage, t.grade, t.boarding,
                           string_to_array(t.entitled, ','), t.reason
                    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[],
                        $6::boolean[], $7::text[], $8::text[])
                        AS t (student_id, term, county, stage, grade, boarding, entitled, reason)
                    ON CONFLICT (student_id, term) DO UPDATE SET stage = EXCLUDED.stage,
                        grade = EXCLUDED.grade, boarding = EXCLUDED.boarding,
                        entitled = EXCLUDED.entitled, reason = EXCLUDED.reason""",
                *_columns([(*a[:6], ",".join(a[6]), a[7]) for a in self.assessments.values()]),
            )
        if self.grants:
            await conn.execute(
                f"""INSERT INTO {s}.aid_grants (student_id, term, programme, county, stage,
                        amount, event_id, granted_at)
                    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[],
                        $5::text[], $6::numeric[], $7::uuid[], $8::timestamptz[])
                    ON CONFLICT (student_id, term, programme) DO NOTHING""",
                *zip(*self.grants, strict=True),
            )
        if self.paid:
            await conn.execute(
                f"""UPDATE {s}.aid_grants g SET paid = g.paid + t.amount
                    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::numeric[])
                        AS t (student_id, term, programme, amount)
                    WHERE (g.student_id, g.term, g.programme)
                        = (t.student_id, t.term, t.programme)""",
                *_columns([(*k, v) for k, v in self.paid.items()]),
            )
            await conn.execute(
                f"""INSERT INTO {s}.aid_payments (event_id, student_id, term, programme,
                        county, amount, paid_on, channel, reference)
                    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[],
                        $5::text[], $6::numeric[], $7::date[], $8::text[], $9::text[])
                    ON CONFLICT (event_id) DO NOTHING""",
                *_columns([(*p[:6], _date(p[6]), *p[7:]) for p in self.payments]),
            )
        if self.revoked:
            await conn.execute(
                f"""UPDATE {s}.aid_grants g SET revoked = true, revoke_reason = t.reason
                    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
                        AS t (student_id, term, programme, reason)
                    WHERE (g.student_id, g.term, g.programme)
                        = (t.student_id, t.term, t.programme)""",
                *_columns([(*k, v) for k, v in self.revoked.items()]),
            )
        if self.changes:
            await conn.execute(
                f"""INSERT INTO {s}.aid_roster_changes (event_id, revision, student_id,
                        county, change, fields, recorded_at)
                    SELECT t.event_id, t.revision, t.student_id, t.county, t.change,
                           string_to_array(t.fields, ','), t.recorded_at
                    FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[],
                        $6::text[], $7::timestamptz[])
                        AS t (event_id, revision, student_id, county, change, fields, recorded_at)
                    ON CONFLICT (event_id) DO NOTHING""",
                *_columns([(*c[:5], ",".join(c[5]), c[6]) for c in self.changes]),
            )
        if self.alerts:
            await conn.execute(
                f"""INSERT INTO {s}.aid_dropout_alerts (alert_id, student_id, county, school,
                        stage, grade, reason, left_on)
                    SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[],
                        $5::text[], $6::int[], $7::text[], $8::date[])
                    ON CONFLICT (alert_id) DO NOTHING""",
                *_columns([(*a[:7], _date(a[7])) for a in self.alerts.values()]),
            )
        if self.resolved:
            await conn.execute(
                f"""UPDATE {s}.aid_dropout_alerts a SET resolution = t.resolution,
                        resolved_on = t.resolved_on, note = t.note
                    FROM unnest($1::text[], $2::text[], $3::date[], $4::text[])
                        AS t (alert_id, resolution, resolved_on, note)
                    WHERE a.alert_id = t.alert_id""",
                *_columns([(r[0], r[1], _date(r[2]), r[3]) for r in self.resolved.values()]),
            )

    async def _write_patches(self, conn: asyncpg.Connection, s: str) -> None:
        """One UPDATE for all patched students; NULL in a column means 'unchanged'."""
        ids = list(self.patches)
        arrays = [[self.patches[i].get(c) for i in ids] for c in _STUDENT_COLUMNS]
        sets = ", ".join(f"{c} = COALESCE(t.{c}, a.{c})" for c in _STUDENT_COLUMNS)
        types = ", ".join(
            f"${n}::{_PG_TYPES.get(c, 'text')}[]" for n, c in enumerate(_STUDENT_COLUMNS, start=2)
        )
        await conn.execute(
            f"""UPDATE {s}.aid_students a SET {sets}
                FROM unnest($1::uuid[], {types}) AS t (student_id, {", ".join(_STUDENT_COLUMNS)})
                WHERE a.student_id = t.student_id""",
            ids,
            *arrays,
        )


def _columns(rows: Sequence[tuple[Any, ...]]) -> list[Any]:
    return list(zip(*rows, strict=True))


def _date(value: str) -> date:
    return date.fromisoformat(value)
