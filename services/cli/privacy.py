"""`eduplan privacy`: a person's rights over their personal data, and the master key.

`erase` destroys a student's data key through the assistance service (EraseStudentPersonalData:
the Aid Center carries out the request of `--requested-by`); every copy of their personal
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
from contracts.types import Department, RegistryId
from services.cli.common import (
    Issuer,
    JsonOption,
    build_command,
    check,
    console,
    department_option,
    err,
    run,
    send_one,
)
from shared.keystore import KeyStore, MasterKeyMissing
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
    student: StudentOption,
    reason: Annotated[str, typer.Option(help="Why: the request's number, the law's article.")],
    requested_by: Annotated[
        str, typer.Option("--requested-by", help="Department that received the request.")
    ],
    department: str = department_option("aid_center"),
    as_json: JsonOption = False,
) -> None:
    """Erase a student's personal data everywhere; figures and the audit trail stay. Waits
    until the reports have deleted the student's personal rows."""
    check(requested_by, Department, "--requested-by")
    command = build_command(
        EraseStudentPersonalData,
        {"student_registry_id": "--student", "requested_by": "--requested-by"},
        student_registry_id=student,
        reason=reason,
        requested_by=requested_by,
    )
    envelope = Issuer.of(department).command(command)
    send_one("assistance", envelope, as_json, "erased: the student's data key is destroyed")


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
