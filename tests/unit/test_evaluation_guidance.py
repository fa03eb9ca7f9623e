"""Teaching-research guidance of a county's year: the plan of institutions and expert visits.

Given the events of the year's stream, when a command comes, then these events (or a refusal).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from contracts.evaluation.commands import (
    AdoptGuidancePlan,
    CancelResearchVisit,
    EraseResearchVisitExperts,
    PlanResearchVisit,
)
from contracts.evaluation.events import (
    GuidancePlanAdopted,
    ResearchVisitCancelled,
    ResearchVisitExpertsErased,
    ResearchVisitHeld,
    ResearchVisitPlanned,
)
from contracts.evaluation.types import GuidanceInstitution
from contracts.files.guidance_plan import SeedError, guidance_plan
from services.evaluation.domain.guidance import GUIDANCE
from shared.decider import Rejection
from tests.support.evaluation import COUNTY, EXPERTS, decide, given, plan_visit, record_visit

VISIT = UUID("5b0e3c2a-6a55-4d6e-9a43-1c2f0d1f7a10")
PILOT = guidance_plan(COUNTY, 2017)


def plan(*institutions: str) -> AdoptGuidancePlan:
    return AdoptGuidancePlan(
        county=COUNTY,
        year=2017,
        institutions=[GuidanceInstitution(institution=i, name=i) for i in institutions],
    )


def cancel(visit_id: UUID = VISIT) -> CancelResearchVisit:
    return CancelResearchVisit(county=COUNTY, year=2017, visit_id=visit_id, reason="暴雨")


def refused(history: list[BaseModel], command: BaseModel) -> Rejection:
    with pytest.raises(Rejection) as caught:
        decide(history, command)
    return caught.value


# The plan


def test_the_pilot_plan_names_the_four_institutions_of_the_seed_document() -> None:
    then = decide([], PILOT)

    assert then == [
        GuidancePlanAdopted(
            county=COUNTY,
            year=2017,
            institutions=PILOT.institutions,
            visits_min=1,
            visits_max=2,
        )
    ]
    assert [(i.institution, i.name) for i in PILOT.institutions] == [
        ("zizhou_research_office", "子洲教研室"),
        ("zizhou_high_school", "子洲中学"),
        ("zizhou_no2_middle_school", "子洲二中"),
        ("zizhou_experimental_primary", "实验小学"),
    ]


def test_a_county_without_a_seeded_plan_is_told_so() -> None:
    with pytest.raises(SeedError, match="no guidance plan for county 610802"):
        guidance_plan("610802", 2017)


def test_adopting_the_same_plan_again_changes_nothing() -> None:
    assert decide(given(PILOT), PILOT) == []


def test_a_new_plan_may_add_institutions() -> None:
    then = decide(given(plan("zizhou_high_school")), plan("zizhou_high_school", "dalihe_primary"))

    assert len(then) == 1


def test_a_new_plan_cannot_drop_an_institution_already_visited() -> None:
    history = given(plan("zizhou_high_school", "dalihe_primary"), record_visit("dalihe_primary"))

    rejection = refused(history, plan("zizhou_high_school"))

    assert rejection.code == "institution_has_visits"
    assert "dalihe_primary" in rejection.message


def test_a_new_plan_may_drop_an_institution_whose_visit_was_cancelled() -> None:
    history = given(
        plan("zizhou_high_school", "dalihe_primary"),
        plan_visit("dalihe_primary", visit_id=VISIT),
        cancel(),
    )

    assert len(decide(history, plan("zizhou_high_school"))) == 1


def test_a_plan_with_fewer_allowed_than_required_visits_is_invalid() -> None:
    with pytest.raises(ValidationError, match="visits_min exceeds visits_max"):
        AdoptGuidancePlan.model_validate({**PILOT.model_dump(), "visits_min": 3})


def test_a_plan_naming_an_institution_twice_is_invalid() -> None:
    with pytest.raises(ValidationError, match="institutions repeat: zizhou_high_school"):
        plan("zizhou_high_school", "zizhou_high_school")


# Visits


def test_a_visit_is_planned_with_its_date_topics_and_experts() -> None:
    command = plan_visit("zizhou_no2_middle_school", date(2017, 11, 3), VISIT)

    then = decide(given(PILOT), command)

    assert then == [
        ResearchVisitPlanned(
            visit_id=VISIT,
            county=COUNTY,
            year=2017,
            institution="zizhou_no2_middle_school",
            planned_on=date(2017, 11, 3),
            topics=["entrance_exam_quality_analysis"],
            personal=EXPERTS,
        )
    ]


def test_no_visit_before_the_year_has_a_plan() -> None:
    assert refused([], plan_visit()).code == "no_guidance_plan"
    assert refused([], record_visit()).code == "no_guidance_plan"


def test_a_visit_to_an_institution_outside_the_plan_is_refused() -> None:
    rejection = refused(given(PILOT), record_visit("majiacha_primary"))

    assert rejection.code == "unknown_institution"
    assert "majiacha_primary" in rejection.message


def test_a_visit_dated_outside_its_year_is_invalid() -> None:
    with pytest.raises(ValidationError, match="planned_on 2018-01-05 is not in 2017"):
        PlanResearchVisit.model_validate({**plan_visit().model_dump(), "planned_on": "2018-01-05"})


def test_planning_the_same_visit_again_changes_nothing_but_other_data_is_refused() -> None:
    history = given(PILOT, plan_visit(visit_id=VISIT))

    assert decide(history, plan_visit(visit_id=VISIT)) == []
    moved = plan_visit(planned_on=date(2017, 12, 1), visit_id=VISIT)
    assert refused(history, moved).code == "visit_exists"


def test_a_planned_visit_is_recorded_as_held_and_planned() -> None:
    history = given(PILOT, plan_visit(visit_id=VISIT))

    then = decide(history, record_visit(held_on=date(2017, 10, 13), visit_id=VISIT))

    assert then == [
        ResearchVisitHeld(
            visit_id=VISIT,
            county=COUNTY,
            year=2017,
            institution="zizhou_high_school",
            held_on=date(2017, 10, 13),
            was_planned=True,
            topics=["entrance_exam_quality_analysis"],
            expert_count=2,
            findings="高考质量分析：数学薄弱",
            personal=EXPERTS,
        )
    ]


def test_a_visit_not_planned_beforehand_is_recorded_as_such() -> None:
    (held,) = decide(given(PILOT), record_visit(visit_id=VISIT))

    assert isinstance(held, ResearchVisitHeld)
    assert not held.was_planned


def test_a_planned_visit_held_at_another_institution_is_refused() -> None:
    history = given(PILOT, plan_visit("zizhou_high_school", visit_id=VISIT))

    rejection = refused(history, record_visit("zizhou_no2_middle_school", visit_id=VISIT))

    assert rejection.code == "institution_mismatch"


def test_recording_a_visit_twice_changes_nothing_but_other_data_is_refused() -> None:
    history = given(PILOT, record_visit(visit_id=VISIT))

    assert decide(history, record_visit(visit_id=VISIT)) == []
    later = record_visit(held_on=date(2017, 10, 20), visit_id=VISIT)
    assert refused(history, later).code == "visit_already_recorded"


def test_a_planned_visit_is_cancelled() -> None:
    history = given(PILOT, plan_visit(visit_id=VISIT))

    assert decide(history, cancel()) == [
        ResearchVisitCancelled(
            visit_id=VISIT,
            county=COUNTY,
            year=2017,
            institution="zizhou_high_school",
            reason="暴雨",
        )
    ]


def test_a_cancelled_visit_cannot_be_recorded_and_cancelling_again_changes_nothing() -> None:
    history = given(PILOT, plan_visit(visit_id=VISIT), cancel())

    assert refused(history, record_visit(visit_id=VISIT)).code == "visit_cancelled"
    assert decide(history, cancel()) == []


def test_an_unknown_or_held_visit_cannot_be_cancelled() -> None:
    assert refused(given(PILOT), cancel()).code == "unknown_visit"
    held = given(PILOT, plan_visit(visit_id=VISIT), record_visit(visit_id=VISIT))
    assert refused(held, cancel()).code == "visit_already_held"


def test_state_knows_the_county_and_which_institutions_were_visited() -> None:
    state = GUIDANCE.fold(given(PILOT, record_visit("zizhou_high_school")))

    assert GUIDANCE.county(state) == COUNTY
    assert state.visited("zizhou_high_school")
    assert not state.visited("zizhou_research_office")


def erase_experts(visit_id: UUID = VISIT) -> EraseResearchVisitExperts:
    return EraseResearchVisitExperts(
        county=COUNTY, year=2017, visit_id=visit_id, reason="申请 2024-031", requested_by="office"
    )


def test_erasing_a_visit_s_experts_destroys_the_visit_s_key_once() -> None:
    history = given(PILOT, plan_visit(visit_id=VISIT), record_visit(visit_id=VISIT))

    (erased,) = decide(history, erase_experts())

    assert isinstance(erased, ResearchVisitExpertsErased)
    assert erased.key_id == f"record:{VISIT}"
    assert decide([*history, erased], erase_experts()) == []


def test_the_experts_of_a_visit_the_year_does_not_have_cannot_be_erased() -> None:
    with pytest.raises(Rejection) as refused:
        decide(given(PILOT), erase_experts())
    assert refused.value.code == "unknown_visit"
