"""Events the assistance service publishes on `events.assistance.<county>.student.<type>`."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from contracts.types import Amount, Contract, CountyCode, Stage, StudentPersonal, Term


class StudentRegistered(Contract):
    """A registered poor student entered the aid roster."""

    student_id: UUID = Field(description="Pseudonymous id; the stream id of the student.")
    county: CountyCode
    school: str = Field(description="School at registration.")
    stage: Stage = Field(description="Stage at registration.")
    grade: int = Field(ge=1, description="Grade within the stage at registration.")
    boarding: bool = Field(description="Boards at school.")
    personal: StudentPersonal = Field(description="Personal data, shredded per person.")


class AidGranted(Contract):
    """One aid programme was granted to a student for one term, at the amount then in force."""

    student_id: UUID = Field(description="Student the aid is granted to.")
    term: Term
    programme: str = Field(
        pattern=r"^[a-z][a-z0-9_]*$", description="Aid programme id, e.g. preschool_grant."
    )
    stage: Stage = Field(description="Student's stage when granted.")
    grade: int = Field(ge=1, description="Student's grade when granted.")
    amount: Amount = Field(description="Yuan granted for this term.")
    annual_amount: Amount = Field(description="Yearly standard the term amount derives from.")
