"""The life of one domain service process: store, command endpoint, outbox relay.

A service module supplies `configure`, which registers its handlers and queries; everything
else (connections, migrations, the JetStream stream, the relay, shutdown) is the same for all.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import structlog
from faststream.nats import NatsBroker
from nats.aio.client import Client as NATS

from shared.commandbus import CommandEndpoint
from shared.db import close_pool, create_pool
from shared.eventstore import EventStore
from shared.gc_tuning import freeze_startup_objects, tune_gc_for_batches
from shared.jetstream import broker_options, connect_nats, ensure_stream, nats_tls
from shared.logging import broker_logger, configure_logging
from shared.operations import (
    add_outbox_query,
    close_nats,
    serve_service_metrics,
    stop_broker,
    supervise_relay,
)
from shared.relay import OutboxRelay
from shared.schema_registry import publish_schemas
from shared.servers import redact
from shared.settings import Settings, get_settings
from shared.supervision import Supervisor, stop_tasks

log = structlog.get_logger()
DEFAULT_NATS = "nats://127.0.0.1:4222"
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/eduplan"


@dataclass
class ServiceRuntime:
    name: str
    settings: Settings
    nats_url: str
    database_url: str
    pool: asyncpg.Pool
    store: EventStore
    broker: NatsBroker
    relay_nats: NATS
    relay: OutboxRelay
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    metrics_server: asyncio.Server | None = None
    endpoints: list[CommandEndpoint] = field(default_factory=list)
    """Served on the broker's connection once it is started (shared/commandbus.py)."""

    @property
    def namespace(self) -> str:
        return self.settings.namespace

    async def close(self) -> None:
        """Stop within about three seconds, whatever is down: each step waits at most one."""
        self.stop.set()
        if self.metrics_server:
            self.metrics_server.close()
        await stop_tasks(self.tasks, grace=1.0)
        for endpoint in self.endpoints:
            await endpoint.stop(grace=0.5)
        await stop_broker(self.broker)
        await close_nats(self.relay_nats)
        await close_pool(self.pool, grace=0.5)


Configure = Callable[[ServiceRuntime], Awaitable[None]]


async def start_service(
    name: str,
    configure: Configure,
    settings: Settings | None = None,
    *,
    nats_url: str | None = None,
    database_url: str | None = None,
) -> ServiceRuntime:
    settings = settings or get_settings()
    nats_url = nats_url or settings.nats_url or DEFAULT_NATS
    database_url = database_url or settings.database_url or DEFAULT_DATABASE
    tune_gc_for_batches()
    pool = await create_pool(database_url, max_size=settings.pool_size, name=f"eduplan-{name}")
    store = EventStore(pool, schema=name)
    await store.setup()
    tls = nats_tls(settings.nats_tls_ca, settings.nats_tls_cert, settings.nats_tls_key)
    relay_nats = await connect_nats(nats_url, f"{name}-relay", wait=10, tls=tls)
    js = relay_nats.jetstream(timeout=10)
    await ensure_stream(
        js, name, settings.namespace, settings.duplicate_window, settings.stream_replicas
    )
    await publish_schemas(relay_nats, name, settings.namespace, settings.stream_replicas)
    broker = NatsBroker(
        apply_types=False,  # handlers take the request as it came (shared/commandbus.py)
        log_level=10,
        logger=broker_logger(),
        max_reconnect_attempts=-1,
        **broker_options(nats_url, tls),  # type: ignore[arg-type]
    )
    relay = OutboxRelay(database_url, name, name, js, settings.namespace)
    runtime = ServiceRuntime(
        name, settings, nats_url, database_url, pool, store, broker, relay_nats, relay
    )
    await configure(runtime)
    add_outbox_query(broker, name, pool, settings.namespace)
    await broker.start()
    for endpoint in runtime.endpoints:
        await endpoint.start(broker.connection)
    supervisor = Supervisor(runtime.stop)
    runtime.tasks.append(supervise_relay(supervisor, relay))
    runtime.metrics_server = await serve_service_metrics(settings, name, pool, supervisor)
    log.info("service_started", service=name, nats=redact(nats_url), database=redact(database_url))
    return runtime


async def serve_forever(name: str, configure: Configure) -> None:
    """Run a service until SIGINT or SIGTERM, then stop cleanly."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json, service=name)
    runtime = await start_service(name, configure, settings)
    freeze_startup_objects()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    log.info("service_stopping", service=name)
    await runtime.close()
