"""Metrics in the Prometheus format: a domain service's on its own port, the projection's
beside its reports."""

from __future__ import annotations

import asyncio
import socket
import urllib.request

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from services.assistance.app import configure as configure_assistance
from services.projection.http.admin import Admin
from shared.commandbus import CommandClient
from shared.jetstream import ensure_stream
from shared.metrics import observe_command_request
from shared.projections import ProjectionRunner
from shared.rebuild import RebuildStatus
from shared.service import start_service
from shared.settings import Settings
from shared.testing import Sandbox, wait_for
from tests.integration.test_foreign_messages import Notes, note, publish
from tests.support.projection import fill_through_service

pytestmark = pytest.mark.integration
NOTES_LAG = ("eduplan_consumer_lag_events", (("projection", "notes"), ("source", "assistance")))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        return str(response.read().decode())


async def test_a_domain_service_serves_its_metrics_on_the_configured_port(
    settings: Settings, pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox
) -> None:
    port = free_port()
    service = await start_service(
        "assistance", configure_assistance, settings.model_copy(update={"metrics_port": port})
    )
    try:
        client = CommandClient(nc, "assistance", sandbox.namespace)
        await fill_through_service(client, pool, 20)
        found = samples(await asyncio.to_thread(scrape, f"http://127.0.0.1:{port}/metrics"))
    finally:
        await service.close()
    assert found[("eduplan_outbox_depth", (("service", "assistance"),))] == 0
    assert found[("eduplan_relay_lag_seconds", (("service", "assistance"),))] == 0
    assert found[("eduplan_relay_published_events_total", (("service", "assistance"),))] >= 20
    assert found[("eduplan_pool_connections", (("pool", "assistance"), ("state", "max")))] == 2
    assert found[("eduplan_task_healthy", (("task", "assistance:relay"),))] == 1


async def test_the_projection_metrics_show_lag_dead_letters_and_rebuilds(
    pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox
) -> None:
    await ensure_stream(nc.jetstream(), "assistance", sandbox.namespace)
    runner = ProjectionRunner(pool, sandbox.database_url, nc, Notes(), namespace=sandbox.namespace)
    await runner.setup()
    await publish(nc, sandbox.namespace, note("a", 1), b"not an event", note("a", 2))
    admin = Admin({"notes": runner}, pool, "reporting", [])
    admin.rebuilds["notes"] = RebuildStatus(
        "notes", "building", targets={"assistance": 4}, reached={"assistance": 1}
    )
    before = samples((await admin.metrics({})).body.decode())
    assert before[NOTES_LAG] == 3
    assert before[("eduplan_rebuild_progress_ratio", (("projection", "notes"),))] == 0.25
    assert before[("eduplan_rebuild_running", (("projection", "notes"),))] == 1

    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))

    async def caught_up() -> bool:
        return await runner.checkpoint("assistance") >= 3

    await wait_for(caught_up)
    stop.set()
    await task
    after = samples((await admin.metrics({})).body.decode())
    assert after[NOTES_LAG] == 0
    assert after[("eduplan_dead_letters", (("projection", "notes"),))] == 1
    assert after[("eduplan_pool_connections", (("pool", "projection"), ("state", "max")))] == 10


def test_command_requests_are_timed_and_counted() -> None:
    observe_command_request("assistance", "grant_term_aid", 0.042, accepted=249, rejected=1)
    labels = {"service": "assistance", "command": "grant_term_aid"}
    assert REGISTRY.get_sample_value("eduplan_command_request_seconds_count", labels) >= 1
    assert (
        REGISTRY.get_sample_value("eduplan_commands_total", {**labels, "outcome": "rejected"}) >= 1
    )
