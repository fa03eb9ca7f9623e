"""Readable test data for the evaluation service: schools by their per-student figures,
the commands of each work stream, and its command processing on a test's own event store."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from nats.aio.client import Client as NATS
from pydantic import BaseModel

from contracts.evaluation.commands import (
    AssessBalancedDevelopment,
    PlanResearchVisit,
    RecordQualityImprovementActivity,
    RecordResearchVisit,
    RecordSupervisoryEvaluation,
    RegisterCensusSchool,
    SubmitSchoolStatistics,
)
from contracts.evaluation.types import (
    ActivityKind,
    CompulsoryStage,
    EvaluationScope,
    EvaluatorKind,
    ExpertsPersonal,
    SchoolStatistics,
)
from contracts.subjects import stream_name
from services.evaluation.handlers import command_handlers, load_permissions
from services.evaluation.thresholds import ThresholdBook, load_thresholds
from services.projection.read_models.evaluation import PROJECTIONS
from shared.eventstore import EventStore
from shared.processor import CommandProcessor
from shared.projections import Projection, ProjectionRunner
from shared.testing import Sandbox, wait_for

COUNTY = "610831"
PRIMARY = CompulsoryStage.PRIMARY
JUNIOR = CompulsoryStage.JUNIOR
EXPERTS = ExpertsPersonal(experts=["王建华", "李秀英"])

_RATES = {
    # per student
    "floor": "5",
    "sports": "8",
    "equipment": "2200",
    "books": "20",
    # per 100 students
    "computers": "12",
    "teachers": "6",
    "qualified": "5",
    "titled": "3",
    "backbone": "1",
    "pe_art": "1",
    "multimedia": "3",
}
"""A primary school meeting every quality standard, with some margin."""

_FIELDS = {
    "floor": ("teaching_floor_area", 1),
    "sports": ("sports_area", 1),
    "equipment": ("equipment_value", 1),
    "books": ("books", 1),
    "computers": ("computers", 100),
    "teachers": ("teachers", 100),
    "qualified": ("teachers_above_qualification", 100),
    "titled": ("titled_teachers", 100),
    "backbone": ("backbone_teachers", 100),
    "pe_art": ("pe_art_teachers", 100),
    "multimedia": ("multimedia_classrooms", 100),
}


def school(enrolment: int, **rates: str | int) -> SchoolStatistics:
    """Statistics from per-student rates (per 100 students for counts of people and rooms).

    Counts must come out whole: a rate that does not is a mistake in the test.
    """
    values: dict[str, Any] = {"enrolment": enrolment}
    for key, rate in {**_RATES, **{k: str(v) for k, v in rates.items()}}.items():
        name, per = _FIELDS[key]
        total = Decimal(rate) * enrolment / per
        if name not in ("teaching_floor_area", "sports_area", "equipment_value"):
            assert total == total.to_integral_value(), f"{key} {rate} x {enrolment} is not whole"
            values[name] = int(total)
        else:
            values[name] = total.quantize(Decimal("0.01"))
    return SchoolStatistics.model_validate(values)


def register(
    school_id: str, name: str = "", stage: CompulsoryStage = PRIMARY, year: int = 2017
) -> RegisterCensusSchool:
    return RegisterCensusSchool(
        county=COUNTY, year=year, stage=stage, school=school_id, name=name or f"学校 {school_id}"
    )


def submit(
    school_id: str,
    statistics: SchoolStatistics,
    stage: CompulsoryStage = PRIMARY,
    year: int = 2017,
) -> SubmitSchoolStatistics:
    return SubmitSchoolStatistics(
        county=COUNTY, year=year, stage=stage, school=school_id, statistics=statistics
    )


def assess(stage: CompulsoryStage = PRIMARY, year: int = 2017) -> AssessBalancedDevelopment:
    return AssessBalancedDevelopment(county=COUNTY, year=year, stage=stage)


def plan_visit(
    institution: str = "zizhou_high_school",
    planned_on: date = date(2017, 10, 12),
    visit_id: UUID | None = None,
) -> PlanResearchVisit:
    return PlanResearchVisit(
        county=COUNTY,
        year=planned_on.year,
        visit_id=visit_id or uuid4(),
        institution=institution,
        planned_on=planned_on,
        topics=["entrance_exam_quality_analysis"],
        personal=EXPERTS,
    )


def record_visit(
    institution: str = "zizhou_high_school",
    held_on: date = date(2017, 10, 12),
    visit_id: UUID | None = None,
) -> RecordResearchVisit:
    return RecordResearchVisit(
        county=COUNTY,
        year=held_on.year,
        visit_id=visit_id or uuid4(),
        institution=institution,
        held_on=held_on,
        topics=["entrance_exam_quality_analysis"],
        personal=EXPERTS,
        findings="高考质量分析：数学薄弱",
    )


def quality_activity(
    held_on: date = date(2018, 4, 10), activity_id: UUID | None = None
) -> RecordQualityImprovementActivity:
    return RecordQualityImprovementActivity(
        activity_id=activity_id or uuid4(),
        county=COUNTY,
        school="zizhou_high_school",
        held_on=held_on,
        kind=ActivityKind.EXAM_QUALITY_ANALYSIS,
        participants=46,
        personal=EXPERTS,
        summary="高考备考诊断",
    )


def third_party_evaluation(
    scope: EvaluationScope = EvaluationScope.BALANCED_DEVELOPMENT,
    evaluated_on: date = date(2017, 11, 20),
    evaluation_id: UUID | None = None,
) -> RecordSupervisoryEvaluation:
    return RecordSupervisoryEvaluation(
        evaluation_id=evaluation_id or uuid4(),
        county=COUNTY,
        year=evaluated_on.year,
        body="鼎力评估中心",
        body_kind=EvaluatorKind.THIRD_PARTY,
        scope=scope,
        evaluated_on=evaluated_on,
        score=Decimal("91.50"),
        findings="义务教育学校办学条件基本达标",
    )


def processor_for(store: EventStore) -> CommandProcessor:
    return CommandProcessor(store, command_handlers(load_thresholds()), load_permissions())


THRESHOLDS = load_thresholds()


def decide(
    history: Sequence[BaseModel], command: BaseModel, thresholds: ThresholdBook = THRESHOLDS
) -> list[BaseModel]:
    """When `command` comes to the stream whose past is `history`: the new events."""
    handler = command_handlers(thresholds)[type(command).__name__]
    return list(handler.decide(handler.aggregate.fold(history), command))


def given(*commands: BaseModel, thresholds: ThresholdBook = THRESHOLDS) -> list[BaseModel]:
    """The events of a stream to which these commands came in turn (each must be accepted)."""
    events: list[BaseModel] = []
    for command in commands:
        events += decide(events, command, thresholds)
    return events


async def published(pool: asyncpg.Pool) -> int:
    """Wait until the relay has published every event; return how many the service stored."""

    async def outbox_empty() -> bool:
        return not await pool.fetchval("SELECT count(*) FROM evaluation.outbox")

    await wait_for(outbox_empty, timeout=30)
    return int(await pool.fetchval("SELECT count(*) FROM evaluation.events"))


async def project(
    pool: asyncpg.Pool, sandbox: Sandbox, nc: NATS, schema: str = "reporting"
) -> None:
    """Bring every evaluation read model in `schema` up to the end of the stream, with the
    real projection runners (each stops once caught up)."""
    info = await nc.jetstream().stream_info(stream_name("evaluation", sandbox.namespace))
    last = int(info.state.last_seq)

    async def run_one(projection: Projection) -> None:
        runner = ProjectionRunner(
            pool, sandbox.database_url, nc, projection, schema, sandbox.namespace
        )
        await runner.setup()
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))

        async def caught_up() -> bool:
            return await runner.checkpoint("evaluation") >= last

        await wait_for(caught_up, timeout=60)
        stop.set()
        await task

    await asyncio.gather(*(run_one(p) for p in PROJECTIONS))
