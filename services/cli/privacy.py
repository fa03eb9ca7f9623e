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
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import typer
from pydantic import BaseModel

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
    fail,
    failing,
    run,
    send_one,
)
from services.cli.contract_cli import Param, with_options
from shared.keystore import KeyStore, MasterKeyMissing, MasterKeys
from shared.personal_data import master_keys
from shared.service import DEFAULT_DATABASE
from shared.settings import get_settings
from shared.spreadsheet import neutralise

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


@dataclass(frozen=True)
class Erasure:
    """What `privacy erase --<option> ID` sends: `model` with the id as `id_field` (and the
    `fixed` values), to `service`, issued by `department` unless another is given."""

    option: str
    help: str
    model: type[BaseModel]
    id_field: str
    service: str
    department: str
    fixed: Mapping[str, str] = field(default_factory=dict)


def _staff(option: str, help_: str, subject: str) -> Erasure:
    staffing = ("staffing", "teacher_division", {"subject": subject})
    return Erasure(option, help_ + "; --county.", EraseStaffPersonalData, "subject_id", *staffing)


ERASURES = (
    Erasure(
        "student",
        "A student's registry number.",
        EraseStudentPersonalData,
        "student_registry_id",
        "assistance",
        "aid_center",
    ),
    Erasure(
        "pairing_record",
        "A pairing record naming people (secondment, shadowing, teacher pairing, model "
        "lesson); with --county and --school.",
        ErasePairingPersonalData,
        "record_id",
        "pairing",
        "basic_ed_1",
    ),
    _staff("teacher", "A master teacher's id", "teacher"),
    _staff("staff_person", "A mentee's, trainee's or graduate's id", "person"),
    _staff("training_order", "A training order (its trainers)", "record"),
    Erasure(
        "research_visit",
        "A research visit (its experts); --county, --year.",
        EraseResearchVisitExperts,
        "visit_id",
        "evaluation",
        "education_science_institute",
    ),
    Erasure(
        "quality_activity",
        "A quality activity (its experts); --county.",
        EraseQualityActivityExperts,
        "activity_id",
        "evaluation",
        "basic_ed_2",
    ),
)
WHOM = [Param(e.option, str, e.help) for e in ERASURES]


@app.command()
@with_options(WHOM, "whom")
def erase(
    reason: Annotated[str, typer.Option(help="Why: the request's number, the law's article.")],
    requested_by: Annotated[
        str, typer.Option("--requested-by", help="Department that received the request.")
    ],
    whom: dict[str, str | None],
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
    given = [e for e in ERASURES if whom[e.option] is not None]
    if len(given) != 1:
        raise typer.BadParameter("give one of " + ", ".join(p.option_name for p in WHOM))
    (e,) = given
    context: dict[str, Any] = {"county": county, "year": year, "helped_school_id": school}
    fields = {k: v for k, v in context.items() if k in e.model.model_fields and v is not None}
    fields |= {e.id_field: whom[e.option], "reason": reason, "requested_by": requested_by}
    named = {e.id_field: "--" + e.option.replace("_", "-"), "helped_school_id": "--school"}
    named["requested_by"] = "--requested-by"
    command = build_command(e.model, named, **fields, **e.fixed)
    envelope = Issuer(department or e.department).command(command)
    send_one(e.service, envelope, as_json, "erased: the data key is destroyed")


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
        fail(f"no registered student {registry_id}", 1)
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
        writer.writerow([neutralise(str(v)) for v in (*row, payload)])
    return out.getvalue()


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
    with failing(ValueError):
        master = master_keys(settings)

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

    with failing(MasterKeyMissing, asyncpg.PostgresError, OSError):
        done = asyncio.run(main())
    console.print(f"{done} data keys re-wrapped with master key {master.current}", highlight=False)
