"""The whole system as separate processes on a sandbox, driven through the `eduplan` CLI."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contracts.assistance.queries import ListStudentIds, StudentIdPage
from services.cli.up import SERVICES, wait_until_ready
from shared.commandbus import CommandClient
from shared.jetstream import connect_nats
from shared.servers import ServerEndpoints
from shared.settings import Settings
from shared.testing import (
    Sandbox,
    create_sandbox,
    drop_sandbox,
    start_process,
    stop_process,
    wait_for,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class System:
    sandbox: Sandbox
    env: dict[str, str]
    reporting_url: str
    workdir: Path

    def eduplan(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services.cli.main", *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.reporting_url}{path}", timeout=10) as response:
            return json.load(response)


@pytest.fixture
async def system(sandbox: Sandbox) -> AsyncIterator[System]:
    port = free_port()
    env = sandbox.env(
        EDUPLAN_HTTP_PORT=str(port),
        EDUPLAN_REPORTING_URL=f"http://127.0.0.1:{port}",
        COLUMNS="200",
    )
    workdir = Path(tempfile.mkdtemp(prefix="eduplan-e2e-"))
    processes = [
        start_process(module, env, workdir / f"{module}.log")
        for module in ("services.assistance", "services.projection")
    ]
    nc = await connect_nats(sandbox.nats_url, "e2e")
    client = CommandClient(nc, "assistance", sandbox.namespace, timeout=1, retries=0)
    up = System(sandbox, env, f"http://127.0.0.1:{port}", workdir)

    async def ready() -> bool:
        try:
            await client.query(ListStudentIds(county="000000", limit=1), StudentIdPage)
            up.get("/health")
        except Exception:
            return False
        return True

    try:
        await wait_for(ready, timeout=60, interval=0.2)
        yield up
    finally:
        await nc.close()
        for process in processes:
            stop_process(process)


@pytest.fixture(scope="module")
async def whole_system(servers: ServerEndpoints) -> AsyncIterator[System]:
    """Every service of `eduplan up` (up.SERVICES) as its own process, on a sandbox of its own
    shared by the tests of one module (filling it takes a while); alerts sweep every second."""
    sandbox = await create_sandbox(servers.nats_url, servers.database_url)
    port = free_port()
    env = sandbox.env(
        EDUPLAN_HTTP_PORT=str(port),
        EDUPLAN_REPORTING_URL=f"http://127.0.0.1:{port}",
        EDUPLAN_ALERTS_INTERVAL="1",
        COLUMNS="200",
    )
    workdir = Path(tempfile.mkdtemp(prefix="eduplan-e2e-whole-"))
    processes = {
        name: start_process(module, env, workdir / f"{module}.log")
        for name, module in SERVICES.items()
    }
    settings = Settings(
        nats_url=sandbox.nats_url,
        namespace=sandbox.namespace,
        http_host="127.0.0.1",
        http_port=port,
    )
    try:
        await wait_until_ready(settings, sandbox.nats_url, processes)
        yield System(sandbox, env, f"http://127.0.0.1:{port}", workdir)
    finally:
        for process in processes.values():
            stop_process(process)
        await drop_sandbox(sandbox)
