"""Commands the assistance service accepts on `commands.assistance.<name>`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Self
from uuid import UUID

from pydantic import Field, ValidationInfo, field_validator, model_validator

from contracts.assistance.types import (
    AlertResolution,
    FundsDecision,
    LeaveReason,
    Payment,
    PaymentChannel,
    ProgrammeId,
    Reference,
    RevisionId,
    SchoolCategory,
    SchoolName,
    SchoolYear,
    UniversityChannel,
)
from contracts.rules import RuleBroken, stage_named
from contracts.sentence import Named
from contracts.types import (
    GRADES,
    Amount,
    Contract,
    CountyCode,
    Department,
    RegistryId,
    Stage,
    StudentPersonal,
    Term,
    check_grade,
    check_programme_years,
    last_grade,
)

StudentId = Field(description="Pseudonymous student id given at registration.")


class _Enrolment(Contract):
    """Where a student studies: the fields a roster line and a return to school share."""

    county: CountyCode
    school: SchoolName
    stage: Stage = Field(description="Current education stage.")
    grade: int = Field(description="Grade within the stage, 1-based.")
    boarding: bool = Field(description="Boards at school (compulsory boarders get an allowance).")
    programme_years: int | None = Field(
        None,
        description="University stages: the student's programme length in years (undergraduate "
        "4-5, junior college 2-3); unset: 4 for undergraduates, 3 for junior college.",
    )
    school_category: SchoolCategory | None = Field(
        None,
        description="High school: its grade (provincial, city, rural); university: in_province "
        "or out_of_province; sets the amount of programmes that vary by it. Unset: the "
        "programme's stage amount.",
    )

    @field_validator("grade")
    @classmethod
    def _grade_exists(cls, grade: int, info: ValidationInfo) -> int:
        if "stage" in info.data:
            check_grade(info.data["stage"], grade)
        return grade

    @model_validator(mode="after")
    def _programme_fits(self) -> Self:
        check_programme_years(self.stage, self.programme_years)
        if self.programme_years and self.grade > self.programme_years:
            raise RuleBroken(
                "grade {grade} is beyond the {years}-year programme_years of {stage}",
                grade=self.grade,
                years=last_grade(self.stage, self.programme_years),
                stage=stage_named(self.stage),
            )
        return self


class RegisterStudent(_Enrolment):
    """Put a registered poor student on the aid roster (idempotent for identical data)."""

    personal: StudentPersonal = Field(description="Personal data from the roster line.")
    school_year: SchoolYear | None = Field(
        None, description="School year the grade is for; unset: the current one."
    )


class ReviseStudent(RegisterStudent):
    """A line of a yearly roster revision: register, restore or update the student."""

    revision: RevisionId


class RemoveFromRoster(Contract):
    """The student is no longer on the revised roster (household out of poverty, ...)."""

    student_id: UUID = StudentId
    revision: RevisionId
    reason: str = Field(
        "not on the revised roster", max_length=200, description="Why the student left it."
    )


class PromoteStudent(Contract):
    """Yearly promotion of grade at the start of a school year (one per student and year)."""

    student_id: UUID = StudentId
    school_year: SchoolYear


class GraduateStudent(Contract):
    """The student finished the last grade of a stage and enters the next stage in grade 1."""

    student_id: UUID = StudentId
    to_stage: Stage = Field(description="Stage entered.")
    school: SchoolName
    boarding: bool = Field(description="Boards at the new school.")
    school_year: SchoolYear
    programme_years: int | None = Field(
        None,
        description="Entering a university stage: the programme length in years (undergraduate "
        "4-5, junior college 2-3); unset: 4 for undergraduates, 3 for junior college.",
    )
    school_category: SchoolCategory | None = Field(
        None,
        description="The new school's category (high school grade, university location); "
        "unset: none.",
    )

    @model_validator(mode="after")
    def _programme_fits(self) -> Self:
        check_programme_years(self.to_stage, self.programme_years)
        return self


class TransferStudent(Contract):
    """The student changes school (possibly county) without leaving education."""

    student_id: UUID = StudentId
    to_school: SchoolName
    to_county: CountyCode | None = Field(None, description="New county; unset: the same.")
    boarding: bool = Field(description="Boards at the new school.")
    transferred_on: date = Field(description="Date of the transfer.")


class RecordLeaving(Contract):
    """The student left school without a transfer; primary and junior raise a dropout alert."""

    student_id: UUID = StudentId
    reason: LeaveReason = Field(description="Why the student left.")
    left_on: date = Field(description="Date the student left.")
    note: str = Field("", max_length=500, description="What the school knows.")


class ReturnToSchool(_Enrolment):
    """A student who had left is back in school; an open dropout alert is resolved."""

    student_id: UUID = StudentId
    returned_on: date = Field(description="Date back in school.")


class ResolveDropoutAlert(Contract):
    """Close the open dropout alert of a student, saying how."""

    student_id: UUID = StudentId
    resolution: AlertResolution = Field(description="How the alert was resolved.")
    resolved_on: date = Field(description="Date of the resolution.")
    note: str = Field("", max_length=500, description="Details for the record.")


class GrantTermAid(Contract):
    """Grant a student, for one term, every programme of their stage not granted yet."""

    student_id: UUID = StudentId
    term: Term


class PayTermAid(Contract):
    """Pay, in full, every outstanding grant of a student for a term (a disbursement run)."""

    student_id: UUID = StudentId
    term: Term
    paid_on: date = Field(description="Date of the disbursement.")
    channel: PaymentChannel = Field(description="How the money reaches the family.")
    reference: Reference


class PayAid(Contract):
    """Record one payment against one grant; it may not exceed what is outstanding."""

    student_id: UUID = StudentId
    term: Term
    programme: ProgrammeId
    amount: Amount = Field(description="Yuan paid.")
    paid_on: date = Field(description="Date of the payment.")
    channel: PaymentChannel = Field(description="How the money reaches the family.")
    reference: Reference

    @field_validator("amount")
    @classmethod
    def _positive(cls, amount: Decimal) -> Decimal:
        if amount <= 0:
            raise RuleBroken("a payment is more than 0.00 yuan")
        return amount


class RevokeAidGrant(Contract):
    """Withdraw an unpaid grant, with the reason (e.g. the student was wrongly listed)."""

    student_id: UUID = StudentId
    term: Term
    programme: ProgrammeId
    reason: str = Field(min_length=1, max_length=500, description="Why the grant is withdrawn.")
    revoked_on: date = Field(description="Date of the decision.")


class ProgrammeDefinition(Contract):
    """One aid programme as the catalogue defines it."""

    programme: ProgrammeId
    name: str = Field(min_length=1, max_length=200, description="Name for people.")
    payment: Payment = Field(description="How the yearly amount is granted per term.")
    amounts: dict[Stage, Amount] = Field(description="Yearly yuan by stage; absent: not granted.")
    county_amounts: dict[CountyCode, dict[Stage, Amount]] = Field(
        default_factory=dict, description="A county's own yearly amounts, winning over amounts."
    )
    grades: list[int] | None = Field(None, description="Only these grades; unset: every grade.")
    final_year_only: bool = Field(
        False, description="Only in the last grade of the stage (e.g. the preschool grant)."
    )
    category_amounts: dict[SchoolCategory, Amount] = Field(
        default_factory=dict,
        description="Yearly yuan by the student's school category, winning over `amounts` for "
        "the stages `amounts` names (an amount of 0.00 there: only these categories).",
    )
    boarding_only: bool = Field(False, description="Only for students who board at school.")
    note: str = Field("", max_length=1000, description="Source and assumptions of the figures.")

    @model_validator(mode="after")
    def _grades_exist(self) -> Self:
        stages = set(self.amounts) | {s for t in self.county_amounts.values() for s in t}
        for grade in self.grades or []:
            if not any(1 <= grade <= GRADES[s] for s in stages):
                raise RuleBroken(
                    "grade {grade} exists in none of its stages ({stages})",
                    grade=grade,
                    stages=[stage_named(s) for s in sorted(s.value for s in stages)]
                    or Named(context="ui", id="no stage"),
                )
        return self


class LoadAidCatalogue(Contract):
    """The whole catalogue as in force from a term: programmes set, changed or withdrawn."""

    effective_from: Term = Field(description="First term the catalogue applies to.")
    programmes: list[ProgrammeDefinition] = Field(
        min_length=1, description="Every programme in force from that term."
    )

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [p.programme for p in self.programmes]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise RuleBroken(
                "programmes listed twice: {programmes}",
                programmes=[Named(context="programme", id=p) for p in repeated],
            )
        return self


class DispatchUniversityRoster(Contract):
    """Send a university the registered poor students it has, once per school year."""

    county: CountyCode
    university: SchoolName
    school_year: SchoolYear
    student_ids: list[UUID] = Field(min_length=1, description="Students sent to the university.")
    dispatched_on: date = Field(description="Date the roster was sent.")
    report_due_on: date = Field(description="Date the university's report is due.")

    @model_validator(mode="after")
    def _dates_and_students(self) -> Self:
        if self.report_due_on < self.dispatched_on:
            raise RuleBroken("report_due_on is before dispatched_on")
        if len(set(self.student_ids)) != len(self.student_ids):
            raise RuleBroken("a student is listed twice")
        return self


class UniversityAidEntry(Contract):
    """One kind of aid a university gave one student."""

    student_id: UUID = StudentId
    channel: UniversityChannel = Field(description="Channel of the aid.")
    amount: Amount = Field(description="Yuan in the school year (0.00 for the green channel).")
    tier: int | None = Field(None, ge=1, le=3, description="National grant tier, if any.")


class RecordUniversityAidReport(Contract):
    """A university's report of the aid it gave the dispatched students."""

    county: CountyCode
    university: SchoolName
    school_year: SchoolYear
    received_on: date = Field(description="Date the report arrived.")
    entries: list[UniversityAidEntry] = Field(description="Aid given, per student and channel.")


class RequestPublicFunds(Contract):
    """Ask the city to fund per-student public funds: students x rate."""

    request_id: str = Field(
        pattern=r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,39}$", description="The county's request number."
    )
    county: CountyCode
    school_year: SchoolYear
    students: int = Field(ge=1, description="Number of students the request covers.")
    rate_per_student: Amount = Field(description="Yuan per student.")
    requested_amount: Amount = Field(description="Must equal students x rate_per_student.")
    requested_on: date = Field(description="Date of the request.")
    addressed_to: str = Field("榆林市", max_length=100, description="Who is asked, e.g. 榆林市.")

    @model_validator(mode="after")
    def _basis(self) -> Self:
        if self.requested_amount != self.students * self.rate_per_student:
            raise RuleBroken(
                "requested_amount {requested_amount} is not students x rate ({students} x {rate})",
                requested_amount=str(self.requested_amount),
                students=self.students,
                rate=str(self.rate_per_student),
            )
        return self


class AnswerPublicFunds(Contract):
    """The city's answer to a request for per-student public funds."""

    request_id: str = Field(
        pattern=r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,39}$", description="The request answered."
    )
    county: CountyCode
    decision: FundsDecision = Field(description="Approved fully, partly, or declined.")
    approved_amount: Amount = Field(description="Yuan approved (0.00 when declined).")
    answered_on: date = Field(description="Date of the answer.")
    note: str = Field("", max_length=500, description="Conditions or reasons given.")


# University aid the county does not grant, recorded as facts


class RecordStudentLoan(Contract):
    """An origin-credit student loan (生源地信用助学贷款) a university student took for a year."""

    student_id: UUID = StudentId
    school_year: SchoolYear
    amount: Amount = Field(le=8000, description="Yuan lent for the year, at most 8,000.")
    bank: SchoolName = Field(description="Lending bank.")


class RecordGreenChannel(Contract):
    """The student enrolled through a university's green channel (绿色通道): enrolled first,
    assessed and aided after."""

    student_id: UUID = StudentId
    school_year: SchoolYear
    university: SchoolName = Field(description="University the student enrolled at.")
    enrolled_on: date = Field(description="Day of enrolment.")


class EraseStudentPersonalData(Contract):
    """Erase a student's personal data everywhere (a request under the personal information
    law): their data key is destroyed, so no copy of it can be read again; the figures and
    the audit trail stay. Erasing again changes nothing."""

    student_registry_id: RegistryId
    reason: str = Field(min_length=1, max_length=500, description="Why, e.g. the request's number.")
    requested_by: Department = Field(description="Department that asked for the erasure.")
