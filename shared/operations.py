"""What a domain service runs besides its commands: the supervised relay, the outbox-state
query that tells readers whether everything committed is on the bus, and its metrics."""

from __future__ import annotations

import asyncio
import contextlib
import functools

import asyncpg
from faststream.nats import NatsBroker
from nats.aio.client import Client as NATS
from pydantic import BaseModel, Field

from shared import metrics
from shared.commandbus import add_query_endpoint
from shared.relay import OutboxRelay, record_outbox
from shared.settings import Settings
from shared.supervision import Supervisor


class OutboxQuery(BaseModel):
    """Asks a domain service how much of what it committed is not yet on its stream."""


class OutboxReport(BaseModel):
    service: str = Field(description="The service answering.")
    pending: int = Field(description="Events committed but not yet published to JetStream.")
    quiet_seconds: float | None = Field(
        description="Seconds since the service recorded its last event; null: none yet."
    )


def add_outbox_query(broker: NatsBroker, service: str, pool: asyncpg.Pool, namespace: str) -> None:
    """Serve `queries.<service>.outbox_query`: readers (the alerts service) judge read models
    only when every producer's outbox is empty."""

    async def answer(_: OutboxQuery) -> OutboxReport:
        pending = await record_outbox(pool, service, service)
        quiet = await pool.fetchval(
            f"SELECT extract(epoch FROM now() - recorded_at)::float8"
            f' FROM "{service}".events ORDER BY position DESC LIMIT 1'
        )
        return OutboxReport(service=service, pending=pending, quiet_seconds=quiet)

    add_query_endpoint(broker, service, OutboxQuery, answer, namespace)


def supervise_relay(supervisor: Supervisor, relay: OutboxRelay) -> asyncio.Task[None]:
    return supervisor.start(f"{relay.service}:relay", functools.partial(relay.run, supervisor.stop))


async def serve_service_metrics(
    settings: Settings, service: str, pool: asyncpg.Pool, supervisor: Supervisor
) -> asyncio.Server | None:
    """The service's /metrics on EDUPLAN_METRICS_PORT; None when that is unset."""
    if settings.metrics_port is None:
        return None

    async def refresh() -> None:
        metrics.record_pool(service, pool)
        metrics.record_tasks(supervisor.health.values())
        await record_outbox(pool, service, service)

    return await metrics.serve_metrics(settings.metrics_host, settings.metrics_port, refresh)


async def close_nats(nc: NATS | None, grace: float = 0.5) -> None:
    """Drain a connection for at most `grace` seconds, then close it: a client whose server
    is gone would otherwise go on reconnecting after the service stopped."""
    if nc is None or nc.is_closed:
        return
    with contextlib.suppress(Exception):
        await asyncio.wait_for(nc.drain(), grace)
    if not nc.is_closed:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(nc.close(), grace)


async def stop_broker(broker: NatsBroker, grace: float = 1.0) -> None:
    """Stop the subscribers and drain; if NATS is unreachable, close the connection anyway."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(broker.stop(), grace)
    await close_nats(broker._connection, grace / 2)
