"""Teacher training: caravan visits, shadow training and training orders; given, when, then."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel

from contracts.staffing import commands as c
from contracts.staffing.events import (
    CaravanVisitRecorded,
    ShadowTrainingRecorded,
    TrainingOrderFulfilled,
    TrainingOrderPlaced,
)
from contracts.staffing.types import Audience, ModelLessons, PersonPersonal, TrainersPersonal
from contracts.types import Stage
from services.staffing.domain import training
from shared.decider import Rejection
from tests.support.staffing import COUNTY, PILOT

ORDER = UUID("e81f3c5a-7d2b-4a96-b0c4-5f1e9a3d6b28")
TRAINEE = UUID("4a7c9e12-3b5d-4f60-8e1a-2c6b9d0f7e35")


def visit(
    lessons: int = 2, subject: str = "mathematics", county: str = COUNTY
) -> c.RecordCaravanVisit:
    return c.RecordCaravanVisit(
        county=county,
        term="2017-autumn",
        visited_on=date(2017, 11, 8),
        visiting_school="陕西师范大学附属中学",
        lessons=[ModelLessons(stage=Stage.HIGH_SCHOOL, subject=subject, lessons=lessons)],
    )


def shadow(starts: date, ends: date, host: str = "西安市铁一中学") -> c.RecordShadowTraining:
    return c.RecordShadowTraining(
        county=COUNTY,
        trainee_id=TRAINEE,
        home_school="子洲县第二中学",
        host_school=host,
        starts_on=starts,
        ends_on=ends,
        personal=PersonPersonal(name="张丽"),
    )


def order(seats: int = 30, placed_on: date = date(2017, 9, 20)) -> c.PlaceTrainingOrder:
    return c.PlaceTrainingOrder(
        county=COUNTY,
        order_id=ORDER,
        placed_on=placed_on,
        audience=Audience.SCHOOL_INSPECTOR,
        topics=["课堂观察"],
        seats=seats,
    )


def fulfil(attendance: int = 28, held_on: date = date(2017, 11, 15)) -> c.FulfilTrainingOrder:
    return c.FulfilTrainingOrder(
        order_id=ORDER,
        held_on=held_on,
        attendance=attendance,
        personal=TrainersPersonal(names=["陈晓东"]),
    )


def refused(decide: Any, *args: Any) -> Rejection:
    with pytest.raises(Rejection) as refusal:
        decide(*args)
    return refusal.value


# Caravan visits


def test_a_caravan_visit_is_recorded_with_its_model_lessons() -> None:
    then = training.record_visit(training.CARAVAN.fold([]), visit(), PILOT)

    assert then == [
        CaravanVisitRecorded(
            county=COUNTY,
            term="2017-autumn",
            visited_on=date(2017, 11, 8),
            visiting_school="陕西师范大学附属中学",
            lessons=visit().lessons,
        )
    ]
    assert training.caravan_stream(COUNTY, "2017-autumn") == "610831:caravan:2017-autumn"


def test_the_same_visit_again_changes_nothing_and_other_lessons_are_refused() -> None:
    given = training.CARAVAN.fold(training.record_visit(training.CARAVAN.fold([]), visit(), PILOT))

    assert training.record_visit(given, visit(), PILOT) == []
    assert refused(training.record_visit, given, visit(lessons=3), PILOT).code == (
        "visit_already_recorded"
    )


def test_a_visit_to_a_county_without_targets_is_refused() -> None:
    command = visit(county="610802")
    assert refused(training.record_visit, training.CARAVAN.fold([]), command, PILOT).code == (
        "unknown_county"
    )


def test_caravan_lessons_are_accepted_in_every_stage_and_subject() -> None:
    """The plan sends master teachers of every stage and subject (各学段、学科), not only the
    nine high-school subjects the county's master-teacher posts are targeted for."""
    lessons = [
        ModelLessons(stage=Stage.PRIMARY, subject="science", lessons=2),
        ModelLessons(stage=Stage.PRESCHOOL, subject="art", lessons=1),
        ModelLessons(stage=Stage.HIGH_SCHOOL, subject="music", lessons=1),
    ]
    command = visit().model_copy(update={"lessons": lessons})

    (recorded,) = training.record_visit(training.CARAVAN.fold([]), command, PILOT)

    assert recorded.lessons == lessons


# Shadow training


def test_a_shadow_training_period_is_recorded_in_its_school_year() -> None:
    then = training.record_shadow_training(
        training.TRAINEE.fold([]), shadow(date(2018, 3, 5), date(2018, 4, 27)), PILOT
    )

    assert len(then) == 1
    assert isinstance(then[0], ShadowTrainingRecorded)
    assert then[0].school_year == 2017
    assert then[0].host_school == "西安市铁一中学"


def test_overlapping_shadow_periods_of_one_trainee_are_refused() -> None:
    first = shadow(date(2017, 10, 9), date(2017, 12, 8))
    given = training.TRAINEE.fold(
        training.record_shadow_training(training.TRAINEE.fold([]), first, PILOT)
    )

    overlap = shadow(date(2017, 12, 1), date(2018, 1, 20), host="西安高级中学")
    after = shadow(date(2017, 12, 9), date(2018, 1, 20), host="西安高级中学")

    assert refused(training.record_shadow_training, given, overlap, PILOT).code == (
        "overlapping_shadow_training"
    )
    assert training.record_shadow_training(given, first, PILOT) == []
    assert len(training.record_shadow_training(given, after, PILOT)) == 1


# Training orders


def placed(seats: int = 30) -> list[BaseModel]:
    return training.place_order(training.ORDER.fold([]), order(seats), PILOT)


def test_an_order_is_placed_in_the_school_year_of_its_day() -> None:
    then = placed()

    assert then == [
        TrainingOrderPlaced(**order().model_dump(), school_year=2017),
    ]


def test_an_order_placed_again_changes_nothing_and_other_data_is_refused() -> None:
    given = training.ORDER.fold(placed())

    assert training.place_order(given, order(), PILOT) == []
    assert refused(training.place_order, given, order(seats=40), PILOT).code == (
        "order_already_placed"
    )


def test_the_province_fulfils_an_order() -> None:
    then = training.fulfil_order(training.ORDER.fold(placed()), fulfil(attendance=28))

    assert then == [TrainingOrderFulfilled(county=COUNTY, **fulfil(attendance=28).model_dump())]


def test_fulfilling_again_changes_nothing_and_a_second_training_is_refused() -> None:
    given = [*placed(), *training.fulfil_order(training.ORDER.fold(placed()), fulfil())]

    assert training.fulfil_order(training.ORDER.fold(given), fulfil()) == []
    assert refused(training.fulfil_order, training.ORDER.fold(given), fulfil(20)).code == (
        "already_fulfilled"
    )


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (fulfil(attendance=31), "attendance_exceeds_seats"),
        (fulfil(held_on=date(2017, 9, 19)), "fulfilled_before_order"),
    ],
)
def test_a_fulfilment_is_after_the_order_and_within_its_seats(
    command: c.FulfilTrainingOrder, code: str
) -> None:
    assert refused(training.fulfil_order, training.ORDER.fold(placed(30)), command).code == code


def test_an_unknown_order_cannot_be_fulfilled() -> None:
    refusal = refused(training.fulfil_order, training.ORDER.fold([]), fulfil())

    assert refusal.code == "unknown_order"
    assert str(ORDER) in refusal.message


def test_an_order_for_an_unknown_county_is_refused() -> None:
    command = order().model_copy(update={"county": "610802", "order_id": uuid4()})

    assert refused(training.place_order, training.ORDER.fold([]), command, PILOT).code == (
        "unknown_county"
    )
