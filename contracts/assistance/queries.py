"""Read-only requests answered by the assistance service from its own store."""

from __future__ import annotations

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
