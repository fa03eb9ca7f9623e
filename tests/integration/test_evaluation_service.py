"""The evaluation service on real NATS and PostgreSQL: commands over the bus, events through
the outbox to JetStream, read models built by the real projection runners."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from pydantic import BaseModel

from contracts.envelope import Accepted, CommandResult, Rejected
from contracts.evaluation.commands import (
    AdvanceHighSchoolProject,
    AssessDualHighDualUniversal,
    CancelResearchVisit,
    CorrectSchoolStatistics,
    ProposeHighSchoolProject,
    RecordEvaluationOutcome,
    RecordQualityImprovementActivity,
    RecordUniversalEducationFigures,
)
from contracts.evaluation.queries import GetThresholdsInForce, ThresholdsInForce
from contracts.evaluation.types import (
    ActivityKind,
    EvaluationOutcome,
    FundingSource,
    Milestone,
    Title,
)
from contracts.files.guidance_plan import guidance_plan
from services.evaluation.app import configure
from services.projection.read_models.evaluation.balance import balance, census
from services.projection.read_models.evaluation.guidance import (
    visits_per_institution,
    without_visits_route,
)
from services.projection.read_models.evaluation.high_school import (
    activities_report,
    projects_report,
)
from services.projection.read_models.evaluation.supervision import titles_report, universal_report
from shared.commandbus import CommandClient, new_command
from shared.service import ServiceRuntime, start_service
from shared.settings import Settings
from shared.testing import Sandbox
from tests.support.evaluation import (
    COUNTY,
    EXPERTS,
    assess,
    plan_visit,
    project,
    published,
    record_visit,
    register,
    school,
    submit,
    third_party_evaluation,
)

pytestmark = pytest.mark.integration

INSTITUTE = "education_science_institute"
SUPERVISION = "supervision_office"
A, B = "dalihe_primary", "shiyan_primary"


@pytest.fixture
async def evaluation(settings: Settings) -> AsyncIterator[ServiceRuntime]:
    runtime = await start_service("evaluation", configure, settings)
    yield runtime
    await runtime.close()


@pytest.fixture
def client(nc: NATS, sandbox: Sandbox) -> CommandClient:
    return CommandClient(nc, "evaluation", sandbox.namespace, timeout=30)


async def send(client: CommandClient, department: str, *commands: BaseModel) -> list[CommandResult]:
    """Each command in its own request, in order (they are of different types)."""
    results = []
    for command in commands:
        envelope = new_command(command, department=department)
        results += await client.send([envelope])
    return results


def accepted(results: Sequence[CommandResult]) -> list[Accepted]:
    assert all(isinstance(r, Accepted) for r in results), results
    return [r for r in results if isinstance(r, Accepted)]


async def stored(pool: asyncpg.Pool) -> dict[str, int]:
    tables = ("events", "outbox", "commands", "streams")
    return {t: await pool.fetchval(f"SELECT count(*) FROM evaluation.{t}") for t in tables}


# Teaching-research guidance


async def test_visits_per_institution_against_the_plan_and_those_without_any(
    evaluation: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    planned, cancelled = uuid4(), uuid4()
    commands: list[BaseModel] = [
        guidance_plan(COUNTY, 2017),
        plan_visit("zizhou_high_school", date(2017, 10, 12), planned),
        record_visit("zizhou_high_school", date(2017, 10, 12), planned),
        record_visit("zizhou_high_school", date(2017, 11, 30)),
        record_visit("zizhou_high_school", date(2017, 12, 20)),
        record_visit("zizhou_experimental_primary", date(2017, 11, 2)),
        plan_visit("zizhou_no2_middle_school", date(2017, 12, 5)),
        plan_visit("zizhou_research_office", date(2017, 11, 16), cancelled),
        CancelResearchVisit(county=COUNTY, year=2017, visit_id=cancelled, reason="改期"),
    ]
    results = accepted(await send(client, INSTITUTE, *commands))
    assert {r.stream_id for r in results} == {f"guidance:{COUNTY}:2017"}
    assert [r.version for r in results] == list(range(1, 10))
    await published(pool)

    await project(pool, sandbox, nc)

    rows = await visits_per_institution(pool, "reporting", 2017, COUNTY)
    assert [
        (r["institution"], r["name"], r["held"], r["planned"], r["last_held_on"], r["status"])
        for r in rows
    ] == [
        ("zizhou_experimental_primary", "实验小学", 1, 0, "2017-11-02", "on_target"),
        ("zizhou_high_school", "子洲中学", 3, 0, "2017-12-20", "above_target"),
        ("zizhou_no2_middle_school", "子洲二中", 0, 1, None, "none"),
        ("zizhou_research_office", "子洲教研室", 0, 0, None, "none"),
    ]
    assert {(r["county"], r["year"], r["visits_min"], r["visits_max"]) for r in rows} == {
        (COUNTY, 2017, 1, 2)
    }
    assert await without_visits_route(pool, "reporting", {"year": "2017"}) == [
        {
            "county": COUNTY,
            "year": 2017,
            "institution": "zizhou_no2_middle_school",
            "name": "子洲二中",
            "planned": 1,
        },
        {
            "county": COUNTY,
            "year": 2017,
            "institution": "zizhou_research_office",
            "name": "子洲教研室",
            "planned": 0,
        },
    ]
    assert await visits_per_institution(pool, "reporting", 2018, None) == []
    topics = await pool.fetch("SELECT DISTINCT topics FROM reporting.evaluation_research_visits")
    assert [r["topics"] for r in topics] == [["entrance_exam_quality_analysis"]]


# School statistics and balanced development

SMALL_2017 = school(100, equipment=2400, books=10)
LARGE_2017 = school(300, equipment=2000, books=6)
SMALL_2016 = school(100, equipment=2400, books=8)


def census_commands() -> list[BaseModel]:
    """Two schools in 2016 and 2017; the 2017 figures are the hand-checked unit-test example."""
    return [
        register(A, "子洲县大理河小学", year=2016),
        register(B, "子洲县实验小学", year=2016),
        submit(A, SMALL_2016, year=2016),
        submit(B, LARGE_2017, year=2016),
        assess(year=2016),
        register(A, "子洲县大理河小学"),
        register(B, "子洲县实验小学"),
        submit(A, SMALL_2017),
        submit(B, LARGE_2017),
        assess(),
    ]


async def test_an_assessment_waits_for_every_school_and_a_refusal_writes_nothing(
    evaluation: ServiceRuntime, client: CommandClient, pool: asyncpg.Pool
) -> None:
    accepted(
        await send(
            client, SUPERVISION, register(A, "子洲县大理河小学"), register(B, "子洲县实验小学")
        )
    )
    accepted(await send(client, SUPERVISION, submit(A, SMALL_2017)))
    await published(pool)
    before = await stored(pool)

    (refused,) = await send(client, SUPERVISION, assess())

    assert isinstance(refused, Rejected)
    assert refused.code == "missing_school_data"
    assert refused.message == (
        "1 school(s) have not submitted 2017 statistics: shiyan_primary (子洲县实验小学)"
    )
    assert await stored(pool) == before


async def test_the_balance_report_shows_each_indicator_with_pass_fail_and_its_trend(
    evaluation: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    results = accepted(await send(client, SUPERVISION, *census_commands()))
    assert {r.stream_id for r in results} == {
        f"census:{COUNTY}:2016:primary",
        f"census:{COUNTY}:2017:primary",
    }
    await published(pool)

    await project(pool, sandbox, nc)

    (report,) = await balance(pool, "reporting", 2017, COUNTY, None)
    indicators = {i["indicator"]: i for i in report.pop("indicators")}
    assert report == {
        "county": COUNTY,
        "year": 2017,
        "stage": "primary",
        "assessment": 1,
        "thresholds_id": "quality-balance-2017",
        "schools": 2,
        "composite": "0.041239",
        "composite_max": "0.65",
        "basic_balance_met": True,
        "quality_balance_met": True,
        "schools_meeting_standards": 2,
        "composite_trend": [
            {"year": 2016, "composite": "0.026964"},
            {"year": 2017, "composite": "0.041239"},
        ],
    }
    assert len(indicators) == 12
    assert indicators["books_per_student"] == {
        "indicator": "books_per_student",
        "per": 1,
        "county_value": "7.000000",
        "coefficient": "0.247436",
        "in_composite": True,
        "quality_max": None,
        "passed": None,
        "trend": [
            {"year": 2016, "coefficient": "0.133235"},
            {"year": 2017, "coefficient": "0.247436"},
        ],
    }
    assert indicators["equipment_value_per_student"] | {"trend": None} == {
        "indicator": "equipment_value_per_student",
        "per": 1,
        "county_value": "2100.000000",
        "coefficient": "0.082479",
        "in_composite": True,
        "quality_max": "0.50",
        "passed": True,
        "trend": None,
    }
    (earlier,) = await balance(pool, "reporting", 2016, COUNTY, "primary")
    assert (earlier["thresholds_id"], earlier["quality_balance_met"]) == (
        "basic-balance-2012",
        None,
    )
    assert [
        (r["school"], r["name"], r["revision"], r["status"])
        for r in await census(pool, "reporting", 2017, None, None)
    ] == [(A, "子洲县大理河小学", 1, "submitted"), (B, "子洲县实验小学", 1, "submitted")]


async def test_running_everything_again_records_nothing_and_changes_no_read_model(
    evaluation: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    accepted(await send(client, SUPERVISION, *census_commands()))
    events = await published(pool)
    await project(pool, sandbox, nc)
    first = await balance(pool, "reporting", 2017, None, None)

    again = accepted(await send(client, SUPERVISION, *census_commands()))

    assert all(r.event_ids == [] for r in again)
    assert await published(pool) == events
    await project(pool, sandbox, nc)
    assert await balance(pool, "reporting", 2017, None, None) == first
    envelope = new_command(assess(), department=SUPERVISION)
    assert await client.send([envelope]) == await client.send([envelope])


async def test_a_correction_brings_a_second_assessment_that_replaces_the_first(
    evaluation: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    accepted(await send(client, SUPERVISION, *census_commands()))
    correction = submit(B, school(300, equipment=2000, books=7)).model_dump() | {
        "reason": "图书册数更正"
    }
    accepted(
        await send(
            client, SUPERVISION, CorrectSchoolStatistics.model_validate(correction), assess()
        )
    )
    await published(pool)

    await project(pool, sandbox, nc)

    (report,) = await balance(pool, "reporting", 2017, COUNTY, "primary")
    books = next(i for i in report["indicators"] if i["indicator"] == "books_per_student")
    assert (report["assessment"], books["county_value"]) == (2, "7.750000")
    assert [r["revision"] for r in await census(pool, "reporting", 2017, COUNTY, "primary")] == [
        1,
        2,
    ]


async def test_a_department_without_permission_is_refused_and_nothing_is_written(
    evaluation: ServiceRuntime, client: CommandClient, pool: asyncpg.Pool
) -> None:
    before = await stored(pool)

    (result,) = await send(client, "aid_center", register(A))

    assert isinstance(result, Rejected)
    assert result.code == "not_permitted"
    assert "supervision_office" in result.message
    assert await stored(pool) == before


# Double-high double-universal, evaluations, titles, high-school development


async def test_rates_evaluations_titles_and_high_school_work_in_the_read_models(
    evaluation: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    def rates(senior: str) -> RecordUniversalEducationFigures:
        return RecordUniversalEducationFigures.model_validate(
            {
                "county": COUNTY,
                "year": 2017,
                "rates": {
                    "preschool_three_year_gross_enrolment": "86.50",
                    "senior_secondary_gross_enrolment": senior,
                },
                "source": "2017年教育事业统计",
            }
        )

    evaluation_id = UUID("3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f")
    project_id = uuid4()
    accepted(
        await send(
            client,
            SUPERVISION,
            rates("91.20"),
            AssessDualHighDualUniversal(county=COUNTY, year=2017),
            rates("89.50"),
            third_party_evaluation(evaluation_id=evaluation_id),
            RecordEvaluationOutcome(
                evaluation_id=evaluation_id,
                outcome=EvaluationOutcome.TITLE_AWARDED,
                title=Title.BASIC_BALANCED_COUNTY,
                decided_on=date(2017, 12, 28),
                decided_by="国务院教育督导委员会",
            ),
        )
    )
    accepted(
        await send(
            client,
            "development",
            ProposeHighSchoolProject(
                project_id=project_id,
                county=COUNTY,
                school="zizhou_high_school",
                name="子洲中学教学综合楼",
                funding_source=FundingSource.CENTRAL_PROGRAMME,
                amount=Decimal("12000000"),
                proposed_on=date(2017, 9, 20),
            ),
            *(
                AdvanceHighSchoolProject(
                    project_id=project_id,
                    milestone=milestone,
                    reached_on=on,
                    funded_amount=Decimal(amount) if amount else None,
                )
                for milestone, on, amount in (
                    (Milestone.APPROVED, date(2017, 11, 1), None),
                    (Milestone.FUNDED, date(2017, 12, 15), "10000000.00"),
                )
            ),
        )
    )
    activities: list[tuple[ActivityKind, int, list[str]]] = [
        (ActivityKind.EXAM_QUALITY_ANALYSIS, 46, EXPERTS.experts),
        (ActivityKind.MODEL_LESSON, 30, ["陈志刚"]),
        (ActivityKind.EXAM_QUALITY_ANALYSIS, 20, ["陈志刚"]),
    ]
    accepted(
        await send(
            client,
            "basic_ed_2",
            *(
                RecordQualityImprovementActivity(
                    activity_id=uuid4(),
                    county=COUNTY,
                    school="zizhou_high_school",
                    held_on=date(2018, 4, 10 + i),
                    kind=kind,
                    participants=participants,
                    personal={"experts": experts},  # type: ignore[arg-type]
                )
                for i, (kind, participants, experts) in enumerate(activities)
            ),
        )
    )
    await published(pool)

    await project(pool, sandbox, nc)

    (universal,) = await universal_report(pool, "reporting", 2017, COUNTY)
    assert universal | {"checks": None} == {
        "county": COUNTY,
        "year": 2017,
        "figures_revision": 2,
        "rates": {
            "preschool_three_year_gross_enrolment": "86.50",
            "senior_secondary_gross_enrolment": "89.50",
        },
        "source": "2017年教育事业统计",
        "assessment": 1,
        "assessed_revision": 1,
        "thresholds_id": "national-anchors-2017",
        "checks": None,
        "met": True,
        "assessment_current": False,
    }
    assert [(c["rate"], c["value"], c["met"]) for c in universal["checks"]] == [
        ("preschool_three_year_gross_enrolment", "86.50", True),
        ("senior_secondary_gross_enrolment", "91.20", True),
    ]
    assert await titles_report(pool, "reporting", None, None) == [
        {
            "county": COUNTY,
            "title": "basic_balanced_compulsory_education_county",
            "year": 2017,
            "scope": "balanced_development",
            "body": "鼎力评估中心",
            "decided_on": "2017-12-28",
            "decided_by": "国务院教育督导委员会",
            "evaluation_id": str(evaluation_id),
        }
    ]
    assert await projects_report(pool, "reporting", COUNTY) == [
        {
            "project_id": str(project_id),
            "county": COUNTY,
            "school": "zizhou_high_school",
            "name": "子洲中学教学综合楼",
            "funding_source": "central_high_school_programme",
            "amount": "12000000",
            "funded_amount": "10000000.00",
            "proposed_on": "2017-09-20",
            "milestone": "funded",
            "milestone_on": "2017-12-15",
        }
    ]
    assert await activities_report(pool, "reporting", 2018, None) == [
        {
            "county": COUNTY,
            "kind": "exam_quality_analysis",
            "activities": 2,
            "participants": 66,
            "expert_visits": 3,
            "year": 2018,
        },
        {
            "county": COUNTY,
            "kind": "model_lesson",
            "activities": 1,
            "participants": 30,
            "expert_visits": 1,
            "year": 2018,
        },
    ]


async def test_the_thresholds_in_force_are_answered_over_the_bus(
    evaluation: ServiceRuntime, client: CommandClient
) -> None:
    answer = await client.query(GetThresholdsInForce(year=2017), ThresholdsInForce)

    assert [(b.stage.value, b.id, b.composite_max) for b in answer.balance] == [
        ("primary", "quality-balance-2017", Decimal("0.65")),
        ("junior", "quality-balance-2017", Decimal("0.55")),
    ]
    assert answer.dual_high_dual_universal is not None
    assert answer.dual_high_dual_universal.id == "national-anchors-2017"
