"""The audit trail built by the real runner from the assistance service's stream (and a stream
that appears later), searched by every filter against the service's own event store."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client as NATS

from contracts.assistance.commands import (
    AnswerPublicFunds,
    GrantTermAid,
    LoadAidCatalogue,
    PayAid,
    RecordLeaving,
    RequestPublicFunds,
    ResolveDropoutAlert,
)
from contracts.assistance.types import (
    AlertResolution,
    FundsDecision,
    LeaveReason,
    PaymentChannel,
)
from contracts.envelope import Accepted, EventEnvelope, Rejected
from contracts.files.aid_catalogue import read_catalogue_file
from contracts.files.roster import parse_roster
from contracts.files.sample_roster import sample_rows, to_csv
from contracts.subjects import event_subject
from contracts.types import Stage
from services.cli import aid
from services.cli.common import Issuer
from services.projection.http import Download, HttpError
from services.projection.read_models import audit
from services.projection.read_models.assistance import reports as aid_reports
from services.projection.read_models.audit import AuditProjection
from shared.commandbus import CommandClient, new_command
from shared.jetstream import ensure_stream
from shared.moments import CHINA
from shared.projections import ProjectionRunner
from shared.service import ServiceRuntime
from shared.testing import Sandbox, wait_for
from tests.support.projection import fill_through_service, run_to_end, stream_last_seq

pytestmark = pytest.mark.integration

TERM = "2017-autumn"
SPRING = "2018-spring"
MIXED = {
    Stage.PRESCHOOL: 4,
    Stage.PRIMARY: 8,
    Stage.JUNIOR: 5,
    Stage.HIGH_SCHOOL: 4,
    Stage.UNDERGRADUATE: 3,
}
EXAMPLES = Path(__file__).parents[2] / "contracts" / "examples"
Source = list[asyncpg.Record]


@asynccontextmanager
async def audit_runner(
    pool: asyncpg.Pool, sandbox: Sandbox, nc: NATS
) -> AsyncIterator[ProjectionRunner]:
    """The audit projection kept up to date by the real runner while the block runs."""
    runner = ProjectionRunner(
        pool, sandbox.database_url, nc, AuditProjection(), "reporting", sandbox.namespace
    )
    await runner.setup()
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        yield runner
    finally:
        stop.set()
        await task


async def reached(runner: ProjectionRunner, targets: dict[str, int]) -> None:
    async def there() -> bool:
        return all([await runner.checkpoint(s) >= seq for s, seq in targets.items()])

    await wait_for(there, timeout=60)


async def published(pool: asyncpg.Pool) -> None:
    async def empty() -> bool:
        return not await pool.fetchval("SELECT count(*) FROM assistance.outbox")

    await wait_for(empty, timeout=60)


def as_actor(client: CommandClient, actor: str) -> CommandClient:
    """The same client, sending as another NATS user (the actor of its events)."""
    return CommandClient(client.nc, client.service, client.namespace, client.timeout, actor=actor)


async def accepted(client: CommandClient, *commands: Any) -> list[Accepted]:
    results = [r for c in commands for r in await client.send([c])]
    assert all(isinstance(r, Accepted) for r in results), results
    return [r for r in results if isinstance(r, Accepted)]


def ids(found: dict[str, Any]) -> list[str]:
    return [e["event_id"] for e in found["events"]]


async def search(pool: asyncpg.Pool, **params: str) -> dict[str, Any]:
    return dict(await audit.events(pool, "reporting", {"limit": "10000", **params}))


async def source(pool: asyncpg.Pool, condition: str = "TRUE", *args: Any) -> list[str]:
    """Event ids of the service's own store, in trail order, for a condition on it."""
    rows = await pool.fetch(
        f"SELECT event_id FROM assistance.events WHERE {condition} ORDER BY recorded_at, position",
        *args,
    )
    return [str(r["event_id"]) for r in rows]


def staffing_event() -> EventEnvelope:
    """A staffing event with personal data, shaped as the published example."""
    example = json.loads((EXAMPLES / "staffing/events/MenteeAssigned.v1.json").read_text())
    return EventEnvelope.model_validate(
        {**example, "event_id": str(uuid.uuid4()), "version": 1, "position": 1}
    )


async def test_the_audit_trail_answers_every_search_exactly(
    assistance: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    # Given a mixed roster of 610831 registered and granted by one clerk ...
    clerk, zhang = Issuer("aid_center"), as_actor(client, "zhang_aid")
    lines = list(parse_roster(to_csv(sample_rows("610831", MIXED, seed=7)).encode()))
    await aid.import_roster(zhang, lines, clerk, lambda n: None)
    students = await aid.registered_students(zhang, "610831")
    await aid.grant_aid(zhang, students, TERM, clerk, lambda n: None)
    await published(pool)
    middle = await pool.fetchval("SELECT clock_timestamp()")

    # ... then preschool children of 610802 by another, and finance and a dropout case.
    await fill_through_service(client, pool, 12, (TERM,), county="610802")
    finance, li = Issuer("finance"), as_actor(client, "li_finance")
    funds = [
        finance.command(
            RequestPublicFunds(
                request_id="ZZ-2017-01",
                county="610831",
                school_year=2017,
                students=10,
                rate_per_student=Decimal("500.00"),
                requested_amount=Decimal("5000.00"),
                requested_on=date(2017, 9, 20),
            )
        ),
        finance.command(
            AnswerPublicFunds(
                request_id="ZZ-2017-01",
                county="610831",
                decision=FundsDecision.APPROVED,
                approved_amount=Decimal("5000.00"),
                answered_on=date(2017, 10, 8),
            )
        ),
    ]
    await accepted(li, *funds)
    grant = await pool.fetchrow(
        "SELECT stream_id, data FROM assistance.events WHERE event_type = 'AidGranted'"
        " AND county = '610831' AND data->>'stage' = 'primary' ORDER BY position LIMIT 1"
    )
    pupil = grant["stream_id"]
    payment = new_command(
        PayAid(
            student_id=uuid.UUID(pupil),
            term=TERM,
            programme=grant["data"]["programme"],
            amount=Decimal(grant["data"]["amount"]),
            paid_on=date(2017, 10, 10),
            channel=PaymentChannel.ONE_CARD_ACCOUNT,
            reference="ZZ-PAY-1",
        ),
        department="finance",
    )
    teacher = Issuer("aid_center")
    leaving = teacher.command(
        RecordLeaving(
            student_id=uuid.UUID(pupil), reason=LeaveReason.DROPPED_OUT, left_on=date(2017, 11, 3)
        )
    )
    resolving = teacher.command(
        ResolveDropoutAlert(
            student_id=uuid.UUID(pupil),
            resolution=AlertResolution.EXEMPTED,
            resolved_on=date(2017, 11, 20),
        )
    )
    await accepted(li, payment)
    await accepted(as_actor(client, "wang_aid"), leaving, resolving)
    refused = new_command(
        GrantTermAid(student_id=uuid.UUID(pupil), term="2018-spring"),
        department="finance",
    )
    (rejection,) = await li.send([refused])
    assert isinstance(rejection, Rejected)
    await published(pool)
    last = await stream_last_seq(nc, sandbox.namespace)

    # When the audit projection is built by the runner, and a staffing stream appears late,
    async with audit_runner(pool, sandbox, nc) as runner:
        await asyncio.sleep(0.3)
        await ensure_stream(nc.jetstream(), "staffing", sandbox.namespace)
        mentee = staffing_event()
        subject = event_subject(
            "staffing", mentee.county, mentee.stream_type, mentee.event_type, sandbox.namespace
        )
        await nc.jetstream().publish(subject, mentee.model_dump_json().encode())
        await reached(runner, {"assistance": last, "staffing": 1})

    # then it holds every event once, in the order each service recorded them
    everything = await source(pool)
    assert len(everything) == last
    assert ids(await search(pool, service="assistance")) == everything
    found = await search(pool)
    assert found["count"] == last + 1
    assert ids(found) == [str(mentee.event_id), *everything], "the 2017 staffing event first"

    # and each filter finds exactly what the service's own store says.
    expected_by: dict[str, list[str]] = {
        "actor=zhang_aid": await source(pool, "metadata->>'actor' = 'zhang_aid'"),
        "actor=li_finance": await source(pool, "metadata->>'actor' = 'li_finance'"),
        "department=finance": await source(pool, "metadata->>'department' = 'finance'"),
        "county=610802": await source(pool, "county = '610802'"),
        f"stream_id={pupil}": await source(pool, "stream_id = $1", pupil),
        "event_type=DropoutAlertRaised,DropoutAlertResolved": await source(
            pool, "event_type IN ('DropoutAlertRaised', 'DropoutAlertResolved')"
        ),
        "stream_type=catalogue": await source(pool, "stream_type = 'catalogue'"),
        f"correlation_id={finance.correlation_id}": await source(
            pool, "metadata->>'correlation_id' = $1", str(finance.correlation_id)
        ),
        f"command_id={leaving.command_id}": await source(
            pool, "metadata->>'command_id' = $1", str(leaving.command_id)
        ),
        f"since={middle.isoformat()}": await source(pool, "recorded_at >= $1", middle),
        '{"payload": {"term": "2017-autumn", "stage": "junior"}}': await source(
            pool, """data @> '{"term": "2017-autumn", "stage": "junior"}'"""
        ),
    }
    assert len(expected_by["actor=li_finance"]) == 3, "two funds events and a payment"
    assert len(expected_by["department=finance"]) > 3, "and the catalogue loaded at start-up"
    assert len(expected_by[f"command_id={leaving.command_id}"]) == 2, "left school, alert"
    assert len(expected_by[f"correlation_id={finance.correlation_id}"]) == 2
    for key, expected in expected_by.items():
        if key.startswith("{"):
            params = {k: json.dumps(v) for k, v in json.loads(key).items()}
        else:
            name, _, value = key.partition("=")
            params = {name: value}
        found = await search(pool, **params)
        assert expected, key
        assert (found["count"], ids(found)) == (len(expected), expected), key
    assert ids(await search(pool, department="teacher_division")) == [str(mentee.event_id)]
    assert not (await search(pool, command_id=str(refused.command_id)))["events"]

    before_middle = await search(pool, service="assistance", until=middle.isoformat())
    assert ids(before_middle) == await source(pool, "recorded_at <= $1", middle)
    today = datetime.now(UTC).astimezone(CHINA).date().isoformat()
    assert (await search(pool, since=today))["count"] == last, "a date is the whole day (CST)"
    assert ids(await search(pool, until="2017-11-20")) == [str(mentee.event_id)]
    assert not (await search(pool, until="2017-11-19"))["events"]

    # Pages, put together, are the whole set once.
    paged: list[str] = []
    after: str | None = None
    while True:
        page = await search(pool, county="610831", limit="7", **({"after": after} if after else {}))
        paged += ids(page)
        after = page["next"]
        if after is None:
            break
    assert paged == [str(mentee.event_id), *await source(pool, "county = '610831'")]
    assert page["count"] == len(paged)

    # The CSV export holds the same rows, page by page too.
    exported: list[dict[str, str]] = []
    after = None
    while True:
        params = {"county": "610831", "limit": "50", **({"after": after} if after else {})}
        download = await audit.export(pool, "reporting", params)
        assert isinstance(download, Download)
        assert download.body.startswith("\ufeffevent_id,".encode()), "Excel reads it as UTF-8"
        rows = list(csv.DictReader(io.StringIO(download.body.decode("utf-8-sig"))))
        assert download.headers["Eduplan-Rows"] == str(len(rows))
        exported += rows
        after = download.headers.get("Eduplan-Next")
        if after is None:
            break
    listed = (await search(pool, county="610831"))["events"]
    assert [r["event_id"] for r in exported] == [e["event_id"] for e in listed]
    for row, event in zip(exported, listed, strict=True):
        assert json.loads(row["payload"]) == event["payload"]
        assert (row["actor"], row["version"]) == (event["actor"], str(event["version"]))
        assert datetime.fromisoformat(row["recorded_at"]) == datetime.fromisoformat(
            event["recorded_at"]
        )

    # No personal data is kept: not the part, not a name from it.
    assert not await pool.fetchval(
        "SELECT count(*) FROM reporting.audit_events WHERE payload::text LIKE '%personal%'"
    )
    with_personal = await pool.fetchval(
        "SELECT count(*) FROM assistance.events WHERE data ? 'personal'"
    )
    assert with_personal == len(students) + 12
    assert (
        await pool.fetchval("SELECT count(*) FROM reporting.audit_events WHERE has_personal")
        == with_personal + 1
    )
    name = await pool.fetchval(
        "SELECT data->'personal'->>'name' FROM assistance.events WHERE data ? 'personal' LIMIT 1"
    )
    assert not await pool.fetchval(
        "SELECT count(*) FROM reporting.audit_events WHERE payload::text LIKE $1", f"%{name}%"
    )


async def test_the_events_behind_a_figure_are_the_facts_it_counts(
    assistance: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    clerk = Issuer("aid_center")
    for county, seed in (("610831", 11), ("610802", 12)):
        lines = list(parse_roster(to_csv(sample_rows(county, MIXED, seed=seed)).encode()))
        await aid.import_roster(client, lines, clerk, lambda n: None)
        students = await aid.registered_students(client, county)
        await aid.grant_aid(client, students, TERM, clerk, lambda n: None)
    # From 2018-spring only preschool is aided: the others are assessed and granted nothing.
    preschool = [p for p in read_catalogue_file() if Stage.PRESCHOOL in p.amounts]
    await accepted(
        client, clerk.command(LoadAidCatalogue(effective_from=SPRING, programmes=preschool))
    )
    await aid.grant_aid(client, students, SPRING, clerk, lambda n: None)
    await published(pool)
    last = await stream_last_seq(nc, sandbox.namespace)
    async with audit_runner(pool, sandbox, nc) as runner:
        await reached(runner, {"assistance": last})
    await run_to_end(pool, sandbox.database_url, nc, sandbox.namespace, "reporting", last)

    async def behind(**params: str) -> dict[str, Any]:
        return dict(await audit.behind(pool, "reporting", {"limit": "10000", **params}))

    for area in ("610831", "610802", None):
        coverage = await aid_reports.coverage(pool, "reporting", TERM, area)
        for row in coverage:
            where = {"county": area} if area else {}
            found = await behind(figure="aid-coverage", term=TERM, stage=row["stage"], **where)
            grants = await pool.fetch(
                "SELECT event_id, student_id FROM reporting.aid_grants WHERE term = $1"
                " AND stage = $2 AND ($3::text IS NULL OR county = $3)",
                TERM,
                row["stage"],
                area,
            )
            assert found["count"] == len(grants), (area, row["stage"])
            assert sorted(ids(found)) == sorted(str(g["event_id"]) for g in grants)
            aided = {e["payload"]["student_id"] for e in found["events"]}
            assert len(aided) == row["aided"], (area, row["stage"])
            assert {e["event_type"] for e in found["events"]} <= {"AidGranted"}
    primary = await behind(figure="aid-coverage", term=TERM, stage="primary", county="610831")
    assert primary["count"] >= MIXED[Stage.PRIMARY], "one grant or more for each"
    assert primary["search"]["payload"] == json.dumps({"term": TERM, "stage": "primary"})

    nothing = await behind(figure="aid-missing", term=SPRING, county="610802")
    expected = await source(
        pool,
        "event_type = 'StudentAidAssessed' AND county = '610802'"
        " AND data->>'term' = $1 AND data->'entitled' = '[]'",
        SPRING,
    )
    assert len(expected) == len(students) - MIXED[Stage.PRESCHOOL]
    assert ids(nothing) == expected
    assert all(e["payload"]["reason"] for e in nothing["events"])
    missing = await aid_reports.missing_aid(pool, "reporting", SPRING, "610802")
    assert {e["payload"]["student_id"] for e in nothing["events"]} == {
        m["student_id"] for m in missing
    }
    assert not (await behind(figure="aid-missing", term=TERM, county="610802"))["events"]

    with pytest.raises(HttpError) as refused:
        await behind(figure="aid-coverage", term=TERM, stage="primary", school_year="2017")
    assert refused.value.status == 400
    with pytest.raises(HttpError) as refused:
        await audit.events(pool, "reporting", {"payload_path": "$.entitled.size( =="})
    assert refused.value.status == 400
