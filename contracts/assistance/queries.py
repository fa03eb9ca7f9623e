"""Read-only requests answered by the assistance service from its own store."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from contracts.types import Contract, CountyCode, RegistryId


class ListStudentIds(Contract):
    """Page through the students registered in a county, in id order."""

    county: CountyCode
    after: str = Field("", description="Last id of the previous page; empty for the first.")
    limit: int = Field(1000, ge=1, le=5000, description="Page size.")


class StudentIdPage(Contract):
    student_ids: list[str] = Field(description="Student ids, ascending; fewer than limit at end.")


class ResolveStudents(Contract):
    """Which registered students the given registry numbers belong to."""

    registry_ids: list[RegistryId] = Field(max_length=5000, description="Registry numbers.")


class ResolvedStudents(Contract):
    student_ids: dict[str, UUID] = Field(
        description="Registry number -> student id, for the registered ones only."
    )


class ExportStudentData(Contract):
    """A student's own data (a subject access request): every event of their stream, with
    its personal part opened; answered only within the asker's jurisdiction."""

    student_registry_id: RegistryId


class ExportedEvent(Contract):
    """One event that concerns the student, as recorded, its personal part in clear."""

    event_id: UUID = Field(description="Id of the event.")
    event_type: str = Field(description="Type, e.g. AidGranted.")
    schema_version: int = Field(description="Version of the payload as recorded.")
    version: int = Field(description="Position in the student's stream.")
    recorded_at: datetime = Field(description="When the service stored it.")
    actor: str = Field(description="Who issued the command that caused it.")
    department: str = Field(description="Department it was issued for.")
    payload: dict[str, Any] = Field(description="The payload; personal part opened (or null).")


class StudentDataExport(Contract):
    student_id: UUID | None = Field(description="Pseudonymous id; None: not registered.")
    county: CountyCode | None = Field(
        None, description="County the student belongs to now (whose jurisdiction may ask)."
    )
    erased: bool = Field(description="Personal data erased: personal parts read null.")
    personal: dict[str, Any] | None = Field(description="Latest personal data, in clear.")
    events: list[ExportedEvent] = Field(description="Every event of the student's stream.")
