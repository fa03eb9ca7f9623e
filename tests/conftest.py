"""Fixtures: real NATS and PostgreSQL (same fallbacks as `eduplan up`), isolated per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from nats.aio.client import Client as NATS

from services.assistance.app import configure as configure_assistance
from shared.commandbus import CommandClient
from shared.db import create_pool
from shared.eventstore import EventStore
from shared.jetstream import connect_nats
from shared.logging import configure_logging
from shared.servers import ServerEndpoints
from shared.service import ServiceRuntime, start_service
from shared.settings import Settings
from shared.testing import Sandbox, create_sandbox, drop_sandbox, server_state_dir, test_servers

configure_logging("WARNING", json=False)


@pytest.fixture(scope="session")
def state_dir() -> Path:
    """Where embedded servers live if a test run needs them."""
    return server_state_dir("eduplan-test-")


@pytest.fixture(scope="session")
def servers(state_dir: Path) -> Iterator[ServerEndpoints]:
    endpoints = test_servers(state_dir)
    yield endpoints
    endpoints.stop_all()


@pytest.fixture
async def sandbox(servers: ServerEndpoints) -> AsyncIterator[Sandbox]:
    box = await create_sandbox(servers.nats_url, servers.database_url)
    yield box
    await drop_sandbox(box)


@pytest.fixture
def settings(sandbox: Sandbox) -> Settings:
    return Settings(
        nats_url=sandbox.nats_url, database_url=sandbox.database_url, namespace=sandbox.namespace
    )


@pytest.fixture
async def pool(sandbox: Sandbox) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(sandbox.database_url)
    yield p
    await p.close()


@pytest.fixture
async def store(pool: asyncpg.Pool) -> EventStore:
    s = EventStore(pool, "assistance")
    await s.setup()
    return s


@pytest.fixture
async def nc(sandbox: Sandbox) -> AsyncIterator[NATS]:
    client = await connect_nats(sandbox.nats_url, "tests")
    yield client
    await client.close()


@pytest.fixture
async def assistance(settings: Settings) -> AsyncIterator[ServiceRuntime]:
    """The assistance service, in this process, on the sandbox."""
    runtime = await start_service("assistance", configure_assistance, settings)
    yield runtime
    await runtime.close()


@pytest.fixture
def client(nc: NATS, sandbox: Sandbox) -> CommandClient:
    return CommandClient(nc, "assistance", sandbox.namespace, timeout=30)


@pytest.fixture(scope="session")
def cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("EDUPLAN_")}
