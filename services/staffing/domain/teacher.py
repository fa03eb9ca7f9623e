"""The MasterTeacher aggregate: one teacher's calendar of assignments, and their mentoring.

The calendar is the only place that sees all of a teacher's posts, so it is the one that
refuses a teacher serving two posts (two host schools, or two subjects) in the same term.
It follows the posts: the service records here what a post admitted (`assignments.py`).
Mentees are local teachers at the host school of an assignment; sessions are keyed by day
and topic, so logging the same session twice records it once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel

from contracts.staffing import commands as c
from contracts.staffing.events import (
    MenteeAssigned,
    MentoringSessionLogged,
    TeacherAssignmentCancelled,
    TeacherAssignmentRecorded,
)
from contracts.staffing.terms import term_index, term_of
from shared.decider import Aggregate, Rejection
from shared.i18n import listing, named

PostKey = tuple[str, str, str]
"""(county, host school, subject)."""


@dataclass(frozen=True)
class Booking:
    post: PostKey
    start_term: str
    end_term: str

    def overlaps(self, start: str, end: str) -> bool:
        return not (
            term_index(end) < term_index(self.start_term)
            or term_index(self.end_term) < term_index(start)
        )


def overlapping(teacher_id: UUID, clash: Booking) -> Rejection:
    """The refusal of a span that shares a term with `clash`, another booking."""
    county, school, subject = clash.post
    return Rejection(
        "overlapping_assignment",
        "teacher {teacher_id} already serves {subject} at {school} ({county}) "
        "{start_term} to {end_term}",
        teacher_id=teacher_id,
        subject=named("subject", subject),
        school=named("school", school),
        county=named("county", county),
        start_term=named("term", clash.start_term),
        end_term=named("term", clash.end_term),
    )


@dataclass(frozen=True)
class MasterTeacher:
    county: str = ""
    bookings: tuple[Booking, ...] = ()
    mentees: Mapping[UUID, PostKey] = field(default_factory=dict)
    sessions: Mapping[tuple[date, str], MentoringSessionLogged] = field(default_factory=dict)

    def booking(self, post: PostKey, start_term: str) -> Booking | None:
        return next(
            (b for b in self.bookings if (b.post, b.start_term) == (post, start_term)), None
        )

    def serving_in(self, term: str) -> Booking | None:
        return next((b for b in self.bookings if b.overlaps(term, term)), None)

    def clash(self, post: PostKey, start: str, end: str) -> Booking | None:
        """Another booking that shares a term with this span, if any."""
        return next(
            (
                b
                for b in self.bookings
                if (b.post, b.start_term) != (post, start) and b.overlaps(start, end)
            ),
            None,
        )

    def latest_at(self, post: PostKey) -> Booking | None:
        here = [b for b in self.bookings if b.post == post]
        return max(here, key=lambda b: term_index(b.start_term), default=None)

    @property
    def mentoring_hours(self) -> Decimal:
        return sum((s.hours for s in self.sessions.values()), Decimal("0.0"))


def teacher_stream(teacher_id: UUID) -> str:
    return f"teacher:{teacher_id}"


def post_of(command: c.RecordTeacherAssignment | c.CancelTeacherAssignment) -> PostKey:
    return (command.county, command.host_school, command.subject)


def clash_with(
    state: MasterTeacher, command: c.DispatchMasterTeacher | c.ExtendMasterTeacherSupport
) -> Booking | None:
    """The booking a dispatch or an extension would overlap, read before the post decides."""
    post = (command.county, command.host_school, command.subject)
    if isinstance(command, c.DispatchMasterTeacher):
        return state.clash(post, command.start_term, command.planned_end_term)
    booked = state.latest_at(post)
    if booked is None or term_index(command.planned_end_term) <= term_index(booked.end_term):
        return None
    return state.clash(post, booked.start_term, command.planned_end_term)


def evolve(state: MasterTeacher, event: BaseModel) -> MasterTeacher:
    match event:
        case TeacherAssignmentRecorded():
            post = (event.county, event.host_school, event.subject)
            kept = tuple(
                b for b in state.bookings if (b.post, b.start_term) != (post, event.start_term)
            )
            booked = Booking(post, event.start_term, event.end_term)
            return replace(state, county=event.county, bookings=(*kept, booked))
        case TeacherAssignmentCancelled():
            post = (event.county, event.host_school, event.subject)
            kept = tuple(
                b for b in state.bookings if (b.post, b.start_term) != (post, event.start_term)
            )
            return replace(state, bookings=kept)
        case MenteeAssigned():
            post = (event.county, event.host_school, event.subject)
            return replace(state, mentees={**state.mentees, event.mentee_id: post})
        case MentoringSessionLogged():
            key = (event.held_on, event.topic)
            return replace(state, sessions={**state.sessions, key: event})
    return state


def record_assignment(state: MasterTeacher, command: c.RecordTeacherAssignment) -> list[BaseModel]:
    """Book the span, or move its end, unless another booking shares a term with it."""
    post = post_of(command)
    booked = state.booking(post, command.start_term)
    if booked and booked.end_term == command.end_term:
        return []
    clash = state.clash(post, command.start_term, command.end_term)
    if clash:
        raise overlapping(command.teacher_id, clash)
    return [
        TeacherAssignmentRecorded(
            county=command.county,
            host_school=command.host_school,
            subject=command.subject,
            teacher_id=command.teacher_id,
            start_term=command.start_term,
            end_term=command.end_term,
        )
    ]


def cancel_assignment(state: MasterTeacher, command: c.CancelTeacherAssignment) -> list[BaseModel]:
    if state.booking(post_of(command), command.start_term) is None:
        return []
    return [
        TeacherAssignmentCancelled(
            county=command.county,
            host_school=command.host_school,
            subject=command.subject,
            teacher_id=command.teacher_id,
            start_term=command.start_term,
        )
    ]


def assign_mentee(state: MasterTeacher, command: c.AssignMentee) -> list[BaseModel]:
    """Mentees are local teachers at the post the teacher serves in the given term."""
    booking = state.serving_in(command.term)
    if booking is None:
        raise Rejection(
            "no_assignment",
            "teacher {teacher_id} serves no post in {term}",
            teacher_id=command.teacher_id,
            term=named("term", command.term),
        )
    if state.mentees.get(command.mentee_id) == booking.post:
        return []
    county, school, subject = booking.post
    return [
        MenteeAssigned(
            county=county,
            host_school=school,
            subject=subject,
            teacher_id=command.teacher_id,
            mentee_id=command.mentee_id,
            term=command.term,
            personal=command.personal,
        )
    ]


def log_session(state: MasterTeacher, command: c.LogMentoringSession) -> list[BaseModel]:
    """A session is held during an assignment, with mentees of that assignment's post."""
    term = term_of(command.held_on)
    booking = state.serving_in(term)
    if booking is None:
        raise Rejection(
            "outside_assignment",
            "{held_on} is in {term}, when teacher {teacher_id} serves no post",
            held_on=command.held_on,
            term=named("term", term),
            teacher_id=command.teacher_id,
        )
    strangers = [m for m in command.mentee_ids if state.mentees.get(m) != booking.post]
    if strangers:
        raise Rejection(
            "unknown_mentee",
            "not mentored by teacher {teacher_id} at {post}: {mentees}",
            teacher_id=command.teacher_id,
            post=booking.post[1],
            mentees=listing(strangers),
        )
    county, school, subject = booking.post
    session = MentoringSessionLogged(
        county=county,
        host_school=school,
        subject=subject,
        teacher_id=command.teacher_id,
        held_on=command.held_on,
        topic=command.topic,
        hours=command.hours,
        mentee_ids=command.mentee_ids,
    )
    logged = state.sessions.get((command.held_on, command.topic))
    if logged == session:
        return []
    if logged is not None:
        raise Rejection(
            "session_already_logged",
            "a session on {held_on} about {topic} is logged with other hours or mentees",
            held_on=command.held_on,
            topic=repr(command.topic),
        )
    return [session]


TEACHER = Aggregate[MasterTeacher]("master_teacher", MasterTeacher(), evolve, lambda s: s.county)
