"""Erasure of a student's personal data from every copy, on real servers: a NATS server this
test starts (so its JetStream files can be read), PostgreSQL (pg_dump of the test's
database), the read models and a replay of them; export of one person; master-key rotation."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from nats.aio.client import Client as NATS

from contracts.assistance.commands import EraseStudentPersonalData
from contracts.envelope import Accepted, Rejected
from contracts.evaluation.commands import EraseQualityActivityExperts, EraseResearchVisitExperts
from contracts.files.guidance_plan import guidance_plan
from contracts.pairing.commands import ErasePairingPersonalData
from contracts.staffing.commands import EraseStaffPersonalData
from services.assistance.app import configure as configure_assistance
from services.cli import aid
from services.cli.common import Issuer
from services.projection.read_models.pairing.model import PairingProjection
from shared import personal_data
from shared.batch_apply import at_latest_version
from shared.commandbus import CommandClient, new_command
from shared.db import create_pool
from shared.eventstore import EventStore
from shared.jetstream import connect_nats
from shared.keystore import KeyStore, MasterKeyMissing, MasterKeys
from shared.projections import setup_projection
from shared.servers import EmbeddedNats, ServerEndpoints
from shared.service import ServiceRuntime, start_service
from shared.settings import Settings, get_settings
from shared.testing import Sandbox, create_sandbox, drop_sandbox, wait_for
from tests.support import evaluation as evaluation_support
from tests.support import pairing as pairing_support
from tests.support import staffing as staffing_support
from tests.support.builders import new_registry_id, register_student
from tests.support.projection import run_to_end, stream_last_seq

pytestmark = pytest.mark.integration

ERASED_NAME, KEPT_NAME, OTHER_NAME = "欧阳抹去", "司马留存", "诸葛其他"
FIGURE_TABLES = {
    "aid_students": "student_id",
    "aid_grants": "student_id, term, programme",
    "aid_assessments": "student_id, term",
}


@dataclass
class World:
    sandbox: Sandbox
    nats: EmbeddedNats
    pool: asyncpg.Pool
    nc: NATS
    client: CommandClient
    service: ServiceRuntime
    master: str

    def cli(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        settings = {"EDUPLAN_MASTER_KEY": self.master, "EDUPLAN_REPORT_WAIT": "0"} | env
        return subprocess.run(
            [sys.executable, "-m", "services.cli.main", *args],
            env=self.sandbox.env(**settings),
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip


@pytest.fixture
def master(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    key = MasterKeys.generate("test-1")
    monkeypatch.setenv("EDUPLAN_MASTER_KEY", key)
    get_settings.cache_clear()
    personal_data.reader.cache_clear()
    yield key
    get_settings.cache_clear()
    personal_data.reader.cache_clear()


@pytest.fixture
async def world(servers: ServerEndpoints, tmp_path: Path, master: str) -> AsyncIterator[World]:
    nats = EmbeddedNats(tmp_path / "nats")
    url = nats.start()
    box = await create_sandbox(url, servers.database_url, prefix="privacy")
    settings = Settings(nats_url=url, database_url=box.database_url, namespace=box.namespace)
    service = await start_service("assistance", configure_assistance, settings)
    pool = await create_pool(box.database_url)
    nc = await connect_nats(url, "tests")
    client = CommandClient(nc, "assistance", box.namespace, timeout=30)
    try:
        yield World(box, nats, pool, nc, client, service, master)
    finally:
        await nc.close()
        await pool.close()
        await service.close()
        await drop_sandbox(box)
        nats.stop()


async def published(world: World) -> int:
    """Wait until the outbox is empty; the stream's last sequence."""

    async def empty() -> bool:
        return not await world.pool.fetchval("SELECT count(*) FROM assistance.outbox")

    await wait_for(empty, timeout=60)
    return await stream_last_seq(world.nc, world.sandbox.namespace)


async def figures(pool: asyncpg.Pool, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t: [tuple(r) for r in await pool.fetch(f'SELECT * FROM "{schema}".{t} ORDER BY {k}')]
        for t, k in FIGURE_TABLES.items()
    }


async def names(pool: asyncpg.Pool, schema: str) -> set[str]:
    rows = await pool.fetch(f'SELECT name FROM "{schema}".aid_student_personal')
    return {r["name"] for r in rows}


async def every_table_text(pool: asyncpg.Pool) -> str:
    """Every row of every table of the database (read models, events, keys), as text."""
    tables = await pool.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables"
        " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        " AND table_type = 'BASE TABLE'"
    )
    texts = []
    for t in tables:
        rows = await pool.fetch(f'SELECT x::text FROM "{t[0]}"."{t[1]}" x')
        texts += [r[0] for r in rows]
    return "\n".join(texts)


def jetstream_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def pg_dump(dsn: str) -> str:
    done = subprocess.run(
        ["pg_dump", "--data-only", dsn], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout


async def test_an_erased_student_is_in_no_copy_and_a_replay_gives_the_same_figures(
    world: World,
) -> None:
    issuer = Issuer("aid_center")
    erased_id, kept_id = new_registry_id(), new_registry_id()
    lines = [
        register_student(registry=erased_id, name=ERASED_NAME),
        register_student(registry=kept_id, name=KEPT_NAME),
        register_student(name=OTHER_NAME, stage="junior", grade=1),
    ]
    results = await world.client.send([issuer.command(c) for c in lines])
    assert all(isinstance(r, Accepted) for r in results)
    ids = [r.stream_id for r in results if isinstance(r, Accepted)]
    await aid.grant_aid(world.client, ids, "2017-autumn", issuer, lambda n: None)
    last = await published(world)
    dsn = world.sandbox.database_url
    ns = world.sandbox.namespace
    await run_to_end(world.pool, dsn, world.nc, ns, "reporting", last)
    before = await figures(world.pool, "reporting")
    assert await names(world.pool, "reporting") == {ERASED_NAME, KEPT_NAME, OTHER_NAME}
    assert len(before["aid_grants"]) >= 3
    # sealed from the start: no copy of the events holds a name in clear
    events = await world.pool.fetch("SELECT data::text FROM assistance.events")
    assert not any(n in e[0] for e in events for n in (ERASED_NAME, KEPT_NAME, kept_id))

    erase = EraseStudentPersonalData(
        student_registry_id=erased_id, reason="request 2026-017", requested_by="basic_education_1"
    )
    first = await world.client.send([issuer.command(erase)])
    again = await world.client.send([issuer.command(erase)])
    assert isinstance(first[0], Accepted)
    assert first[0].event_types == ["PersonalDataErased"]
    assert isinstance(again[0], Accepted)
    assert again[0].event_ids == []  # idempotent
    last = await published(world)
    await run_to_end(world.pool, dsn, world.nc, ns, "reporting", last)

    assert await names(world.pool, "reporting") == {KEPT_NAME, OTHER_NAME}
    assert await figures(world.pool, "reporting") == before
    audit = await world.pool.fetchrow(
        "SELECT data, metadata FROM assistance.events WHERE event_type = 'PersonalDataErased'"
    )
    assert audit["data"]["requested_by"] == "basic_education_1"
    assert audit["data"]["reason"] == "request 2026-017"
    assert audit["metadata"]["department"] == "aid_center"
    refused = await world.client.send([issuer.command(lines[0])])
    assert isinstance(refused[0], Rejected)
    assert refused[0].code == "personal_data_erased"

    # a replay of the whole stream into fresh read models: the same figures, no erased name
    await run_to_end(world.pool, dsn, world.nc, ns, "replayed", last)
    assert await figures(world.pool, "replayed") == before
    assert await names(world.pool, "replayed") == {KEPT_NAME, OTHER_NAME}

    # every copy: the database dump, every table, the JetStream store files
    await world.nc.flush()
    dump, tables = pg_dump(dsn), await every_table_text(world.pool)
    files = jetstream_bytes(world.nats.data_dir / "jetstream")
    erased_student = ids[0]
    assert erased_student.encode() in files  # the files are searchable: its events are there
    assert erased_student in dump
    for secret in (ERASED_NAME, erased_id):
        assert secret not in dump
        assert secret not in tables
        assert secret.encode() not in files
    assert KEPT_NAME in dump  # another student's name is still readable where it may be
    assert KEPT_NAME in tables


async def test_one_student_s_data_is_exported_decrypted_and_reads_null_once_erased(
    world: World,
) -> None:
    issuer = Issuer("aid_center")
    registry = new_registry_id()
    (result,) = await world.client.send(
        [issuer.command(register_student(registry=registry, name=KEPT_NAME))]
    )
    assert isinstance(result, Accepted)
    await aid.grant_aid(world.client, [result.stream_id], "2017-autumn", issuer, lambda n: None)

    done = await asyncio.to_thread(world.cli, "privacy", "export", "--student", registry)
    assert done.returncode == 0, done.stderr
    exported = json.loads(done.stdout)
    assert exported["personal"]["name"] == KEPT_NAME
    assert exported["personal"]["student_registry_id"] == registry
    types = [e["event_type"] for e in exported["events"]]
    assert types[0] == "StudentRegistered"
    assert "AidGranted" in types
    assert exported["events"][0]["payload"]["personal"]["name"] == KEPT_NAME

    as_csv = await asyncio.to_thread(
        world.cli, "privacy", "export", "--student", registry, "--format", "csv"
    )
    assert as_csv.returncode == 0, as_csv.stderr
    assert (
        as_csv.stdout.splitlines()[0] == "version,event_type,recorded_at,actor,department,payload"
    )
    assert KEPT_NAME in as_csv.stdout

    erased = await asyncio.to_thread(
        world.cli, "privacy", "erase", "--student", registry,
        "--reason", "request 7", "--requested-by", "aid_center",
    )  # fmt: skip
    assert erased.returncode == 0, erased.stderr
    after = json.loads(
        (await asyncio.to_thread(world.cli, "privacy", "export", "--student", registry)).stdout
    )
    assert after["erased"] is True
    assert after["personal"] is None
    assert after["events"][0]["payload"]["personal"] is None
    assert KEPT_NAME not in json.dumps(after, ensure_ascii=False)

    elsewhere = await asyncio.to_thread(
        world.cli, "privacy", "export", "--student", registry, EDUPLAN_JURISDICTION="610802"
    )
    assert elsewhere.returncode != 0
    assert "outside_jurisdiction" in elsewhere.stderr or "610802" in elsewhere.stderr
    assert KEPT_NAME not in elsewhere.stdout + elsewhere.stderr

    unknown = await asyncio.to_thread(
        world.cli, "privacy", "export", "--student", new_registry_id()
    )
    assert unknown.returncode == 1
    assert "no registered student" in unknown.stderr


async def test_master_key_rotation_rewraps_the_keys_and_rewrites_no_event(world: World) -> None:
    issuer = Issuer("aid_center")
    results = await world.client.send(
        [issuer.command(register_student(name=KEPT_NAME)) for _ in range(3)]
    )
    assert all(isinstance(r, Accepted) for r in results)
    events_before = await world.pool.fetch("SELECT data::text FROM assistance.events ORDER BY 1")
    old = MasterKeys.parse(world.master)
    new_text = MasterKeys.generate("test-2")
    new = MasterKeys.parse(new_text)

    done = await asyncio.to_thread(
        world.cli, "privacy", "rotate-master-key", EDUPLAN_MASTER_KEY=f"{new_text},{world.master}"
    )
    assert done.returncode == 0, done.stderr
    assert "3 data keys re-wrapped with master key test-2" in done.stdout

    rows = await world.pool.fetch("SELECT key_id, master_key_id FROM keystore.data_keys")
    assert {r["master_key_id"] for r in rows} == {"test-2"}
    key_ids = [r["key_id"] for r in rows]
    async with world.pool.acquire() as conn:
        opened = await KeyStore(new).fetch(conn, key_ids)
        assert all(isinstance(k, bytes) for k in opened.values())
        with pytest.raises(MasterKeyMissing):
            await KeyStore(old).fetch(conn, key_ids)
    data = await world.pool.fetch("SELECT data FROM assistance.events WHERE event_type = $1",
                                  "StudentRegistered")  # fmt: skip
    sealed = data[0]["data"]["personal"]
    key = opened[sealed["key_id"]]
    assert key is not None
    assert personal_data.open_part(key, sealed)["name"] == KEPT_NAME
    assert await world.pool.fetch("SELECT data::text FROM assistance.events ORDER BY 1") == (
        events_before
    )
    wrong = await asyncio.to_thread(
        world.cli, "privacy", "rotate-master-key", EDUPLAN_MASTER_KEY="m:short"
    )
    assert wrong.returncode == 2
    assert "master key" in wrong.stderr


async def test_a_pairing_record_s_names_are_erased_and_its_figures_stay(
    pool: asyncpg.Pool, master: str
) -> None:
    store = EventStore(pool, "pairing")
    await store.setup()
    processor = pairing_support.processor_for(store)
    on = pairing_support.START + timedelta(days=30)
    kept, erased = uuid4(), uuid4()
    commands = [
        pairing_support.establish(),
        pairing_support.teachers(on, record=kept),
        pairing_support.lesson(on, record=erased),
    ]
    for c in commands:
        (result,) = await processor.handle([new_command(c, department="basic_ed_2")])
        assert isinstance(result, Accepted), result
    model = PairingProjection()

    async def project(schema: str, after: int = 0) -> int:
        events = await store.read_all(after)
        async with pool.acquire() as conn:
            await setup_projection(conn, schema, model)
            async with conn.transaction():
                await model.apply(
                    conn, schema, [at_latest_version(e.envelope("pairing")) for e in events]
                )
        return events[-1].position

    async def rows(schema: str, table: str) -> list[tuple[Any, ...]]:
        return [
            tuple(r) for r in await pool.fetch(f'SELECT * FROM "{schema}".{table} ORDER BY 1, 2')
        ]

    seen = await project("reporting")
    before = await rows("reporting", "pairing_activities")
    assert {r[2] for r in await rows("reporting", "pairing_personal")} == {"陈明", "张敏", "刘洋"}

    erase = ErasePairingPersonalData(
        county=pairing_support.COUNTY,
        helped_school_id=pairing_support.SCHOOL,
        record_id=erased,
        reason="request 9",
        requested_by="personnel",
    )
    (first,) = await processor.handle([new_command(erase, department="personnel")])
    (again,) = await processor.handle([new_command(erase, department="personnel")])
    assert isinstance(first, Accepted)
    assert first.event_types == ["PairingPersonalDataErased"]
    assert isinstance(again, Accepted)
    assert again.event_ids == []
    await project("reporting", after=seen)
    await project("replayed")

    for schema in ("reporting", "replayed"):
        assert {r[2] for r in await rows(schema, "pairing_personal")} == {"张敏", "刘洋"}
        assert await rows(schema, "pairing_activities") == before
    assert "陈明" not in await every_table_text(pool)
    other = ErasePairingPersonalData(**(erase.model_dump() | {"record_id": uuid4()}))
    (unknown,) = await processor.handle([new_command(other, department="personnel")])
    assert isinstance(unknown, Rejected)
    assert unknown.code == "unknown_record"


async def test_a_master_teacher_s_name_is_erased_and_the_posts_work_on(
    pool: asyncpg.Pool, master: str
) -> None:
    store = EventStore(pool, "staffing")
    await store.setup()
    processor = staffing_support.processor_for(store)
    dispatched = staffing_support.dispatch(name="欧阳名师")
    (result,) = await processor.handle([new_command(dispatched, department="teacher_division")])
    assert isinstance(result, Accepted), result
    erase = EraseStaffPersonalData(
        county=dispatched.county,
        subject="teacher",
        subject_id=dispatched.teacher_id,
        reason="request 11",
        requested_by="office",
    )

    (first,) = await processor.handle([new_command(erase, department="teacher_division")])
    (again,) = await processor.handle([new_command(erase, department="teacher_division")])

    assert isinstance(first, Accepted)
    assert first.event_types == ["StaffPersonalDataErased"]
    assert isinstance(again, Accepted)
    assert again.event_ids == []
    key_id = f"teacher:{dispatched.teacher_id}"
    async with pool.acquire() as conn:
        assert await (await processor.personal_data()).keystore.fetch(conn, [key_id]) == {
            key_id: None
        }
    arrived = staffing_support.arrival(dispatched, date(2017, 9, 4))
    (after,) = await processor.handle([new_command(arrived, department="teacher_division")])
    assert isinstance(after, Accepted), after  # the post's stream still loads and decides
    elsewhere = staffing_support.dispatch(
        teacher_id=dispatched.teacher_id, subject="english", start="2019-autumn", end="2020-spring"
    )
    (refused,) = await processor.handle([new_command(elsewhere, department="teacher_division")])
    assert isinstance(refused, Rejected)
    assert refused.code == "personal_data_erased"


async def test_the_experts_of_a_visit_and_an_activity_are_erased_and_their_figures_stay(
    pool: asyncpg.Pool, master: str
) -> None:
    store = EventStore(pool, "evaluation")
    await store.setup()
    processor = evaluation_support.processor_for(store)
    visit, activity = uuid4(), uuid4()
    commands = [
        guidance_plan(evaluation_support.COUNTY, 2017),
        evaluation_support.plan_visit(visit_id=visit),
        evaluation_support.quality_activity(activity_id=activity),
    ]
    for c in commands:
        department = (
            "basic_ed_2" if "Activity" in type(c).__name__ else "education_science_institute"
        )
        (result,) = await processor.handle([new_command(c, department=department)])
        assert isinstance(result, Accepted), result
    erasures = [
        (
            EraseResearchVisitExperts(
                county=evaluation_support.COUNTY, year=2017, visit_id=visit,
                reason="request 12", requested_by="office",
            ),
            "education_science_institute",
        ),
        (
            EraseQualityActivityExperts(
                county=evaluation_support.COUNTY, activity_id=activity,
                reason="request 13", requested_by="office",
            ),
            "basic_ed_2",
        ),
    ]  # fmt: skip

    for erase, department in erasures:
        (first,) = await processor.handle([new_command(erase, department=department)])
        (again,) = await processor.handle([new_command(erase, department=department)])
        assert isinstance(first, Accepted), first
        assert isinstance(again, Accepted)
        assert again.event_ids == []

    keys = [f"record:{visit}", f"record:{activity}"]
    async with pool.acquire() as conn:
        found = await (await processor.personal_data()).keystore.fetch(conn, keys)
    assert found == dict.fromkeys(keys)
    events = await store.read_all(0)
    stored = json.dumps([e.data for e in events], ensure_ascii=False)
    for name in evaluation_support.EXPERTS.experts:
        assert name not in stored
    assert [e.data["expert_count"] for e in events if "expert_count" in e.data] == [2, 2]
    held = evaluation_support.record_visit(visit_id=visit)
    (refused,) = await processor.handle(
        [new_command(held, department="education_science_institute")]
    )
    assert isinstance(refused, Rejected)
    assert refused.code == "personal_data_erased"
