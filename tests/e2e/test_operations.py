"""Operating the read models through the CLI and the HTTP API, against running services."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.envelope import EventEnvelope
from contracts.files.sample_roster import sample_rows, to_csv
from contracts.subjects import event_subject
from shared.jetstream import connect_nats
from shared.testing import wait_for
from tests.e2e.conftest import System

pytestmark = pytest.mark.e2e


def ok(system: System, *args: str) -> Any:
    result = system.eduplan(*args, "--json")
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


async def caught_up(system: System) -> None:
    async def no_lag() -> bool:
        status = system.get("/admin/projections")
        return all(v["lag"] == 0 for r in status for v in r["sources"].values())

    await wait_for(no_lag, timeout=60, interval=0.2)


async def test_rebuild_dead_letters_and_time_travel_from_the_command_line(system: System) -> None:
    roster = system.workdir / "roster.csv"
    roster.write_text(to_csv(sample_rows(counts=None, seed=5)[:300]), encoding="utf-8")
    ok(system, "roster", "import", str(roster), "--school-year", "2017")
    ok(system, "aid", "grant", "--term", "2017-autumn", "--county", "610831")
    await caught_up(system)
    status = {r["projection"]: r for r in ok(system, "projection", "status")}
    assert status["aid_coverage"]["sources"]["assistance"]["lag"] == 0
    before = system.get("/api/aid-coverage?term=2017-autumn")

    rebuilt = ok(system, "projection", "rebuild", "aid_coverage")
    assert rebuilt["state"] == "done"
    assert sum(rebuilt["reached"].values()) >= sum(rebuilt["targets"].values()) > 0
    assert system.get("/api/aid-coverage?term=2017-autumn") == before

    empty = system.get("/api/aid-coverage?term=2017-autumn&as_of=2000-01-01")
    assert sum(r["registered"] for r in empty) == 0
    position = status["aid_coverage"]["sources"]["assistance"]["stream_last"]
    assert system.get(f"/api/aid-coverage?term=2017-autumn&as_of_position={position}") == before

    poison = EventEnvelope(
        event_id=uuid.uuid4(),
        event_type="StudentRegistered",
        schema_version=2,
        service="assistance",
        position=999_999,
        stream_id=str(uuid.uuid4()),
        stream_type="student",
        version=1,
        county="610831",
        occurred_at=datetime.now(UTC),
        recorded_at=datetime.now(UTC),
        actor="tester",
        department="aid_center",
        correlation_id=uuid.uuid4(),
        causation_id=None,
        command_id=None,
        payload={"student_id": "not-a-uuid", "county": "610831"},
    )
    nc = await connect_nats(system.sandbox.nats_url, "e2e-poison")
    subject = event_subject(
        "assistance", "610831", "student", "StudentRegistered", system.sandbox.namespace
    )
    await nc.jetstream().publish(subject, poison.model_dump_json().encode())
    await nc.close()
    await caught_up(system)
    letters = ok(system, "projection", "dead-letters", "--projection", "aid_coverage")
    assert letters["count"] == 1
    assert letters["dead_letters"][0]["event_id"] == str(poison.event_id)
    retried = system.eduplan("projection", "retry-dead-letters", "--projection", "aid_coverage")
    assert retried.returncode == 1
    assert "0 applied, 1 still dead" in retried.stdout
    assert system.get("/api/aid-coverage?term=2017-autumn") == before
