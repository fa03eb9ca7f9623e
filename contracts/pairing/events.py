"""Events the pairing service publishes on `events.pairing.<county>.<stream_type>.<type>`.

Stream types: `helped_school` (one stream per helped school: its pairs, everything recorded
through them, its modern-school-system progress) and `pairing_targets` (one per county).
Every event carries the county, school ids and pair id, so read models need nothing else.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from contracts.pairing.types import (
    AssessmentLevel,
    Direction,
    Identifier,
    LessonGiver,
    Milestone,
    Months,
    PairedStage,
    PersonPersonal,
    RecordId,
    ResourceKind,
    SchoolId,
    SchoolName,
    Subject,
    TeacherPairPersonal,
    Text,
    _Period,
    _SchoolAddress,
)
from contracts.types import Contract, CountyCode, Department


class PairingTargetsAdopted(Contract):
    """The targets a county's pairing is reported against (plan tasks 3.1-3.3)."""

    county: CountyCode
    active_pairs: int = Field(ge=0, description="Pairs the plan wants active, e.g. 7.")
    secondments_per_side_min: int = Field(
        ge=0, description="Fewest managers each side should have seconded at a time."
    )
    secondments_per_side_max: int = Field(
        ge=1, description="Most managers one side may have seconded at a time."
    )
    shadowing_months_min: Months
    shadowing_months_max: Months
    effective_from: date | None = Field(
        None, description="First day the targets apply; None: from the plan start."
    )


class _PairFact(_SchoolAddress):
    """Something that happened to, or through, one pair."""

    pair_id: str = Field(
        pattern=r"^\d{6}:[a-z][a-z0-9_]*:[a-z_]+:\d+$",
        description="county:helped_school_id:stage:n, the n-th pair of that school at that stage.",
    )
    stage: PairedStage


class PairEstablished(_PairFact):
    """A helper school now helps the helped school at the stage."""

    helped_school_name: SchoolName
    helper_school_id: SchoolId
    helper_school_name: SchoolName
    responsible_division: Department
    start_date: date = Field(description="First day of the pair.")


class PairSuspended(_PairFact):
    """The pair is paused; it still holds the stage."""

    on: date = Field(description="Day the suspension starts.")
    reason: Text = Field(description="Why the pair is suspended.")


class PairResumed(_PairFact):
    """A suspended pair is active again."""

    on: date = Field(description="Day the pair is active again.")


class PairEnded(_PairFact):
    """The pair ended; the stage is free for another helper."""

    on: date = Field(description="Last day of the pair.")
    reason: Text = Field(description="Why the pair ended.")


class ManagerSeconded(_Period, _PairFact):
    """A manager is seconded from one school of the pair to the other for the period."""

    secondment_id: RecordId
    direction: Direction = Field(description="From which school of the pair to which.")
    role: Identifier = Field(description="Post seconded, e.g. vice_principal.")
    form: Text = Field(description="Agreed form.")
    content: Text = Field(description="Agreed content.")
    personal: PersonPersonal = Field(description="The seconded manager, shredded per person.")


class ShadowingRecorded(_Period, _PairFact):
    """A county teacher shadows at the helper school; `within_target` false is flagged."""

    shadowing_id: RecordId
    host_school_id: SchoolId = Field(description="The helper school the teacher shadows at.")
    subject: Subject = Field(description="Subject the teacher teaches.")
    months: Months
    within_target: bool = Field(description="months lies within the county's target range.")
    exception_reason: Text | None = Field(
        description="Why a period outside the target was accepted (required then)."
    )
    personal: PersonPersonal = Field(description="The shadowing teacher, shredded per person.")


class TeacherPairingAgreed(_PairFact):
    """A teacher of each school agreed a teacher-to-teacher pairing plan."""

    plan_id: RecordId
    subject: Subject = Field(description="Subject the two teachers teach.")
    weak_subject: bool = Field(description="The subject is weak at the helped school.")
    agreed_on: date = Field(description="Day the plan was agreed.")
    goal: Text = Field(description="What the pairing should achieve.")
    personal: TeacherPairPersonal = Field(description="The two teachers, shredded per person.")


class ModelLessonGiven(_PairFact):
    """A teacher of the helper school gave a model lesson at the helped school."""

    lesson_id: RecordId
    subject: Subject = Field(description="Subject of the lesson.")
    weak_subject: bool = Field(description="The subject is weak at the helped school.")
    given_on: date = Field(description="Day of the lesson.")
    title: Text = Field(description="Title or topic.")
    given_by: LessonGiver = Field(description="Kind of teacher who gave it.")
    personal: PersonPersonal = Field(description="The teacher, shredded per person.")


class ExchangeVisitMade(_Period, _PairFact):
    """Teachers of one school of the pair visited the other."""

    visit_id: RecordId
    direction: Direction = Field(description="Which school's teachers visited which.")
    subject: Subject = Field(description="Subject of the visit.")
    weak_subject: bool = Field(description="The subject is weak at the helped school.")
    participants: int = Field(ge=1, description="Teachers who went.")
    purpose: Text = Field(description="What the visit was for.")


class TeachingResourceShared(_PairFact):
    """Courseware or a teaching result was shared with the helped school."""

    resource_id: RecordId
    kind: ResourceKind = Field(description="courseware or teaching_result.")
    title: Text = Field(description="Title of the resource.")
    subject: Subject = Field(description="Subject of the resource.")
    for_stage: PairedStage = Field(description="Stage the resource is for.")
    shared_on: date = Field(description="Day it was shared.")


class SchoolSystemMilestoneAchieved(_SchoolAddress):
    """The helped school reached one part of a modern school system."""

    milestone: Milestone = Field(description="Which part.")
    achieved_on: date = Field(description="Day it was achieved.")
    evidence: Text = Field(description="Where the evidence is.")


class StandardisedAssessmentPassed(_SchoolAddress):
    """The helped school passed a standardised-school assessment."""

    level: AssessmentLevel = Field(description="province or city.")
    passed_on: date = Field(description="Day the result was published.")


class PairingPersonalDataErased(_SchoolAddress):
    """The names a pairing record held were erased: its data key is destroyed; the record
    and its figures stay, read models delete the names."""

    record_id: RecordId
    key_id: str = Field(description="Data key destroyed, e.g. record:<record_id>.")
    reason: str = Field(description="Why, as the request gave it.")
    requested_by: Department = Field(description="Department that asked for the erasure.")
