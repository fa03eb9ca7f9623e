"""People exchanged by a pair: manager secondments (1-3 per side at a time) and teachers
shadowing at the helper school (1-2 months, or an explicit reason and a flag)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from contracts.pairing.events import ManagerSeconded, ShadowingRecorded
from contracts.pairing.types import Direction, PersonPersonal, Subject
from contracts.types import Stage
from services.pairing.domain.periods import months_between, most_at_once
from tests.support.pairing import (
    COUNTY,
    HELPER,
    SCHOOL,
    establish,
    history,
    refusal,
    second,
    shadow,
    suspend,
    when,
)

PAIR = f"{COUNTY}:{SCHOOL}:high_school:1"
AUTUMN = (date(2017, 9, 15), date(2018, 1, 15))
SPRING = (date(2018, 3, 1), date(2018, 7, 10))
RECORD = uuid.UUID("5b0e7c1e-3f7a-4d8e-9a51-2a7f0c9d4e11")


# Secondments


def test_a_manager_is_seconded_for_the_agreed_period() -> None:
    then = when(history(establish()), second(*AUTUMN, record=RECORD))

    assert then == [
        ManagerSeconded(
            pair_id=PAIR,
            county=COUNTY,
            helped_school_id=SCHOOL,
            stage=Stage.HIGH_SCHOOL,
            start_date=AUTUMN[0],
            end_date=AUTUMN[1],
            secondment_id=RECORD,
            direction=Direction.HELPER_TO_HELPED,
            role="vice_principal",
            form="full-time on site",
            content="teaching management",
            personal=PersonPersonal(name="王建华"),
        )
    ]


def test_three_managers_at_a_time_on_one_side_are_accepted() -> None:
    given = history(establish(), second(*AUTUMN), second(*AUTUMN))

    assert len(when(given, second(*AUTUMN))) == 1


def test_a_fourth_concurrent_secondment_on_one_side_is_refused() -> None:
    given = history(establish(), second(*AUTUMN), second(*AUTUMN), second(*AUTUMN))

    refused = refusal(given, second(date(2018, 1, 1), date(2018, 2, 28)))

    assert refused.code == "too_many_secondments"
    assert "3 managers seconded helper_to_helped" in refused.message


def test_a_fourth_on_one_side_is_accepted_when_it_runs_after_the_others() -> None:
    given = history(establish(), second(*AUTUMN), second(*AUTUMN), second(*AUTUMN))

    assert len(when(given, second(*SPRING))) == 1


def test_only_secondments_running_on_the_same_day_count_together() -> None:
    """At most two run on any one day, so a fourth spanning all three makes three at a time."""
    months = [(date(2017, 9, 1), date(2017, 9, 30)), (date(2017, 10, 1), date(2017, 10, 31))]
    given = history(
        establish(),
        *(second(s, e) for s, e in months),
        second(date(2017, 9, 10), date(2017, 10, 20)),
    )

    assert len(when(given, second(date(2017, 9, 1), date(2017, 10, 31)))) == 1


def test_the_other_side_has_its_own_three() -> None:
    given = history(establish(), second(*AUTUMN), second(*AUTUMN), second(*AUTUMN))

    assert len(when(given, second(*AUTUMN, direction="helped_to_helper"))) == 1


def test_a_secondment_needs_a_current_pair() -> None:
    assert refusal([], second(*AUTUMN)).code == "no_pair"


def test_a_secondment_on_a_suspended_pair_is_refused() -> None:
    given = history(establish(), suspend(date(2017, 9, 10)))

    assert refusal(given, second(*AUTUMN)).code == "pair_suspended"


def test_a_secondment_starting_before_the_pair_is_refused() -> None:
    refused = refusal(history(establish()), second(date(2017, 8, 1), date(2017, 12, 1)))

    assert refused.code == "before_pair_start"


def test_the_same_secondment_again_changes_nothing_even_when_three_run() -> None:
    given = history(establish(), second(*AUTUMN, record=RECORD), second(*AUTUMN), second(*AUTUMN))

    assert when(given, second(*AUTUMN, record=RECORD)) == []


def test_a_record_id_reused_for_other_data_is_refused() -> None:
    given = history(establish(), second(*AUTUMN, record=RECORD))

    refused = refusal(given, second(*SPRING, record=RECORD))

    assert refused.code == "record_id_taken"
    assert str(RECORD) in refused.message


def test_a_secondment_period_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="end_date is before start_date"):
        second(date(2018, 1, 15), date(2017, 9, 15))


# Shadowing


def test_two_months_of_shadowing_are_recorded_at_the_helper_school_within_target() -> None:
    then = when(history(establish()), shadow(date(2017, 10, 9), date(2017, 12, 8), record=RECORD))

    assert then == [
        ShadowingRecorded(
            pair_id=PAIR,
            county=COUNTY,
            helped_school_id=SCHOOL,
            stage=Stage.HIGH_SCHOOL,
            start_date=date(2017, 10, 9),
            end_date=date(2017, 12, 8),
            shadowing_id=RECORD,
            host_school_id=HELPER,
            subject=Subject.MATHEMATICS,
            months=Decimal("2.00"),
            within_target=True,
            exception_reason=None,
            personal=PersonPersonal(name="李静"),
        )
    ]


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2017, 10, 9), date(2017, 10, 31)), (date(2017, 10, 9), date(2017, 12, 31))],
    ids=["too short", "too long"],
)
def test_shadowing_outside_one_to_two_months_without_a_reason_is_refused(
    start: date, end: date
) -> None:
    refused = refusal(history(establish()), shadow(start, end))

    assert refused.code == "shadowing_outside_target"
    assert str(months_between(start, end)) in refused.message
    assert "exception_reason" in refused.message


def test_shadowing_outside_the_target_with_a_reason_is_accepted_and_flagged() -> None:
    then = when(
        history(establish()), shadow(date(2018, 3, 1), date(2018, 5, 31), reason="exam cover")
    )

    (event,) = then
    assert isinstance(event, ShadowingRecorded)
    assert (event.months, event.within_target, event.exception_reason) == (
        Decimal("3.00"),
        False,
        "exam cover",
    )


def test_shadowing_on_a_suspended_pair_is_refused() -> None:
    given = history(establish(), suspend(date(2017, 10, 1)))

    assert refusal(given, shadow(date(2017, 10, 9), date(2017, 12, 8))).code == "pair_suspended"


def test_the_same_shadowing_again_changes_nothing() -> None:
    command = shadow(date(2017, 10, 9), date(2017, 12, 8), record=RECORD)

    assert when(history(establish(), command), command) == []


# Periods


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2017, 10, 9), date(2017, 11, 8), "1.00"),
        (date(2017, 10, 9), date(2017, 12, 8), "2.00"),
        (date(2017, 1, 31), date(2017, 2, 27), "1.00"),
        (date(2017, 11, 1), date(2017, 11, 15), "0.50"),
        (date(2018, 3, 5), date(2018, 4, 19), "1.50"),
        (date(2018, 3, 1), date(2018, 5, 31), "3.00"),
        (date(2017, 12, 1), date(2017, 12, 1), "0.03"),
    ],
)
def test_months_are_calendar_months_with_the_rest_as_a_fraction(
    start: date, end: date, months: str
) -> None:
    assert str(months_between(start, end)) == months


def test_most_at_once_counts_the_busiest_day_of_a_period() -> None:
    periods = [
        (date(2017, 9, 1), date(2017, 9, 30)),
        (date(2017, 9, 20), date(2017, 10, 10)),
        (date(2017, 10, 1), date(2017, 10, 31)),
    ]

    assert most_at_once(periods, date(2017, 9, 1), date(2017, 10, 31)) == 2
    assert most_at_once(periods, date(2017, 11, 1), date(2017, 11, 30)) == 0
