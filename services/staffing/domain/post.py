"""The SubjectPost aggregate: one subject at one host school and the master teachers in it.

It is the only place that admits a master teacher to a post, so "never more teachers at once
than the target" holds under concurrent dispatches: every change of a span of terms is
decided here and appended with the post's expected version.

A span counts in every term from its start to its end (the last term served once ended, the
planned end before); a withdrawn dispatch never counts. Commands after a dispatch address the
teacher's latest assignment at the post that was not withdrawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from contracts.staffing import commands as c
from contracts.staffing.events import (
    MasterTeacherArrived,
    MasterTeacherDispatched,
    MasterTeacherDispatchWithdrawn,
    MasterTeacherExtensionWithdrawn,
    MasterTeacherSupportEnded,
    MasterTeacherSupportExtended,
    SubjectTargetRaised,
)
from contracts.staffing.terms import term_at, term_index, term_of
from contracts.staffing.types import HostSchoolTarget
from services.staffing.domain.targets import check_subject, host_school
from services.staffing.targets import StaffingTargets
from shared.decider import Aggregate, Rejection
from shared.i18n import named


@dataclass(frozen=True)
class Assignment:
    teacher_id: UUID
    start_term: str
    planned_end_term: str
    last_term: str | None = None
    arrived_on: date | None = None
    withdrawn: bool = False

    @property
    def end_term(self) -> str:
        return self.last_term or self.planned_end_term

    def counts_in(self, term: int) -> bool:
        return not self.withdrawn and term_index(self.start_term) <= term <= term_index(
            self.end_term
        )

    def overlaps(self, start: str, end: str) -> bool:
        return not self.withdrawn and not (
            term_index(end) < term_index(self.start_term)
            or term_index(self.end_term) < term_index(start)
        )


@dataclass(frozen=True)
class SubjectPost:
    county: str = ""
    host_school: str = ""
    subject: str = ""
    raised_max: int | None = None
    assignments: tuple[Assignment, ...] = ()

    def teachers_in(self, term: int, besides: Assignment | None = None) -> int:
        return sum(1 for a in self.assignments if a is not besides and a.counts_in(term))

    def current(self, teacher_id: UUID) -> Assignment | None:
        """The teacher's latest assignment here that was not withdrawn."""
        mine = [a for a in self.assignments if a.teacher_id == teacher_id and not a.withdrawn]
        return max(mine, key=lambda a: term_index(a.start_term), default=None)


def post_stream(county: str, school: str, subject: str) -> str:
    return f"{county}:{school}:{subject}"


def evolve(state: SubjectPost, event: BaseModel) -> SubjectPost:
    match event:
        case MasterTeacherDispatched():
            added = Assignment(event.teacher_id, event.start_term, event.planned_end_term)
            return replace(
                state,
                county=event.county,
                host_school=event.host_school,
                subject=event.subject,
                assignments=(*state.assignments, added),
            )
        case SubjectTargetRaised():
            return replace(
                state,
                county=event.county,
                host_school=event.host_school,
                subject=event.subject,
                raised_max=event.max_teachers,
            )
    changes = _CHANGES.get(type(event))
    return _change(state, event, **changes(event)) if changes else state


_CHANGES: dict[type[BaseModel], Callable[[Any], dict[str, Any]]] = {
    MasterTeacherArrived: lambda e: {"arrived_on": e.arrived_on},
    MasterTeacherSupportExtended: lambda e: {"planned_end_term": e.planned_end_term},
    MasterTeacherExtensionWithdrawn: lambda e: {"planned_end_term": e.planned_end_term},
    MasterTeacherSupportEnded: lambda e: {"last_term": e.last_term},
    MasterTeacherDispatchWithdrawn: lambda e: {"withdrawn": True},
}
"""How each later event changes the assignment it addresses."""


def _change(state: SubjectPost, event: Any, **changes: Any) -> SubjectPost:
    """Apply changes to the assignment the event addresses (never to a withdrawn one)."""
    return replace(
        state,
        assignments=tuple(
            replace(a, **changes)
            if (a.teacher_id, a.start_term, a.withdrawn)
            == (event.teacher_id, event.start_term, False)
            else a
            for a in state.assignments
        ),
    )


def most_teachers(state: SubjectPost, command: Any, targets: StaffingTargets) -> int:
    """The target's maximum, or the raised one: a raise never lowers the file's figure."""
    school = _known_post(command, targets)
    return max(school.teachers_per_subject.max, state.raised_max or 0)


def _known_post(command: Any, targets: StaffingTargets) -> HostSchoolTarget:
    school = host_school(targets, command.county, command.host_school)
    check_subject(targets, command.county, command.subject)
    return school


def dispatch(
    state: SubjectPost, command: c.DispatchMasterTeacher, targets: StaffingTargets
) -> list[BaseModel]:
    """Admit the teacher for the span unless some term of it already has the most teachers."""
    most = most_teachers(state, command, targets)
    start, end = command.start_term, command.planned_end_term
    mine = [a for a in state.assignments if a.teacher_id == command.teacher_id and not a.withdrawn]
    if any((a.start_term, a.planned_end_term) == (start, end) for a in mine):
        return []
    clash = next((a for a in mine if a.overlaps(start, end)), None)
    if clash:
        raise Rejection(
            "overlapping_assignment",
            "teacher {teacher_id} already serves here {start_term} to {end_term}",
            teacher_id=command.teacher_id,
            start_term=named("term", clash.start_term),
            end_term=named("term", clash.end_term),
        )
    _check_room(state, command, range(term_index(start), term_index(end) + 1), most)
    return [
        MasterTeacherDispatched(
            county=command.county,
            host_school=command.host_school,
            subject=command.subject,
            teacher_id=command.teacher_id,
            start_term=start,
            planned_end_term=end,
            home_school=command.home_school,
            personal=command.personal,
        )
    ]


def record_arrival(
    state: SubjectPost, command: c.RecordMasterTeacherArrival, targets: StaffingTargets
) -> list[BaseModel]:
    current = _current(state, command, targets)
    if current.arrived_on == command.arrived_on:
        return []
    if current.arrived_on is not None:
        raise Rejection(
            "already_arrived",
            "teacher {teacher_id} arrived on {arrived_on}",
            teacher_id=command.teacher_id,
            arrived_on=current.arrived_on,
        )
    if not current.overlaps(term_of(command.arrived_on), term_of(command.arrived_on)):
        raise Rejection(
            "arrival_outside_assignment",
            "{arrived_on} is in {term_of}, outside the assignment {start_term} to {end_term}",
            arrived_on=command.arrived_on,
            term_of=named("term", term_of(command.arrived_on)),
            start_term=named("term", current.start_term),
            end_term=named("term", current.end_term),
        )
    return [MasterTeacherArrived(**_facts(state, current), arrived_on=command.arrived_on)]


def extend(
    state: SubjectPost, command: c.ExtendMasterTeacherSupport, targets: StaffingTargets
) -> list[BaseModel]:
    """Move the planned end later, if every added term still has room."""
    current = _open(state, command, targets)
    old, new = term_index(current.planned_end_term), term_index(command.planned_end_term)
    if new == old:
        return []
    if new < old:
        raise Rejection(
            "not_an_extension",
            ("{planned_end_term} is before the planned end {planned}; end the support instead"),
            planned_end_term=named("term", command.planned_end_term),
            planned=named("term", current.planned_end_term),
        )
    _check_room(
        state, command, range(old + 1, new + 1), most_teachers(state, command, targets), current
    )
    return [
        MasterTeacherSupportExtended(
            **_facts(state, current, planned_end_term=command.planned_end_term),
            previous_planned_end_term=current.planned_end_term,
        )
    ]


def end(
    state: SubjectPost, command: c.EndMasterTeacherSupport, targets: StaffingTargets
) -> list[BaseModel]:
    current = _current(state, command, targets)
    if current.last_term == command.last_term:
        return []
    _not_ended(current, command)
    if current.arrived_on is None:
        raise Rejection(
            "not_arrived",
            "teacher {teacher_id} never arrived; withdraw the dispatch instead",
            teacher_id=command.teacher_id,
        )
    last = term_index(command.last_term)
    if last < term_index(current.start_term):
        raise Rejection(
            "end_before_start",
            "{last_term} is before the start term {start_term}",
            last_term=named("term", command.last_term),
            start_term=named("term", current.start_term),
        )
    if last > term_index(current.planned_end_term):
        raise Rejection(
            "end_after_planned_end",
            "{last_term} is after the planned end {planned_end_term}; extend the support first",
            last_term=named("term", command.last_term),
            planned_end_term=named("term", current.planned_end_term),
        )
    return [MasterTeacherSupportEnded(**_facts(state, current), last_term=command.last_term)]


def withdraw_dispatch(
    state: SubjectPost, command: c.WithdrawMasterTeacherDispatch, targets: StaffingTargets
) -> list[BaseModel]:
    """Take a dispatch back before arrival; a dispatch already withdrawn stays so."""
    _known_post(command, targets)
    current = state.current(command.teacher_id)
    if current is None:
        if any(a.teacher_id == command.teacher_id for a in state.assignments):
            return []
        raise _not_dispatched(command)
    if current.arrived_on is not None:
        raise Rejection(
            "already_arrived",
            "teacher {teacher_id} arrived on {arrived_on}; end the support instead",
            teacher_id=command.teacher_id,
            arrived_on=current.arrived_on,
        )
    return [
        MasterTeacherDispatchWithdrawn(
            **_facts(state, current), reason=command.reason, reason_said=command.reason_said
        )
    ]


def withdraw_extension(
    state: SubjectPost, command: c.WithdrawMasterTeacherExtension, targets: StaffingTargets
) -> list[BaseModel]:
    """Restore an earlier planned end; restoring the one in force changes nothing."""
    current = _open(state, command, targets)
    restored = term_index(command.planned_end_term)
    if restored == term_index(current.planned_end_term):
        return []
    if restored > term_index(current.planned_end_term):
        raise Rejection(
            "not_an_extension",
            "{planned_end_term} is after the planned end {planned}",
            planned_end_term=named("term", command.planned_end_term),
            planned=named("term", current.planned_end_term),
        )
    if restored < term_index(current.start_term):
        raise Rejection(
            "end_before_start",
            "{planned_end_term} is before the start term {start_term}",
            planned_end_term=named("term", command.planned_end_term),
            start_term=named("term", current.start_term),
        )
    return [
        MasterTeacherExtensionWithdrawn(
            **_facts(state, current, planned_end_term=command.planned_end_term),
            withdrawn_planned_end_term=current.planned_end_term,
            reason=command.reason,
            reason_said=command.reason_said,
        )
    ]


def raise_target(
    state: SubjectPost, command: c.RaiseSubjectTarget, targets: StaffingTargets
) -> list[BaseModel]:
    most = most_teachers(state, command, targets)
    if command.max_teachers == state.raised_max == most:
        return []
    if command.max_teachers <= most:
        raise Rejection(
            "not_a_raise",
            "{subject} at {host_school} already allows {most} teachers at once",
            subject=named("subject", command.subject),
            host_school=named("school", command.host_school),
            most=most,
        )
    school = host_school(targets, command.county, command.host_school)
    return [
        SubjectTargetRaised(
            county=command.county,
            host_school=command.host_school,
            subject=command.subject,
            min_teachers=school.teachers_per_subject.min,
            previous_max_teachers=most,
            max_teachers=command.max_teachers,
            reason=command.reason,
        )
    ]


def _check_room(
    state: SubjectPost,
    command: Any,
    terms: range,
    most: int,
    besides: Assignment | None = None,
) -> None:
    full = next((t for t in terms if state.teachers_in(t, besides) >= most), None)
    if full is not None:
        raise Rejection(
            "post_full",
            (
                "{subject} at {host_school} already has {most} master teachers in "
                "{term_at}, its most at once; raise the target to add another"
            ),
            subject=named("subject", command.subject),
            host_school=named("school", command.host_school),
            most=most,
            term_at=named("term", term_at(full)),
        )


def _current(state: SubjectPost, command: Any, targets: StaffingTargets) -> Assignment:
    _known_post(command, targets)
    current = state.current(command.teacher_id)
    if current is None:
        raise _not_dispatched(command)
    return current


def _open(state: SubjectPost, command: Any, targets: StaffingTargets) -> Assignment:
    current = _current(state, command, targets)
    _not_ended(current, command)
    return current


def _not_ended(current: Assignment, command: Any) -> None:
    if current.last_term is not None:
        raise Rejection(
            "support_ended",
            "teacher {teacher_id}'s support ended after {last_term}",
            teacher_id=command.teacher_id,
            last_term=named("term", current.last_term),
        )


def _not_dispatched(command: Any) -> Rejection:
    return Rejection(
        "not_dispatched",
        "teacher {teacher_id} is not dispatched to {subject} at {host_school}",
        teacher_id=command.teacher_id,
        subject=named("subject", command.subject),
        host_school=named("school", command.host_school),
    )


def _facts(state: SubjectPost, a: Assignment, **changes: str) -> dict[str, Any]:
    """The assignment fields every post event carries."""
    return {
        "county": state.county,
        "host_school": state.host_school,
        "subject": state.subject,
        "teacher_id": a.teacher_id,
        "start_term": a.start_term,
        "planned_end_term": a.planned_end_term,
        **changes,
    }


POST = Aggregate[SubjectPost]("subject_post", SubjectPost(), evolve, lambda s: s.county)
