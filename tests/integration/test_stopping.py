"""Stopping is quick whatever is down: a service whose relay is stuck on an unreachable NATS,
and the projection beside it, each stop within three seconds, without an error."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from services.assistance.app import configure as configure_assistance
from services.projection.app import start_projection_service
from shared.servers import EmbeddedNats
from shared.service import start_service
from shared.settings import Settings
from shared.testing import Sandbox
from tests.support.assistance import processor_for, register_students

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_services_stop_within_three_seconds_while_nats_is_down(
    state_dir: Path, sandbox: Sandbox
) -> None:
    server = EmbeddedNats(state_dir / f"nats-{sandbox.namespace}-stop")
    server.start()
    settings = Settings(
        nats_url=server.url,
        database_url=sandbox.database_url,
        namespace=sandbox.namespace,
        http_port=free_port(),
    )
    try:
        service = await start_service("assistance", configure_assistance, settings)
        projection = await start_projection_service(settings)
        server.stop()
        await register_students(await processor_for(service.store, with_catalogue=False), 50)

        waiting = await service.pool.fetchval("SELECT count(*) FROM assistance.outbox")
        assert waiting >= 50, "NATS is down: the relay cannot publish"
        started = time.monotonic()
        await service.close()
        service_seconds = time.monotonic() - started
        started = time.monotonic()
        await projection.close()
        projection_seconds = time.monotonic() - started
    finally:
        server.stop()
    assert service_seconds < 3, service_seconds
    assert projection_seconds < 3, projection_seconds
