"""The alert rules of staffing, pairing and guidance, over the demo school year: each finds the
gaps the demo leaves open, and a gap closed by a new fact resolves its alert."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from nats.js.errors import NotFoundError

from contracts.envelope import Accepted
from contracts.staffing import commands as staffing
from contracts.subjects import stream_name
from services.cli import demo
from services.cli.common import Issuer
from services.evaluation.app import configure as configure_evaluation
from services.pairing.app import configure as configure_pairing
from services.projection.alerts.app import build_processor
from services.projection.alerts.detector import Detector
from services.projection.alerts.rules import (
    RULES,
    caravan_visit_missing,
    institution_without_research_visit,
    pair_without_secondment,
    subject_without_master_teacher,
)
from services.projection.read_models import evaluation, pairing
from services.projection.read_models import staffing as staffing_models
from services.staffing.app import configure as configure_staffing
from shared.commandbus import CommandClient
from shared.projections import ProjectionRunner
from shared.service import ServiceRuntime, start_service
from shared.settings import Settings
from shared.testing import Sandbox, wait_for

pytestmark = pytest.mark.integration
COUNTY = "610831"
SERVICES = {
    "staffing": configure_staffing,
    "pairing": configure_pairing,
    "evaluation": configure_evaluation,
}
SUMMER = date(2018, 8, 15)
"""After the 2017-18 school year: both its seasons and its secondment terms are over."""


@pytest.fixture
async def demo_year(
    settings: Settings, pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox
) -> AsyncIterator[dict[str, ServiceRuntime]]:
    """The demo's staffing, pairing and guidance school year, recorded and published."""
    runtimes = {name: await start_service(name, conf, settings) for name, conf in SERVICES.items()}
    log = demo.Log(as_json=True)
    for name, seed in (
        ("pairing", demo.seed_pairing),
        ("staffing", demo.seed_staffing),
        ("evaluation", demo.seed_evaluation),
    ):
        await seed(CommandClient(nc, name, sandbox.namespace), COUNTY, log)
    assert log.rejected == 0, log.steps
    yield runtimes
    for runtime in runtimes.values():
        await runtime.close()


async def project(pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox) -> None:
    """Every outbox published, then the three work streams' read models caught up."""

    async def published() -> bool:
        counts = [await pool.fetchval(f'SELECT count(*) FROM "{s}".outbox') for s in SERVICES]
        return not any(counts)

    await wait_for(published, timeout=60)
    runners = [
        ProjectionRunner(pool, sandbox.database_url, nc, p, "reporting", sandbox.namespace)
        for module in (staffing_models, pairing, evaluation)
        for p in module.PROJECTIONS
    ]
    stop = asyncio.Event()
    tasks = []
    for runner in runners:
        await runner.setup()
        tasks.append(asyncio.create_task(runner.run(stop)))

    async def caught_up() -> bool:
        for runner in runners:
            for source in runner.projection.sources:
                try:
                    info = await nc.jetstream().stream_info(stream_name(source, sandbox.namespace))
                except NotFoundError:
                    continue
                if await runner.checkpoint(source) < info.state.last_seq:
                    return False
        return True

    await wait_for(caught_up, timeout=60, interval=0.1)
    stop.set()
    await asyncio.gather(*tasks)


async def keys(pool: asyncpg.Pool, rule: object, today: date) -> set[str]:
    async with pool.acquire() as conn:
        return {gap.key for gap in await rule(conn, "reporting", today)}  # type: ignore[operator]


async def test_the_demo_year_leaves_the_gaps_its_story_tells(
    demo_year: dict[str, ServiceRuntime], pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox
) -> None:
    await project(pool, nc, sandbox)

    uncovered = await keys(pool, subject_without_master_teacher, date(2018, 3, 1))
    assert f"subject_without_master_teacher/{COUNTY}/zizhou_high_school/geography" in uncovered
    assert not any(k.endswith("/mathematics") for k in uncovered), "two mathematics teachers"

    caravans = await keys(pool, caravan_visit_missing, SUMMER)
    assert f"caravan_visit_missing/{COUNTY}/2017/spring" in caravans
    assert f"caravan_visit_missing/{COUNTY}/2017/autumn" not in caravans, "visited in November"
    async with pool.acquire() as conn:
        gaps = {g.key: g for g in await caravan_visit_missing(conn, "reporting", SUMMER)}
    spring = gaps[f"caravan_visit_missing/{COUNTY}/2017/spring"]
    assert spring.subject.render("en") == "caravan visit of 2018 spring", "the term, as named"
    before_spring_ends = await keys(pool, caravan_visit_missing, date(2018, 3, 1))
    assert f"caravan_visit_missing/{COUNTY}/2017/spring" not in before_spring_ends

    in_term = await keys(pool, pair_without_secondment, date(2017, 12, 20))
    after_term = await keys(pool, pair_without_secondment, SUMMER)
    assert in_term, "seven pairs, two secondments"
    assert in_term < after_term, "the demo's two secondments end with the term"

    unvisited = await keys(pool, institution_without_research_visit, SUMMER)
    assert unvisited, "the guidance plan names more institutions than the one visited"
    assert not any(k.endswith("/zizhou_high_school") for k in unvisited)
    assert all(f"/{COUNTY}/2017/" in k for k in unvisited)
    assert await keys(pool, institution_without_research_visit, date(2017, 12, 20)) == set(), (
        "a year is judged once it is over"
    )


async def test_a_master_teacher_and_a_caravan_visit_resolve_their_alerts(
    demo_year: dict[str, ServiceRuntime],
    alerts_runtime: ServiceRuntime,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    await project(pool, nc, sandbox)
    detector = Detector(build_processor(alerts_runtime.store), pool, RULES)
    geography = f"subject_without_master_teacher/{COUNTY}/zizhou_high_school/geography"
    spring = f"caravan_visit_missing/{COUNTY}/2017/spring"

    first = await detector.sweep(SUMMER)
    assert {geography, spring} <= await detector.open_alerts()
    assert (await detector.sweep(SUMMER)).raised == 0, "a gap still open is raised once"

    issuer = Issuer("teacher_division")
    client = CommandClient(nc, "staffing", sandbox.namespace)
    post = {"county": COUNTY, "host_school": "zizhou_high_school", "subject": "geography"}
    teacher = demo.demo_id(COUNTY, "master_teacher", "geography")
    visit = staffing.RecordCaravanVisit(
        county=COUNTY,
        term="2018-spring",
        visited_on=date(2018, 5, 10),
        visiting_school="西安高级中学",
        lessons=[{"stage": "high_school", "subject": "geography", "lessons": 2}],  # type: ignore[list-item]
    )
    dispatch = staffing.DispatchMasterTeacher(
        **post,
        teacher_id=teacher,
        home_school="西安高级中学",
        start_term="2018-spring",
        planned_end_term="2019-spring",
        personal={"name": "陈地理"},  # type: ignore[arg-type]
    )
    for command in (dispatch, visit):
        (reply,) = await client.send([issuer.command(command)])
        assert isinstance(reply, Accepted), reply
    await project(pool, nc, sandbox)

    closing = await detector.sweep(SUMMER)
    assert (closing.resolved, closing.raised) == (2, 0)
    assert geography not in await detector.open_alerts()
    assert spring not in await detector.open_alerts()
    assert len(await detector.open_alerts()) == first.raised - 2


@pytest.fixture
async def alerts_runtime(settings: Settings) -> AsyncIterator[ServiceRuntime]:
    async def nothing_else(_: ServiceRuntime) -> None:
        return None

    runtime = await start_service("alerts", nothing_else, settings)
    yield runtime
    await runtime.close()
