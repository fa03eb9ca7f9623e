"""Events the assistance service publishes on `events.assistance.<county>.<stream>.<type>`.

Student streams (`student`) carry a registered poor student's life on the roster and their
aid; `catalogue` is the province's aid catalogue; `university_dispatch` one university's
roster for one year; `funds_request` one request to the city for per-student public funds.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from contracts.assistance.commands import ProgrammeDefinition, UniversityAidEntry
from contracts.assistance.types import (
    AlertResolution,
    FundsDecision,
    LeaveReason,
    PaymentChannel,
    ProgrammeId,
    Reference,
    RevisionId,
    SchoolCategory,
    SchoolName,
    SchoolYear,
)
from contracts.types import (
    Amount,
    Contract,
    CountyCode,
    Department,
    Stage,
    StudentPersonal,
    Term,
)

StudentId = Field(description="Pseudonymous id; the stream id of the student.")


class StudentRegisteredV1(Contract):
    """A registered poor student entered the aid roster (version 1)."""

    student_id: UUID = StudentId
    county: CountyCode
    school: str = Field(description="School at registration.")
    stage: Stage = Field(description="Stage at registration.")
    grade: int = Field(ge=1, description="Grade within the stage at registration.")
    boarding: bool = Field(description="Boards at school.")
    personal: StudentPersonal = Field(description="Personal data, shredded per person.")


class StudentRegistered(StudentRegisteredV1):
    """A registered poor student entered the aid roster.

    Version 2 adds the school year the grade is for and the roster revision, if any, that
    brought the student in; version 1 payloads read as both unknown.
    """

    school_year: SchoolYear | None = Field(description="School year of the grade; None: unknown.")
    roster_revision: RevisionId | None = Field(
        description="Revision that registered the student; None: the initial roster."
    )
    programme_years: int | None = Field(
        None,
        description="University stages: the programme length in years; None: the stage's "
        "default (4 undergraduate, 3 junior college).",
    )
    school_category: SchoolCategory | None = Field(
        None, description="High school grade or university location; None: not given."
    )


class StudentDetailsRevisedV1(Contract):
    """A roster revision changed where or what the student studies, or their personal data."""

    student_id: UUID = StudentId
    revision: RevisionId
    changed: list[str] = Field(description="Names of the fields that changed.")
    county: CountyCode
    school: SchoolName
    stage: Stage = Field(description="Stage after the revision.")
    grade: int = Field(ge=1, description="Grade after the revision.")
    boarding: bool = Field(description="Boards at school after the revision.")
    school_year: SchoolYear | None = Field(description="School year of the grade.")
    personal: StudentPersonal = Field(description="Personal data after the revision.")


class StudentDetailsRevised(StudentDetailsRevisedV1):
    """A roster revision changed where or what the student studies, or their personal data.

    Version 3 (published sealed; version 2 is version 1 sealed) adds the school category and
    the programme length after the revision; versions 1 and 2 changed neither, which their
    `changed` says (it never names them).
    """

    school_category: SchoolCategory | None = Field(
        description="High school grade or university location after the revision; None: none."
    )
    programme_years: int | None = Field(
        description="University stages: the programme length in years after the revision; "
        "None: the stage's default (4 undergraduate, 3 junior college)."
    )


class StudentRemovedFromRoster(Contract):
    """The student is no longer on the poverty roster: no aid from the next grant run on."""

    student_id: UUID = StudentId
    revision: RevisionId
    reason: str = Field(description="Why the student left the roster.")


class StudentRestoredToRoster(Contract):
    """A student removed by an earlier revision is on the roster again."""

    student_id: UUID = StudentId
    revision: RevisionId


class StudentPromoted(Contract):
    """Yearly promotion to the next grade of the same stage."""

    student_id: UUID = StudentId
    school_year: SchoolYear
    from_grade: int = Field(ge=1, description="Grade before.")
    to_grade: int = Field(ge=1, description="Grade for the school year.")


class StudentGraduated(Contract):
    """The student moved on from the last grade of a stage into grade 1 of the next stage."""

    student_id: UUID = StudentId
    school_year: SchoolYear
    from_stage: Stage = Field(description="Stage completed.")
    to_stage: Stage = Field(description="Stage entered.")
    school: SchoolName
    boarding: bool = Field(description="Boards at the new school.")
    programme_years: int | None = Field(
        None,
        description="Entering a university stage: the programme length in years; None: the "
        "stage's default (4 undergraduate, 3 junior college).",
    )
    school_category: SchoolCategory | None = Field(
        None, description="The new school's category; None: not given."
    )


class StudentTransferred(Contract):
    """The student changed school, possibly county, without leaving education."""

    student_id: UUID = StudentId
    from_county: CountyCode
    to_county: CountyCode
    from_school: SchoolName
    to_school: SchoolName
    boarding: bool = Field(description="Boards at the new school.")
    transferred_on: date = Field(description="Date of the transfer.")


class StudentLeftSchool(Contract):
    """The student left school with no transfer on record."""

    student_id: UUID = StudentId
    reason: LeaveReason = Field(description="Why the student left.")
    left_on: date = Field(description="Date the student left.")
    note: str = Field(description="What the school knows.")


class StudentReturnedToSchool(Contract):
    """A student who had left is back in school."""

    student_id: UUID = StudentId
    county: CountyCode
    school: SchoolName
    stage: Stage = Field(description="Stage on return.")
    grade: int = Field(ge=1, description="Grade on return.")
    boarding: bool = Field(description="Boards at school.")
    returned_on: date = Field(description="Date back in school.")


class DropoutAlertRaised(Contract):
    """A compulsory-age student left school without a transfer: dropout prevention must act."""

    student_id: UUID = StudentId
    alert_id: str = Field(description="Alert id, unique per student: '<student_id>/<n>'.")
    county: CountyCode
    school: SchoolName
    stage: Stage = Field(description="Stage the student left.")
    grade: int = Field(ge=1, description="Grade the student left.")
    reason: LeaveReason = Field(description="Reason given for leaving.")
    left_on: date = Field(description="Date the student left.")


class DropoutAlertResolved(Contract):
    """The dropout alert is closed."""

    student_id: UUID = StudentId
    alert_id: str = Field(description="The alert closed.")
    resolution: AlertResolution = Field(description="How it was resolved.")
    resolved_on: date = Field(description="Date of the resolution.")
    note: str = Field(description="Details for the record.")


class StudentAidAssessed(Contract):
    """Which programmes a student was entitled to for a term, decided at the grant run.

    Recorded when the student is first assessed for the term and whenever the answer
    changes (a catalogue change effective from that term), so reports know who was eligible
    and why someone got nothing.
    """

    student_id: UUID = StudentId
    term: Term
    stage: Stage = Field(description="Stage assessed.")
    grade: int = Field(ge=1, description="Grade assessed.")
    boarding: bool = Field(description="Boarding, as assessed.")
    entitled: list[ProgrammeId] = Field(description="Programmes the student is entitled to.")
    reason: str = Field(description="Why nothing is granted, when nothing is; else empty.")


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


class AidPaid(Contract):
    """Money was paid against a grant."""

    student_id: UUID = StudentId
    term: Term
    programme: ProgrammeId
    amount: Amount = Field(description="Yuan paid.")
    paid_on: date = Field(description="Date of the payment.")
    channel: PaymentChannel = Field(description="How the money reached the family.")
    reference: Reference


class AidGrantRevoked(Contract):
    """An unpaid grant was withdrawn."""

    student_id: UUID = StudentId
    term: Term
    programme: ProgrammeId
    amount: Amount = Field(description="Yuan of the grant withdrawn.")
    reason: str = Field(description="Why the grant was withdrawn.")
    revoked_on: date = Field(description="Date of the decision.")


class AidProgrammeSet(Contract):
    """A programme of the catalogue, as in force from a term (new or changed)."""

    effective_from: Term = Field(description="First term this definition applies to.")
    definition: ProgrammeDefinition = Field(description="The programme as now defined.")


class AidProgrammeWithdrawn(Contract):
    """A programme is no longer granted from a term on."""

    effective_from: Term = Field(description="First term without the programme.")
    programme: ProgrammeId


class UniversityRosterDispatched(Contract):
    """The roster of registered poor students was sent to one university for a school year."""

    county: CountyCode
    university: SchoolName
    school_year: SchoolYear
    student_ids: list[UUID] = Field(description="Students sent to the university.")
    dispatched_on: date = Field(description="Date sent.")
    report_due_on: date = Field(description="Date the report is due.")


class UniversityAidReported(Contract):
    """A university reported the aid it gave the dispatched students (late if after due)."""

    county: CountyCode
    university: SchoolName
    school_year: SchoolYear
    report_no: int = Field(ge=1, description="1 for the first report; later ones add to it.")
    received_on: date = Field(description="Date the report arrived.")
    late: bool = Field(description="Received after the due date.")
    entries: list[UniversityAidEntry] = Field(description="Aid given, per student and channel.")


class PublicFundsRequested(Contract):
    """The county asked the city for per-student public funds."""

    request_id: str = Field(description="The county's request number.")
    county: CountyCode
    school_year: SchoolYear
    students: int = Field(ge=1, description="Number of students the request covers.")
    rate_per_student: Amount = Field(description="Yuan per student.")
    requested_amount: Amount = Field(description="students x rate_per_student.")
    requested_on: date = Field(description="Date of the request.")
    addressed_to: str = Field(description="Who was asked, e.g. 榆林市.")


class PublicFundsAnswered(Contract):
    """The city answered a request for per-student public funds."""

    request_id: str = Field(description="The request answered.")
    county: CountyCode
    decision: FundsDecision = Field(description="Approved fully, partly, or declined.")
    approved_amount: Amount = Field(description="Yuan approved.")
    answered_on: date = Field(description="Date of the answer.")
    note: str = Field(description="Conditions or reasons given.")


class StudentLoanRecorded(Contract):
    """A university student's origin-credit loan for a school year, as a fact."""

    student_id: UUID = StudentId
    school_year: SchoolYear
    amount: Amount = Field(description="Yuan lent for the year (at most 8,000).")
    bank: SchoolName = Field(description="Lending bank.")


class GreenChannelUsed(Contract):
    """The student enrolled through a university's green channel."""

    student_id: UUID = StudentId
    school_year: SchoolYear
    university: SchoolName = Field(description="University the student enrolled at.")
    enrolled_on: date = Field(description="Day of enrolment.")


class PersonalDataErased(Contract):
    """The student's personal data was erased: their data key is destroyed, so no copy of
    their personal parts (events, streams, exports, read models) can be read again. Figures
    and the audit trail are kept; read models delete or blank the student's personal rows."""

    student_id: UUID = StudentId
    key_id: str = Field(description="Data key destroyed, e.g. student:<student_id>.")
    reason: str = Field(description="Why, as the request gave it.")
    requested_by: Department = Field(description="Department that asked for the erasure.")
