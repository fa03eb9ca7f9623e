"""The SubjectPost aggregate: given these events, when this command, then these events (or a
refusal). A post is one subject at one host school; it admits 1-2 master teachers at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pytest
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
from services.staffing.domain import post
from services.staffing.targets import StaffingTargets
from shared.decider import Rejection
from tests.support.staffing import COUNTY, PILOT, ZIZHOU_HIGH, arrival, at_post, dispatch

Decide = Callable[[post.SubjectPost, Any, StaffingTargets], list[BaseModel]]


def when(decide: Decide, given: Sequence[BaseModel], command: Any) -> list[BaseModel]:
    return decide(post.POST.fold(given), command, PILOT)


def refusal(decide: Decide, given: Sequence[BaseModel], command: Any) -> Rejection:
    with pytest.raises(Rejection) as refused:
        when(decide, given, command)
    return refused.value


def dispatched(command: c.DispatchMasterTeacher) -> MasterTeacherDispatched:
    (event,) = when(post.dispatch, [], command)
    assert isinstance(event, MasterTeacherDispatched)
    return event


def arrived(command: c.DispatchMasterTeacher, on: date = date(2017, 9, 4)) -> BaseModel:
    (event,) = when(post.record_arrival, [dispatched(command)], arrival(command, on))
    return event


def raised(to: int, subject: str = "mathematics") -> SubjectTargetRaised:
    return SubjectTargetRaised(
        county=COUNTY,
        host_school=ZIZHOU_HIGH,
        subject=subject,
        min_teachers=1,
        previous_max_teachers=2,
        max_teachers=to,
        reason="a third class of grade 3",
    )


def raise_to(to: int, subject: str = "mathematics") -> c.RaiseSubjectTarget:
    return c.RaiseSubjectTarget(
        county=COUNTY,
        host_school=ZIZHOU_HIGH,
        subject=subject,
        max_teachers=to,
        reason="a third class of grade 3",
    )


# Dispatching


def test_a_master_teacher_is_dispatched_with_who_where_and_when() -> None:
    command = dispatch(subject="physics", start="2017-autumn", end="2019-spring", name="赵刚")

    then = when(post.dispatch, [], command)

    assert then == [
        MasterTeacherDispatched(
            county=COUNTY,
            host_school=ZIZHOU_HIGH,
            subject="physics",
            teacher_id=command.teacher_id,
            start_term="2017-autumn",
            planned_end_term="2019-spring",
            home_school="西安高级中学",
            personal=command.personal,
        )
    ]


def test_a_second_teacher_in_the_same_subject_is_admitted() -> None:
    given = [dispatched(dispatch())]

    then = when(post.dispatch, given, dispatch())

    assert [type(e) for e in then] == [MasterTeacherDispatched]


def test_a_third_concurrent_teacher_in_one_subject_is_refused() -> None:
    given = [dispatched(dispatch()), dispatched(dispatch(start="2018-spring", end="2019-autumn"))]

    refused = refusal(post.dispatch, given, dispatch(start="2018-autumn", end="2020-spring"))

    assert refused.code == "post_full"
    assert "mathematics at zizhou_high_school" in refused.message
    assert "2018-autumn" in refused.message, "names the first term that is full"


def test_a_third_teacher_is_admitted_once_the_target_is_raised() -> None:
    given = [dispatched(dispatch()), dispatched(dispatch()), raised(3)]

    then = when(post.dispatch, given, dispatch())

    assert [type(e) for e in then] == [MasterTeacherDispatched]
    assert refusal(post.dispatch, [*given, *then], dispatch()).code == "post_full"


def test_a_third_teacher_after_the_others_leave_is_admitted() -> None:
    given = [dispatched(dispatch(end="2018-spring")), dispatched(dispatch(end="2018-spring"))]

    then = when(post.dispatch, given, dispatch(start="2018-autumn", end="2020-spring"))

    assert [type(e) for e in then] == [MasterTeacherDispatched]


def test_a_teacher_who_ended_early_frees_the_seat_from_the_next_term() -> None:
    first = dispatch(end="2019-spring")
    given = [
        dispatched(first),
        arrived(first),
        MasterTeacherSupportEnded(**at_post(first), **_span(first), last_term="2018-spring"),
        dispatched(dispatch()),
    ]

    assert when(post.dispatch, given, dispatch(start="2018-autumn"))
    assert refusal(post.dispatch, given, dispatch(start="2018-spring")).code == "post_full"


def test_a_withdrawn_dispatch_never_takes_a_seat() -> None:
    first = dispatch()
    given = [
        dispatched(first),
        MasterTeacherDispatchWithdrawn(**at_post(first), **_span(first), reason="not released"),
        dispatched(dispatch()),
    ]

    assert [type(e) for e in when(post.dispatch, given, dispatch())] == [MasterTeacherDispatched]


def test_the_same_dispatch_again_changes_nothing() -> None:
    command = dispatch()

    assert when(post.dispatch, [dispatched(command)], command) == []


def test_one_teacher_twice_at_one_post_in_overlapping_terms_is_refused() -> None:
    first = dispatch()
    again = dispatch(first.teacher_id, start="2018-autumn", end="2020-spring")

    refused = refusal(post.dispatch, [dispatched(first)], again)

    assert refused.code == "overlapping_assignment"
    assert "2017-autumn to 2019-spring" in refused.message


def test_one_teacher_may_return_to_a_post_after_their_span() -> None:
    first = dispatch(end="2018-spring")
    again = dispatch(first.teacher_id, start="2019-autumn", end="2020-spring")

    assert [type(e) for e in when(post.dispatch, [dispatched(first)], again)] == [
        MasterTeacherDispatched
    ]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"county": "610802"}, "unknown_county"),
        ({"host_school": "yulin_no1_high_school"}, "unknown_host_school"),
        ({"subject": "music"}, "unknown_subject"),
    ],
    ids=lambda v: v if isinstance(v, str) else next(iter(v)),
)
def test_a_dispatch_outside_the_targets_is_refused_by_name(
    changes: dict[str, str], code: str
) -> None:
    command = dispatch().model_copy(update=changes)

    refused = refusal(post.dispatch, [], command)

    assert refused.code == code
    assert next(iter(changes.values())) in refused.message


# Arrival


def test_the_arrival_of_a_dispatched_teacher_is_recorded() -> None:
    command = dispatch()

    then = when(post.record_arrival, [dispatched(command)], arrival(command, date(2017, 9, 4)))

    assert then == [
        MasterTeacherArrived(**at_post(command), **_span(command), arrived_on=date(2017, 9, 4))
    ]


def test_the_same_arrival_again_changes_nothing_and_another_day_is_refused() -> None:
    command = dispatch()
    given = [dispatched(command), arrived(command, date(2017, 9, 4))]

    assert when(post.record_arrival, given, arrival(command, date(2017, 9, 4))) == []
    refused = refusal(post.record_arrival, given, arrival(command, date(2017, 9, 11)))
    assert refused.code == "already_arrived"
    assert "2017-09-04" in refused.message


def test_an_arrival_outside_the_terms_of_the_assignment_is_refused() -> None:
    command = dispatch(start="2017-autumn", end="2018-spring")

    refused = refusal(
        post.record_arrival, [dispatched(command)], arrival(command, date(2018, 9, 3))
    )

    assert refused.code == "arrival_outside_assignment"
    assert "2018-autumn" in refused.message


def test_the_arrival_of_a_teacher_never_dispatched_is_refused() -> None:
    refused = refusal(post.record_arrival, [], arrival(dispatch(), date(2017, 9, 4)))

    assert refused.code == "not_dispatched"


# Extension


def test_an_extension_moves_the_planned_end_later() -> None:
    command = dispatch(end="2019-spring")
    extend = c.ExtendMasterTeacherSupport(**at_post(command), planned_end_term="2020-spring")

    then = when(post.extend, [dispatched(command), arrived(command)], extend)

    assert then == [
        MasterTeacherSupportExtended(
            **at_post(command),
            start_term="2017-autumn",
            planned_end_term="2020-spring",
            previous_planned_end_term="2019-spring",
        )
    ]


def test_an_extension_into_full_terms_is_refused() -> None:
    command = dispatch(end="2018-spring")
    given = [
        dispatched(command),
        dispatched(dispatch(start="2018-autumn", end="2020-spring")),
        dispatched(dispatch(start="2019-autumn", end="2020-spring")),
    ]
    extend = c.ExtendMasterTeacherSupport(**at_post(command), planned_end_term="2019-autumn")

    refused = refusal(post.extend, given, extend)

    assert refused.code == "post_full"
    assert "2019-autumn" in refused.message
    short = c.ExtendMasterTeacherSupport(**at_post(command), planned_end_term="2019-spring")
    assert when(post.extend, given, short), "the terms with room can be added"


def test_an_earlier_end_is_not_an_extension_and_the_same_end_changes_nothing() -> None:
    command = dispatch(end="2019-spring")
    given = [dispatched(command)]

    earlier = c.ExtendMasterTeacherSupport(**at_post(command), planned_end_term="2018-autumn")
    same = c.ExtendMasterTeacherSupport(**at_post(command), planned_end_term="2019-spring")

    assert refusal(post.extend, given, earlier).code == "not_an_extension"
    assert when(post.extend, given, same) == []


def test_an_ended_support_cannot_be_extended() -> None:
    command = dispatch()
    given = [
        dispatched(command),
        arrived(command),
        MasterTeacherSupportEnded(**at_post(command), **_span(command), last_term="2018-spring"),
    ]
    extend = c.ExtendMasterTeacherSupport(**at_post(command), planned_end_term="2020-spring")

    assert refusal(post.extend, given, extend).code == "support_ended"


def test_an_extension_can_be_withdrawn_to_the_earlier_end() -> None:
    command = dispatch(end="2019-spring")
    extended = MasterTeacherSupportExtended(
        **at_post(command),
        start_term="2017-autumn",
        planned_end_term="2020-spring",
        previous_planned_end_term="2019-spring",
    )
    undo = c.WithdrawMasterTeacherExtension(
        **at_post(command), planned_end_term="2019-spring", reason="booked elsewhere"
    )

    then = when(post.withdraw_extension, [dispatched(command), extended], undo)

    assert then == [
        MasterTeacherExtensionWithdrawn(
            **at_post(command),
            **_span(command),
            withdrawn_planned_end_term="2020-spring",
            reason="booked elsewhere",
        )
    ]
    assert when(post.withdraw_extension, [dispatched(command), extended, *then], undo) == []


@pytest.mark.parametrize(
    ("restore", "code"), [("2020-autumn", "not_an_extension"), ("2017-spring", "end_before_start")]
)
def test_withdrawing_an_extension_only_moves_the_end_earlier_and_not_before_the_start(
    restore: str, code: str
) -> None:
    command = dispatch(start="2017-autumn", end="2019-spring")
    undo = c.WithdrawMasterTeacherExtension(
        **at_post(command), planned_end_term=restore, reason="booked elsewhere"
    )

    assert refusal(post.withdraw_extension, [dispatched(command)], undo).code == code


# Ending


def test_the_support_of_an_arrived_teacher_ends_after_a_term() -> None:
    command = dispatch(end="2019-spring")
    ending = c.EndMasterTeacherSupport(**at_post(command), last_term="2018-spring")

    then = when(post.end, [dispatched(command), arrived(command)], ending)

    assert then == [
        MasterTeacherSupportEnded(**at_post(command), **_span(command), last_term="2018-spring")
    ]


@pytest.mark.parametrize(
    ("last", "code"),
    [("2017-spring", "end_before_start"), ("2019-autumn", "end_after_planned_end")],
)
def test_the_last_term_lies_within_the_assignment(last: str, code: str) -> None:
    command = dispatch(start="2017-autumn", end="2019-spring")
    ending = c.EndMasterTeacherSupport(**at_post(command), last_term=last)

    refused = refusal(post.end, [dispatched(command), arrived(command)], ending)

    assert refused.code == code
    assert last in refused.message


def test_a_teacher_who_never_arrived_is_withdrawn_not_ended() -> None:
    command = dispatch()
    ending = c.EndMasterTeacherSupport(**at_post(command), last_term="2018-spring")

    refused = refusal(post.end, [dispatched(command)], ending)

    assert refused.code == "not_arrived"
    assert "withdraw" in refused.message


def test_ending_twice_changes_nothing_or_is_refused() -> None:
    command = dispatch()
    ended = MasterTeacherSupportEnded(**at_post(command), **_span(command), last_term="2018-spring")
    given = [dispatched(command), arrived(command), ended]

    same = c.EndMasterTeacherSupport(**at_post(command), last_term="2018-spring")
    other = c.EndMasterTeacherSupport(**at_post(command), last_term="2018-autumn")

    assert when(post.end, given, same) == []
    assert refusal(post.end, given, other).code == "support_ended"


# Withdrawing a dispatch


def test_a_dispatch_is_withdrawn_before_arrival_and_stays_withdrawn() -> None:
    command = dispatch()
    withdraw = c.WithdrawMasterTeacherDispatch(**at_post(command), reason="not released")

    then = when(post.withdraw_dispatch, [dispatched(command)], withdraw)

    assert then == [
        MasterTeacherDispatchWithdrawn(**at_post(command), **_span(command), reason="not released")
    ]
    assert when(post.withdraw_dispatch, [dispatched(command), *then], withdraw) == []


def test_a_dispatch_cannot_be_withdrawn_after_arrival_or_before_it_exists() -> None:
    command = dispatch()
    withdraw = c.WithdrawMasterTeacherDispatch(**at_post(command), reason="not released")

    assert (
        refusal(post.withdraw_dispatch, [dispatched(command), arrived(command)], withdraw).code
        == "already_arrived"
    )
    assert refusal(post.withdraw_dispatch, [], withdraw).code == "not_dispatched"


# Raising the target


def test_a_raise_allows_more_teachers_and_names_the_previous_most() -> None:
    then = when(post.raise_target, [], raise_to(3))

    assert then == [raised(3)]


def test_a_raise_must_raise_and_the_same_raise_again_changes_nothing() -> None:
    assert refusal(post.raise_target, [], raise_to(2)).code == "not_a_raise"
    assert when(post.raise_target, [raised(3)], raise_to(3)) == []
    assert refusal(post.raise_target, [raised(3)], raise_to(2)).code == "not_a_raise"


def test_a_raise_for_an_unknown_subject_is_refused() -> None:
    assert refusal(post.raise_target, [], raise_to(3, subject="music")).code == "unknown_subject"


# State


def test_state_counts_the_teachers_serving_in_each_term() -> None:
    a, b = dispatch(end="2018-spring"), dispatch(start="2018-spring", end="2019-spring")

    state = post.POST.fold([dispatched(a), dispatched(b)])

    counts = {t: state.teachers_in(i) for t, i in (("2017-autumn", 4035), ("2018-spring", 4036))}
    assert counts == {"2017-autumn": 1, "2018-spring": 2}
    assert state.teachers_in(4037) == 1
    assert post.POST.county(state) == COUNTY
    assert post.post_stream(COUNTY, ZIZHOU_HIGH, "mathematics") == (
        "610831:zizhou_high_school:mathematics"
    )


def _span(command: c.DispatchMasterTeacher) -> dict[str, str]:
    return {"start_term": command.start_term, "planned_end_term": command.planned_end_term}
