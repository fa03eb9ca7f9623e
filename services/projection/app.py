"""Wiring of the projection service: runners for each read model and the HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import structlog
import uvicorn
from nats.aio.client import Client as NATS

from services.projection.http import ReportingApp
from services.projection.read_models import projections, routes
from shared.db import create_pool
from shared.jetstream import connect_nats
from shared.logging import configure_logging
from shared.projections import ProjectionRunner, tune_gc_for_batches
from shared.service import DEFAULT_DATABASE, DEFAULT_NATS
from shared.settings import Settings, get_settings

log = structlog.get_logger()
SCHEMA = "reporting"


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the service decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class ProjectionService:
    settings: Settings
    pool: asyncpg.Pool
    nc: NATS
    runners: list[ProjectionRunner]
    server: uvicorn.Server | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    async def health(self) -> dict[str, Any]:
        status = {}
        for runner in self.runners:
            status[runner.projection.name] = {
                source: await runner.checkpoint(source) for source in runner.projection.sources
            }
        return {"status": "ok", "checkpoints": status}

    async def close(self) -> None:
        self.stop.set()
        if self.server:
            self.server.should_exit = True
        await asyncio.gather(*self.tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.nc.drain()
        await self.pool.close()


async def start_projection_service(
    settings: Settings | None = None,
    *,
    nats_url: str | None = None,
    database_url: str | None = None,
    serve_http: bool = True,
) -> ProjectionService:
    settings = settings or get_settings()
    nats_url = nats_url or settings.nats_url or DEFAULT_NATS
    database_url = database_url or settings.database_url or DEFAULT_DATABASE
    tune_gc_for_batches()
    pool = await create_pool(database_url, max_size=8, name="eduplan-projection")
    nc = await connect_nats(nats_url, "projection", wait=10)
    runners = [
        ProjectionRunner(
            pool, database_url, nc, p, SCHEMA, settings.namespace, settings.projection_batch_size
        )
        for p in projections()
    ]
    service = ProjectionService(settings, pool, nc, runners)
    for runner in runners:
        await runner.setup()
        service.tasks.append(asyncio.create_task(runner.run(service.stop)))
    if serve_http:
        app = ReportingApp(pool, SCHEMA, routes(), service.health)
        config = uvicorn.Config(
            app,
            host=settings.http_host,
            port=settings.http_port,
            log_level="warning",
            lifespan="on",
        )
        service.server = _QuietServer(config)
        service.tasks.append(asyncio.create_task(service.server.serve()))
    log.info("projection_service_started", http=f"http://{settings.http_host}:{settings.http_port}")
    return service


async def serve_forever() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json, service="projection")
    service = await start_projection_service(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    await service.close()
