"""Commands the staffing service accepts on `commands.staffing.<name>`.

Formats, ranges and the order of dates and terms are checked here, so a client finds its
mistakes before sending; the rules that need history (capacity, overlaps) are the domain's.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from contracts.rules import RuleBroken
from contracts.sentence import Named, Sentence
from contracts.staffing.terms import term_index, term_of
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
    TeacherId,
    Text,
    TrainersPersonal,
)
from contracts.types import Contract, CountyCode, Department, Term


def _in_order(first: str, last: str, first_name: str, last_name: str) -> None:
    if term_index(last) < term_index(first):
        raise RuleBroken(
            "{last_name} {last} is before {first_name} {first}",
            last_name=Named(context="field_path", id=last_name),
            last=Named(context="term", id=last),
            first_name=Named(context="field_path", id=first_name),
            first=Named(context="term", id=first),
        )


# Targets


class AdoptStaffingTargets(Contract):
    """Adopt or revise the county's staffing targets: the service enforces them from now on and
    the reports measure by them."""

    county: CountyCode
    targets: CountyTargets | None = Field(
        None,
        description="The county's targets (a county plan's `targets.staffing`); required since "
        "targets are data adopted by command: without them the command is refused.",
    )
    effective_from: date | None = Field(
        None, description="First day the targets apply; unset: from their plan start."
    )


class _PostAddress(Contract):
    """One subject at one host school of a county: the post that has 1-2 master teachers."""

    county: CountyCode
    host_school: SchoolId
    subject: SubjectId


class RaiseSubjectTarget(_PostAddress):
    """Allow more master teachers at once in one subject at one host school."""

    max_teachers: int = Field(ge=1, le=10, description="New most teachers at one time.")
    reason: Text


# Master-teacher support teaching (post streams)


class _AssignmentAddress(_PostAddress):
    """A master teacher's latest assignment at a post."""

    teacher_id: TeacherId


class DispatchMasterTeacher(_AssignmentAddress):
    """Send a master teacher to support one subject at a host school for a span of terms."""

    home_school: SchoolName = Field(description="School the teacher comes from.")
    start_term: Term
    planned_end_term: Term
    personal: PersonPersonal = Field(description="The teacher's name.")

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        _in_order(self.start_term, self.planned_end_term, "start_term", "planned_end_term")
        return self


class RecordMasterTeacherArrival(_AssignmentAddress):
    """The dispatched teacher started at the host school."""

    arrived_on: date = Field(description="First day at the host school.")


class ExtendMasterTeacherSupport(_AssignmentAddress):
    """Keep the teacher longer than planned."""

    planned_end_term: Term


class EndMasterTeacherSupport(_AssignmentAddress):
    """The teacher's support ends after the given term (at or before the planned end)."""

    last_term: Term


class WithdrawMasterTeacherDispatch(_AssignmentAddress):
    """Take back a dispatch before the teacher arrived (a mistake, or a refused calendar)."""

    reason: Text
    reason_said: Sentence | None = Field(
        None,
        description="`reason` as a catalogue sentence, for the reader's language (the "
        "calendar's refusal when the service takes a change back itself).",
    )


class WithdrawMasterTeacherExtension(_AssignmentAddress):
    """Take back an extension, restoring an earlier planned end."""

    planned_end_term: Term = Field(description="The planned end to restore.")
    reason: Text
    reason_said: Sentence | None = Field(
        None,
        description="`reason` as a catalogue sentence, for the reader's language (the "
        "calendar's refusal when the service takes a change back itself).",
    )


# A master teacher's own calendar and mentoring (teacher streams)


class RecordTeacherAssignment(_AssignmentAddress):
    """Bring the teacher's calendar in line with a post: issued by the service after a dispatch,
    an extension or an end, so that no teacher serves two posts in one term."""

    start_term: Term
    end_term: Term

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        _in_order(self.start_term, self.end_term, "start_term", "end_term")
        return self


class CancelTeacherAssignment(_AssignmentAddress):
    """Free the teacher's calendar after a withdrawn dispatch (issued by the service)."""

    start_term: Term


class AssignMentee(Contract):
    """A local teacher at the host school is mentored (传帮带) by a master teacher."""

    teacher_id: TeacherId
    mentee_id: PersonId
    term: Term = Field(description="First term of mentoring; the teacher serves in it.")
    personal: PersonPersonal = Field(description="The mentee's name.")


class LogMentoringSession(Contract):
    """A master teacher met mentees."""

    teacher_id: TeacherId
    held_on: date = Field(description="Day of the session.")
    topic: Text
    hours: Hours
    mentee_ids: list[PersonId] = Field(min_length=1, max_length=100, description="Who attended.")

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if len(set(self.mentee_ids)) != len(self.mentee_ids):
            raise RuleBroken("mentee_ids repeat")
        return self


# Training


class RecordCaravanVisit(Contract):
    """A caravan (大篷车) teaching visit: paired schools' master teachers gave model lessons."""

    county: CountyCode
    term: Term = Field(description="Term of the visit; its season is the visit's season.")
    visited_on: date = Field(description="Day of the visit, within the term.")
    visiting_school: SchoolName = Field(description="School the visiting teachers come from.")
    lessons: list[ModelLessons] = Field(
        min_length=1, max_length=100, description="Model lessons per stage and subject."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if term_of(self.visited_on) != self.term:
            raise RuleBroken(
                "{visited_on} is in {in_term}, not {term}",
                visited_on=Named(context="date", id=self.visited_on.isoformat()),
                in_term=Named(context="term", id=term_of(self.visited_on)),
                term=Named(context="term", id=self.term),
            )
        pairs = [(m.stage, m.subject) for m in self.lessons]
        if len(set(pairs)) != len(pairs):
            raise RuleBroken("a stage and subject repeat in lessons")
        return self


class RecordShadowTraining(Contract):
    """A county teacher shadows (影子培训) at a model school for a period."""

    county: CountyCode
    trainee_id: PersonId
    home_school: SchoolName = Field(description="The trainee's school in the county.")
    host_school: SchoolName = Field(description="School where the trainee shadows.")
    starts_on: date = Field(description="First day.")
    ends_on: date = Field(description="Last day, not before the first.")
    personal: PersonPersonal = Field(description="The trainee's name.")

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_on < self.starts_on:
            raise RuleBroken(
                "ends_on {ends_on} is before starts_on {starts_on}",
                ends_on=Named(context="date", id=self.ends_on.isoformat()),
                starts_on=Named(context="date", id=self.starts_on.isoformat()),
            )
        return self


class PlaceTrainingOrder(Contract):
    """The county orders a demand-driven (订单式) training from the province."""

    county: CountyCode
    order_id: RecordId
    placed_on: date = Field(description="Day the county placed the order.")
    audience: Audience = Field(description="Who is to be trained.")
    topics: list[Text] = Field(min_length=1, max_length=20, description="What they ask for.")
    seats: int = Field(ge=1, le=1000, description="People to train.")


class FulfilTrainingOrder(Contract):
    """The province held the ordered training."""

    order_id: RecordId
    held_on: date = Field(description="Day of the training.")
    attendance: int = Field(ge=0, le=1000, description="People who attended.")
    personal: TrainersPersonal = Field(description="Who trained them.")


# Teacher supply


class AllocateSpecialPostQuota(Contract):
    """Set the special-post teacher (特岗教师) quota the county gets for a school year."""

    county: CountyCode
    school_year: SchoolYear
    quota: int = Field(ge=0, le=10_000, description="Special posts allocated.")


class RecordSpecialPostsFilled(Contract):
    """How many of the year's special posts are filled so far (a running total)."""

    county: CountyCode
    school_year: SchoolYear
    filled: int = Field(ge=0, le=10_000, description="Special posts filled so far.")


class _NewTeacher(Contract):
    county: CountyCode
    graduate_id: PersonId
    school: SchoolName = Field(description="School the graduate teaches at.")
    subject: SubjectId
    personal: PersonPersonal = Field(description="The graduate's name.")


class PlaceNormalGraduate(_NewTeacher):
    """A normal-university graduate was placed under the mountain-area teacher plan."""

    placed_on: date = Field(description="First day at the school.")


class RecruitTuitionFreeGraduate(_NewTeacher):
    """A tuition-free normal graduate (免费师范生) was recruited to the county."""

    recruited_on: date = Field(description="First day at the school.")


class EraseStaffPersonalData(Contract):
    """Erase a person's name everywhere: a master teacher (`teacher`), a mentee, trainee or
    graduate (`person`), or the trainers of a training order (`record`). Their data key is
    destroyed, so no copy can be read again; every figure stays. Erasing again changes
    nothing, and nothing personal is recorded for them again."""

    county: CountyCode = Field(description="County the request concerns (its jurisdiction).")
    subject: Literal["teacher", "person", "record"] = Field(
        description="teacher: a teacher_id; person: a mentee, trainee or graduate id; record: "
        "a training order id."
    )
    subject_id: UUID = Field(description="The id the person or record was recorded with.")
    reason: str = Field(min_length=1, max_length=500, description="Why, e.g. the request's number.")
    requested_by: Department = Field(description="Department that asked for the erasure.")
