"""Pairs of a helped school: given these commands accepted, when this one, then these events
(or this refusal). One current helper per stage; status changes are dated and in order."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel

from contracts.pairing.events import PairEnded, PairEstablished, PairResumed, PairSuspended
from contracts.types import Stage
from services.pairing.domain.school import HELPED_SCHOOL, PairStatus
from tests.support.pairing import (
    COUNTY,
    HELPER,
    SCHOOL,
    START,
    end,
    establish,
    history,
    refusal,
    resume,
    suspend,
    when,
)

PAIR = f"{COUNTY}:{SCHOOL}:high_school:1"
OTHER_HELPER = "xian_model_high_school"


# Establishing


def test_a_first_pair_is_established_with_its_schools_stage_and_division() -> None:
    then = when([], establish())

    assert then == [
        PairEstablished(
            pair_id=PAIR,
            county=COUNTY,
            helped_school_id=SCHOOL,
            stage=Stage.HIGH_SCHOOL,
            helped_school_name="子洲中学",
            helper_school_id=HELPER,
            helper_school_name=f"{HELPER}（待定）",
            responsible_division="basic_ed_2",
            start_date=START,
        )
    ]


def test_the_same_establishment_again_changes_nothing() -> None:
    assert when(history(establish()), establish()) == []


def test_the_same_establishment_again_changes_nothing_even_after_the_pair_ended() -> None:
    given = history(establish(), end(date(2018, 7, 1)))

    assert when(given, establish()) == []


def test_a_second_helper_at_a_stage_already_helped_is_refused() -> None:
    refused = refusal(history(establish()), establish(OTHER_HELPER))

    assert refused.code == "stage_already_helped"
    assert HELPER in refused.message
    assert PAIR in refused.message


def test_a_suspended_pair_still_holds_its_stage() -> None:
    given = history(establish(), suspend(date(2018, 1, 10)))

    assert refusal(given, establish(OTHER_HELPER)).code == "stage_already_helped"


@pytest.mark.parametrize(
    "changed",
    [{"start": date(2017, 10, 1)}, {"responsible_division": "basic_ed_1"}],
    ids=["start", "division"],
)
def test_the_same_helper_with_other_data_is_refused(changed: dict[str, Any]) -> None:
    refused = refusal(history(establish()), establish(**changed))

    assert refused.code == "stage_already_helped"


def test_a_helped_school_at_another_stage_may_have_its_own_helper() -> None:
    then = when(history(establish()), establish(OTHER_HELPER, stage=Stage.JUNIOR))

    assert [e.pair_id for e in then if isinstance(e, PairEstablished)] == [
        f"{COUNTY}:{SCHOOL}:junior:1"
    ]


def test_after_a_pair_ends_another_helper_is_paired_as_the_stages_second_pair() -> None:
    given = history(establish(), end(date(2018, 7, 1)))

    then = when(given, establish(OTHER_HELPER, start=date(2018, 9, 1)))

    assert [(e.pair_id, e.helper_school_id) for e in then if isinstance(e, PairEstablished)] == [
        (f"{COUNTY}:{SCHOOL}:high_school:2", OTHER_HELPER)
    ]
    state = HELPED_SCHOOL.fold([*given, *then])
    assert [p.status for p in state.pairs] == [PairStatus.ENDED, PairStatus.ACTIVE]


def test_a_new_pair_cannot_start_before_the_previous_one_ended() -> None:
    given = history(establish(), end(date(2018, 7, 1)))

    refused = refusal(given, establish(OTHER_HELPER, start=date(2018, 6, 30)))

    assert refused.code == "overlaps_previous_pair"
    assert "2018-07-01" in refused.message


def test_one_school_id_cannot_carry_two_names() -> None:
    given = history(establish())

    refused = refusal(
        given, establish(OTHER_HELPER, stage=Stage.JUNIOR, helped_school_name="子洲二中")
    )

    assert refused.code == "school_name_mismatch"
    assert "子洲中学" in refused.message


def test_a_school_cannot_help_itself() -> None:
    with pytest.raises(ValueError, match="cannot help itself"):
        establish(SCHOOL)


def test_only_the_four_school_stages_are_paired() -> None:
    with pytest.raises(ValueError, match="paired for preschool"):
        establish(stage=Stage.VOCATIONAL)


# Suspending, resuming, ending


def test_an_active_pair_is_suspended_with_its_reason() -> None:
    then = when(history(establish()), suspend(date(2018, 1, 10)))

    assert then == [
        PairSuspended(
            pair_id=PAIR,
            county=COUNTY,
            helped_school_id=SCHOOL,
            stage=Stage.HIGH_SCHOOL,
            on=date(2018, 1, 10),
            reason="helper school renovation",
        )
    ]


def test_a_suspended_pair_is_resumed() -> None:
    given = history(establish(), suspend(date(2018, 1, 10)))

    then = when(given, resume(date(2018, 3, 1)))

    assert [type(e) for e in then] == [PairResumed]
    assert HELPED_SCHOOL.fold([*given, *then]).pairs[0].status is PairStatus.ACTIVE


def test_a_suspended_pair_can_be_ended() -> None:
    given = history(establish(), suspend(date(2018, 1, 10)))

    then = when(given, end(date(2018, 2, 1)))

    assert [type(e) for e in then] == [PairEnded]
    assert HELPED_SCHOOL.fold([*given, *then]).current_pair(Stage.HIGH_SCHOOL) is None


@pytest.mark.parametrize(
    "command",
    [suspend(date(2018, 1, 1)), resume(date(2018, 1, 1)), end(date(2018, 1, 1))],
    ids=["suspend", "resume", "end"],
)
def test_a_school_without_a_pair_at_the_stage_cannot_change_one(command: BaseModel) -> None:
    refused = refusal([], command)

    assert refused.code == "no_pair"
    assert "high_school" in refused.message


def test_an_ended_pair_cannot_be_suspended() -> None:
    given = history(establish(), end(date(2018, 7, 1)))

    assert refusal(given, suspend(date(2018, 8, 1))).code == "no_pair"


def test_suspending_twice_is_refused() -> None:
    given = history(establish(), suspend(date(2018, 1, 10)))

    assert refusal(given, suspend(date(2018, 1, 11))).code == "pair_already_suspended"


def test_resuming_an_active_pair_is_refused() -> None:
    assert refusal(history(establish()), resume(date(2018, 1, 1))).code == "pair_not_suspended"


@pytest.mark.parametrize(
    "command",
    [suspend(date(2017, 8, 31)), end(date(2017, 8, 31))],
    ids=["suspend", "end"],
)
def test_a_change_dated_before_the_pair_started_is_refused(command: BaseModel) -> None:
    refused = refusal(history(establish()), command)

    assert refused.code == "before_last_change"
    assert "2017-09-01" in refused.message


def test_a_resumption_dated_before_the_suspension_is_refused() -> None:
    given = history(establish(), suspend(date(2018, 1, 10)))

    assert refusal(given, resume(date(2018, 1, 9))).code == "before_last_change"
