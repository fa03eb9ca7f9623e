"""Read model of school pairing: pairs, secondments, shadowing, shared teaching, school system.

A batch is folded into rows per table in Python and each table is written with one statement.
Names of people sit in their own table so they can be shredded alone; only the shadowing
report shows them, where a division must act on a flagged period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg

from contracts.envelope import EventEnvelope
from shared.migrations import Migration, hidden_from_readers
from shared.personal_data import Opener, opener_for

MIGRATIONS = (
    Migration(
        1,
        "pairs, secondments, shadowing, activities, school system, targets, personal data",
        """
        CREATE TABLE "{schema}".pairing_pairs (
            pair_id text PRIMARY KEY, county text NOT NULL, stage text NOT NULL,
            helped_school_id text NOT NULL, helped_school_name text NOT NULL,
            helper_school_id text NOT NULL, helper_school_name text NOT NULL,
            responsible_division text NOT NULL, start_date date NOT NULL,
            status text NOT NULL, status_since date NOT NULL);
        CREATE INDEX pairing_pairs_county_idx ON "{schema}".pairing_pairs (county);
        CREATE TABLE "{schema}".pairing_secondments (
            secondment_id uuid PRIMARY KEY, pair_id text NOT NULL, county text NOT NULL,
            direction text NOT NULL, role text NOT NULL, start_date date NOT NULL,
            end_date date NOT NULL, form text NOT NULL, content text NOT NULL);
        CREATE INDEX pairing_secondments_county_idx ON "{schema}".pairing_secondments (county);
        CREATE TABLE "{schema}".pairing_shadowing (
            shadowing_id uuid PRIMARY KEY, pair_id text NOT NULL, county text NOT NULL,
            host_school_id text NOT NULL, subject text NOT NULL, start_date date NOT NULL,
            end_date date NOT NULL, months numeric(6, 2) NOT NULL,
            within_target boolean NOT NULL, exception_reason text);
        CREATE INDEX pairing_shadowing_county_idx ON "{schema}".pairing_shadowing (county);
        CREATE TABLE "{schema}".pairing_activities (
            activity_id uuid PRIMARY KEY, pair_id text NOT NULL, county text NOT NULL,
            kind text NOT NULL, subject text NOT NULL, weak_subject boolean,
            title text NOT NULL, occurred_on date NOT NULL);
        CREATE INDEX pairing_activities_county_idx ON "{schema}".pairing_activities (county);
        CREATE TABLE "{schema}".pairing_school_system (
            county text NOT NULL, helped_school_id text NOT NULL, kind text NOT NULL,
            item text NOT NULL, achieved_on date NOT NULL,
            PRIMARY KEY (county, helped_school_id, kind, item));
        CREATE TABLE "{schema}".pairing_targets (
            county text PRIMARY KEY, active_pairs int NOT NULL,
            secondments_min int NOT NULL, secondments_max int NOT NULL,
            shadowing_months_min numeric(6, 2) NOT NULL,
            shadowing_months_max numeric(6, 2) NOT NULL);
        CREATE TABLE "{schema}".pairing_personal (
            record_id uuid NOT NULL, role text NOT NULL, name text NOT NULL,
            PRIMARY KEY (record_id, role));
        """,
    ),
    Migration(2, "names for those who may see them", hidden_from_readers("pairing_personal")),
    Migration(
        3,
        "every revision of the pairing targets, each from its day",
        """
        ALTER TABLE "{schema}".pairing_targets
            ADD COLUMN revision int NOT NULL DEFAULT 0,
            ADD COLUMN effective_from date NOT NULL DEFAULT '0001-01-01',
            DROP CONSTRAINT pairing_targets_pkey,
            ADD PRIMARY KEY (county, revision);
        ALTER TABLE "{schema}".pairing_targets
            ALTER COLUMN revision DROP DEFAULT, ALTER COLUMN effective_from DROP DEFAULT;
        """,
    ),
)
"""Migration 3 keeps the targets held before it as revision 0, in force from the first day; a
rebuild of the read model brings back every revision with its own day."""

ACTIVITIES = {
    "TeacherPairingAgreed": ("teacher_pairing", "plan_id", "goal", "agreed_on"),
    "ModelLessonGiven": ("model_lesson", "lesson_id", "title", "given_on"),
    "ExchangeVisitMade": ("exchange_visit", "visit_id", "purpose", "start_date"),
    "TeachingResourceShared": ("", "resource_id", "title", "shared_on"),
}
"""Event type -> (kind, id, what, day fields) of its pairing_activities row; a shared
resource's kind is its own (courseware or teaching_result)."""

PERSONAL_ROLES = {
    "name": "teacher",
    "helper_teacher_name": "helper_teacher",
    "helped_teacher_name": "helped_teacher",
}
"""Name field of an activity's personal part -> role stored in pairing_personal."""


class PairingProjection:
    name = "pairing"
    sources: tuple[str, ...] = ("pairing",)
    migrations: tuple[Migration, ...] = MIGRATIONS

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[EventEnvelope]
    ) -> None:
        """Fold the batch into rows per table, then write each table with one statement."""
        rows = _Rows(opener=await opener_for(conn, (e.payload for e in events)))
        for event in events:
            rows.add(event)
        await rows.write(conn, schema)


def _day(value: str) -> date:
    return date.fromisoformat(value)


@dataclass
class _Rows:
    opener: Opener = field(default_factory=lambda: Opener({}))
    pairs: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    statuses: dict[str, tuple[str, date]] = field(default_factory=dict)
    secondments: list[tuple[Any, ...]] = field(default_factory=list)
    shadowing: list[tuple[Any, ...]] = field(default_factory=list)
    activities: list[tuple[Any, ...]] = field(default_factory=list)
    school_system: list[tuple[Any, ...]] = field(default_factory=list)
    targets: list[tuple[Any, ...]] = field(default_factory=list)
    personal: list[tuple[Any, ...]] = field(default_factory=list)
    erased: set[str] = field(default_factory=set)

    def add(self, e: EventEnvelope) -> None:
        p = e.payload
        match e.event_type:
            case "PairEstablished":
                self.pairs[p["pair_id"]] = (
                    p["pair_id"], p["county"], p["stage"], p["helped_school_id"],
                    p["helped_school_name"], p["helper_school_id"], p["helper_school_name"],
                    p["responsible_division"], _day(p["start_date"]), "active",
                    _day(p["start_date"]),
                )  # fmt: skip
            case "PairSuspended":
                self.statuses[p["pair_id"]] = ("suspended", _day(p["on"]))
            case "PairResumed":
                self.statuses[p["pair_id"]] = ("active", _day(p["on"]))
            case "PairEnded":
                self.statuses[p["pair_id"]] = ("ended", _day(p["on"]))
            case "ManagerSeconded":
                self.secondments.append(
                    (
                        p["secondment_id"], p["pair_id"], p["county"], p["direction"], p["role"],
                        _day(p["start_date"]), _day(p["end_date"]), p["form"], p["content"],
                    )
                )  # fmt: skip
                self.name(p["secondment_id"], "manager", p)
            case "ShadowingRecorded":
                self.shadowing.append(
                    (
                        p["shadowing_id"], p["pair_id"], p["county"], p["host_school_id"],
                        p["subject"], _day(p["start_date"]), _day(p["end_date"]),
                        Decimal(p["months"]), p["within_target"], p["exception_reason"],
                    )
                )  # fmt: skip
                self.name(p["shadowing_id"], "teacher", p)
            case (
                "TeacherPairingAgreed"
                | "ModelLessonGiven"
                | "ExchangeVisitMade"
                | "TeachingResourceShared"
            ):
                self._activity(e)
            case "SchoolSystemMilestoneAchieved":
                self.school_system.append(
                    (p["county"], p["helped_school_id"], "milestone", p["milestone"],
                     _day(p["achieved_on"]))
                )  # fmt: skip
            case "StandardisedAssessmentPassed":
                self.school_system.append(
                    (p["county"], p["helped_school_id"], "assessment", p["level"],
                     _day(p["passed_on"]))
                )  # fmt: skip
            case "PairingPersonalDataErased":
                self.personal = [r for r in self.personal if str(r[0]) != p["record_id"]]
                self.erased.add(p["record_id"])
            case "PairingTargetsAdopted":
                # one row per revision (its stream version); unset day: from the first day
                self.targets.append(
                    (
                        p["county"], p["active_pairs"], p["secondments_per_side_min"],
                        p["secondments_per_side_max"], Decimal(p["shadowing_months_min"]),
                        Decimal(p["shadowing_months_max"]), e.version,
                        _day(p["effective_from"]) if p.get("effective_from") else date.min,
                    )
                )  # fmt: skip

    def _activity(self, e: EventEnvelope) -> None:
        p = e.payload
        kind, id_field, what_field, day_field = ACTIVITIES[e.event_type]
        self.activities.append(
            (
                p[id_field], p["pair_id"], p["county"], kind or p["kind"], p["subject"],
                p.get("weak_subject"), p[what_field], _day(p[day_field]),
            )
        )  # fmt: skip
        for field_name, name in (self.opener.personal(p) or {}).items():
            self.personal.append((p[id_field], PERSONAL_ROLES[field_name], name))

    def name(self, record_id: str, role: str, p: dict[str, Any]) -> None:
        """The person's name, where the record's key still opens it (none once erased)."""
        personal = self.opener.personal(p)
        if personal is not None:
            self.personal.append((record_id, role, personal["name"]))

    async def write(self, conn: asyncpg.Connection, schema: str) -> None:
        await self._insert(
            conn, schema, "pairing_pairs", list(self.pairs.values()),
            "text,text,text,text,text,text,text,text,date,text,date",
        )  # fmt: skip
        if self.statuses:
            await conn.execute(
                f"""
                UPDATE "{schema}".pairing_pairs p SET status = s.status, status_since = s.since
                FROM unnest($1::text[], $2::text[], $3::date[]) AS s (pair_id, status, since)
                WHERE p.pair_id = s.pair_id
                """,
                list(self.statuses),
                *zip(*self.statuses.values(), strict=True),
            )
        await self._insert(
            conn, schema, "pairing_secondments", self.secondments,
            "uuid,text,text,text,text,date,date,text,text",
        )  # fmt: skip
        await self._insert(
            conn, schema, "pairing_shadowing", self.shadowing,
            "uuid,text,text,text,text,date,date,numeric,boolean,text",
        )  # fmt: skip
        await self._insert(
            conn, schema, "pairing_activities", self.activities,
            "uuid,text,text,text,text,boolean,text,date",
        )  # fmt: skip
        await self._insert(
            conn, schema, "pairing_school_system", self.school_system, "text,text,text,text,date"
        )
        await self._insert(conn, schema, "pairing_personal", self.personal, "uuid,text,text")
        if self.erased:
            await conn.execute(
                f'DELETE FROM "{schema}".pairing_personal WHERE record_id = ANY($1::uuid[])',
                list(self.erased),
            )
        await self._insert(
            conn, schema, "pairing_targets", self.targets,
            "text,int,int,int,numeric,numeric,int,date",
        )  # fmt: skip

    @staticmethod
    async def _insert(
        conn: asyncpg.Connection, schema: str, table: str, rows: list[tuple[Any, ...]], types: str
    ) -> None:
        """Insert rows in one statement; a row already there (redelivery) is left alone."""
        if not rows:
            return
        arrays = ", ".join(f"${i}::{t}[]" for i, t in enumerate(types.split(","), start=1))
        await conn.execute(
            f'INSERT INTO "{schema}".{table} SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING',
            *zip(*rows, strict=True),
        )
