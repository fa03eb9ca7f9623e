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
from shared.commandbus import CommandClient
from shared.jetstream import connect_nats
from shared.testing import Sandbox, start_process, stop_process, wait_for


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
