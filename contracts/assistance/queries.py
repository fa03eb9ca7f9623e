"""Read-only requests answered by the assistance service from its own store."""

from __future__ import annotations

from pydantic import Field

from contracts.types import Contract, CountyCode


class ListStudentIds(Contract):
    """Page through the students registered in a county, in id order."""

    county: CountyCode
    after: str = Field("", description="Last id of the previous page; empty for the first.")
    limit: int = Field(1000, ge=1, le=5000, description="Page size.")


class StudentIdPage(Contract):
    student_ids: list[str] = Field(description="Student ids, ascending; fewer than limit at end.")
