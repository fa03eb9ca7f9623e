"""The census stream of a county, year and stage: school register, statistics, assessments.

Given the events of the stream, when a command comes, then these events (or this refusal).
Two-school examples are hand-checked: with weights 1/4 and 3/4 the weighted deviation is
S = sqrt(1/4 · 3/4) · |x_A − x_B| = 0.4330127 · |x_A − x_B|.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from contracts.evaluation.commands import CorrectSchoolStatistics, DeregisterCensusSchool
from contracts.evaluation.events import (
    BalancedDevelopmentAssessed,
    CensusSchoolDeregistered,
    CensusSchoolRegistered,
    IndicatorCoefficient,
    SchoolStatisticsCorrected,
    SchoolStatisticsSubmitted,
)
from contracts.evaluation.types import CompulsoryStage, Indicator, SchoolStatistics
from services.evaluation.domain.census import CENSUS
from services.evaluation.thresholds import load_thresholds
from shared.decider import Rejection
from tests.support.evaluation import (
    COUNTY,
    JUNIOR,
    PRIMARY,
    assess,
    decide,
    given,
    register,
    school,
    submit,
)

A, B = "a-school", "b-school"
SMALL = school(100, equipment=2400, books=10)  # 100 pupils
LARGE = school(300, equipment=2000, books=6)  # 300 pupils


def correct(school_id: str, statistics: SchoolStatistics) -> CorrectSchoolStatistics:
    return CorrectSchoolStatistics(
        county=COUNTY,
        year=2017,
        stage=PRIMARY,
        school=school_id,
        statistics=statistics,
        reason="books were counted twice",
    )


def deregister(school_id: str) -> DeregisterCensusSchool:
    return DeregisterCensusSchool(
        county=COUNTY, year=2017, stage=PRIMARY, school=school_id, reason="merged into a-school"
    )


def refused(history: list[BaseModel], command: BaseModel) -> Rejection:
    with pytest.raises(Rejection) as caught:
        decide(history, command)
    return caught.value


def assessed(
    *schools: tuple[str, SchoolStatistics],
    stage: CompulsoryStage = PRIMARY,
    year: int = 2017,
) -> BalancedDevelopmentAssessed:
    """The assessment of a census to which these schools were registered and submitted."""
    commands: list[BaseModel] = [register(s, stage=stage, year=year) for s, _ in schools]
    commands += [submit(s, statistics, stage, year) for s, statistics in schools]
    (event,) = decide(given(*commands), assess(stage, year))
    assert isinstance(event, BalancedDevelopmentAssessed)
    return event


def indicator(event: BalancedDevelopmentAssessed, which: Indicator) -> IndicatorCoefficient:
    return next(i for i in event.indicators if i.indicator == which)


# The school register


def test_a_school_is_registered_for_the_census() -> None:
    then = decide([], register(A, "子洲县实验小学"))

    assert then == [
        CensusSchoolRegistered(
            county=COUNTY, year=2017, stage=PRIMARY, school=A, name="子洲县实验小学"
        )
    ]


def test_registering_a_school_again_under_the_same_name_changes_nothing() -> None:
    assert decide(given(register(A, "实验小学")), register(A, "实验小学")) == []


def test_a_registered_school_cannot_be_registered_under_another_name() -> None:
    rejection = refused(given(register(A, "实验小学")), register(A, "大理河小学"))

    assert rejection.code == "school_already_registered"
    assert "实验小学" in rejection.message


def test_a_registered_school_is_deregistered_and_may_come_back() -> None:
    history = given(register(A))

    then = decide(history, deregister(A))

    assert then == [
        CensusSchoolDeregistered(
            county=COUNTY, year=2017, stage=PRIMARY, school=A, reason="merged into a-school"
        )
    ]
    assert len(decide(history + then, register(A))) == 1


def test_a_school_not_on_the_list_cannot_be_deregistered() -> None:
    assert refused([], deregister(A)).code == "school_not_registered"


# Statistics: submissions and corrections


def test_a_registered_school_submits_its_statistics_as_revision_1() -> None:
    then = decide(given(register(A)), submit(A, SMALL))

    assert then == [
        SchoolStatisticsSubmitted(
            county=COUNTY, year=2017, stage=PRIMARY, school=A, revision=1, statistics=SMALL
        )
    ]


def test_statistics_of_a_school_not_on_the_list_are_refused() -> None:
    rejection = refused(given(register(A)), submit(B, SMALL))

    assert rejection.code == "school_not_registered"
    assert B in rejection.message


def test_the_same_figures_submitted_again_change_nothing() -> None:
    assert decide(given(register(A), submit(A, SMALL)), submit(A, SMALL)) == []


def test_other_figures_submitted_again_are_refused_as_they_need_a_correction() -> None:
    rejection = refused(given(register(A), submit(A, SMALL)), submit(A, LARGE))

    assert rejection.code == "already_submitted"
    assert "correction" in rejection.message


def test_a_correction_is_a_new_revision_and_the_earlier_figures_stay_on_record() -> None:
    history = given(register(A), submit(A, SMALL), correct(A, LARGE))

    then = decide(history, correct(A, school(100, books=11)))

    assert [type(e).__name__ for e in history] == [
        "CensusSchoolRegistered",
        "SchoolStatisticsSubmitted",
        "SchoolStatisticsCorrected",
    ]
    assert then == [
        SchoolStatisticsCorrected(
            county=COUNTY,
            year=2017,
            stage=PRIMARY,
            school=A,
            revision=3,
            statistics=school(100, books=11),
            reason="books were counted twice",
        )
    ]


def test_nothing_can_be_corrected_before_a_submission() -> None:
    assert refused(given(register(A)), correct(A, SMALL)).code == "nothing_to_correct"


def test_a_correction_to_the_figures_already_in_force_changes_nothing() -> None:
    assert decide(given(register(A), submit(A, SMALL)), correct(A, SMALL)) == []


def test_statistics_cannot_count_more_titled_teachers_than_teachers() -> None:
    with pytest.raises(ValidationError, match=r"titled_teachers \(7\) exceeds teachers \(6\)"):
        SchoolStatistics.model_validate({**SMALL.model_dump(), "titled_teachers": 7})


# Assessment: refusals


def test_an_assessment_without_registered_schools_is_refused() -> None:
    assert refused([], assess()).code == "no_schools_registered"


def test_an_assessment_with_missing_school_data_is_refused_naming_the_schools() -> None:
    history = given(
        register(A, "实验小学"),
        register(B, "大理河小学"),
        register("c-school", "马岔小学"),
        submit(A, SMALL),
    )

    rejection = refused(history, assess())

    assert rejection.code == "missing_school_data"
    assert rejection.message == (
        "2 school(s) have not submitted 2017 statistics: b-school (大理河小学), c-school (马岔小学)"
    )


def test_a_deregistered_school_is_no_longer_waited_for() -> None:
    history = given(register(A), register(B), submit(A, SMALL), deregister(B))

    (event,) = decide(history, assess())

    assert isinstance(event, BalancedDevelopmentAssessed)
    assert [s.school for s in event.schools] == [A]


def test_an_assessment_of_a_year_no_thresholds_apply_to_is_refused() -> None:
    history = given(register(A, year=2011), submit(A, SMALL, year=2011))

    rejection = refused(history, assess(year=2011))

    assert rejection.code == "no_thresholds_in_force"
    assert "2011" in rejection.message


# Assessment: the figures, hand-checked


def test_the_assessment_records_every_figure_of_a_hand_checked_two_school_county() -> None:
    """Weights 1/4 and 3/4. Equipment 2,400 and 2,000 yuan per pupil: x̄ = 840,000/400 = 2,100,
    S = 0.4330127 · 400 = 173.205081, CV = 0.082479. Books 10 and 6 per pupil: x̄ = 7,
    S = 0.4330127 · 4 = 1.732051, CV = 0.247436. The other six of the eight are equal in both
    schools (CV 0), so the composite is (0.082479 + 0.247436) / 8 = 0.041239."""
    event = assessed((A, SMALL), (B, LARGE))

    assert (event.county, event.year, event.stage, event.assessment) == (COUNTY, 2017, PRIMARY, 1)
    assert [(s.school, s.revision, s.weight, s.statistics) for s in event.schools] == [
        (A, 1, Decimal("0.250000"), SMALL),
        (B, 1, Decimal("0.750000"), LARGE),
    ]
    equipment = indicator(event, Indicator.EQUIPMENT_VALUE_PER_STUDENT)
    assert equipment.school_values == {A: Decimal("2400.000000"), B: Decimal("2000.000000")}
    assert (equipment.county_value, equipment.standard_deviation, equipment.coefficient) == (
        Decimal("2100.000000"),
        Decimal("173.205081"),
        Decimal("0.082479"),
    )
    books = indicator(event, Indicator.BOOKS_PER_STUDENT)
    assert (books.per, books.county_value, books.standard_deviation, books.coefficient) == (
        1,
        Decimal("7.000000"),
        Decimal("1.732051"),
        Decimal("0.247436"),
    )
    computers = indicator(event, Indicator.COMPUTERS_PER_100_STUDENTS)
    assert (computers.per, computers.county_value, computers.coefficient) == (
        100,
        Decimal("12.000000"),
        Decimal("0.000000"),
    )
    assert [i.indicator for i in event.indicators if i.in_composite] == [
        Indicator.FLOOR_AREA_PER_STUDENT,
        Indicator.SPORTS_AREA_PER_STUDENT,
        Indicator.EQUIPMENT_VALUE_PER_STUDENT,
        Indicator.COMPUTERS_PER_100_STUDENTS,
        Indicator.BOOKS_PER_STUDENT,
        Indicator.TEACHERS_PER_STUDENT,
        Indicator.QUALIFIED_TEACHERS_PER_STUDENT,
        Indicator.TITLED_TEACHERS_PER_STUDENT,
    ]
    assert event.composite == Decimal("0.041239")
    assert event.basic_balance_met


def test_the_worked_example_of_domain_md_inside_an_assessment() -> None:
    """Five schools, 302 pupils, 1,913 books: books per pupil CV 0.520838 (hand-checked in
    test_evaluation_coefficient.py); weights are each school's share of the 302 pupils."""
    books = {"s1": 10, "s2": 5, "s3": 4, "s4": 11, "s5": 3}
    pupils = {"s1": 55, "s2": 40, "s3": 78, "s4": 58, "s5": 71}
    schools = [(s, school(pupils[s] * 100, books=books[s])) for s in books]

    event = assessed(*schools)

    result = indicator(event, Indicator.BOOKS_PER_STUDENT)
    assert result.school_values == {s: Decimal(f"{v}.000000") for s, v in books.items()}
    assert result.county_value == Decimal("6.334437")
    assert result.standard_deviation == Decimal("3.299218")
    assert result.coefficient == Decimal("0.520838")
    assert [s.weight for s in event.schools] == [
        Decimal("0.182119"),
        Decimal("0.132450"),
        Decimal("0.258278"),
        Decimal("0.192053"),
        Decimal("0.235099"),
    ]
    assert event.composite == Decimal("0.065105")  # only books differ: 0.520838 / 8


# Assessment: verdicts against the thresholds in force

BASE = {
    "floor": "2",
    "sports": "4",
    "equipment": "1000",
    "books": "10",
    "computers": "4",
    "teachers": "4",
    "qualified": "2",
    "titled": "1",
    "backbone": "1",
    "pe_art": "1",
    "multimedia": "1",
}
SINGLE = school(300, **BASE)
TRIPLE = school(100, **{k: str(3 * int(v)) for k, v in BASE.items()})
"""Every indicator three times as high per pupil at the small school: each CV is
0.4330127 · 2x / 1.5x = sqrt(3)/3 = 0.577350, and so is the composite."""


def test_a_composite_between_the_two_limits_passes_primary_and_fails_junior() -> None:
    primary = assessed((A, TRIPLE), (B, SINGLE))
    junior = assessed((A, TRIPLE), (B, SINGLE), stage=JUNIOR)

    assert primary.composite == junior.composite == Decimal("0.577350")
    assert (primary.thresholds.composite_max, primary.basic_balance_met) == (Decimal("0.65"), True)
    assert (junior.thresholds.composite_max, junior.basic_balance_met) == (Decimal("0.55"), False)


def test_quality_balance_fails_when_a_quality_indicator_spreads_beyond_its_limit() -> None:
    event = assessed((A, TRIPLE), (B, SINGLE))

    quality = event.quality_balance
    assert quality is not None
    assert not quality.all_coefficients_within
    assert not quality.met
    floor = indicator(event, Indicator.FLOOR_AREA_PER_STUDENT)
    assert (floor.quality_max, floor.within_quality_max) == (Decimal("0.50"), False)
    books = indicator(event, Indicator.BOOKS_PER_STUDENT)
    assert (books.quality_max, books.within_quality_max) == (None, None)


def test_a_county_whose_schools_meet_every_standard_with_small_spread_is_quality_balanced() -> None:
    quality = assessed((A, SMALL), (B, LARGE)).quality_balance

    assert quality is not None
    assert [(s.school, s.met_count, s.passed) for s in quality.schools] == [
        (A, 7, True),
        (B, 7, True),
    ]
    assert (quality.schools_passed, quality.all_schools_pass) == (2, True)
    assert quality.all_coefficients_within
    assert quality.met


@pytest.mark.parametrize(
    ("rates", "met_count", "passed"),
    [
        ({"sports": "7"}, 6, True),  # 7 / 7.5 = 93% of the one standard missed
        ({"sports": "6.5"}, 6, True),  # 86.7%
        ({"sports": "6"}, 6, False),  # 80%: below 85% of the standard missed
        ({"sports": "7", "multimedia": "2"}, 5, False),  # two standards missed, each above 85%
    ],
    ids=["one-missed-at-93%", "one-missed-at-87%", "one-missed-at-80%", "two-missed"],
)
def test_a_school_meets_six_of_seven_standards_and_85_percent_of_the_one_it_misses(
    rates: dict[str, str], met_count: int, passed: bool
) -> None:
    quality = assessed((A, SMALL), (B, school(300, equipment=2000, books=6, **rates)))
    assert quality.quality_balance is not None

    standards = quality.quality_balance.schools[1]

    assert (standards.school, standards.met_count, standards.passed) == (B, met_count, passed)
    assert quality.quality_balance.met is passed


def test_a_standard_check_records_value_standard_and_share() -> None:
    event = assessed((A, SMALL), (B, school(300, equipment=2000, books=6, sports="7")))
    assert event.quality_balance is not None

    checks = {c.indicator: c for c in event.quality_balance.schools[1].checks}

    sports = checks[Indicator.SPORTS_AREA_PER_STUDENT]
    assert (sports.value, sports.standard, sports.share, sports.met) == (
        Decimal("7.000000"),
        Decimal("7.5"),
        Decimal("0.933333"),
        False,
    )
    equipment = checks[Indicator.EQUIPMENT_VALUE_PER_STUDENT]
    assert (equipment.share, equipment.met) == (Decimal("1.000000"), True)  # exactly at standard


def test_the_thresholds_of_the_year_are_used_and_recorded() -> None:
    before_2017 = assessed((A, SMALL), (B, LARGE), year=2016)
    from_2017 = assessed((A, SMALL), (B, LARGE), year=2017)

    assert (before_2017.thresholds.id, before_2017.thresholds.applies_from) == (
        "basic-balance-2012",
        2012,
    )
    assert before_2017.quality_balance is None
    assert all(i.quality_max is None for i in before_2017.indicators)
    assert (from_2017.thresholds.id, from_2017.thresholds.applies_from) == (
        "quality-balance-2017",
        2017,
    )
    assert from_2017.thresholds.quality is not None
    assert from_2017.thresholds.quality.standards[Indicator.SPORTS_AREA_PER_STUDENT] == Decimal(
        "7.5"
    )


# Assessing again


def test_assessing_again_on_the_same_data_records_nothing() -> None:
    history = given(register(A), register(B), submit(A, SMALL), submit(B, LARGE), assess())

    assert decide(history, assess()) == []


def test_a_correction_brings_a_new_assessment_on_the_corrected_figures() -> None:
    history = given(register(A), register(B), submit(A, SMALL), submit(B, LARGE), assess())
    history += decide(history, correct(B, school(300, equipment=2000, books=7)))

    (event,) = decide(history, assess())

    assert isinstance(event, BalancedDevelopmentAssessed)
    assert event.assessment == 2
    assert [(s.school, s.revision) for s in event.schools] == [(A, 1), (B, 2)]
    assert indicator(event, Indicator.BOOKS_PER_STUDENT).county_value == Decimal("7.750000")


def test_changed_thresholds_bring_a_new_assessment_even_under_the_same_id(
    tmp_path: Path,
) -> None:
    stricter = tmp_path / "thresholds.toml"
    stricter.write_text(
        '[[balance]]\nid = "quality-balance-2017"\napplies_from = 2017\n'
        'composite_max = { primary = "0.04", junior = "0.04" }\n',
        encoding="utf-8",
    )
    history = given(register(A), register(B), submit(A, SMALL), submit(B, LARGE), assess())

    (event,) = decide(history, assess(), load_thresholds(stricter))

    assert isinstance(event, BalancedDevelopmentAssessed)
    assert (event.assessment, event.thresholds.composite_max) == (2, Decimal("0.04"))
    assert event.thresholds.quality is None
    assert event.composite == Decimal("0.041239")
    assert not event.basic_balance_met


def test_the_census_stream_belongs_to_its_county() -> None:
    assert CENSUS.county(CENSUS.fold(given(register(A)))) == COUNTY
