"""Faults against a running platform, on servers of the test's own: NATS killed during an
import and a grant, PostgreSQL stopped during a batch, a service and the projection killed,
a poison message, an oversize command. After each, the event store, the JetStream stream and
the read models must agree: nothing lost, nothing doubled, nothing frozen, no traceback."""

from __future__ import annotations

import asyncio
import time

import nats
import pytest

from contracts.files.sample_roster import PILOT_COUNTS, sample_rows, to_csv
from tests.chaos.conftest import record
from tests.chaos.platform import Platform, finished

pytestmark = pytest.mark.chaos

TERM = "2017-autumn"
STUDENTS = dict.fromkeys(PILOT_COUNTS, 400)  # 2,800 students
EXPECTED = sum(STUDENTS.values())


def roster(platform: Platform) -> str:
    path = platform.folder / "roster.csv"
    path.write_text(to_csv(sample_rows(counts=STUDENTS, seed=11)), encoding="utf-8")
    return str(path)


def clean(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr[-3000:]


async def test_nats_killed_during_an_import_and_a_grant(platform: Platform) -> None:
    importing = platform.eduplan("roster", "import", roster(platform), "--no-wait")
    await platform.recording("StudentRegistered")
    platform.nats.kill()
    await asyncio.sleep(1.0)
    platform.nats.start()
    code, out, err = finished(importing)
    assert code == 0, err
    clean(err)
    assert "registered" in out

    granting = platform.eduplan("aid", "grant", "--term", TERM, "--county", "610831")
    await platform.recording("AidGranted")
    platform.nats.kill()
    await asyncio.sleep(1.0)
    platform.nats.start()
    code, out, err = finished(granting)
    assert code == 0, err
    clean(err)

    counts = await platform.settled()
    assert counts.students_in_store == EXPECTED
    assert counts.grants_in_store > 0
    record("NATS kill -9 mid-import and mid-grant", **counts.row())


async def test_postgres_stopped_during_an_import(platform: Platform) -> None:
    file = roster(platform)
    importing = platform.eduplan("roster", "import", file, "--no-wait")
    await platform.recording("StudentRegistered")
    platform.pg.stop()
    await asyncio.sleep(1.5)
    platform.pg.start()
    code, _, err = finished(importing)
    clean(err)
    assert code in (0, 2), err
    if code == 2:  # said what is down, on one line
        assert "cannot reach its database" in err or "无法连接数据库" in err
    again = platform.eduplan("roster", "import", file)  # a rerun registers the rest, once
    code, _, err = finished(again)
    assert code == 0, err
    counts = await platform.settled()
    assert counts.students_in_store == EXPECTED
    record("PostgreSQL stop/start mid-import", **counts.row())


async def test_the_service_and_the_projection_killed_during_a_batch(platform: Platform) -> None:
    file = roster(platform)
    importing = platform.eduplan("roster", "import", file, "--no-wait")
    await platform.recording("StudentRegistered")
    platform.kill("assistance")
    platform.start("assistance")
    code, _, err = finished(importing)
    clean(err)
    if code != 0:  # the service was away longer than the resends: run it again
        code, _, err = finished(platform.eduplan("roster", "import", file, "--no-wait"))
    assert code == 0, err

    granting = platform.eduplan("aid", "grant", "--term", TERM, "--county", "610831", "--no-wait")
    await platform.recording("AidGranted")
    platform.kill("projection")
    await asyncio.sleep(0.5)
    platform.start("projection")
    code, _, err = finished(granting)
    assert code == 0, err
    clean(err)

    counts = await platform.settled()
    assert counts.students_in_store == EXPECTED
    record("service and projection kill -9 mid-batch", **counts.row())


async def test_a_poison_message_and_an_oversize_command(platform: Platform) -> None:
    code, _, err = finished(platform.eduplan("roster", "import", roster(platform)))
    assert code == 0, err
    nc = await nats.connect(platform.nats.url)
    try:
        await nc.jetstream().publish("events.assistance.610831.student.Poison", b"not an event")
        oversize = b'{"commands": [], "padding": "' + b"x" * 600_000 + b'"}'
        subject = "commands.assistance.aid_center.610000.chaos.register_student"
        reply = await nc.request(subject, oversize, timeout=5)
        assert b'"request_too_large"' in reply.data
    finally:
        await nc.close()
    deadline = time.monotonic() + 30
    while True:  # the poison stands aside; the rest goes on
        counts = await platform.counts()
        if counts.students_in_read_model == EXPECTED:
            break
        assert time.monotonic() < deadline, counts
        await asyncio.sleep(0.5)
    assert counts.messages_in_stream == counts.events_in_store + 1, "the poison is on the bus"
    row = counts.row() | {"messages in JetStream": f"{counts.messages_in_stream} (1 poison)"}
    record("poison message, oversize command", **row)
