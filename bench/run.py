"""`make bench`: throughput of the write and read paths, beside the raw limits of this machine.

Everything is measured in one run on the same servers, so the ratios mean something even when
the machine is slower or busier than usual. Prints a table and writes bench/results/latest.json.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import nats
from nats.aio.client import Client as NATS

from contracts.assistance.queries import ListStudentIds, StudentIdPage
from contracts.files.roster import parse_roster
from contracts.files.sample_roster import sample_rows, to_csv
from contracts.subjects import stream_name
from services.cli import aid
from services.projection.read_models.assistance.coverage import AidCoverageProjection
from shared.commandbus import CommandClient
from shared.db import create_pool
from shared.jetstream import connect_nats
from shared.logging import configure_logging
from shared.projections import ProjectionRunner, tune_gc_for_batches
from shared.testing import (
    Sandbox,
    create_sandbox,
    drop_sandbox,
    server_state_dir,
    start_process,
    stop_process,
    test_servers,
    wait_for,
)

COUNTIES = ("610831", "610802", "610803")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def copy_limit(dsn: str, rows: int = 100_000) -> float:
    """Rows per second asyncpg's COPY reaches into an events-shaped table."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TEMP TABLE copy_probe (event_id uuid, stream_id text, version int,"
            " event_type text, data text)"
        )
        data = json.dumps({"student_id": str(uuid.uuid4()), "note": "x" * 400})
        records = [(uuid.uuid4(), f"s{i}", 1, "AidGranted", data) for i in range(rows)]
        start = time.perf_counter()
        await conn.copy_records_to_table("copy_probe", records=records)
        return rows / (time.perf_counter() - start)
    finally:
        await conn.close()


async def publish_limit(nats_url: str, namespace: str, messages: int = 30_000) -> float:
    """Messages per second of pipelined JetStream publishing with Nats-Msg-Id."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    name = stream_name("probe", namespace)
    await js.add_stream(name=name, subjects=[f"{namespace}.probe.>"])
    body = json.dumps({"payload": "x" * 900}).encode()
    try:
        start = time.perf_counter()
        futures = [
            await js.publish_async(
                f"{namespace}.probe.x", body, headers={"Nats-Msg-Id": str(uuid.uuid4())}
            )
            for _ in range(messages)
        ]
        await asyncio.gather(*futures)
        return messages / (time.perf_counter() - start)
    finally:
        await js.delete_stream(name)
        await nc.close()


async def main() -> None:
    configure_logging("WARNING")
    workdir = Path(tempfile.mkdtemp(prefix="eduplan-bench-"))
    endpoints = test_servers(server_state_dir("eduplan-bench-servers-"))
    sandbox = await create_sandbox(endpoints.nats_url, endpoints.database_url, prefix="bench")
    service = start_process("services.assistance", sandbox.env(), workdir / "assistance.log")
    results: dict[str, float] = {}
    try:
        say("raw limits ...")
        results["copy_rows_per_s"] = await copy_limit(sandbox.database_url)
        results["publish_msgs_per_s"] = await publish_limit(sandbox.nats_url, sandbox.namespace)
        nc = await connect_nats(sandbox.nats_url, "bench")
        pool = await create_pool(sandbox.database_url)
        client = CommandClient(nc, "assistance", sandbox.namespace)
        await wait_for(lambda: _service_ready(client), timeout=60)
        results.update(await write_path(client))
        results["projection_events_per_s"] = await projection_catch_up(pool, nc, sandbox)
        await pool.close()
        await nc.close()
    finally:
        stop_process(service)
        await drop_sandbox(sandbox)
        endpoints.stop_all()
    report(results)


async def write_path(client: CommandClient) -> dict[str, float]:
    """Import a three-county roster from CSV text, then grant a term to everyone."""
    raw = "".join(to_csv(sample_rows(c, seed=i)).split("\n", 1)[1] for i, c in enumerate(COUNTIES))
    roster = to_csv([]) + raw
    say(f"roster import of {roster.count(chr(10)) - 1} students ...")
    issuer = aid.Issuer("aid_center")
    start = time.perf_counter()
    lines = list(parse_roster(roster.encode()))
    outcome = await aid.import_roster(client, lines, issuer, lambda n: None)
    imported = len(lines) / (time.perf_counter() - start)
    assert outcome.counts["registered"] == len(lines), outcome.counts

    say("grant-aid for 2017-autumn ...")
    start = time.perf_counter()
    for county in COUNTIES:
        ids = await aid.registered_students(client, county)
        await aid.grant_aid(client, ids, "2017-autumn", issuer, lambda n: None)
    granted = len(lines) / (time.perf_counter() - start)
    return {"import_students_per_s": imported, "grant_students_per_s": granted}


async def projection_catch_up(pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox) -> float:
    """Build the aid read model from the first event of the service's stream, in a new schema."""

    async def outbox_empty() -> bool:
        return not await pool.fetchval("SELECT count(*) FROM assistance.outbox")

    await wait_for(outbox_empty, timeout=300)
    events = await pool.fetchval("SELECT count(*) FROM assistance.events")
    say(f"projection catch-up over {events} events ...")
    tune_gc_for_batches()  # as the projection service does at start
    runner = ProjectionRunner(
        pool,
        sandbox.database_url,
        nc,
        AidCoverageProjection(),
        "bench_reporting",
        sandbox.namespace,
    )
    await runner.setup()
    stop = asyncio.Event()
    start = time.perf_counter()
    task = asyncio.create_task(runner.run(stop))

    async def caught_up() -> bool:
        return await runner.checkpoint("assistance") >= events

    await wait_for(caught_up, timeout=300, interval=0.01)
    rate = events / (time.perf_counter() - start)
    stop.set()
    await task
    return float(rate)


async def _service_ready(client: CommandClient) -> bool:
    try:
        await client.query(ListStudentIds(county="000000", limit=1), StudentIdPage)
    except Exception:
        return False
    return True


def report(r: dict[str, float]) -> None:
    rows = [
        ("raw: asyncpg COPY", r["copy_rows_per_s"], "rows/s", None, None),
        ("raw: JetStream pipelined publish", r["publish_msgs_per_s"], "msgs/s", None, None),
        (
            "roster import, file to committed events",
            r["import_students_per_s"],
            "students/s",
            r["import_students_per_s"] / r["copy_rows_per_s"],
            2000,
        ),
        (
            "term aid grant, per student",
            r["grant_students_per_s"],
            "students/s",
            r["grant_students_per_s"] / r["copy_rows_per_s"],
            None,
        ),
        (
            "projection catch-up, exactly-once",
            r["projection_events_per_s"],
            "events/s",
            r["projection_events_per_s"] / r["publish_msgs_per_s"],
            10000,
        ),
    ]
    print(f"{'measure':44} {'rate':>10} {'unit':12} {'ratio to raw':>14} {'goal':>8}")
    for name, rate, unit, ratio, goal in rows:
        ratio_text = f"{ratio:.3f}" if ratio is not None else ""
        goal_text = f"{'ok' if rate >= goal else 'MISSED'} {goal}" if goal else ""
        print(f"{name:44} {rate:10,.0f} {unit:12} {ratio_text:>14} {goal_text:>8}")
    print("ratios: import and grant against COPY rows/s; projection against publish msgs/s")
    out = Path("bench/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(
        json.dumps({"measured_at": datetime.now(UTC).isoformat(), **r}, indent=2)
    )


if __name__ == "__main__":
    asyncio.run(main())
