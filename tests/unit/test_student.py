"""The Student aggregate: given these events, when this command, then these events (or a refusal).

Amounts are compared as text so that "500.00" and "500.0" are not taken for the same figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel

from contracts.assistance.commands import GrantTermAid, RegisterStudent
from contracts.assistance.events import AidGranted, StudentRegistered
from contracts.types import Stage
from services.assistance import domain
from services.assistance.catalogue import AidCatalogue, load_catalogue
from shared.decider import Rejection
from tests.support.builders import new_registry_id, register_student

STUDENT_ID = UUID("28d38190-6eaf-46af-8f51-15d2cc26082c")
CATALOGUE = load_catalogue()


def registered(command: RegisterStudent) -> StudentRegistered:
    """The event that registering this roster line records."""
    return StudentRegistered.model_validate({**command.model_dump(), "student_id": STUDENT_ID})


def student(
    stage: Stage = Stage.PRIMARY, grade: int = 3, boarding: bool = True, county: str = "610831"
) -> StudentRegistered:
    return registered(register_student(stage, grade, boarding, county))


def when_registering(given: Sequence[BaseModel], command: RegisterStudent) -> list[BaseModel]:
    return domain.register(domain.STUDENT.fold(given), command, STUDENT_ID)


def when_granting(
    given: Sequence[BaseModel], term: str, catalogue: AidCatalogue = CATALOGUE
) -> list[AidGranted]:
    command = GrantTermAid(student_id=STUDENT_ID, term=term)
    events = domain.grant_term_aid(domain.STUDENT.fold(given), command, catalogue)
    assert all(isinstance(e, AidGranted) for e in events)
    return [e for e in events if isinstance(e, AidGranted)]


def amounts(events: Sequence[AidGranted]) -> dict[str, str]:
    """Programme -> term amount as written, e.g. {"preschool_grant": "375.00"}."""
    return {e.programme: str(e.amount) for e in events}


# Registering


def test_a_new_student_is_registered_with_the_roster_data() -> None:
    command = register_student(Stage.JUNIOR, 2, boarding=True, school="子洲县第二中学", name="李静")

    then = when_registering([], command)

    assert then == [
        StudentRegistered(
            student_id=STUDENT_ID,
            county="610831",
            school="子洲县第二中学",
            stage=Stage.JUNIOR,
            grade=2,
            boarding=True,
            personal=command.personal,
        )
    ]


def test_the_same_roster_line_again_changes_nothing() -> None:
    command = register_student()

    assert when_registering([registered(command)], command) == []


@pytest.mark.parametrize(
    "changed",
    [
        {"school": "子洲县大理河小学"},
        {"grade": 4},
        {"boarding": False},
        {"county": "610802"},
        {"name": "李晶"},
        {"birth_date": "2010-03-02"},
    ],
    ids=lambda changed: next(iter(changed)),
)
def test_other_data_for_a_registered_student_is_refused(changed: dict[str, Any]) -> None:
    registry = new_registry_id()
    first = register_student(registry=registry)
    again = register_student(registry=registry, **changed)
    assert again != first

    with pytest.raises(Rejection) as refused:
        when_registering([registered(first)], again)

    assert refused.value.code == "already_registered"
    assert registry in refused.value.message


# Granting term aid


def test_aid_cannot_be_granted_to_a_student_never_registered() -> None:
    with pytest.raises(Rejection) as refused:
        when_granting([], "2017-autumn")

    assert refused.value.code == "not_registered"
    assert str(STUDENT_ID) in refused.value.message


def test_a_primary_boarder_gets_half_the_yearly_allowance_and_meal_subsidy_each_term() -> None:
    given = [student(Stage.PRIMARY, grade=3, boarding=True)]

    then = when_granting(given, "2017-autumn")

    common: dict[str, Any] = {
        "student_id": STUDENT_ID,
        "term": "2017-autumn",
        "stage": Stage.PRIMARY,
        "grade": 3,
    }
    assert then == [
        AidGranted(
            **common,
            programme="boarding_living_allowance",
            amount=Decimal("500.00"),
            annual_amount=Decimal("1000.00"),
        ),
        AidGranted(
            **common,
            programme="nutrition_meal_subsidy",
            amount=Decimal("400.00"),
            annual_amount=Decimal("800.00"),
        ),
    ]
    assert amounts(then) == {
        "boarding_living_allowance": "500.00",
        "nutrition_meal_subsidy": "400.00",
    }


@pytest.mark.parametrize(
    ("stage", "grade", "boarding", "expected"),
    [
        (Stage.PRESCHOOL, 1, False, {"preschool_grant": "375.00"}),
        (Stage.PRESCHOOL, 3, False, {"preschool_grant": "375.00"}),
        (
            Stage.PRIMARY,
            1,
            True,
            {"boarding_living_allowance": "500.00", "nutrition_meal_subsidy": "400.00"},
        ),
        (
            Stage.JUNIOR,
            3,
            True,
            {"boarding_living_allowance": "625.00", "nutrition_meal_subsidy": "400.00"},
        ),
        (
            Stage.HIGH_SCHOOL,
            2,
            False,
            {"hs_national_grant": "1250.00", "hs_tuition_waiver": "175.00"},
        ),
        (
            Stage.VOCATIONAL,
            1,
            False,
            {
                "vet_tuition_waiver": "1000.00",
                "vet_national_grant": "1000.00",
                "rain_dew_plan_subsidy": "1500.00",
            },
        ),
        (Stage.UNDERGRADUATE, 3, False, {"univ_national_grant": "1500.00"}),
        (Stage.JUNIOR_COLLEGE, 2, False, {"univ_national_grant": "1500.00"}),
    ],
    ids=lambda value: value.value if isinstance(value, Stage) else None,
)
def test_each_stage_gets_its_programmes_at_half_the_yearly_amount(
    stage: Stage, grade: int, boarding: bool, expected: dict[str, str]
) -> None:
    then = when_granting([student(stage, grade, boarding)], "2017-autumn")

    assert amounts(then) == expected
    assert all(e.amount * 2 == e.annual_amount for e in then)
    assert {(e.stage, e.grade, e.term) for e in then} == {(stage, grade, "2017-autumn")}


@pytest.mark.parametrize("stage", [Stage.PRIMARY, Stage.JUNIOR])
def test_a_day_pupil_in_compulsory_school_gets_only_the_meal_subsidy(stage: Stage) -> None:
    then = when_granting([student(stage, grade=2, boarding=False)], "2017-autumn")

    assert amounts(then) == {"nutrition_meal_subsidy": "400.00"}


@pytest.mark.parametrize("stage", [Stage.UNDERGRADUATE, Stage.JUNIOR_COLLEGE])
def test_a_freshman_gets_the_travel_grant_whole_in_the_autumn_term(stage: Stage) -> None:
    then = when_granting([student(stage, grade=1, boarding=False)], "2017-autumn")

    assert amounts(then) == {"univ_national_grant": "1500.00", "freshman_travel_grant": "500.00"}
    travel = next(e for e in then if e.programme == "freshman_travel_grant")
    assert travel.annual_amount == travel.amount


def test_the_freshman_travel_grant_is_paid_once_not_again_in_spring() -> None:
    freshman = student(Stage.UNDERGRADUATE, grade=1, boarding=False)
    autumn = when_granting([freshman], "2017-autumn")

    assert when_granting([freshman, *autumn], "2017-autumn") == []
    assert amounts(when_granting([freshman, *autumn], "2018-spring")) == {
        "univ_national_grant": "1500.00"
    }


def test_a_spring_freshman_with_nothing_granted_yet_still_gets_no_travel_grant() -> None:
    then = when_granting([student(Stage.UNDERGRADUATE, grade=1, boarding=False)], "2018-spring")

    assert amounts(then) == {"univ_national_grant": "1500.00"}


def test_no_travel_grant_after_the_first_grade() -> None:
    for grade in (2, 3, 4):
        then = when_granting([student(Stage.UNDERGRADUATE, grade, boarding=False)], "2017-autumn")
        assert "freshman_travel_grant" not in amounts(then)


def test_granting_the_same_term_again_grants_nothing() -> None:
    given: list[BaseModel] = [student(Stage.JUNIOR, grade=1, boarding=True)]
    given += when_granting(given, "2017-autumn")

    assert when_granting(given, "2017-autumn") == []


def test_only_the_programmes_not_yet_granted_this_term_are_granted() -> None:
    pupil = student(Stage.PRIMARY, grade=5, boarding=True)
    allowance, meals = when_granting([pupil], "2017-autumn")

    then = when_granting([pupil, allowance], "2017-autumn")

    assert then == [meals]


def test_the_next_term_brings_new_grants() -> None:
    given: list[BaseModel] = [student(Stage.HIGH_SCHOOL, grade=1, boarding=False)]
    given += when_granting(given, "2017-autumn")

    then = when_granting(given, "2018-spring")

    assert amounts(then) == {"hs_national_grant": "1250.00", "hs_tuition_waiver": "175.00"}
    assert {e.term for e in then} == {"2018-spring"}


def _with_fee_waiver(county: str, yearly: str) -> AidCatalogue:
    """The default catalogue, with one county setting its local preschool fee."""
    return AidCatalogue(
        tuple(
            replace(p, county_amounts={county: {Stage.PRESCHOOL: Decimal(yearly)}})
            if p.id == "preschool_fee_waiver"
            else p
            for p in CATALOGUE.programmes
        )
    )


def test_the_preschool_fee_is_waived_only_where_the_county_sets_the_fee() -> None:
    catalogue = _with_fee_waiver("610831", "600.00")

    in_zizhou = when_granting(
        [student(Stage.PRESCHOOL, 2, False, "610831")], "2017-autumn", catalogue
    )
    in_yuyang = when_granting(
        [student(Stage.PRESCHOOL, 2, False, "610802")], "2017-autumn", catalogue
    )
    default = when_granting([student(Stage.PRESCHOOL, 2, False, "610831")], "2017-autumn")

    assert amounts(in_zizhou) == {"preschool_grant": "375.00", "preschool_fee_waiver": "300.00"}
    assert amounts(in_yuyang) == {"preschool_grant": "375.00"}
    assert amounts(default) == {"preschool_grant": "375.00"}


# State


def test_a_student_with_no_events_is_not_registered() -> None:
    state = domain.STUDENT.fold([])

    assert not state.registered
    assert state.granted == frozenset()


def test_state_after_registration_holds_the_roster_data() -> None:
    command = register_student(Stage.VOCATIONAL, 2, boarding=False, school="子洲县职业教育中心")

    state = domain.STUDENT.fold([registered(command)])

    assert state.registered
    assert state.student_id == STUDENT_ID
    assert (state.county, state.school, state.stage, state.grade, state.boarding) == (
        "610831",
        "子洲县职业教育中心",
        Stage.VOCATIONAL,
        2,
        False,
    )
    assert state.personal == command.personal
    assert domain.STUDENT.county(state) == "610831"


def test_state_remembers_each_programme_granted_per_term() -> None:
    given: list[BaseModel] = [student(Stage.PRIMARY, grade=2, boarding=True)]
    given += when_granting(given, "2017-autumn")
    given += when_granting(given, "2018-spring")

    state = domain.STUDENT.fold(given)

    assert state.granted == {
        ("2017-autumn", "boarding_living_allowance"),
        ("2017-autumn", "nutrition_meal_subsidy"),
        ("2018-spring", "boarding_living_allowance"),
        ("2018-spring", "nutrition_meal_subsidy"),
    }
    assert state.stage == Stage.PRIMARY
    assert state.grade == 2


def test_a_grant_does_not_change_who_the_student_is() -> None:
    registration = student(Stage.JUNIOR, grade=3, boarding=True)
    before = domain.STUDENT.fold([registration])

    after = domain.STUDENT.fold(when_granting([registration], "2017-autumn"), before)

    assert replace(after, granted=frozenset()) == before
