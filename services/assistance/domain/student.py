"""The Student aggregate: a registered poor student's life on the roster, and their aid.

Pure: state is folded from events; each decision returns new events or raises a Rejection.
A student is *eligible* for aid while on the roster and in school; the grant run records,
per term, what they were entitled to and grants each programme once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from contracts.assistance.commands import (
    EraseStudentPersonalData,
    GraduateStudent,
    GrantTermAid,
    PayAid,
    PayTermAid,
    PromoteStudent,
    RecordGreenChannel,
    RecordLeaving,
    RecordStudentLoan,
    RegisterStudent,
    RemoveFromRoster,
    ResolveDropoutAlert,
    ReturnToSchool,
    ReviseStudent,
    RevokeAidGrant,
    TransferStudent,
)
from contracts.assistance.events import (
    AidGranted,
    AidGrantRevoked,
    AidPaid,
    DropoutAlertRaised,
    DropoutAlertResolved,
    GreenChannelUsed,
    PersonalDataErased,
    StudentAidAssessed,
    StudentDetailsRevised,
    StudentGraduated,
    StudentLeftSchool,
    StudentLoanRecorded,
    StudentPromoted,
    StudentRegistered,
    StudentRemovedFromRoster,
    StudentRestoredToRoster,
    StudentReturnedToSchool,
    StudentTransferred,
)
from contracts.assistance.types import AlertResolution, LeaveReason
from contracts.types import Stage, StudentPersonal, last_grade
from services.assistance.domain.catalogue import AidCatalogue
from shared.decider import Aggregate, Rejection
from shared.i18n import listing, named

NEXT_STAGES: Mapping[Stage, frozenset[Stage]] = {
    Stage.PRESCHOOL: frozenset({Stage.PRIMARY}),
    Stage.PRIMARY: frozenset({Stage.JUNIOR}),
    Stage.JUNIOR: frozenset({Stage.HIGH_SCHOOL, Stage.VOCATIONAL}),
    Stage.HIGH_SCHOOL: frozenset({Stage.UNDERGRADUATE, Stage.JUNIOR_COLLEGE}),
    Stage.VOCATIONAL: frozenset({Stage.JUNIOR_COLLEGE, Stage.UNDERGRADUATE}),
    Stage.JUNIOR_COLLEGE: frozenset({Stage.UNDERGRADUATE}),
    Stage.UNDERGRADUATE: frozenset(),
}
NONE = named("ui", "none")
COMPULSORY = frozenset({Stage.PRIMARY, Stage.JUNIOR})
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Grant:
    stage: Stage
    amount: Decimal
    paid: Decimal = ZERO
    revoked: bool = False
    references: frozenset[str] = frozenset()

    @property
    def outstanding(self) -> Decimal:
        return ZERO if self.revoked else self.amount - self.paid


@dataclass(frozen=True)
class Student:
    student_id: UUID | None = None
    county: str = ""
    school: str = ""
    stage: Stage = Stage.PRESCHOOL
    grade: int = 0
    boarding: bool = False
    personal: StudentPersonal | None = None
    school_year: int | None = None
    programme_years: int | None = None  # university stages; None: the stage's default
    school_category: str | None = None  # high school grade, university location
    loans: Mapping[int, StudentLoanRecorded] = field(default_factory=dict)  # school year
    green_channel: Mapping[int, GreenChannelUsed] = field(default_factory=dict)
    on_roster: bool = True
    removed_in: str = ""
    in_school: bool = True
    left: str = ""  # why and when, while out of school
    open_alert: str | None = None
    alerts_raised: int = 0
    grants: Mapping[tuple[str, str], Grant] = field(default_factory=dict)  # (term, programme)
    assessed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # term -> entitled
    erased: bool = False  # personal data erased: its key is gone, none can be recorded again

    @property
    def registered(self) -> bool:
        return self.student_id is not None


def evolve(state: Student, event: BaseModel) -> Student:  # noqa: PLR0911, PLR0912 - one case per event
    match event:
        case StudentRegistered():
            return Student(
                student_id=event.student_id,
                county=event.county,
                school=event.school,
                stage=event.stage,
                grade=event.grade,
                boarding=event.boarding,
                personal=event.personal,
                school_year=event.school_year,
                programme_years=event.programme_years,
                school_category=event.school_category,
            )
        case StudentDetailsRevised():
            revised = set(event.changed)  # a version before 3 never names the two last ones
            return replace(
                state,
                county=event.county,
                school=event.school,
                stage=event.stage,
                grade=event.grade,
                boarding=event.boarding,
                personal=event.personal,
                school_year=event.school_year or state.school_year,
                school_category=event.school_category
                if "school_category" in revised
                else state.school_category,
                programme_years=event.programme_years
                if "programme_years" in revised
                else state.programme_years,
            )
        case StudentRemovedFromRoster():
            return replace(state, on_roster=False, removed_in=event.revision)
        case StudentRestoredToRoster():
            return replace(state, on_roster=True, removed_in="")
        case StudentPromoted():
            return replace(state, grade=event.to_grade, school_year=event.school_year)
        case StudentGraduated():
            return replace(
                state,
                stage=event.to_stage,
                grade=1,
                school=event.school,
                boarding=event.boarding,
                school_year=event.school_year,
                programme_years=event.programme_years,
                school_category=event.school_category,
            )
        case StudentTransferred():
            return replace(
                state, county=event.to_county, school=event.to_school, boarding=event.boarding
            )
        case StudentLoanRecorded():
            return replace(state, loans={**state.loans, event.school_year: event})
        case GreenChannelUsed():
            return replace(state, green_channel={**state.green_channel, event.school_year: event})
        case StudentLeftSchool():
            return replace(state, in_school=False, left=f"{event.reason.value} on {event.left_on}")
        case StudentReturnedToSchool():
            return replace(
                state,
                in_school=True,
                left="",
                county=event.county,
                school=event.school,
                stage=event.stage,
                grade=event.grade,
                boarding=event.boarding,
            )
        case DropoutAlertRaised():
            return replace(state, open_alert=event.alert_id, alerts_raised=state.alerts_raised + 1)
        case DropoutAlertResolved():
            return replace(state, open_alert=None)
        case StudentAidAssessed():
            return replace(state, assessed={**state.assessed, event.term: tuple(event.entitled)})
        case AidGranted():
            grant = Grant(event.stage, event.amount)
            return replace(state, grants={**state.grants, (event.term, event.programme): grant})
        case AidPaid():
            key = (event.term, event.programme)
            old = state.grants[key]
            paid = replace(
                old, paid=old.paid + event.amount, references=old.references | {event.reference}
            )
            return replace(state, grants={**state.grants, key: paid})
        case AidGrantRevoked():
            key = (event.term, event.programme)
            revoked = replace(state.grants[key], revoked=True)
            return replace(state, grants={**state.grants, key: revoked})
        case PersonalDataErased():
            return replace(state, personal=None, erased=True)
    return state


# Roster ----------------------------------------------------------------------------------


def register(
    state: Student, command: RegisterStudent, student_id: UUID, school_year: int
) -> list[BaseModel]:
    """Register once; the same roster line again changes nothing, different data is refused."""
    _refuse_if_erased(state)
    if state.registered:
        if not _differences(state, command):
            return []
        raise Rejection(
            "already_registered",
            (
                "student {student_registry_id} is already registered with other data; a "
                "changed roster line is a revision (eduplan roster revise)"
            ),
            student_registry_id=command.personal.student_registry_id,
        )
    return [_registered(command, student_id, command.school_year or school_year, None)]


def revise(
    state: Student, command: ReviseStudent, student_id: UUID, school_year: int
) -> list[BaseModel]:
    """A line of a revised roster: register a new student, restore or update a known one."""
    _refuse_if_erased(state)
    year = command.school_year or school_year
    if not state.registered:
        return [_registered(command, student_id, year, command.revision)]
    events: list[BaseModel] = []
    if not state.on_roster:
        events.append(StudentRestoredToRoster(student_id=student_id, revision=command.revision))
    changed = _differences(state, command)
    if changed:
        events.append(
            StudentDetailsRevised(
                student_id=student_id,
                revision=command.revision,
                changed=changed,
                county=command.county,
                school=command.school,
                stage=command.stage,
                grade=command.grade,
                boarding=command.boarding,
                school_year=year,
                personal=command.personal,
                **_kept(state, command),
            )
        )
    return events


def remove(state: Student, command: RemoveFromRoster) -> list[BaseModel]:
    _require_registered(state, command.student_id)
    if not state.on_roster:
        return []
    return [
        StudentRemovedFromRoster(
            student_id=command.student_id, revision=command.revision, reason=command.reason
        )
    ]


def promote(state: Student, command: PromoteStudent) -> list[BaseModel]:
    """Next grade for the school year; the last grade of a stage needs a graduation instead."""
    _require_active(state, command.student_id)
    if state.school_year is not None and state.school_year >= command.school_year:
        return []
    if state.grade >= last_grade(state.stage, state.programme_years):
        raise Rejection(
            "final_grade",
            (
                "grade {grade} is the last of {stage}: graduate the student into the "
                "next stage instead"
            ),
            grade=state.grade,
            stage=named("stage", state.stage),
        )
    return [
        StudentPromoted(
            student_id=command.student_id,
            school_year=command.school_year,
            from_grade=state.grade,
            to_grade=state.grade + 1,
        )
    ]


def graduate(state: Student, command: GraduateStudent) -> list[BaseModel]:
    _require_active(state, command.student_id)
    if (state.stage, state.grade, state.school_year) == (command.to_stage, 1, command.school_year):
        return []
    if state.school_year is not None and state.school_year >= command.school_year:
        raise Rejection(
            "already_placed",
            (
                "grade {grade} of {stage} is the student's place for school year "
                "{school_year}: graduate them for a later school year"
            ),
            grade=state.grade,
            stage=named("stage", state.stage),
            school_year=state.school_year,
        )
    if command.to_stage not in NEXT_STAGES[state.stage]:
        following = sorted(NEXT_STAGES[state.stage])
        allowed = listing(named("stage", s) for s in following) if following else NONE
        raise Rejection(
            "invalid_transition",
            "{stage} does not lead to {to_stage} (next: {allowed})",
            stage=named("stage", state.stage),
            to_stage=named("stage", command.to_stage),
            allowed=allowed,
        )
    if state.grade < last_grade(state.stage, state.programme_years):
        raise Rejection(
            "not_final_grade",
            (
                "grade {grade} is not the last of {stage} ({last_grade}): promote the "
                "student instead"
            ),
            grade=state.grade,
            stage=named("stage", state.stage),
            last_grade=last_grade(state.stage, state.programme_years),
        )
    return [
        StudentGraduated(
            student_id=command.student_id,
            school_year=command.school_year,
            from_stage=state.stage,
            to_stage=command.to_stage,
            school=command.school,
            boarding=command.boarding,
            programme_years=command.programme_years,
            school_category=command.school_category,
        )
    ]


def transfer(state: Student, command: TransferStudent) -> list[BaseModel]:
    _require_registered(state, command.student_id)
    _require_in_school(state)
    county = command.to_county or state.county
    if (county, command.to_school, command.boarding) == (
        state.county,
        state.school,
        state.boarding,
    ):
        return []
    return [
        StudentTransferred(
            student_id=command.student_id,
            from_county=state.county,
            to_county=county,
            from_school=state.school,
            to_school=command.to_school,
            boarding=command.boarding,
            transferred_on=command.transferred_on,
        )
    ]


def leave(state: Student, command: RecordLeaving) -> list[BaseModel]:
    """Leaving without a transfer; a primary or junior pupil raises a dropout alert.

    Only death ends compulsory education without an alert, and a junior pupil may also have
    completed it (grade 3); a primary pupil who 'completed' and went nowhere is a dropout.
    """
    _require_registered(state, command.student_id)
    _require_in_school(state)
    if command.reason == LeaveReason.COMPLETED and state.grade < last_grade(
        state.stage, state.programme_years
    ):
        raise Rejection(
            "not_final_grade",
            "grade {grade} of {stage} is not a completion: give another reason",
            grade=state.grade,
            stage=named("stage", state.stage),
        )
    events: list[BaseModel] = [
        StudentLeftSchool(
            student_id=command.student_id,
            reason=command.reason,
            left_on=command.left_on,
            note=command.note,
        )
    ]
    if _is_dropout(state.stage, command.reason):
        events.append(
            DropoutAlertRaised(
                student_id=command.student_id,
                alert_id=f"{command.student_id}/{state.alerts_raised + 1}",
                county=state.county,
                school=state.school,
                stage=state.stage,
                grade=state.grade,
                reason=command.reason,
                left_on=command.left_on,
            )
        )
    return events


def return_to_school(state: Student, command: ReturnToSchool) -> list[BaseModel]:
    _require_registered(state, command.student_id)
    if state.in_school:
        raise Rejection(
            "in_school", "student {student_id} is in school already", student_id=command.student_id
        )
    events: list[BaseModel] = [
        StudentReturnedToSchool(
            student_id=command.student_id,
            county=command.county,
            school=command.school,
            stage=command.stage,
            grade=command.grade,
            boarding=command.boarding,
            returned_on=command.returned_on,
        )
    ]
    if state.open_alert:
        events.append(
            DropoutAlertResolved(
                student_id=command.student_id,
                alert_id=state.open_alert,
                resolution=AlertResolution.RETURNED_TO_SCHOOL,
                resolved_on=command.returned_on,
                note=f"back at {command.school}",
            )
        )
    return events


def resolve_alert(state: Student, command: ResolveDropoutAlert) -> list[BaseModel]:
    _require_registered(state, command.student_id)
    if state.open_alert is None:
        raise Rejection(
            "no_open_alert",
            "student {student_id} has no open dropout alert",
            student_id=command.student_id,
        )
    return [
        DropoutAlertResolved(
            student_id=command.student_id,
            alert_id=state.open_alert,
            resolution=command.resolution,
            resolved_on=command.resolved_on,
            note=command.note,
        )
    ]


# Aid -------------------------------------------------------------------------------------


def grant_term_aid(
    state: Student, command: GrantTermAid, catalogue: AidCatalogue
) -> list[BaseModel]:
    """Assess the student for the term and grant each entitled programme once.

    A student who changed stage after this term's grants keeps them; the new stage's
    programmes start with the next term (no gap, no double). The freshman travel grant and
    other one-off programmes are granted once in a student's life.
    """
    term = command.term
    _require_eligible(state, command.student_id)
    stages_granted = {g.stage for (t, _), g in state.grants.items() if t == term}
    if stages_granted and state.stage not in stages_granted:
        return []
    ever = {programme for (_, programme) in state.grants}
    due = [
        e
        for e in catalogue.entitlements(
            state.county, state.stage, state.grade, state.boarding, term, state.school_category
        )
        if not (e.once and e.programme in ever and (term, e.programme) not in state.grants)
    ]
    entitled = tuple(e.programme for e in due)
    events: list[BaseModel] = []
    if state.assessed.get(term) != entitled:
        events.append(
            StudentAidAssessed(
                student_id=command.student_id,
                term=term,
                stage=state.stage,
                grade=state.grade,
                boarding=state.boarding,
                entitled=list(entitled),
                reason="" if entitled else _why_nothing(state, term),
            )
        )
    events += [
        AidGranted(
            student_id=command.student_id,
            term=term,
            programme=e.programme,
            stage=state.stage,
            grade=state.grade,
            amount=e.amount,
            annual_amount=e.annual_amount,
        )
        for e in due
        if (term, e.programme) not in state.grants
    ]
    return events


def pay_term(state: Student, command: PayTermAid) -> list[BaseModel]:
    """Pay every outstanding grant of the term in full; a rerun with the reference pays nothing."""
    _require_registered(state, command.student_id)
    return [
        AidPaid(
            student_id=command.student_id,
            term=command.term,
            programme=programme,
            amount=grant.outstanding,
            paid_on=command.paid_on,
            channel=command.channel,
            reference=command.reference,
        )
        for (term, programme), grant in sorted(state.grants.items())
        if term == command.term
        and grant.outstanding > 0
        and command.reference not in grant.references
    ]


def pay(state: Student, command: PayAid) -> list[BaseModel]:
    grant = _grant(state, command.student_id, command.term, command.programme)
    if grant.revoked:
        raise Rejection(
            "grant_revoked",
            "the {programme} grant was revoked",
            programme=named("programme", command.programme),
        )
    if command.reference in grant.references:
        raise Rejection(
            "duplicate_payment",
            "payment {reference} is already recorded on this grant",
            reference=command.reference,
        )
    if command.amount > grant.outstanding:
        raise Rejection(
            "payment_exceeds_grant",
            "{amount} is more than the {outstanding} outstanding of {granted} granted",
            amount=named("money", command.amount),
            outstanding=named("money", grant.outstanding),
            granted=named("money", grant.amount),
        )
    return [
        AidPaid(
            student_id=command.student_id,
            term=command.term,
            programme=command.programme,
            amount=command.amount,
            paid_on=command.paid_on,
            channel=command.channel,
            reference=command.reference,
        )
    ]


def revoke(state: Student, command: RevokeAidGrant) -> list[BaseModel]:
    grant = _grant(state, command.student_id, command.term, command.programme)
    if grant.revoked:
        return []
    if grant.paid > 0:
        raise Rejection(
            "grant_paid",
            "{paid} of the grant is paid already; a paid grant cannot be revoked",
            paid=named("money", grant.paid),
        )
    return [
        AidGrantRevoked(
            student_id=command.student_id,
            term=command.term,
            programme=command.programme,
            amount=grant.amount,
            reason=command.reason,
            revoked_on=command.revoked_on,
        )
    ]


# Helpers ---------------------------------------------------------------------------------


def _registered(
    command: RegisterStudent, student_id: UUID, school_year: int, revision: str | None
) -> StudentRegistered:
    return StudentRegistered(
        student_id=student_id,
        county=command.county,
        school=command.school,
        stage=command.stage,
        grade=command.grade,
        boarding=command.boarding,
        personal=command.personal,
        school_year=school_year,
        roster_revision=revision,
        programme_years=_programme_years(command),
        school_category=command.school_category,
    )


def erase(state: Student, command: EraseStudentPersonalData, student_id: UUID) -> list[BaseModel]:
    """Erase the student's personal data (the store destroys their key as it records this);
    erased already: nothing more to do."""
    _require_registered(state, student_id)
    if state.erased:
        return []
    return [
        PersonalDataErased(
            student_id=student_id,
            key_id=f"student:{student_id}",
            reason=command.reason,
            requested_by=command.requested_by,
        )
    ]


def _refuse_if_erased(state: Student) -> None:
    if state.erased:
        raise Rejection(
            "personal_data_erased",
            "the personal data of student {student_id} was erased; it is not recorded again",
            student_id=state.student_id,
        )


def _programme_years(command: RegisterStudent) -> int | None:
    """A roster line in a grade beyond the stage's default length is a longer programme."""
    if command.programme_years or command.grade <= last_grade(command.stage, None):
        return command.programme_years
    return command.grade


def _differences(state: Student, command: RegisterStudent) -> list[str]:
    fields = ("county", "school", "stage", "grade", "boarding", "personal")
    changed = [f for f in fields if getattr(state, f) != getattr(command, f)]
    kept = _kept(state, command)
    return changed + [f for f, value in kept.items() if getattr(state, f) != value]


def _kept(state: Student, command: RegisterStudent) -> dict[str, Any]:
    """The school category and programme length after a roster line: the line's, or, where it
    gives none (the roster file has no such columns), the student's while they stay at the
    same school (category) or in the same stage (programme length); else none."""
    same_school = (state.county, state.school) == (command.county, command.school)
    return {
        "school_category": command.school_category
        if command.school_category is not None
        else (state.school_category if same_school else None),
        "programme_years": command.programme_years
        if command.programme_years is not None
        else (state.programme_years if state.stage == command.stage else None),
    }


def _is_dropout(stage: Stage, reason: LeaveReason) -> bool:
    if reason == LeaveReason.DECEASED:
        return False
    return stage == Stage.PRIMARY or (stage == Stage.JUNIOR and reason != LeaveReason.COMPLETED)


def _why_nothing(state: Student, term: str) -> str:
    boarding = "" if state.boarding else ", not boarding"
    return (
        f"no programme in force for {term} covers {state.stage.value} grade {state.grade}"
        f"{boarding} in county {state.county}"
    )


def _grant(state: Student, student_id: UUID, term: str, programme: str) -> Grant:
    _require_registered(state, student_id)
    grant = state.grants.get((term, programme))
    if grant is None:
        raise Rejection(
            "no_grant",
            "no {programme} grant for {term} to student {student_id}",
            programme=named("programme", programme),
            term=named("term", term),
            student_id=student_id,
        )
    return grant


UNIVERSITY = frozenset({Stage.UNDERGRADUATE, Stage.JUNIOR_COLLEGE})


def record_loan(state: Student, command: RecordStudentLoan) -> list[BaseModel]:
    """A loan is a fact of the student's year at university; the same again changes nothing."""
    _require_at_university(state, command.student_id)
    loan = StudentLoanRecorded(**command.model_dump())
    return _once(state.loans.get(command.school_year), loan, "loan_already_recorded")


def record_green_channel(state: Student, command: RecordGreenChannel) -> list[BaseModel]:
    _require_at_university(state, command.student_id)
    used = GreenChannelUsed(**command.model_dump())
    return _once(state.green_channel.get(command.school_year), used, "green_channel_recorded")


def _once(recorded: BaseModel | None, new: BaseModel, code: str) -> list[BaseModel]:
    if recorded is None:
        return [new]
    if recorded == new:
        return []
    raise Rejection(
        code, "another {event} is recorded for that school year", event=type(new).__name__
    )


def _require_at_university(state: Student, student_id: UUID) -> None:
    _require_registered(state, student_id)
    if state.stage not in UNIVERSITY:
        raise Rejection(
            "not_at_university",
            "the student is in {stage}, not at university",
            stage=named("stage", state.stage),
        )


def _require_registered(state: Student, student_id: UUID) -> None:
    if not state.registered:
        raise Rejection(
            "not_registered", "no registered student {student_id}", student_id=student_id
        )


def _require_in_school(state: Student) -> None:
    if not state.in_school:
        raise Rejection("not_in_school", "the student left school ({left})", left=state.left)


def _require_active(state: Student, student_id: UUID) -> None:
    _require_registered(state, student_id)
    if not state.on_roster:
        raise Rejection(
            "not_on_roster",
            "removed from the roster in revision {removed_in}",
            removed_in=state.removed_in,
        )
    _require_in_school(state)


def _require_eligible(state: Student, student_id: UUID) -> None:
    _require_registered(state, student_id)
    if not state.on_roster:
        raise Rejection(
            "not_eligible",
            "removed from the roster in revision {removed_in}",
            removed_in=state.removed_in,
        )
    if not state.in_school:
        raise Rejection("not_eligible", "left school ({left})", left=state.left)


STUDENT = Aggregate[Student]("student", Student(), evolve, lambda s: s.county)
