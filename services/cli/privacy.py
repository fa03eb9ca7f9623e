"""`eduplan privacy`: a person's rights over their personal data, and the master key.

`erase` destroys a student's data key through the assistance service (EraseStudentPersonalData:
the Aid Center carries out the request of `--requested-by`), a pairing record's through
the pairing service (ErasePairingPersonalData), a teacher's, trainee's, graduate's or
training order's through staffing (EraseStaffPersonalData), the experts of a research visit
or a quality activity through evaluation (EraseResearchVisitExperts,
EraseQualityActivityExperts); every copy of their personal
parts (events, JetStream, dead letters, exports) is unreadable from then on, the read models
delete their personal rows, the figures and the audit trail stay; erasing again changes
nothing. `export` answers a subject access request: every event of the student's stream,
its personal part opened. `rotate-master-key` re-wraps every data key with the first master
key of the settings; no event is rewritten.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import typer

from contracts.assistance.commands import EraseStudentPersonalData
from contracts.assistance.queries import ExportStudentData, StudentDataExport
from contracts.evaluation.commands import EraseQualityActivityExperts, EraseResearchVisitExperts
from contracts.pairing.commands import ErasePairingPersonalData
from contracts.staffing.commands import EraseStaffPersonalData
from contracts.types import Department, RegistryId
from services.cli.common import (
    Issuer,
    JsonOption,
    build_command,
    check,
    console,
    err,
    run,
    send_one,
)
from shared.keystore import KeyStore, MasterKeyMissing, MasterKeys
from shared.personal_data import master_keys
from shared.service import DEFAULT_DATABASE
from shared.settings import get_settings

app = typer.Typer(
    help="Personal data: erase a person's (their key is destroyed), export it, rotate the "
    "master key.",
    no_args_is_help=True,
)
StudentOption = Annotated[
    str, typer.Option("--student", help="The student's registry number, e.g. G6108312010...")
]


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"


@app.command()
def erase(
    reason: Annotated[str, typer.Option(help="Why: the request's number, the law's article.")],
    requested_by: Annotated[
        str, typer.Option("--requested-by", help="Department that received the request.")
    ],
    student: Annotated[
        str | None, typer.Option("--student", help="A student's registry number.")
    ] = None,
    pairing_record: Annotated[
        str | None,
        typer.Option(
            "--pairing-record",
            help="A pairing record naming people (secondment, shadowing, teacher pairing, "
            "model lesson); with --county and --school.",
        ),
    ] = None,
    teacher: Annotated[
        str | None, typer.Option("--teacher", help="A master teacher's id; with --county.")
    ] = None,
    staff_person: Annotated[
        str | None,
        typer.Option("--staff-person", help="A mentee's, trainee's or graduate's id; --county."),
    ] = None,
    training_order: Annotated[
        str | None,
        typer.Option("--training-order", help="A training order (its trainers); --county."),
    ] = None,
    research_visit: Annotated[
        str | None,
        typer.Option("--research-visit", help="A research visit (its experts); --county, --year."),
    ] = None,
    quality_activity: Annotated[
        str | None,
        typer.Option("--quality-activity", help="A quality activity (its experts); --county."),
    ] = None,
    county: Annotated[
        str | None, typer.Option(help="County of the record or person erased.")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Year of --research-visit.")] = None,
    school: Annotated[
        str | None, typer.Option(help="Helped school id of --pairing-record.")
    ] = None,
    department: Annotated[
        str | None,
        typer.Option(
            help="Issuing department (default aid_center, basic_ed_1 for a pairing record, "
            "teacher_division for staffing, education_science_institute for a research visit, "
            "basic_ed_2 for a quality activity)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Erase a person's personal data everywhere (their data key is destroyed); figures and
    the audit trail stay. Waits until the reports have deleted the personal rows."""
    check(requested_by, Department, "--requested-by")
    staff = {"teacher": teacher, "person": staff_person, "record": training_order}
    experts = (research_visit, quality_activity)
    given = [x for x in (student, pairing_record, *staff.values(), *experts) if x is not None]
    if len(given) != 1:
        raise typer.BadParameter(
            "give one of --student, --pairing-record, --teacher, --staff-person, "
            "--training-order, --research-visit, --quality-activity"
        )
    if research_visit is not None:
        command: Any = build_command(
            EraseResearchVisitExperts,
            {"visit_id": "--research-visit", "requested_by": "--requested-by"},
            county=county,
            year=year,
            visit_id=research_visit,
            reason=reason,
            requested_by=requested_by,
        )
        service, issuer = "evaluation", department or "education_science_institute"
    elif quality_activity is not None:
        command = build_command(
            EraseQualityActivityExperts,
            {"activity_id": "--quality-activity", "requested_by": "--requested-by"},
            county=county,
            activity_id=quality_activity,
            reason=reason,
            requested_by=requested_by,
        )
        service, issuer = "evaluation", department or "basic_ed_2"
    elif student is not None:
        command = build_command(
            EraseStudentPersonalData,
            {"student_registry_id": "--student", "requested_by": "--requested-by"},
            student_registry_id=student,
            reason=reason,
            requested_by=requested_by,
        )
        service, issuer = "assistance", department or "aid_center"
    elif pairing_record is None:
        subject = next(k for k, v in staff.items() if v is not None)
        command = build_command(
            EraseStaffPersonalData,
            {
                "subject_id": "--"
                + {"teacher": "teacher", "person": "staff-person"}.get(subject, "training-order")
            },
            county=county,
            subject=subject,
            subject_id=staff[subject],
            reason=reason,
            requested_by=requested_by,
        )
        service, issuer = "staffing", department or "teacher_division"
    else:
        command = build_command(
            ErasePairingPersonalData,
            {"record_id": "--pairing-record", "helped_school_id": "--school"},
            record_id=pairing_record,
            county=county,
            helped_school_id=school,
            reason=reason,
            requested_by=requested_by,
        )
        service, issuer = "pairing", department or "basic_ed_1"
    envelope = Issuer(issuer).command(command)
    send_one(service, envelope, as_json, "erased: the data key is destroyed")


@app.command("export")
def export(
    student: StudentOption,
    output_format: Annotated[Format, typer.Option("--format", help="json or csv.")] = Format.JSON,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; default stdout.")
    ] = None,
) -> None:
    """A student's personal data and every event of theirs, decrypted (a subject access
    request). After an erasure the personal parts read null."""
    registry_id = check(student, RegistryId, "--student")

    async def ask(client: Any) -> StudentDataExport:
        answer: StudentDataExport = await client.query(
            ExportStudentData(student_registry_id=registry_id), StudentDataExport
        )
        return answer

    found = run("assistance", ask, wait=False)
    if found.student_id is None:
        err.print(f"[red]error:[/red] no registered student {registry_id}", highlight=False)
        raise typer.Exit(1)
    text = _json(found) if output_format is Format.JSON else _csv(found)
    if output is None:
        console.out(text, highlight=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"{len(found.events)} events written to {output}", highlight=False)


def _json(found: StudentDataExport) -> str:
    return json.dumps(found.model_dump(mode="json"), ensure_ascii=False, indent=2)


def _csv(found: StudentDataExport) -> str:
    """One line per event; the payload as JSON (its personal part opened)."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ["version", "event_type", "recorded_at", "actor", "department", "payload"]
    writer.writerow(columns)
    for e in found.events:
        payload = json.dumps(e.payload, ensure_ascii=False, sort_keys=True)
        row = [e.version, e.event_type, e.recorded_at.isoformat(), e.actor, e.department]
        writer.writerow([_safe(str(v)) for v in (*row, payload)])
    return out.getvalue()


def _safe(cell: str) -> str:
    """A cell a spreadsheet would run as a formula is quoted as text."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


@app.command("new-master-key")
def new_master_key(
    key_id: Annotated[
        str, typer.Option("--id", help="Its id, e.g. the date: 2017-11; kept beside each data key.")
    ] = "",
) -> None:
    """Print a new master key (`id:base64`) for EDUPLAN_MASTER_KEY; to rotate, put it first
    and the old one after it (comma), then run `eduplan privacy rotate-master-key`."""
    from datetime import date  # noqa: PLC0415 - only for the default id

    print(MasterKeys.generate(key_id or date.today().isoformat()))


@app.command("rotate-master-key")
def rotate_master_key(
    database_url: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL URL of a role that may act as keystore_owner (e.g. "
            "eduplan_provisioner); default EDUPLAN_DATABASE_URL."
        ),
    ] = None,
) -> None:
    """Re-wrap every data key with the current master key (the first of EDUPLAN_MASTER_KEY
    or its file); the older keys stay needed until this has run. No event is rewritten."""
    settings = get_settings()
    try:
        master = master_keys(settings)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None

    async def main() -> int:
        conn = await asyncpg.connect(database_url or settings.database_url or DEFAULT_DATABASE)
        try:
            owner = await conn.fetchval(
                "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'keystore_owner')"
            )
            if owner:
                await conn.execute("SET ROLE keystore_owner")
            return await KeyStore(master).rotate(conn)
        finally:
            await conn.close()

    try:
        done = asyncio.run(main())
    except (MasterKeyMissing, asyncpg.PostgresError, OSError) as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    console.print(f"{done} data keys re-wrapped with master key {master.current}", highlight=False)
