"""The services decide a command by the targets in force on the day its fact is about: a
revision from a later day neither judges earlier facts recorded late nor applies early."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel

from contracts.pairing.commands import SecondManager
from contracts.pairing.events import PairingTargetsAdopted
from contracts.registry import spec_of
from contracts.staffing import commands as sc
from contracts.staffing.events import StaffingTargetsAdopted
from contracts.staffing.types import HostSchoolTarget, PersonPersonal, Range
from services.pairing import handlers as pairing_handlers
from services.pairing.targets import TargetsInForce as PairingTargetsInForce
from services.pairing.targets import load_targets
from services.staffing import handlers as staffing_handlers
from services.staffing.domain import post
from services.staffing.targets import TargetsInForce as StaffingTargetsInForce
from services.staffing.targets import business_day
from shared.decider import Rejection
from shared.eventstore import RecordedEvent
from tests.support.pairing import establish, second
from tests.support.pairing import history as pairing_history
from tests.support.staffing import COUNTY, PILOT, ZIZHOU_HIGH

REVISED_FROM = date(2019, 9, 1)


class Store:
    """The one query TargetsInForce asks of the event store: the streams that moved."""

    def __init__(self, stream_type: str, events: Sequence[BaseModel]) -> None:
        now = datetime(2019, 6, 1, tzinfo=UTC)
        self.streams = {
            f"{COUNTY}:targets": [
                RecordedEvent(
                    position=i, event_id=uuid.uuid4(), stream_id=f"{COUNTY}:targets",
                    stream_type=stream_type, version=i, event_type=spec_of(e).event_type,
                    schema_version=spec_of(e).version, county=COUNTY,
                    data=e.model_dump(mode="json"), metadata={}, recorded_at=now,
                )
                for i, e in enumerate(events, start=1)
            ]
        }  # fmt: skip

    async def load_moved_streams(
        self, stream_type: str, seen: dict[str, int]
    ) -> dict[str, list[RecordedEvent]]:
        return self.streams


def decide(handlers: dict[str, Any], given: list[BaseModel], command: BaseModel) -> Any:
    handler = handlers[type(command).__name__]
    return handler.decide(handler.aggregate.fold(given), command)


def refused(handlers: dict[str, Any], given: list[BaseModel], command: BaseModel) -> str:
    try:
        decide(handlers, given, command)
    except Rejection as rejection:
        return rejection.code
    raise AssertionError(f"{type(command).__name__} was accepted")


def dispatch(start: str, end: str) -> sc.DispatchMasterTeacher:
    return sc.DispatchMasterTeacher(
        county=COUNTY, host_school=ZIZHOU_HIGH, subject="physics", teacher_id=uuid.uuid4(),
        home_school="西安高级中学", start_term=start, planned_end_term=end,
        personal=PersonPersonal(name="赵刚"),
    )  # fmt: skip


async def test_a_post_admits_a_third_teacher_only_from_the_day_its_range_became_1_3() -> None:
    three = PILOT[COUNTY].model_copy(
        update={
            "host_schools": [
                HostSchoolTarget(
                    id=ZIZHOU_HIGH, name="子洲中学", teachers_per_subject=Range(min=1, max=3)
                )
            ]
        }
    )
    targets = StaffingTargetsInForce(
        Store(  # type: ignore[arg-type]
            "staffing_targets",
            [
                StaffingTargetsAdopted(county=COUNTY, targets=PILOT[COUNTY]),
                StaffingTargetsAdopted(county=COUNTY, targets=three, effective_from=REVISED_FROM),
            ],
        )
    )
    await targets.refresh()
    handlers = staffing_handlers.command_handlers(targets)
    given: list[BaseModel] = []
    for _ in range(2):
        given += decide(handlers, given, dispatch("2018-autumn", "2020-spring"))

    assert refused(handlers, given, dispatch("2018-autumn", "2019-spring")) == "post_full"
    assert len(decide(handlers, given, dispatch("2019-autumn", "2020-spring"))) == 1
    assert post.POST.fold(given).assignments  # the two teachers stand


def test_the_business_day_of_a_command_is_its_date_term_or_school_year() -> None:
    assert business_day(dispatch("2019-autumn", "2020-spring")) == date(2019, 9, 1)
    assert business_day(dispatch("2020-spring", "2020-spring")) == date(2020, 2, 1)
    assert business_day(
        sc.AllocateSpecialPostQuota(county=COUNTY, school_year=2018, quota=40)
    ) == date(2018, 9, 1)
    raise_target = sc.RaiseSubjectTarget(
        county=COUNTY, host_school=ZIZHOU_HIGH, subject="physics", max_teachers=3, reason="exam"
    )
    assert business_day(raise_target) is None


def pairing_targets(most: int, effective_from: date | None = None) -> PairingTargetsAdopted:
    return PairingTargetsAdopted.model_validate(
        {
            "county": COUNTY,
            "active_pairs": 7,
            "secondments_per_side_min": 1,
            "secondments_per_side_max": most,
            "shadowing_months_min": "1",
            "shadowing_months_max": "2",
            "effective_from": effective_from,
        }
    )


async def test_a_late_secondment_is_judged_by_the_maximum_in_force_on_its_first_day() -> None:
    targets = PairingTargetsInForce(
        Store(  # type: ignore[arg-type]
            "pairing_targets", [pairing_targets(3), pairing_targets(2, REVISED_FROM)]
        ),
        load_targets(),
    )
    await targets.refresh()
    handlers = pairing_handlers.command_handlers(targets)
    in_2018, in_2019 = (
        (date(2018, 9, 10), date(2019, 1, 10)),
        (date(2019, 9, 10), date(2020, 1, 10)),
    )
    given = pairing_history(establish(), second(*in_2018), second(*in_2018), second(*in_2019))
    given += decide(handlers, given, second(*in_2019))

    third: SecondManager = second(*in_2018)
    assert len(decide(handlers, given, third)) == 1, "2018: up to 3 a side"
    assert refused(handlers, given, second(*in_2019)) == "too_many_secondments"
