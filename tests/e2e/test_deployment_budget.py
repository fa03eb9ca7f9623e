"""A whole deployment (every service of `eduplan up`) within its budget: at most 20 PostgreSQL
connections by default, measured in pg_stat_activity while it imports, grants, rebuilds and
answers reports; each service stops within three seconds; every log line is JSON."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import asyncpg
import pytest

from contracts.files.sample_roster import sample_rows, to_csv
from shared.launcher import SERVICES
from shared.servers import ServerEndpoints
from shared.testing import create_sandbox, drop_sandbox
from tests.e2e.conftest import running

pytestmark = pytest.mark.e2e
BUDGET = 20


async def peak_connections(server_url: str, database: str, done: asyncio.Event) -> int:
    """The most connections to `database` seen until `done`, sampled every 20 ms."""
    conn = await asyncpg.connect(server_url)
    peak = 0
    try:
        while not done.is_set():
            count = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database
            )
            peak = max(peak, int(count))
            await asyncio.sleep(0.02)
    finally:
        await conn.close()
    return peak


def json_lines(log: Path) -> list[str]:
    """Lines of a service's log that are not JSON objects."""
    bad = []
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            assert isinstance(json.loads(line), dict)
        except (ValueError, AssertionError):
            bad.append(line)
    return bad


async def test_a_deployment_fits_in_twenty_connections_stops_quickly_and_logs_json(
    servers: ServerEndpoints,
) -> None:
    sandbox = await create_sandbox(servers.nats_url, servers.database_url)
    everything = [name for name in SERVICES if name != "projection"]
    try:
        async with running(
            sandbox, *everything, EDUPLAN_ALERTS_INTERVAL="1", EDUPLAN_ALERTS_QUIET_SECONDS="2"
        ) as system:
            done = asyncio.Event()
            sampler = asyncio.create_task(
                peak_connections(sandbox.server_url, sandbox.database, done)
            )
            roster = system.workdir / "roster.csv"
            roster.write_text(to_csv(sample_rows(counts=None, seed=6)[:2500]), encoding="utf-8")

            def work() -> None:
                for args in (
                    ("roster", "import", str(roster), "--school-year", "2017"),
                    ("aid", "grant", "--term", "2017-autumn", "--county", "610831"),
                    ("projection", "rebuild", "aid_coverage"),
                    ("projection", "rebuild", "audit"),
                ):
                    result = system.eduplan(*args)
                    assert result.returncode == 0, (args, result.stdout, result.stderr)
                    system.get("/api/aid-coverage?term=2017-autumn&as_of_position=100")
                    system.get("/api/plan-progress?county=610831")

            await asyncio.to_thread(work)
            done.set()
            peak = await sampler
            assert 0 < peak <= BUDGET, f"{peak} connections at the peak"

            processes = system.processes
            for name, process in processes.items():
                started = time.monotonic()
                process.send_signal(signal.SIGTERM)
                process.wait(10)
                seconds = time.monotonic() - started
                assert seconds < 3, (name, seconds)
                assert process.returncode == 0, name
            for name in processes:
                assert json_lines(system.workdir / f"{name}.log") == [], name
    finally:
        await drop_sandbox(sandbox)
