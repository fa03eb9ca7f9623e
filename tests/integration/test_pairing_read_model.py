"""The pilot through the pairing service, the bus and the pairing read model: 7 pairs and a
school year of activity, with exact figures; a rerun doubles nothing; rejections write nothing."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from pydantic import BaseModel

from contracts.envelope import CommandResult, Rejected
from contracts.files.pairing_seed import load_seed
from contracts.subjects import stream_name
from services.cli.common import Issuer, send_in_batches
from services.cli.pairing import send_seed
from services.pairing.app import SERVICE, configure
from services.projection.read_models.pairing import reports as pairing_reports
from services.projection.read_models.pairing.model import PairingProjection
from shared.commandbus import CommandClient
from shared.projections import ProjectionRunner
from shared.service import ServiceRuntime, start_service
from shared.settings import Settings
from shared.testing import Sandbox, wait_for
from tests.support.pairing import YearOfActivity, establish, shadow, year_of_activity

pytestmark = pytest.mark.integration

ON = date(2018, 3, 1)
ISSUER = Issuer("basic_ed_1")
DEPARTMENTS = {
    "SecondManager": "personnel",
    "RecordSchoolSystemMilestone": "policy_regulations",
    "RecordStandardisedAssessment": "policy_regulations",
}
TABLES = (
    "pairing_pairs",
    "pairing_secondments",
    "pairing_shadowing",
    "pairing_activities",
    "pairing_school_system",
    "pairing_targets",
    "pairing_personal",
)


@pytest.fixture
async def pairing(settings: Settings) -> AsyncIterator[ServiceRuntime]:
    runtime = await start_service(SERVICE, configure, settings)
    yield runtime
    await runtime.close()


@pytest.fixture
def pairing_client(nc: NATS, sandbox: Sandbox) -> CommandClient:
    return CommandClient(nc, SERVICE, sandbox.namespace, timeout=30)


async def send_all(client: CommandClient, commands: Sequence[BaseModel]) -> list[CommandResult]:
    """Send commands grouped by type (one type per request), each by its department."""
    by_type: dict[str, list[BaseModel]] = defaultdict(list)
    for c in commands:
        by_type[type(c).__name__].append(c)
    results: list[CommandResult] = []
    for name, group in by_type.items():
        issuer = Issuer(DEPARTMENTS.get(name, ISSUER.department))
        envelopes = [issuer.command(c) for c in group]
        results += await send_in_batches(client, envelopes, lambda n: None, batch_size=100)
    return results


async def load_pilot(client: CommandClient, pool: asyncpg.Pool) -> YearOfActivity:
    seed = load_seed()
    seeded = await send_seed(client, seed, ISSUER, lambda n: None)
    assert seeded.rejected == []
    year = year_of_activity(seed)
    results = await send_all(client, year.commands)
    assert [r for r in results if isinstance(r, Rejected)] == []
    await drained(pool)
    return year


async def drained(pool: asyncpg.Pool) -> None:
    async def empty() -> bool:
        return not await pool.fetchval("SELECT count(*) FROM pairing.outbox")

    await wait_for(empty, timeout=60)


async def project(pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox, schema: str) -> int:
    """Build the pairing read model into `schema` up to the stream's last event."""
    info = await nc.jetstream().stream_info(stream_name(SERVICE, sandbox.namespace))
    last = int(info.state.last_seq)
    runner = ProjectionRunner(
        pool, sandbox.database_url, nc, PairingProjection(), schema, sandbox.namespace
    )
    await runner.setup()
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))

    async def caught_up() -> bool:
        return await runner.checkpoint(SERVICE) >= last

    await wait_for(caught_up, timeout=60)
    stop.set()
    await task
    return last


async def snapshot(pool: asyncpg.Pool, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t: [tuple(r) for r in await pool.fetch(f'SELECT * FROM "{schema}".{t} ORDER BY 1, 2')]
        for t in TABLES
    }


async def test_the_pilot_year_shows_in_the_read_model_exactly(
    pairing: ServiceRuntime,
    pairing_client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    year = await load_pilot(pairing_client, pool)
    events = await pool.fetchval("SELECT count(*) FROM pairing.events")
    assert events == 1 + 7 + len(year.commands)
    assert await project(pool, nc, sandbox, "reporting") == events

    report = await pairing_reports.pairs(pool, "reporting", "610831", ON)

    assert [p["helped_school"]["id"] for p in report] == [
        "zizhou_high_school",
        "zizhou_experimental_middle_school",
        "zizhou_no2_middle_school",
        "dalihe_primary",
        "zizhou_experimental_primary",
        "zizhou_no1_kindergarten",
        "zizhou_no2_kindergarten",
    ]
    for pair in report:
        school = pair["helped_school"]["id"]
        on_day = year.secondments_per_side[school]
        assert pair["status"] == "active"
        assert pair["secondments"] == {
            "target": {"min": 1, "max": 3},
            "helper_to_helped": {"on_day": on_day["helper_to_helped"], "total": 3},
            "helped_to_helper": {
                "on_day": on_day["helped_to_helper"],
                "total": on_day["helped_to_helper"],
            },
            "sides_below_minimum": [] if on_day["helped_to_helper"] else ["helped_to_helper"],
        }, school
        high_school = school == "zizhou_high_school"
        assert pair["shadowing"] == {
            "periods": 2,
            "months": year.shadowing_months[school],
            "outside_target": 1 if high_school else 0,
        }, school
        assert pair["lessons"] == {
            "model_lessons": 9,
            "weak_subject_model_lessons": 3,
            "exchange_visits": 2,
            "weak_subject_exchange_visits": 1,
        }
        assert pair["teacher_pairings"] == {"plans": 1, "weak_subject_plans": 1}
        assert pair["resources"] == {"courseware": 2, "teaching_results": 1}
        assert [m["milestone"] for m in pair["milestones"]] == year.milestones.get(school, [])
        assert [a["level"] for a in pair["assessments"]] == year.assessments.get(school, [])

    summary = await pairing_reports.county_summary(pool, "reporting", "610831", ON)
    assert summary == {
        "county": "610831",
        "target_active_pairs": 7,
        "active_pairs": 7,
        "suspended_pairs": 0,
        "ended_pairs": 0,
        "meets_target": True,
        "pairs_with_a_side_below_minimum": 2,
        "managers_seconded_on_day": 7 * 2 + 5,
        "shadowing_periods": 14,
        "shadowing_outside_target": year.shadowing_outside_target,
        "teacher_pairings": year.teacher_pairings,
        "model_lessons": year.model_lessons,
        "exchange_visits": year.exchange_visits,
        "resources_shared": year.courseware + year.teaching_results,
        "milestones_achieved": 2 + 1 + 4,
        "assessments_passed": 1 + 2,
        "on": "2018-03-01",
    }
    assert summary["model_lessons"] == 63
    province = await pairing_reports.county_summary(pool, "reporting", None, ON)
    assert province == {**summary, "county": None}

    flagged = await pairing_reports.shadowing(pool, "reporting", "610831", True)
    assert [(s["helped_school_id"], s["months"], s["teacher_name"]) for s in flagged] == [
        ("zizhou_high_school", "3.00", "李静")
    ]
    assert flagged[0]["exception_reason"] == "exam-year cover arranged by the county bureau"
    assert len(await pairing_reports.shadowing(pool, "reporting", None, False)) == 14


async def test_rerunning_the_pilot_and_rejected_commands_change_nothing(
    pairing: ServiceRuntime,
    pairing_client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    year = await load_pilot(pairing_client, pool)
    last = await project(pool, nc, sandbox, "reporting")
    before = await snapshot(pool, "reporting")

    seeded = await send_seed(pairing_client, load_seed(), ISSUER, lambda n: None)
    assert (seeded.counts["established"], seeded.counts["unchanged"]) == (0, 7)
    assert seeded.counts["targets_unchanged"] == 1
    again = await send_all(pairing_client, year.commands)
    assert {len(getattr(r, "event_ids", [None])) for r in again} == {0}

    second_helper = establish("xian_model_high_school")
    unexplained = shadow(date(2018, 5, 1), date(2018, 8, 31))
    refused = await send_all(pairing_client, [second_helper, unexplained])
    assert [r.code for r in refused if isinstance(r, Rejected)] == [
        "stage_already_helped",
        "shadowing_outside_target",
    ]

    await drained(pool)
    assert await pool.fetchval("SELECT count(*) FROM pairing.events") == last
    assert await project(pool, nc, sandbox, "reporting") == last
    assert await snapshot(pool, "reporting") == before
    await project(pool, nc, sandbox, "rebuilt")
    assert await snapshot(pool, "rebuilt") == before
