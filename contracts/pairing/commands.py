"""Commands the pairing service accepts on `commands.pairing.<name>`.

Every command but AdoptPairingTargets addresses one helped school (county + school id); the
pair commands also name the stage, which picks the school's current pair at that stage.
"""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import Field, model_validator

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
    _PairAddress,
    _Period,
    _SchoolAddress,
)
from contracts.rules import RuleBroken
from contracts.types import Contract, CountyCode, Department


class AdoptPairingTargets(Contract):
    """Adopt or revise the county's pairing targets: the service enforces them from now on and
    the reports compare against them. Without `active_pairs` the command is refused (targets
    are data adopted by command); a range left unset is the province's default."""

    county: CountyCode
    active_pairs: int | None = Field(None, ge=0, le=10_000, description="Pairs to keep active.")
    secondments_per_side_min: int | None = Field(
        None, ge=0, le=100, description="Fewest managers seconded per side at a time."
    )
    secondments_per_side_max: int | None = Field(
        None, ge=1, le=100, description="Most managers seconded per side at a time."
    )
    shadowing_months_min: Months | None = Field(None, description="Shortest shadowing period.")
    shadowing_months_max: Months | None = Field(None, description="Longest shadowing period.")
    effective_from: date | None = Field(
        None, description="First day the targets apply; unset: from the plan start."
    )


class EstablishPair(_PairAddress):
    """Pair a helper school with a helped school at one stage (the same pair again: no change)."""

    helped_school_name: SchoolName
    helper_school_id: SchoolId
    helper_school_name: SchoolName
    responsible_division: Department
    start_date: date = Field(description="First day of the pair.")

    @model_validator(mode="after")
    def _two_schools(self) -> Self:
        if self.helper_school_id == self.helped_school_id:
            raise RuleBroken("a school cannot help itself")
        return self


class SuspendPair(_PairAddress):
    """Pause the current pair at the stage; it still holds the stage until it ends."""

    on: date = Field(description="Day the suspension starts.")
    reason: Text = Field(description="Why the pair is suspended.")


class ResumePair(_PairAddress):
    """Take up a suspended pair again."""

    on: date = Field(description="Day the pair is active again.")


class EndPair(_PairAddress):
    """End the current pair at the stage; another helper may then be paired."""

    on: date = Field(description="Last day of the pair.")
    reason: Text = Field(description="Why the pair ends.")


class SecondManager(_Period, _PairAddress):
    """Second a manager from one school of the pair to the other for an agreed period."""

    secondment_id: RecordId
    direction: Direction = Field(description="From which school of the pair to which.")
    role: Identifier = Field(description="Post seconded, e.g. vice_principal, academic_director.")
    form: Text = Field(description="Agreed form, e.g. full-time on site.")
    content: Text = Field(description="Agreed content of the secondment.")
    personal: PersonPersonal = Field(description="The seconded manager.")


class RecordShadowing(_Period, _PairAddress):
    """A county teacher shadows at the helper school; outside the target months needs a reason."""

    shadowing_id: RecordId
    subject: Subject = Field(description="Subject the teacher teaches.")
    exception_reason: Text | None = Field(
        None, description="Why the period is outside the target months (required then)."
    )
    personal: PersonPersonal = Field(description="The shadowing teacher.")


class AgreeTeacherPairing(_PairAddress):
    """Record a teacher-to-teacher pairing plan between the two schools."""

    plan_id: RecordId
    subject: Subject = Field(description="Subject the two teachers teach.")
    weak_subject: bool = Field(description="The subject is weak at the helped school.")
    agreed_on: date = Field(description="Day the plan was agreed.")
    goal: Text = Field(description="What the pairing should achieve.")
    personal: TeacherPairPersonal = Field(description="The two teachers.")


class RecordModelLesson(_PairAddress):
    """A subject leader or key teacher of the helper school gave a model lesson."""

    lesson_id: RecordId
    subject: Subject = Field(description="Subject of the lesson.")
    weak_subject: bool = Field(description="The subject is weak at the helped school.")
    given_on: date = Field(description="Day of the lesson.")
    title: Text = Field(description="Title or topic of the lesson.")
    given_by: LessonGiver = Field(description="Kind of teacher who gave it.")
    personal: PersonPersonal = Field(description="The teacher who gave it.")


class RecordExchangeVisit(_Period, _PairAddress):
    """Teachers of one school visited the other, for one subject."""

    visit_id: RecordId
    direction: Direction = Field(description="Which school's teachers visited which.")
    subject: Subject = Field(description="Subject of the visit.")
    weak_subject: bool = Field(description="The subject is weak at the helped school.")
    participants: int = Field(ge=1, le=500, description="Teachers who went.")
    purpose: Text = Field(description="What the visit was for.")


class ShareTeachingResource(_PairAddress):
    """Courseware or a teaching result was shared with the helped school."""

    resource_id: RecordId
    kind: ResourceKind = Field(description="courseware or teaching_result.")
    title: Text = Field(description="Title of the resource.")
    subject: Subject = Field(description="Subject of the resource.")
    for_stage: PairedStage = Field(description="Stage the resource is for.")
    shared_on: date = Field(description="Day it was shared.")


class RecordSchoolSystemMilestone(_SchoolAddress):
    """The helped school reached one of the four parts of a modern school system."""

    milestone: Milestone = Field(description="Which part.")
    achieved_on: date = Field(description="Day it was achieved.")
    evidence: Text = Field(description="Where the evidence is, e.g. the approved charter.")


class RecordStandardisedAssessment(_SchoolAddress):
    """The helped school passed a standardised-school assessment."""

    level: AssessmentLevel = Field(description="province or city.")
    passed_on: date = Field(description="Day the result was published.")


class ErasePairingPersonalData(_SchoolAddress):
    """Erase the names a pairing record holds (a manager, a teacher, two teachers): the
    record's data key is destroyed, so no copy can be read again; the record and every
    figure stay. Erasing again changes nothing."""

    record_id: RecordId
    reason: str = Field(min_length=1, max_length=500, description="Why, e.g. the request's number.")
    requested_by: Department = Field(description="Department that asked for the erasure.")
