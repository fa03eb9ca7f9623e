"""Shared teaching (teacher pairing plans, model lessons, exchange visits, courseware and
teaching results) and the helped school's modern school system (milestones, assessments)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import pytest
from pydantic import BaseModel

from contracts.pairing.events import (
    ExchangeVisitMade,
    ModelLessonGiven,
    SchoolSystemMilestoneAchieved,
    StandardisedAssessmentPassed,
    TeacherPairingAgreed,
    TeachingResourceShared,
)
from contracts.pairing.types import (
    AssessmentLevel,
    LessonGiver,
    Milestone,
    PersonPersonal,
    ResourceKind,
    Subject,
)
from contracts.types import Stage
from services.pairing.domain.school import HELPED_SCHOOL
from tests.support.pairing import (
    COUNTY,
    SCHOOL,
    assessment,
    end,
    establish,
    history,
    lesson,
    milestone,
    refusal,
    resource,
    suspend,
    teachers,
    visit,
    when,
)

PAIR = f"{COUNTY}:{SCHOOL}:high_school:1"
RECORD = uuid.UUID("e4a81f5c-9b2d-4c6e-a07f-3d5b8c1e2f44")
DAY = date(2017, 10, 18)
FACT = {
    "pair_id": PAIR,
    "county": COUNTY,
    "helped_school_id": SCHOOL,
    "stage": Stage.HIGH_SCHOOL,
}

Record = Callable[..., BaseModel]
RECORDS: list[Record] = [teachers, lesson, visit, resource]
IDS = ["teacher pairing", "model lesson", "exchange visit", "resource"]


def test_a_model_lesson_in_a_weak_subject_is_recorded_and_flagged() -> None:
    then = when(history(establish()), lesson(DAY, weak=True, record=RECORD))

    assert then == [
        ModelLessonGiven(
            **FACT,
            lesson_id=RECORD,
            subject=Subject.PHYSICS,
            weak_subject=True,
            given_on=DAY,
            title="Newton's second law by experiment",
            given_by=LessonGiver.SUBJECT_LEADER,
            personal=PersonPersonal(name="陈明"),
        )
    ]


def test_an_exchange_visit_is_recorded_by_subject() -> None:
    (event,) = when(history(establish()), visit(DAY, weak=True))

    assert isinstance(event, ExchangeVisitMade)
    assert (event.subject, event.weak_subject, event.participants) == (Subject.CHEMISTRY, True, 6)


def test_a_teacher_pairing_plan_is_recorded_with_both_teachers() -> None:
    (event,) = when(history(establish()), teachers(DAY))

    assert isinstance(event, TeacherPairingAgreed)
    assert (event.personal.helper_teacher_name, event.personal.helped_teacher_name) == (
        "张敏",
        "刘洋",
    )


@pytest.mark.parametrize("kind", list(ResourceKind))
def test_courseware_and_teaching_results_are_shared_with_title_subject_stage_and_kind(
    kind: ResourceKind,
) -> None:
    (event,) = when(history(establish()), resource(DAY, kind.value, record=RECORD))

    assert event == TeachingResourceShared(
        **FACT,
        resource_id=RECORD,
        kind=kind,
        title="Functions, 24 lessons",
        subject=Subject.MATHEMATICS,
        for_stage=Stage.HIGH_SCHOOL,
        shared_on=DAY,
    )


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_sharing_needs_a_current_pair(record: Record) -> None:
    assert refusal([], record(DAY)).code == "no_pair"


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_sharing_on_a_suspended_pair_is_refused(record: Record) -> None:
    given = history(establish(), suspend(date(2017, 10, 1)))

    assert refusal(given, record(DAY)).code == "pair_suspended"


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_sharing_on_an_ended_pair_is_refused(record: Record) -> None:
    given = history(establish(), end(date(2017, 10, 1)))

    assert refusal(given, record(DAY)).code == "no_pair"


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_sharing_dated_before_the_pair_started_is_refused(record: Record) -> None:
    refused = refusal(history(establish()), record(date(2017, 8, 20)))

    assert refused.code == "before_pair_start"


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_the_same_record_again_changes_nothing(record: Record) -> None:
    given = history(establish(), record(DAY, record=RECORD))

    assert when(given, record(DAY, record=RECORD)) == []


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_a_record_id_reused_for_another_record_is_refused(record: Record) -> None:
    given = history(establish(), lesson(DAY, subject="biology", record=RECORD))

    assert refusal(given, record(date(2017, 11, 2), record=RECORD)).code == "record_id_taken"


def test_records_of_one_pair_are_kept_after_it_is_suspended() -> None:
    given = history(establish(), lesson(DAY, record=RECORD), suspend(date(2017, 11, 1)))

    assert when(given, lesson(DAY, record=RECORD)) == []


# Modern school system


def test_a_milestone_is_recorded_for_the_helped_school() -> None:
    command = milestone(Milestone.DEMOCRATIC_OVERSIGHT, date(2018, 3, 30))

    assert when(history(establish()), command) == [
        SchoolSystemMilestoneAchieved(
            county=COUNTY,
            helped_school_id=SCHOOL,
            milestone=Milestone.DEMOCRATIC_OVERSIGHT,
            achieved_on=date(2018, 3, 30),
            evidence="charter approved",
        )
    ]


def test_all_four_milestones_can_be_reached() -> None:
    given = history(establish(), *(milestone(m, date(2018, 3, 30)) for m in Milestone))

    assert set(HELPED_SCHOOL.fold(given).milestones) == set(Milestone)


def test_the_same_milestone_again_changes_nothing() -> None:
    command = milestone(Milestone.SELF_MANAGEMENT, date(2018, 3, 30))

    assert when(history(establish(), command), command) == []


def test_a_milestone_reached_already_cannot_be_reached_again_on_another_day() -> None:
    given = history(establish(), milestone(Milestone.SELF_MANAGEMENT, date(2018, 3, 30)))

    refused = refusal(given, milestone(Milestone.SELF_MANAGEMENT, date(2018, 5, 1)))

    assert refused.code == "milestone_already_recorded"
    assert "2018-03-30" in refused.message


def test_milestones_stay_with_the_school_when_its_helper_changes() -> None:
    given = history(
        establish(),
        milestone(Milestone.SELF_MANAGEMENT, date(2018, 3, 30)),
        end(date(2018, 7, 1)),
        establish("xian_model_high_school", start=date(2018, 9, 1)),
    )

    assert set(HELPED_SCHOOL.fold(given).milestones) == {Milestone.SELF_MANAGEMENT}


@pytest.mark.parametrize(
    "command",
    [milestone(Milestone.SELF_MANAGEMENT, DAY), assessment("city", DAY)],
    ids=["milestone", "assessment"],
)
def test_a_school_never_paired_has_no_school_system_record(command: BaseModel) -> None:
    refused = refusal([], command)

    assert refused.code == "not_a_helped_school"
    assert SCHOOL in refused.message


def test_city_and_province_assessments_are_recorded_once_each() -> None:
    given = history(establish(), assessment("city", date(2018, 6, 15)))

    then = when(given, assessment("province", date(2019, 6, 15)))

    assert then == [
        StandardisedAssessmentPassed(
            county=COUNTY,
            helped_school_id=SCHOOL,
            level=AssessmentLevel.PROVINCE,
            passed_on=date(2019, 6, 15),
        )
    ]
    assert when(given, assessment("city", date(2018, 6, 15))) == []
    refused = refusal(given, assessment("city", date(2019, 1, 1)))
    assert refused.code == "assessment_already_recorded"


def test_an_assessment_level_is_province_or_city() -> None:
    with pytest.raises(ValueError, match="province"):
        assessment("county", DAY)
