"""Single commands, one per request, against one replica of the assistance service and the
projection service as processes of their own: closed loops (1, 16, 64 in flight) and open
loops at offered rates (latency counted from when each command was due, so a service that
falls behind shows it), CPU milliseconds per command read from /proc, and how long a command
takes to be visible in the read model at an offered 500/s."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import nats

from bench.common import Bench, Cpu, backend_pids, percentile, say, service_ready, wait_until
from contracts.assistance.commands import RegisterStudent
from contracts.envelope import Accepted
from contracts.files.sample_roster import registry_id
from contracts.types import Stage, StudentPersonal
from shared.commandbus import CommandClient, ServiceUnavailable, new_command

IN_FLIGHT = (1, 16, 64)
OFFERED = (250, 500, 750, 1000)
VISIBLE_AT = 500
_serial = itertools.count()


def register() -> RegisterStudent:
    n = next(_serial)
    born = date(2005, 1, 1) + timedelta(days=n // 1000)
    return RegisterStudent(
        county="610831",
        school="子洲县实验小学",
        stage=Stage.PRIMARY,
        grade=2,
        boarding=True,
        personal=StudentPersonal(
            student_registry_id=registry_id("610831", born, n),
            name="张小明",
            gender="male",
            birth_date=born,
            household_id="61083100012345",
        ),
    )


async def measure(bench: Bench) -> dict[str, Any]:
    seconds = max(2.0, 5.0 * bench.scale)
    async with bench.sandbox("cmd") as box:
        with (
            bench.process("services.assistance", box) as service,
            bench.process("services.projection", box) as projection,
        ):
            nc = await nats.connect(box.nats_url)
            pool = await asyncpg.create_pool(box.database_url, min_size=1, max_size=2)
            try:
                client = CommandClient(nc, "assistance", box.namespace, timeout=10)
                await wait_until(lambda: service_ready(client), timeout=60)
                await _warm_up(client)
                say("single commands: closed loops and offered loads ...")
                return await _phases(bench, box.database, client, pool, service.pid,
                                     projection.pid, seconds)  # fmt: skip
            finally:
                await pool.close()
                await nc.close()


async def _phases(
    bench: Bench,
    database: str,
    client: CommandClient,
    pool: asyncpg.Pool,
    service_pid: int,
    projection_pid: int,
    seconds: float,
) -> dict[str, Any]:
    async def cpu() -> Cpu:
        async with pool.acquire() as conn:
            backends = await backend_pids(conn, database)
        return Cpu({"service": [service_pid], "projection": [projection_pid],
                    "postgres": backends})  # fmt: skip

    out: dict[str, Any] = {"in_flight": {}, "offered": {}}
    for n in IN_FLIGHT:
        meter = await cpu()
        meter.start()
        phase = await closed_loop(client, n, seconds)
        phase |= _per_command(meter.read(), phase["commands"])
        out["in_flight"][str(n)] = phase
        say(f"  {n} in flight: {phase['achieved_per_s']:.0f}/s, p50 {phase['p50_ms']:.1f} ms,"
            f" p99 {phase['p99_ms']:.1f} ms, {phase['cpu_ms_per_command']}")  # fmt: skip
    for rate in OFFERED:
        meter = await cpu()
        meter.start()
        watch = pool if rate == VISIBLE_AT else None
        phase = await open_loop(client, rate, seconds, watch)
        phase |= _per_command(meter.read(), phase["commands"])
        out["offered"][str(rate)] = phase
        say(f"  offered {rate}/s: {phase['achieved_per_s']:.0f}/s, p50 {phase['p50_ms']:.1f} ms,"
            f" p99 {phase['p99_ms']:.1f} ms" + (f", visible p99 {phase['visible_p99_ms']:.0f} ms"
            if watch else ""))  # fmt: skip
    out["max_per_s"] = max(p["achieved_per_s"] for p in out["in_flight"].values())
    return out


def _per_command(cpu: dict[str, float], commands: int) -> dict[str, Any]:
    per = {k: round(v * 1000 / max(commands, 1), 3) for k, v in cpu.items()}
    per["total"] = round(sum(per.values()), 3)
    return {"cpu_ms_per_command": per}


async def _warm_up(client: CommandClient) -> None:
    await asyncio.gather(*(client.send([new_command(register(), department="aid_center")])
                           for _ in range(200)))  # fmt: skip


async def _send(client: CommandClient) -> Accepted:
    (result,) = await client.send([new_command(register(), department="aid_center")])
    if not isinstance(result, Accepted):
        raise RuntimeError(f"a benchmark command was rejected: {result}")
    return result


async def closed_loop(client: CommandClient, in_flight: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            await _send(client)
            latencies.append(time.perf_counter() - began)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return _summary(latencies, time.perf_counter() - started)


async def open_loop(
    client: CommandClient, rate: int, seconds: float, watch: asyncpg.Pool | None
) -> dict[str, Any]:
    """Send at `rate` per second whatever the answers do; latency from when each was due.
    With `watch`, also time until each student is in the read model (polled every 5 ms)."""
    latencies: list[float] = []
    visible: list[float] = []
    due: dict[UUID, float] = {}
    tasks: list[asyncio.Task[None]] = []
    count = int(rate * seconds)

    failed = 0

    async def one(at: float) -> None:
        nonlocal failed
        try:
            result = await _send(client)
        except ServiceUnavailable:  # no answer within the client's timeout: overloaded
            failed += 1
            return
        latencies.append(time.perf_counter() - at)
        if watch is not None:
            due[UUID(result.stream_id)] = at

    started = time.perf_counter()
    poller = asyncio.create_task(_poll_visible(watch, due, visible)) if watch else None
    for i in range(count):
        at = started + i / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(at)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    summary = _summary(latencies, elapsed)
    if poller is not None:
        await wait_until(_all_seen(due), timeout=60, interval=0.05)
        poller.cancel()
        summary |= {
            "visible_p50_ms": percentile(visible, 50) * 1000,
            "visible_p99_ms": percentile(visible, 99) * 1000,
            "visible_max_ms": max(visible, default=0) * 1000,
        }
    return summary | {"offered_per_s": rate, "unanswered": failed}


def _all_seen(due: dict[UUID, float]):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return not due

    return check


async def _poll_visible(pool: asyncpg.Pool, due: dict[UUID, float], seen: list[float]) -> None:
    async with pool.acquire() as conn:
        query = await conn.prepare(
            "SELECT student_id FROM reporting.aid_students WHERE student_id = ANY($1::uuid[])"
        )
        while True:
            if due:
                rows = await query.fetch(list(due))
                now = time.perf_counter()
                for r in rows:
                    at = due.pop(r["student_id"], None)
                    if at is not None:
                        seen.append(now - at)
            await asyncio.sleep(0.005)


def _summary(latencies: list[float], elapsed: float) -> dict[str, Any]:
    return {
        "commands": len(latencies),
        "achieved_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "load_average": os.getloadavg()[0],
    }
