"""Alerts as events: raised when a task falls behind, resolved when the gap closes, on their
own stream so downstream consumers can follow alerts alone."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from nats.aio.client import Client as NATS
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contracts.assistance.commands import RecordLeaving, ReturnToSchool
from contracts.assistance.types import LeaveReason
from contracts.envelope import EventEnvelope
from contracts.files.roster import parse_roster
from contracts.files.sample_roster import sample_rows, to_csv
from contracts.subjects import service_events, stream_name
from contracts.types import Stage
from services.cli import aid
from services.cli.common import Issuer
from services.projection.alerts.app import build_processor
from services.projection.alerts.detector import Detector
from services.projection.alerts.rules import RULES
from services.projection.http import EXCEPTION_HANDLERS, answer, query, request_language
from services.projection.read_models import alerts as alert_reports
from services.projection.read_models.alerts import AlertsProjection
from shared.commandbus import CommandClient
from shared.projections import ProjectionRunner, setup_projection
from shared.service import ServiceRuntime, start_service
from shared.settings import Settings
from shared.testing import Sandbox, wait_for
from tests.support.projection import run_to_end, stream_last_seq

pytestmark = pytest.mark.integration
TODAY = date(2017, 12, 20)
ISSUER = Issuer("aid_center")


@pytest.fixture
async def alerts_service(settings: Settings) -> AsyncIterator[ServiceRuntime]:
    """The alerts service's store, stream and relay; the test sweeps by hand."""

    async def nothing_else(_: ServiceRuntime) -> None:
        return None

    runtime = await start_service("alerts", nothing_else, settings)
    yield runtime
    await runtime.close()


async def register_every_stage(client: CommandClient) -> None:
    rows = sample_rows(counts=dict.fromkeys(Stage, 6), seed=4)
    lines = list(parse_roster(to_csv(rows).encode()))
    await aid.import_roster(client, lines, ISSUER, lambda n: None, school_year=2017)


async def a_primary_pupil(pool: asyncpg.Pool) -> UUID:
    pupil = await pool.fetchval(
        "SELECT student_id FROM reporting.aid_students WHERE stage = 'primary' LIMIT 1"
    )
    assert isinstance(pupil, UUID)
    return pupil


async def project(pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox) -> None:
    async def published() -> bool:
        return not await pool.fetchval("SELECT count(*) FROM assistance.outbox")

    await wait_for(published)
    await run_to_end(
        pool,
        sandbox.database_url,
        nc,
        sandbox.namespace,
        "reporting",
        await stream_last_seq(nc, sandbox.namespace),
    )


async def test_alerts_are_raised_for_gaps_resolved_when_they_close_and_followed_alone(
    assistance: ServiceRuntime,
    alerts_service: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    received: list[dict[str, object]] = []

    async def on_alert(msg: object) -> None:
        received.append(json.loads(msg.data))  # type: ignore[attr-defined]

    follower = await nc.jetstream().subscribe(
        service_events("alerts", sandbox.namespace), cb=on_alert, ordered_consumer=True
    )
    await register_every_stage(client)
    students = await aid.registered_students(client, "610831")
    missed = students[:3]
    await aid.grant_aid(client, students[3:], "2017-autumn", ISSUER, lambda n: None)
    await project(pool, nc, sandbox)
    detector = Detector(build_processor(alerts_service.store), pool, RULES)

    first = await detector.sweep(TODAY)
    again = await detector.sweep(TODAY)

    assert (first.raised, first.resolved, again.raised) == (3, 0, 0)
    assert await detector.open_alerts() == {f"missing_aid/2017-autumn/{s}" for s in missed}

    await aid.grant_aid(client, missed, "2017-autumn", ISSUER, lambda n: None)
    pupil = await a_primary_pupil(pool)
    left = TODAY - timedelta(days=40)
    leaving = RecordLeaving(student_id=pupil, reason=LeaveReason.DROPPED_OUT, left_on=left)
    await client.send([ISSUER.command(leaving)])
    await project(pool, nc, sandbox)
    closing = await detector.sweep(TODAY)
    assert (closing.resolved, closing.raised) == (3, 1)

    async def all_followed() -> bool:
        return len(received) == 3 + 3 + closing.raised

    await wait_for(all_followed, timeout=30)
    assert [m["event_type"] for m in received[:3]] == ["AlertRaised"] * 3
    assert {m["service"] for m in received} == {"alerts"}, "alerts alone, nothing else"
    await follower.unsubscribe()

    runner = ProjectionRunner(
        pool, sandbox.database_url, nc, AlertsProjection(), namespace=sandbox.namespace
    )
    await runner.setup()
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))

    async def projected() -> bool:
        return await runner.checkpoint("alerts") >= len(received)

    await wait_for(projected)
    stop.set()
    await task
    resolved = await alert_reports.alerts(pool, "reporting", {"status": "resolved"})
    assert sorted(r["alert_key"] for r in resolved) == sorted(
        f"missing_aid/2017-autumn/{s}" for s in missed
    )
    assert all(r["resolved_on"] == TODAY.isoformat() for r in resolved)
    still_open = await alert_reports.alerts(pool, "reporting", {"county": "610831"})
    assert [r["kind"] for r in still_open] == ["dropout_open"] * closing.raised


async def test_a_dropout_alert_open_a_month_raises_an_alert_until_the_pupil_returns(
    assistance: ServiceRuntime,
    alerts_service: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    await register_every_stage(client)
    await project(pool, nc, sandbox)
    pupil = await a_primary_pupil(pool)
    leaving = RecordLeaving(student_id=pupil, reason=LeaveReason.ILLNESS, left_on=date(2017, 11, 1))
    await client.send([ISSUER.command(leaving)])
    await project(pool, nc, sandbox)
    detector = Detector(build_processor(alerts_service.store), pool, RULES)

    assert (await detector.sweep(date(2017, 11, 20))).raised == 0, "less than a month"
    assert (await detector.sweep(date(2017, 12, 5))).raised == 1
    await client.send(
        [
            ISSUER.command(
                ReturnToSchool(
                    student_id=pupil,
                    county="610831",
                    school="子洲县实验小学",
                    stage="primary",
                    grade=2,
                    boarding=True,
                    returned_on=date(2017, 12, 10),
                )
            )
        ]
    )
    await project(pool, nc, sandbox)
    assert (await detector.sweep(date(2017, 12, 12))).resolved == 1
    assert await detector.open_alerts() == set()


def alert_event(event_type: str, version: int, **payload: object) -> EventEnvelope:
    now = datetime.now(UTC)
    key = "missing_aid/2017-autumn/7f3e9a52"
    return EventEnvelope(
        event_id=uuid4(),
        event_type=event_type,
        schema_version=1,
        service="alerts",
        position=version,
        stream_id=key,
        stream_type="alert",
        version=version,
        county="610831",
        occurred_at=now,
        recorded_at=now,
        actor="alert-detector",
        department="supervision_office",
        correlation_id=uuid4(),
        causation_id=None,
        command_id=None,
        payload={"alert_key": key, "kind": "missing_aid", "county": "610831", **payload},
    )


async def test_the_alerts_read_model_follows_raise_and_resolve_in_separate_batches(
    pool: asyncpg.Pool,
) -> None:
    raised = {
        "task_id": "1.2",
        "subject": "a student",
        "detail": "no aid",
        "raised_on": "2017-12-20",
    }
    resolved = {"resolved_on": "2017-12-22", "how": "the gap is closed"}
    projection = AlertsProjection()
    async with pool.acquire() as conn:
        await setup_projection(conn, "reporting", projection)
        for batch, expected in (
            ([alert_event("AlertRaised", 1, **raised)], "open"),
            ([alert_event("AlertResolved", 2, **resolved)], "resolved"),
            ([alert_event("AlertRaised", 3, **raised)], "open"),
            (
                [
                    alert_event("AlertResolved", 4, **resolved),
                    alert_event("AlertRaised", 5, **raised),
                ],
                "open",
            ),
            ([alert_event("AlertResolved", 6, **resolved)], "resolved"),
        ):
            await projection.apply(conn, "reporting", batch)
            (row,) = await alert_reports.alerts(pool, "reporting", {"status": "all"})
            assert row["status"] == expected
            assert row["raised_on"] == "2017-12-20"


async def test_read_models_behind_their_streams_are_not_judged(
    alerts_service: ServiceRuntime, pool: asyncpg.Pool
) -> None:
    async def behind() -> bool:
        return False

    detector = Detector(build_processor(alerts_service.store), pool, RULES, settled=behind)
    sweep = await detector.sweep(TODAY)
    assert sweep.skipped
    assert await pool.fetchval("SELECT count(*) FROM alerts.events") == 0


def alerts_api(pool: asyncpg.Pool) -> httpx.AsyncClient:
    """`/api/alerts` as the reporting API answers it: the read model's rows, said in the
    request's language (`?lang=`, else Accept-Language)."""

    async def endpoint(request: Request) -> Response:
        body = await alert_reports.alerts(pool, "reporting", query(request))
        return answer(body, lang=request_language(request))

    app = Starlette(routes=[Route("/api/alerts", endpoint)], exception_handlers=EXCEPTION_HANDLERS)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_an_alert_raised_on_real_data_reads_in_the_reader_s_language(
    assistance: ServiceRuntime,
    alerts_service: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    await register_every_stage(client)
    students = await aid.registered_students(client, "610831")
    await aid.grant_aid(client, students[1:], "2017-autumn", ISSUER, lambda n: None)
    await project(pool, nc, sandbox)
    detector = Detector(build_processor(alerts_service.store), pool, RULES)
    assert (await detector.sweep(TODAY)).raised == 1
    await project_alerts(pool, nc, sandbox, alerts_service)

    async with alerts_api(pool) as api:
        (zh,) = (await api.get("/api/alerts", headers={"Accept-Language": "zh-CN,zh"})).json()
        (en,) = (await api.get("/api/alerts", headers={"Accept-Language": "en-US,en"})).json()

    assert zh["kind"] == en["kind"] == "missing_aid"
    assert "2017年秋季" in zh["detail"]
    assert not re.search(r"[A-Za-z]{3,}", zh["detail"]), zh
    assert re.search(r"[\u4e00-\u9fff]", zh["subject"]), zh
    assert en["detail"] == "no aid granted for 2017 autumn after the term's grant run"
    assert en["subject"].startswith(f"student {students[0]} (")


async def project_alerts(
    pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox, alerts_service: ServiceRuntime
) -> None:
    async def published() -> bool:
        return not await alerts_service.pool.fetchval("SELECT count(*) FROM alerts.outbox")

    await wait_for(published)
    info = await nc.jetstream().stream_info(stream_name("alerts", sandbox.namespace))
    runner = ProjectionRunner(
        pool, sandbox.database_url, nc, AlertsProjection(), namespace=sandbox.namespace
    )
    await runner.setup()
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))

    async def projected() -> bool:
        return await runner.checkpoint("alerts") >= info.state.last_seq

    await wait_for(projected)
    stop.set()
    await task


async def test_an_alert_recorded_as_version_1_keeps_its_stored_text_in_every_language(
    pool: asyncpg.Pool,
) -> None:
    raised = {
        "task_id": "1.2",
        "subject": "a student",
        "detail": "no aid",
        "raised_on": "2017-12-20",
    }
    async with pool.acquire() as conn:
        await setup_projection(conn, "reporting", AlertsProjection())
        await AlertsProjection().apply(conn, "reporting", [alert_event("AlertRaised", 1, **raised)])

    async with alerts_api(pool) as api:
        for lang in ("zh", "en"):
            (row,) = (await api.get(f"/api/alerts?lang={lang}")).json()
            assert (row["subject"], row["detail"]) == ("a student", "no aid")
