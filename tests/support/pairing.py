"""Readable pairing test data: commands with sensible defaults, the pilot's year of activity,
the pairing service's command processing on a test's own store, and real races on it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg
from pydantic import BaseModel

from contracts.files.pairing_seed import Seed
from contracts.pairing.commands import (
    AgreeTeacherPairing,
    EndPair,
    EstablishPair,
    RecordExchangeVisit,
    RecordModelLesson,
    RecordSchoolSystemMilestone,
    RecordShadowing,
    RecordStandardisedAssessment,
    ResumePair,
    SecondManager,
    ShareTeachingResource,
    SuspendPair,
)
from contracts.pairing.types import Milestone
from contracts.types import Stage
from services.pairing.handlers import command_handlers, load_permissions
from services.pairing.targets import load_targets
from shared.decider import Rejection
from shared.eventstore import EventStore
from shared.processor import CommandProcessor
from shared.testing import wait_for

COUNTY = "610831"
SCHOOL = "zizhou_high_school"
HELPER = "placeholder_model_high_school"
START = date(2017, 9, 1)


def pair_address(
    school: str = SCHOOL, stage: Stage = Stage.HIGH_SCHOOL, county: str = COUNTY
) -> dict[str, Any]:
    return {"county": county, "helped_school_id": school, "stage": stage}


def establish(
    helper: str = HELPER,
    start: date = START,
    school: str = SCHOOL,
    stage: Stage = Stage.HIGH_SCHOOL,
    **changes: Any,
) -> EstablishPair:
    return EstablishPair(
        **pair_address(school, stage),
        helped_school_name=changes.pop("helped_school_name", "子洲中学"),
        helper_school_id=helper,
        helper_school_name=changes.pop("helper_school_name", f"{helper}（待定）"),
        responsible_division=changes.pop("responsible_division", "basic_ed_2"),
        start_date=start,
        **changes,
    )


def suspend(on: date, stage: Stage = Stage.HIGH_SCHOOL) -> SuspendPair:
    return SuspendPair(**pair_address(stage=stage), on=on, reason="helper school renovation")


def resume(on: date, stage: Stage = Stage.HIGH_SCHOOL) -> ResumePair:
    return ResumePair(**pair_address(stage=stage), on=on)


def end(on: date, stage: Stage = Stage.HIGH_SCHOOL) -> EndPair:
    return EndPair(**pair_address(stage=stage), on=on, reason="round over")


def second(
    start: date,
    end: date,
    direction: str = "helper_to_helped",
    record: uuid.UUID | None = None,
    school: str = SCHOOL,
    stage: Stage = Stage.HIGH_SCHOOL,
    **changes: Any,
) -> SecondManager:
    return SecondManager(
        **pair_address(school, stage),
        start_date=start,
        end_date=end,
        secondment_id=record or uuid.uuid4(),
        direction=direction,
        role=changes.pop("role", "vice_principal"),
        form=changes.pop("form", "full-time on site"),
        content=changes.pop("content", "teaching management"),
        personal={"name": changes.pop("name", "王建华")},
        **changes,
    )


def shadow(
    start: date,
    end: date,
    reason: str | None = None,
    record: uuid.UUID | None = None,
    school: str = SCHOOL,
    stage: Stage = Stage.HIGH_SCHOOL,
    name: str = "李静",
) -> RecordShadowing:
    return RecordShadowing(
        **pair_address(school, stage),
        start_date=start,
        end_date=end,
        shadowing_id=record or uuid.uuid4(),
        subject="mathematics",
        exception_reason=reason,
        personal={"name": name},
    )


def teachers(
    on: date, weak: bool = True, record: uuid.UUID | None = None, **address: Any
) -> AgreeTeacherPairing:
    return AgreeTeacherPairing(
        **pair_address(**address),
        plan_id=record or uuid.uuid4(),
        subject="english",
        weak_subject=weak,
        agreed_on=on,
        goal="weekly joint lesson planning",
        personal={"helper_teacher_name": "张敏", "helped_teacher_name": "刘洋"},
    )


def lesson(
    on: date,
    weak: bool = False,
    record: uuid.UUID | None = None,
    subject: str = "physics",
    **address: Any,
) -> RecordModelLesson:
    return RecordModelLesson(
        **pair_address(**address),
        lesson_id=record or uuid.uuid4(),
        subject=subject,
        weak_subject=weak,
        given_on=on,
        title="Newton's second law by experiment",
        given_by="subject_leader",
        personal={"name": "陈明"},
    )


def visit(
    start: date, weak: bool = False, record: uuid.UUID | None = None, **address: Any
) -> RecordExchangeVisit:
    return RecordExchangeVisit(
        **pair_address(**address),
        start_date=start,
        end_date=start + timedelta(days=4),
        visit_id=record or uuid.uuid4(),
        direction="helped_to_helper",
        subject="chemistry",
        weak_subject=weak,
        participants=6,
        purpose="observe lab teaching",
    )


def resource(
    on: date, kind: str = "courseware", record: uuid.UUID | None = None, **address: Any
) -> ShareTeachingResource:
    stage = address.get("stage", Stage.HIGH_SCHOOL)
    return ShareTeachingResource(
        **pair_address(**address),
        resource_id=record or uuid.uuid4(),
        kind=kind,
        title="Functions, 24 lessons",
        subject="mathematics",
        for_stage=stage,
        shared_on=on,
    )


def milestone(
    which: Milestone, on: date, school: str = SCHOOL, evidence: str = "charter approved"
) -> RecordSchoolSystemMilestone:
    return RecordSchoolSystemMilestone(
        county=COUNTY, helped_school_id=school, milestone=which, achieved_on=on, evidence=evidence
    )


def assessment(level: str, on: date, school: str = SCHOOL) -> RecordStandardisedAssessment:
    return RecordStandardisedAssessment(
        county=COUNTY, helped_school_id=school, level=level, passed_on=on
    )


HANDLERS = command_handlers(load_targets())


def when(given: Sequence[BaseModel], command: BaseModel) -> list[BaseModel]:
    """The events the service would record for `command` on a stream holding `given`."""
    handler = HANDLERS[type(command).__name__]
    return list(handler.decide(handler.aggregate.fold(given), command))


def history(*commands: BaseModel) -> list[BaseModel]:
    """The events of these commands accepted one after the other on one stream."""
    events: list[BaseModel] = []
    for command in commands:
        events += when(events, command)
    return events


def refusal(given: Sequence[BaseModel], command: BaseModel) -> Rejection:
    """The rejection of `command` on a stream holding `given` (fails if it is accepted)."""
    try:
        accepted = when(given, command)
    except Rejection as rejection:
        return rejection
    raise AssertionError(f"{type(command).__name__} was accepted: {accepted}")


def processor_for(store: EventStore, max_attempts: int = 5) -> CommandProcessor:
    return CommandProcessor(
        store, command_handlers(load_targets()), load_permissions(), max_attempts
    )


async def raced(pool: asyncpg.Pool, *calls: Awaitable[Any]) -> list[Any]:
    """Run the calls so that each has loaded and decided before any of them may append."""
    async with pool.acquire() as gate, gate.transaction():
        await gate.execute("LOCK TABLE pairing.events IN SHARE MODE")
        tasks = [asyncio.ensure_future(c) for c in calls]

        async def all_waiting() -> bool:
            waiting = await pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return bool(waiting == len(tasks))

        await wait_for(all_waiting, timeout=10)
    return await asyncio.gather(*tasks, return_exceptions=True)


# A year of activity for the pilot's 7 pairs


@dataclass(frozen=True)
class YearOfActivity:
    """Commands of the 2017-2018 school year for every seeded pair, with what they add up to.

    Record ids are derived from the pair and the record's place, so loading it twice records
    everything once.
    """

    commands: tuple[BaseModel, ...]
    secondments_per_side: dict[str, dict[str, int]]  # pair key -> direction -> running 2018-03-01
    shadowing_outside_target: int
    shadowing_months: dict[str, str]
    model_lessons: int
    weak_subject_model_lessons: int
    exchange_visits: int
    teacher_pairings: int
    courseware: int
    teaching_results: int
    milestones: dict[str, list[str]]
    assessments: dict[str, list[str]]


def _id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, "eduplan:test:" + ":".join(map(str, parts)))


def year_of_activity(seed: Seed) -> YearOfActivity:
    """Per pair: 2 managers seconded from the helper (one of them a second term), 1 from the
    helped school except at the two kindergartens; 2 shadowing periods (2 months, and one of
    3 months with a reason at the high school); a monthly model lesson Sept-June, every third
    in a weak subject; an exchange visit each term; one teacher pairing plan; courseware each
    term and one teaching result. Milestones and assessments at three schools."""
    commands: list[BaseModel] = []
    per_side: dict[str, dict[str, int]] = {}
    months: dict[str, str] = {}
    milestones: dict[str, list[str]] = {}
    assessments: dict[str, list[str]] = {}
    lessons = weak_lessons = outside = 0
    for pair in seed.pairs:
        key = pair.helped_school_id
        address = {"school": key, "stage": pair.stage}
        commands += [
            second(date(2017, 9, 15), date(2018, 1, 15), record=_id(key, "s1"), **address),
            second(date(2018, 3, 1), date(2018, 7, 10), record=_id(key, "s2"), **address),
            second(date(2017, 10, 1), date(2018, 6, 30), record=_id(key, "s3"), **address),
        ]
        helped_sends = pair.stage is not Stage.PRESCHOOL
        if helped_sends:
            commands.append(
                second(
                    date(2017, 11, 1),
                    date(2018, 4, 30),
                    "helped_to_helper",
                    record=_id(key, "s4"),
                    role="academic_director",
                    **address,
                )
            )
        per_side[key] = {"helper_to_helped": 2, "helped_to_helper": 1 if helped_sends else 0}
        commands.append(
            shadow(date(2017, 10, 9), date(2017, 12, 8), record=_id(key, "h1"), **address)
        )
        if pair.stage is Stage.HIGH_SCHOOL:
            commands.append(
                shadow(
                    date(2018, 3, 1),
                    date(2018, 5, 31),
                    reason="exam-year cover arranged by the county bureau",
                    record=_id(key, "h2"),
                    **address,
                )
            )
            outside += 1
            months[key] = "5.00"
        else:
            commands.append(
                shadow(date(2018, 3, 5), date(2018, 4, 19), record=_id(key, "h2"), **address)
            )
            months[key] = "3.50"
        for n, month in enumerate((9, 10, 11, 12, 1, 3, 4, 5, 6)):
            year = 2017 if month >= 9 else 2018
            weak = n % 3 == 0
            commands.append(
                lesson(date(year, month, 18), weak=weak, record=_id(key, "l", n), **address)
            )
            lessons += 1
            weak_lessons += weak
        commands += [
            visit(date(2017, 11, 6), weak=True, record=_id(key, "v1"), **address),
            visit(date(2018, 4, 9), record=_id(key, "v2"), **address),
            teachers(date(2017, 9, 20), record=_id(key, "t1"), **address),
            resource(date(2017, 11, 20), record=_id(key, "r1"), **address),
            resource(date(2018, 4, 20), record=_id(key, "r2"), **address),
            resource(date(2018, 6, 30), "teaching_result", record=_id(key, "r3"), **address),
        ]
    school_system = {
        "zizhou_high_school": (
            [Milestone.RULE_OF_LAW_GOVERNANCE, Milestone.SELF_MANAGEMENT],
            ["city"],
        ),
        "dalihe_primary": ([Milestone.COMMUNITY_PARTICIPATION], ["city", "province"]),
        "zizhou_no1_kindergarten": (list(Milestone), []),
    }
    for school, (reached, passed) in school_system.items():
        for i, m in enumerate(reached):
            commands.append(milestone(m, date(2018, 3, 1 + i), school))
        for level in passed:
            commands.append(assessment(level, date(2018, 6, 15), school))
        milestones[school] = [m.value for m in reached]
        assessments[school] = passed
    n = len(seed.pairs)
    return YearOfActivity(
        commands=tuple(commands),
        secondments_per_side=per_side,
        shadowing_outside_target=outside,
        shadowing_months=months,
        model_lessons=lessons,
        weak_subject_model_lessons=weak_lessons,
        exchange_visits=2 * n,
        teacher_pairings=n,
        courseware=2 * n,
        teaching_results=n,
        milestones=milestones,
        assessments=assessments,
    )
