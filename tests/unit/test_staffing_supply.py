"""Teacher supply: special-post quotas and new teachers; given, when, then."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel

from contracts.staffing import commands as c
from contracts.staffing.events import (
    NormalGraduatePlaced,
    SpecialPostQuotaAllocated,
    SpecialPostsFilled,
    TuitionFreeGraduateRecruited,
)
from contracts.staffing.types import PersonPersonal
from services.staffing.domain import supply
from shared.decider import Rejection
from tests.support.staffing import COUNTY, PILOT

GRADUATE = UUID("2d6b8f40-1c3e-4a5d-9b7f-0e4c6a8d2f13")


def allocate(quota: int, county: str = COUNTY) -> c.AllocateSpecialPostQuota:
    return c.AllocateSpecialPostQuota(county=county, school_year=2017, quota=quota)


def filled(count: int) -> c.RecordSpecialPostsFilled:
    return c.RecordSpecialPostsFilled(county=COUNTY, school_year=2017, filled=count)


def quota(*events: BaseModel) -> supply.SpecialPostQuota:
    return supply.QUOTA.fold(events)


def allocated(count: int) -> SpecialPostQuotaAllocated:
    return SpecialPostQuotaAllocated(**allocate(count).model_dump())


def graduate(subject: str = "english", placed_on: date = date(2018, 9, 1)) -> c.PlaceNormalGraduate:
    return c.PlaceNormalGraduate(
        county=COUNTY,
        graduate_id=GRADUATE,
        school="子洲县实验中学",
        subject=subject,
        placed_on=placed_on,
        personal=PersonPersonal(name="孙悦"),
    )


def refused(decide: Any, *args: Any) -> Rejection:
    with pytest.raises(Rejection) as refusal:
        decide(*args)
    return refusal.value


# Special-post quota


def test_a_quota_is_allocated_revised_and_the_same_quota_changes_nothing() -> None:
    assert supply.allocate_quota(quota(), allocate(40), PILOT) == [allocated(40)]
    assert supply.allocate_quota(quota(allocated(40)), allocate(45), PILOT) == [allocated(45)]
    assert supply.allocate_quota(quota(allocated(40)), allocate(40), PILOT) == []
    assert supply.quota_stream(COUNTY, 2017) == "610831:special_posts:2017"


def test_posts_filled_are_counted_against_the_quota() -> None:
    then = supply.record_filled(quota(allocated(40)), filled(36))

    assert then == [SpecialPostsFilled(county=COUNTY, school_year=2017, filled=36, quota=40)]
    assert supply.record_filled(quota(allocated(40), *then), filled(36)) == []


def test_more_filled_than_the_quota_is_refused() -> None:
    refusal = refused(supply.record_filled, quota(allocated(40)), filled(41))

    assert refusal.code == "exceeds_quota"
    assert "40" in refusal.message


def test_posts_cannot_be_filled_before_a_quota_is_allocated() -> None:
    assert refused(supply.record_filled, quota(), filled(3)).code == "no_quota"


def test_a_quota_is_never_revised_below_the_posts_filled() -> None:
    given = quota(allocated(40), SpecialPostsFilled(**filled(36).model_dump(), quota=40))

    assert refused(supply.allocate_quota, given, allocate(30), PILOT).code == "quota_below_filled"


def test_a_quota_for_a_county_without_targets_is_refused() -> None:
    assert refused(supply.allocate_quota, quota(), allocate(5, "610802"), PILOT).code == (
        "unknown_county"
    )


# New teachers


def test_a_normal_graduate_is_placed_in_the_school_year_of_the_first_day() -> None:
    then = supply.place_graduate(supply.NEW_TEACHER.fold([]), graduate(), PILOT)

    assert then == [NormalGraduatePlaced(**graduate().model_dump(), school_year=2018)]
    assert supply.NEW_TEACHER.county(supply.NEW_TEACHER.fold(then)) == COUNTY


def test_a_tuition_free_graduate_is_recruited() -> None:
    command = c.RecruitTuitionFreeGraduate(
        county=COUNTY,
        graduate_id=GRADUATE,
        school="子洲中学",
        subject="physics",
        recruited_on=date(2018, 8, 28),
        personal=PersonPersonal(name="马超"),
    )

    then = supply.recruit_graduate(supply.NEW_TEACHER.fold([]), command, PILOT)

    assert then == [TuitionFreeGraduateRecruited(**command.model_dump(), school_year=2017)]


def test_a_graduate_joins_once() -> None:
    given = supply.NEW_TEACHER.fold(
        supply.place_graduate(supply.NEW_TEACHER.fold([]), graduate(), PILOT)
    )

    assert supply.place_graduate(given, graduate(), PILOT) == []
    refusal = refused(supply.place_graduate, given, graduate(placed_on=date(2019, 9, 1)), PILOT)
    assert refusal.code == "already_recorded"
    assert "2018" in refusal.message


def test_a_graduate_for_an_unknown_subject_is_refused() -> None:
    refusal = refused(
        supply.place_graduate, supply.NEW_TEACHER.fold([]), graduate(subject="music"), PILOT
    )

    assert refusal.code == "unknown_subject"
    assert "geography" in refusal.message, "names the subjects the county knows"
