"""High-school development (work stream 5): projects through their milestones, and quality
activities. Given the events of the stream, when a command comes, then these events."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from contracts.evaluation.commands import (
    AdvanceHighSchoolProject,
    EraseQualityActivityExperts,
    ProposeHighSchoolProject,
    RecordQualityImprovementActivity,
)
from contracts.evaluation.events import (
    HighSchoolProjectAdvanced,
    HighSchoolProjectProposed,
    QualityActivityExpertsErased,
    QualityImprovementActivityRecorded,
)
from contracts.evaluation.types import ActivityKind, FundingSource, Milestone
from services.evaluation.domain.high_school import ACTIVITY, PROJECT
from shared.decider import Rejection
from tests.support.evaluation import COUNTY, EXPERTS, decide, given

PROJECT_ID = UUID("0f3d2f7e-8a1b-4c7d-9e2f-3a4b5c6d7e8f")
ACTIVITY_ID = UUID("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
PROPOSE = ProposeHighSchoolProject(
    project_id=PROJECT_ID,
    county=COUNTY,
    school="zizhou_high_school",
    name="子洲中学教学综合楼",
    funding_source=FundingSource.CENTRAL_PROGRAMME,
    amount=Decimal("12000000.00"),
    proposed_on=date(2017, 9, 20),
)


def advance(milestone: Milestone, on: date, amount: str | None = None) -> AdvanceHighSchoolProject:
    return AdvanceHighSchoolProject(
        project_id=PROJECT_ID,
        milestone=milestone,
        reached_on=on,
        funded_amount=Decimal(amount) if amount else None,
        note="",
    )


APPROVED = advance(Milestone.APPROVED, date(2017, 11, 1))
FUNDED = advance(Milestone.FUNDED, date(2018, 3, 1), "10000000.00")
STARTED = advance(Milestone.STARTED, date(2018, 4, 15))
COMPLETED = advance(Milestone.COMPLETED, date(2019, 8, 30))


def refused(history: list[BaseModel], command: BaseModel) -> Rejection:
    with pytest.raises(Rejection) as caught:
        decide(history, command)
    return caught.value


# Projects


def test_a_project_is_proposed() -> None:
    assert decide([], PROPOSE) == [HighSchoolProjectProposed(**PROPOSE.model_dump())]


def test_proposing_again_changes_nothing_but_other_data_is_refused() -> None:
    history = given(PROPOSE)

    assert decide(history, PROPOSE) == []
    other = PROPOSE.model_copy(update={"amount": Decimal("1.00")})
    assert refused(history, other).code == "project_exists"


def test_a_project_reaches_its_milestones_in_order_up_to_completion() -> None:
    history = given(PROPOSE, APPROVED, FUNDED, STARTED)

    then = decide(history, COMPLETED)

    assert then == [
        HighSchoolProjectAdvanced(
            project_id=PROJECT_ID,
            county=COUNTY,
            school="zizhou_high_school",
            milestone=Milestone.COMPLETED,
            reached_on=date(2019, 8, 30),
            funded_amount=None,
            note="",
        )
    ]
    funded = history[2]
    assert isinstance(funded, HighSchoolProjectAdvanced)
    assert funded.funded_amount == Decimal("10000000.00")
    assert PROJECT.fold(history + then).milestone is Milestone.COMPLETED


def test_a_milestone_cannot_be_skipped() -> None:
    rejection = refused(given(PROPOSE, APPROVED), STARTED)

    assert rejection.code == "milestone_out_of_order"
    assert "next milestone is funded" in rejection.message


def test_nothing_comes_after_completion() -> None:
    history = given(PROPOSE, APPROVED, FUNDED, STARTED, COMPLETED)

    assert decide(history, COMPLETED) == []
    assert refused(history, advance(Milestone.STARTED, date(2019, 9, 1))).code == (
        "milestone_already_reached"
    )


def test_a_milestone_cannot_be_dated_before_the_previous_one() -> None:
    rejection = refused(given(PROPOSE), advance(Milestone.APPROVED, date(2017, 9, 1)))

    assert rejection.code == "milestone_before_previous"


def test_a_milestone_of_an_unknown_project_is_refused() -> None:
    assert refused([], APPROVED).code == "unknown_project"


@pytest.mark.parametrize(
    ("milestone", "amount", "message"),
    [
        (Milestone.FUNDED, None, "funded_amount is given with the funded milestone"),
        (Milestone.STARTED, "5.00", "funded_amount is given with the funded milestone"),
        (Milestone.PROPOSED, None, "proposed with ProposeHighSchoolProject"),
    ],
)
def test_an_advance_carries_an_amount_with_funding_and_only_then(
    milestone: Milestone, amount: str | None, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        advance(milestone, date(2018, 1, 1), amount)


# Quality-improvement activities


ACTIVITY_COMMAND = RecordQualityImprovementActivity(
    activity_id=ACTIVITY_ID,
    county=COUNTY,
    school="zizhou_high_school",
    held_on=date(2018, 4, 10),
    kind=ActivityKind.EXAM_QUALITY_ANALYSIS,
    participants=46,
    personal=EXPERTS,
    summary="高考备考诊断",
)


def test_an_activity_is_recorded_with_its_year_and_number_of_experts() -> None:
    then = decide([], ACTIVITY_COMMAND)

    assert then == [
        QualityImprovementActivityRecorded(
            **ACTIVITY_COMMAND.model_dump(), year=2018, expert_count=2
        )
    ]
    assert ACTIVITY.county(ACTIVITY.fold(then)) == COUNTY


def test_recording_an_activity_again_changes_nothing_but_other_data_is_refused() -> None:
    history = given(ACTIVITY_COMMAND)

    assert decide(history, ACTIVITY_COMMAND) == []
    other = ACTIVITY_COMMAND.model_copy(update={"participants": 12})
    assert refused(history, other).code == "activity_exists"


def erase_activity_experts(county: str = COUNTY) -> EraseQualityActivityExperts:
    return EraseQualityActivityExperts(
        activity_id=ACTIVITY_ID, county=county, reason="申请 2024-032", requested_by="basic_ed_2"
    )


def test_erasing_an_activity_s_experts_destroys_its_key_once() -> None:
    history = given(ACTIVITY_COMMAND)

    (erased,) = decide(history, erase_activity_experts())

    assert isinstance(erased, QualityActivityExpertsErased)
    assert erased.key_id == f"record:{ACTIVITY_ID}"
    assert decide([*history, erased], erase_activity_experts()) == []


@pytest.mark.parametrize("county", [COUNTY, "610802"])
def test_the_experts_of_an_activity_not_recorded_in_that_county_cannot_be_erased(
    county: str,
) -> None:
    history = [] if county == COUNTY else given(ACTIVITY_COMMAND)
    with pytest.raises(Rejection) as refused:
        decide(history, erase_activity_experts(county))
    assert refused.value.code == "unknown_activity"
