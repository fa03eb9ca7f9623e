"""Events the staffing service publishes on `events.staffing.<county>.<stream_type>.<type>`.

Stream types: `staffing_targets` (a county's adopted targets), `subject_post` (one subject at
one host school: its master teachers and target), `master_teacher` (a teacher's calendar and
mentoring), `caravan_term` (a county's caravan visits of one term), `trainee`,
`training_order`, `special_post_quota` (a county's quota of one school year), `new_teacher`.
Every event carries what the read models need, so they never ask the service.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from contracts.sentence import Sentence
from contracts.staffing.terms import first_day
from contracts.staffing.types import (
    Audience,
    CountyTargets,
    Hours,
    ModelLessons,
    PersonId,
    PersonPersonal,
    RecordId,
    SchoolId,
    SchoolName,
    SchoolYear,
    SubjectId,
    TeacherCount,
    TeacherId,
    Text,
    TrainersPersonal,
)
from contracts.types import Contract, CountyCode, Department, Term


class StaffingTargetsAdopted(Contract):
    """The county's targets as the service enforces and reports them from now on."""

    county: CountyCode
    targets: CountyTargets = Field(description="The targets, as adopted.")
    effective_from: date | None = Field(
        None, description="First day the targets apply; None: from their plan start."
    )

    def applies_from(self) -> date:
        """`effective_from`, or the first day of the plan's first term when unset."""
        return self.effective_from or first_day(self.targets.plan_start_term)


class _Post(Contract):
    county: CountyCode
    host_school: SchoolId
    subject: SubjectId


class SubjectTargetRaised(_Post):
    """More master teachers may now serve at once in this subject at this host school."""

    min_teachers: TeacherCount = Field(description="Fewest teachers on target (unchanged).")
    previous_max_teachers: TeacherCount = Field(description="Most teachers before the raise.")
    max_teachers: TeacherCount = Field(description="Most teachers at one time from now on.")
    reason: Text


class _Assignment(_Post):
    """Where an assignment stands after the event: who, where, and its span of terms."""

    teacher_id: TeacherId
    start_term: Term
    planned_end_term: Term


class MasterTeacherDispatched(_Assignment):
    """A master teacher was sent to support a subject at a host school."""

    home_school: SchoolName = Field(description="School the teacher comes from.")
    personal: PersonPersonal = Field(description="The teacher's name.")


class MasterTeacherArrived(_Assignment):
    """The dispatched teacher started at the host school."""

    arrived_on: date = Field(description="First day at the host school.")


class MasterTeacherSupportExtended(_Assignment):
    """The teacher stays longer; planned_end_term is the new planned end."""

    previous_planned_end_term: Term = Field(description="Planned end before the extension.")


class MasterTeacherSupportEnded(_Assignment):
    """The teacher's support ended after last_term; the seat is free from the next term."""

    last_term: Term = Field(description="Last term served.")


class MasterTeacherDispatchWithdrawn(_Assignment):
    """The dispatch was taken back before the teacher arrived; it never counted."""

    reason: Text
    reason_said: Sentence | None = Field(
        None,
        description="`reason` as a catalogue sentence, for the reader's language (the "
        "calendar's refusal when the service takes a change back itself).",
    )


class MasterTeacherExtensionWithdrawn(_Assignment):
    """An extension was taken back; planned_end_term is the restored planned end."""

    withdrawn_planned_end_term: Term = Field(description="Planned end that was taken back.")
    reason: Text
    reason_said: Sentence | None = Field(
        None,
        description="`reason` as a catalogue sentence, for the reader's language (the "
        "calendar's refusal when the service takes a change back itself).",
    )


class TeacherAssignmentRecorded(_Post):
    """The teacher's calendar holds this assignment (new, or with a changed end)."""

    teacher_id: TeacherId
    start_term: Term
    end_term: Term = Field(description="Last term, planned or served.")


class TeacherAssignmentCancelled(_Post):
    """The teacher's calendar no longer holds this assignment (its dispatch was withdrawn)."""

    teacher_id: TeacherId
    start_term: Term


class MenteeAssigned(_Post):
    """A local teacher is mentored by the master teacher at their host school."""

    teacher_id: TeacherId
    mentee_id: PersonId
    term: Term = Field(description="First term of mentoring.")
    personal: PersonPersonal = Field(description="The mentee's name.")


class MentoringSessionLogged(_Post):
    """A master teacher met some of their mentees."""

    teacher_id: TeacherId
    held_on: date = Field(description="Day of the session.")
    topic: Text
    hours: Hours
    mentee_ids: list[PersonId] = Field(description="Who attended.")


class CaravanVisitRecorded(Contract):
    """A caravan teaching visit was held and its model lessons given."""

    county: CountyCode
    term: Term
    visited_on: date = Field(description="Day of the visit.")
    visiting_school: SchoolName = Field(description="School the visiting teachers came from.")
    lessons: list[ModelLessons] = Field(description="Model lessons per stage and subject.")


class ShadowTrainingRecorded(Contract):
    """A county teacher shadows at a model school for a period."""

    county: CountyCode
    trainee_id: PersonId
    home_school: SchoolName = Field(description="The trainee's school in the county.")
    host_school: SchoolName = Field(description="School where the trainee shadows.")
    starts_on: date = Field(description="First day.")
    ends_on: date = Field(description="Last day.")
    school_year: SchoolYear
    personal: PersonPersonal = Field(description="The trainee's name.")


class TrainingOrderPlaced(Contract):
    """The county ordered a demand-driven training."""

    county: CountyCode
    order_id: RecordId
    placed_on: date = Field(description="Day the order was placed.")
    school_year: SchoolYear
    audience: Audience = Field(description="Who is to be trained.")
    topics: list[Text] = Field(description="What they asked for.")
    seats: int = Field(ge=1, description="People to train.")


class TrainingOrderFulfilled(Contract):
    """The province held the ordered training."""

    county: CountyCode
    order_id: RecordId
    held_on: date = Field(description="Day of the training.")
    attendance: int = Field(ge=0, description="People who attended.")
    personal: TrainersPersonal = Field(description="Who trained them.")


class SpecialPostQuotaAllocated(Contract):
    """The county's special-post teacher quota for a school year was set."""

    county: CountyCode
    school_year: SchoolYear
    quota: int = Field(ge=0, description="Special posts allocated.")


class SpecialPostsFilled(Contract):
    """So many of the year's special posts are filled (a running total)."""

    county: CountyCode
    school_year: SchoolYear
    filled: int = Field(ge=0, description="Special posts filled so far.")
    quota: int = Field(ge=0, description="Quota they are filled against.")


class _NewTeacher(Contract):
    county: CountyCode
    graduate_id: PersonId
    school: SchoolName = Field(description="School the graduate teaches at.")
    subject: SubjectId
    school_year: SchoolYear
    personal: PersonPersonal = Field(description="The graduate's name.")


class NormalGraduatePlaced(_NewTeacher):
    """A normal-university graduate was placed under the mountain-area teacher plan."""

    placed_on: date = Field(description="First day at the school.")


class TuitionFreeGraduateRecruited(_NewTeacher):
    """A tuition-free normal graduate was recruited to the county."""

    recruited_on: date = Field(description="First day at the school.")


class StaffPersonalDataErased(Contract):
    """A person's name was erased: their data key (or the record's) is destroyed; every
    figure stays."""

    county: CountyCode
    subject: str = Field(description="teacher, person or record.")
    subject_id: UUID = Field(description="The id the person or record was recorded with.")
    key_id: str = Field(description="Data key destroyed, e.g. teacher:<teacher_id>.")
    reason: str = Field(description="Why, as the request gave it.")
    requested_by: Department = Field(description="Department that asked for the erasure.")
