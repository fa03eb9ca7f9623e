"""What the staffing contracts refuse before a command is ever sent, and the term arithmetic."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from contracts.staffing import commands as c
from contracts.staffing.terms import (
    school_year,
    school_year_of,
    term_at,
    term_index,
    term_of,
    terms_from,
    year_terms,
)
from tests.support.staffing import dispatch

# Terms


def test_terms_are_ordered_spring_before_autumn_within_a_year() -> None:
    order = ["2017-spring", "2017-autumn", "2018-spring", "2018-autumn"]

    assert sorted(order, key=term_index) == order
    assert [term_at(term_index(t)) for t in order] == order
    assert terms_from("2017-autumn", "2018-autumn") == order[1:]
    assert terms_from("2018-autumn", "2017-autumn") == []


def test_a_school_year_is_an_autumn_term_and_the_spring_term_after_it() -> None:
    assert (school_year("2017-autumn"), school_year("2018-spring")) == (2017, 2017)
    assert school_year("2017-spring") == 2016
    assert year_terms(2017) == ("2017-autumn", "2018-spring")


@pytest.mark.parametrize(
    ("day", "term"),
    [
        (date(2017, 9, 1), "2017-autumn"),
        (date(2017, 12, 31), "2017-autumn"),
        (date(2018, 1, 31), "2017-autumn"),
        (date(2018, 2, 1), "2018-spring"),
        (date(2018, 8, 31), "2018-spring"),
    ],
)
def test_a_day_belongs_to_the_term_it_is_taught_in(day: date, term: str) -> None:
    assert term_of(day) == term
    assert school_year_of(day) == 2017


# Commands


def invalid(model: type[Any], **fields: Any) -> str:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(fields)
    return str(refused.value)


def test_a_dispatch_that_ends_before_it_starts_is_refused() -> None:
    fields = dispatch().model_dump(mode="json")

    reason = invalid(
        c.DispatchMasterTeacher,
        **{**fields, "start_term": "2018-autumn", "planned_end_term": "2018-spring"},
    )

    assert "planned_end_term 2018-spring is before start_term 2018-autumn" in reason


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "Mathematics"),
        ("host_school", "子洲中学"),
        ("start_term", "2017-summer"),
        ("teacher_id", "T-0001"),
        ("county", "6108"),
    ],
)
def test_a_dispatch_with_a_malformed_field_is_refused_naming_it(field: str, value: str) -> None:
    fields = {**dispatch().model_dump(mode="json"), field: value}

    assert field in invalid(c.DispatchMasterTeacher, **fields)


def caravan(**changes: Any) -> dict[str, Any]:
    return {
        "county": "610831",
        "term": "2017-autumn",
        "visited_on": "2017-11-08",
        "visiting_school": "陕西师范大学附属中学",
        "lessons": [{"stage": "high_school", "subject": "mathematics", "lessons": 2}],
        **changes,
    }


def test_a_caravan_visit_on_a_day_outside_its_term_is_refused() -> None:
    assert "2018-03-08 is in 2018-spring, not 2017-autumn" in invalid(
        c.RecordCaravanVisit, **caravan(visited_on="2018-03-08")
    )


def test_a_caravan_visit_lists_each_stage_and_subject_once_in_basic_education() -> None:
    lesson = {"stage": "junior", "subject": "chinese", "lessons": 1}

    assert "repeat" in invalid(c.RecordCaravanVisit, **caravan(lessons=[lesson, lesson]))
    university = {**lesson, "stage": "undergraduate"}
    assert "basic education" in invalid(c.RecordCaravanVisit, **caravan(lessons=[university]))
    assert "lessons" in invalid(c.RecordCaravanVisit, **caravan(lessons=[]))


def test_a_shadow_training_that_ends_before_it_starts_is_refused() -> None:
    reason = invalid(
        c.RecordShadowTraining,
        county="610831",
        trainee_id="4a7c9e12-3b5d-4f60-8e1a-2c6b9d0f7e35",
        home_school="子洲县第二中学",
        host_school="西安市铁一中学",
        starts_on="2017-12-08",
        ends_on="2017-10-09",
        personal={"name": "张丽"},
    )

    assert "ends_on 2017-10-09 is before starts_on 2017-12-08" in reason


@pytest.mark.parametrize(("hours", "ok"), [("0", False), ("12.0", True), ("12.5", False)])
def test_a_mentoring_session_lasts_up_to_twelve_hours(hours: str, ok: bool) -> None:
    fields = {
        "teacher_id": "5b1e6a0c-2f1d-4c57-9d6e-7c2b8f0e4a11",
        "held_on": "2017-10-12",
        "topic": "lesson design",
        "hours": hours,
        "mentee_ids": ["9e2d4b71-6a3f-4c08-b5d2-1f7e8a6c3d90"],
    }

    if ok:
        assert c.LogMentoringSession.model_validate(fields).hours == 12
    else:
        assert "hours" in invalid(c.LogMentoringSession, **fields)


def test_a_session_names_each_mentee_once() -> None:
    mentee = "9e2d4b71-6a3f-4c08-b5d2-1f7e8a6c3d90"

    reason = invalid(
        c.LogMentoringSession,
        teacher_id="5b1e6a0c-2f1d-4c57-9d6e-7c2b8f0e4a11",
        held_on="2017-10-12",
        topic="lesson design",
        hours="1.0",
        mentee_ids=[mentee, mentee],
    )

    assert "mentee_ids repeat" in reason


def test_a_teacher_assignment_ends_after_it_starts() -> None:
    reason = invalid(
        c.RecordTeacherAssignment,
        county="610831",
        host_school="zizhou_high_school",
        subject="mathematics",
        teacher_id="5b1e6a0c-2f1d-4c57-9d6e-7c2b8f0e4a11",
        start_term="2018-autumn",
        end_term="2017-autumn",
    )

    assert "end_term 2017-autumn is before start_term 2018-autumn" in reason
