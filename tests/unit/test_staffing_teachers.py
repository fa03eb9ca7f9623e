"""A master teacher's calendar (one post at a time) and mentoring: given, when, then."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel

from contracts.staffing import commands as c
from contracts.staffing.events import (
    MenteeAssigned,
    MentoringSessionLogged,
    TeacherAssignmentCancelled,
    TeacherAssignmentRecorded,
)
from contracts.staffing.types import PersonPersonal
from services.staffing.domain import teacher
from shared.decider import Rejection
from tests.support.staffing import COUNTY, SECOND_SCHOOL, ZIZHOU_HIGH, dispatch

TEACHER = UUID("5b1e6a0c-2f1d-4c57-9d6e-7c2b8f0e4a11")
MENTEE = UUID("9e2d4b71-6a3f-4c08-b5d2-1f7e8a6c3d90")


def book(
    start: str = "2017-autumn",
    end: str = "2019-spring",
    school: str = ZIZHOU_HIGH,
    subject: str = "mathematics",
) -> c.RecordTeacherAssignment:
    return c.RecordTeacherAssignment(
        county=COUNTY,
        host_school=school,
        subject=subject,
        teacher_id=TEACHER,
        start_term=start,
        end_term=end,
    )


def booked(**kwargs: str) -> TeacherAssignmentRecorded:
    return TeacherAssignmentRecorded(**book(**kwargs).model_dump())


def state(given: Sequence[BaseModel]) -> teacher.MasterTeacher:
    return teacher.TEACHER.fold(given)


def mentee(term: str = "2017-autumn", mentee_id: UUID = MENTEE) -> c.AssignMentee:
    return c.AssignMentee(
        teacher_id=TEACHER, mentee_id=mentee_id, term=term, personal=PersonPersonal(name="刘海燕")
    )


def session(
    held_on: date = date(2017, 10, 12), hours: str = "2.5", mentees: tuple[UUID, ...] = (MENTEE,)
) -> c.LogMentoringSession:
    return c.LogMentoringSession(
        teacher_id=TEACHER,
        held_on=held_on,
        topic="函数单元的教学设计",
        hours=Decimal(hours),
        mentee_ids=list(mentees),
    )


def assigned(term: str = "2017-autumn") -> BaseModel:
    (event,) = teacher.assign_mentee(state([booked()]), mentee(term))
    return event


# The calendar


def test_an_assignment_is_booked_in_the_calendar() -> None:
    then = teacher.record_assignment(state([]), book())

    assert then == [booked()]


def test_an_assignment_at_a_second_host_school_in_the_same_terms_is_refused() -> None:
    given = [booked(start="2017-autumn", end="2019-spring")]

    with pytest.raises(Rejection) as refused:
        teacher.record_assignment(
            state(given), book(start="2018-autumn", end="2020-spring", school=SECOND_SCHOOL)
        )

    assert refused.value.code == "overlapping_assignment"
    assert "mathematics at zizhou_high_school (610831) 2017-autumn to 2019-spring" in (
        refused.value.message
    )


def test_a_second_subject_in_the_same_terms_is_refused_too() -> None:
    with pytest.raises(Rejection) as refused:
        teacher.record_assignment(state([booked()]), book(subject="physics"))

    assert refused.value.code == "overlapping_assignment"


def test_assignments_one_after_the_other_are_booked() -> None:
    given = [booked(start="2017-autumn", end="2018-spring")]

    then = teacher.record_assignment(
        state(given), book(start="2018-autumn", end="2019-spring", school=SECOND_SCHOOL)
    )

    assert len(then) == 1
    assert len(state([*given, *then]).bookings) == 2


def test_a_changed_end_moves_the_booking_and_the_same_end_changes_nothing() -> None:
    given = [booked(end="2019-spring")]

    moved = teacher.record_assignment(state(given), book(end="2020-spring"))

    assert moved == [booked(end="2020-spring")]
    assert [b.end_term for b in state([*given, *moved]).bookings] == ["2020-spring"]
    assert teacher.record_assignment(state(given), book(end="2019-spring")) == []


def test_a_cancelled_booking_frees_its_terms_and_cancelling_again_changes_nothing() -> None:
    cancel = c.CancelTeacherAssignment(
        county=COUNTY,
        host_school=ZIZHOU_HIGH,
        subject="mathematics",
        teacher_id=TEACHER,
        start_term="2017-autumn",
    )

    then = teacher.cancel_assignment(state([booked()]), cancel)

    assert then == [TeacherAssignmentCancelled(**cancel.model_dump())]
    freed = state([booked(), *then])
    assert freed.bookings == ()
    assert teacher.cancel_assignment(freed, cancel) == []
    assert teacher.record_assignment(freed, book(school=SECOND_SCHOOL))


def test_the_calendar_names_the_booking_a_dispatch_would_overlap() -> None:
    calendar = state([booked(start="2017-autumn", end="2018-spring")])

    after = dispatch(TEACHER, start="2018-autumn", end="2019-spring", school=SECOND_SCHOOL)
    during = dispatch(TEACHER, start="2018-spring", end="2019-spring", school=SECOND_SCHOOL)

    assert teacher.clash_with(calendar, after) is None
    assert teacher.clash_with(calendar, during) == calendar.bookings[0]


def test_the_calendar_names_the_booking_an_extension_would_run_into() -> None:
    here = booked(start="2017-autumn", end="2018-spring")
    there = booked(start="2018-autumn", end="2019-spring", school=SECOND_SCHOOL)
    extend = c.ExtendMasterTeacherSupport(
        county=COUNTY,
        host_school=ZIZHOU_HIGH,
        subject="mathematics",
        teacher_id=TEACHER,
        planned_end_term="2018-autumn",
    )

    assert teacher.clash_with(state([here, there]), extend) == state([there]).bookings[0]
    assert teacher.clash_with(state([here]), extend) is None
    assert teacher.clash_with(state([there]), extend) is None, "nothing booked at this post"


# Mentoring


def test_a_mentee_is_assigned_at_the_post_the_teacher_serves_in_the_term() -> None:
    then = teacher.assign_mentee(state([booked()]), mentee("2018-spring"))

    assert then == [
        MenteeAssigned(
            county=COUNTY,
            host_school=ZIZHOU_HIGH,
            subject="mathematics",
            teacher_id=TEACHER,
            mentee_id=MENTEE,
            term="2018-spring",
            personal=PersonPersonal(name="刘海燕"),
        )
    ]


def test_a_mentee_assigned_again_changes_nothing() -> None:
    given = [booked(), assigned()]

    assert teacher.assign_mentee(state(given), mentee("2018-spring")) == []


def test_no_mentee_in_a_term_the_teacher_serves_no_post() -> None:
    with pytest.raises(Rejection) as refused:
        teacher.assign_mentee(state([booked(end="2018-spring")]), mentee("2019-spring"))

    assert refused.value.code == "no_assignment"
    assert "2019-spring" in refused.value.message


def test_a_session_with_mentees_of_the_post_is_logged() -> None:
    given = [booked(), assigned()]

    then = teacher.log_session(state(given), session())

    assert then == [
        MentoringSessionLogged(
            county=COUNTY,
            host_school=ZIZHOU_HIGH,
            subject="mathematics",
            teacher_id=TEACHER,
            held_on=date(2017, 10, 12),
            topic="函数单元的教学设计",
            hours=Decimal("2.5"),
            mentee_ids=[MENTEE],
        )
    ]
    assert state([*given, *then]).mentoring_hours == Decimal("2.5")


def test_the_same_session_again_changes_nothing_and_other_hours_are_refused() -> None:
    given = [booked(), assigned()]
    given += teacher.log_session(state(given), session(hours="2.5"))

    assert teacher.log_session(state(given), session(hours="2.5")) == []
    with pytest.raises(Rejection) as refused:
        teacher.log_session(state(given), session(hours="3.0"))
    assert refused.value.code == "session_already_logged"


def test_a_session_with_someone_not_mentored_here_is_refused() -> None:
    stranger = uuid4()

    with pytest.raises(Rejection) as refused:
        teacher.log_session(state([booked(), assigned()]), session(mentees=(MENTEE, stranger)))

    assert refused.value.code == "unknown_mentee"
    assert str(stranger) in refused.value.message
    assert str(MENTEE) not in refused.value.message


def test_a_session_outside_every_assignment_is_refused() -> None:
    with pytest.raises(Rejection) as refused:
        teacher.log_session(state([booked(), assigned()]), session(held_on=date(2019, 10, 8)))

    assert refused.value.code == "outside_assignment"
    assert "2019-autumn" in refused.value.message


def test_state_keeps_the_county_of_the_latest_booking() -> None:
    calendar = state([booked()])

    assert teacher.TEACHER.county(calendar) == COUNTY
    assert teacher.teacher_stream(TEACHER) == f"teacher:{TEACHER}"
