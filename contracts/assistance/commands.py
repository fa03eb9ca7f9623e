"""Commands the assistance service accepts on `commands.assistance.<name>`."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field, ValidationInfo, field_validator

from contracts.types import Contract, CountyCode, Stage, StudentPersonal, Term, check_grade


class RegisterStudent(Contract):
    """Put a registered poor student on the aid roster (idempotent for identical data)."""

    county: CountyCode
    school: str = Field(min_length=1, max_length=200, description="School the student attends.")
    stage: Stage = Field(description="Current education stage.")
    grade: int = Field(description="Grade within the stage, 1-based.")
    boarding: bool = Field(description="Boards at school (compulsory boarders get an allowance).")
    personal: StudentPersonal = Field(description="Personal data from the roster line.")

    @field_validator("grade")
    @classmethod
    def _grade_exists(cls, grade: int, info: ValidationInfo) -> int:
        if "stage" in info.data:
            check_grade(info.data["stage"], grade)
        return grade


class GrantTermAid(Contract):
    """Grant a student, for one term, every programme of their stage not granted yet."""

    student_id: UUID = Field(description="Pseudonymous student id given at registration.")
    term: Term
