"""The whole system as separate processes on a sandbox, driven through the `eduplan` CLI."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from shared.accounts import credentials, users
from shared.accounts.passwords import generate_password
from shared.accounts.roles import Role
from shared.accounts.schema import ensure_access_schema
from shared.launcher import SERVICES, wait_until_ready
from shared.servers import ServerEndpoints
from shared.settings import Settings
from shared.testing import (
    Sandbox,
    create_sandbox,
    drop_sandbox,
    start_process,
    stop_process,
)

TESTER = "tester"
"""The user the end-to-end tests log in as, with a token for the CLI."""


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
    user: str = TESTER
    password: str = ""
    token: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def eduplan(
        self, *args: str, timeout: float = 300, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services.cli.main", *args],
            env=self.env | env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def get(self, path: str, **headers: str) -> Any:
        """A report, asked with the tester's token (and `headers`, e.g. Accept-Language)."""
        request = urllib.request.Request(
            f"{self.reporting_url}{path}",
            headers={"Authorization": f"Bearer {self.token}", **headers},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)


async def tester(database_url: str) -> tuple[str, str]:
    """The tests' user, who may do everything (reads the province and personal data, runs
    the read models), and a token of theirs: its password and the token."""
    password = generate_password()
    conn = await asyncpg.connect(database_url)
    try:
        await ensure_access_schema(conn)
        roles = [Role.PROVINCE_VIEWER, Role.PERSONAL_DATA_READER, Role.OPERATOR]
        await users.add_user(conn, TESTER, roles, [], password)
        token, _ = await credentials.issue_token(conn, TESTER, timedelta(days=1), "tests")
    finally:
        await conn.close()
    return password, token


@contextlib.asynccontextmanager
async def running(sandbox: Sandbox, *services: str, **env: str) -> AsyncIterator[System]:
    """These services of `eduplan up` (names of up.SERVICES) and the projection, each as its
    own process on the sandbox, once each answers (on the bus, or over HTTP)."""
    port = free_port()
    environment = sandbox.env(
        EDUPLAN_HTTP_PORT=str(port),
        EDUPLAN_REPORTING_URL=f"http://127.0.0.1:{port}",
        COLUMNS="200",
        **env,
    )
    workdir = Path(tempfile.mkdtemp(prefix="eduplan-e2e-"))
    processes = {
        name: start_process(SERVICES[name], environment, workdir / f"{name}.log")
        for name in (*services, "projection")
    }
    settings = Settings(
        nats_url=sandbox.nats_url,
        namespace=sandbox.namespace,
        http_host="127.0.0.1",
        http_port=port,
    )
    try:
        await wait_until_ready(settings, sandbox.nats_url, processes)
        password, token = await tester(sandbox.database_url)
        environment["EDUPLAN_REPORTING_TOKEN"] = token
        url = f"http://127.0.0.1:{port}"
        yield System(sandbox, environment, url, workdir, TESTER, password, token, processes)
    finally:
        for process in processes.values():
            stop_process(process)


@pytest.fixture
async def system(sandbox: Sandbox) -> AsyncIterator[System]:
    """The assistance and projection services."""
    async with running(sandbox, "assistance") as up:
        yield up


@pytest.fixture(scope="module")
async def whole_system(servers: ServerEndpoints) -> AsyncIterator[System]:
    """Every service of `eduplan up` (up.SERVICES) as its own process, on a sandbox of its own
    shared by the tests of one module (filling it takes a while); alerts sweep every second,
    once a work stream has been quiet for two."""
    sandbox = await create_sandbox(servers.nats_url, servers.database_url)
    everything = [name for name in SERVICES if name != "projection"]
    try:
        async with running(
            sandbox, *everything, EDUPLAN_ALERTS_INTERVAL="1", EDUPLAN_ALERTS_QUIET_SECONDS="2"
        ) as up:
            yield up
    finally:
        await drop_sandbox(sandbox)
